package daemon

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/core/membership"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/heartbeat/edge/media"
	"hbgo/heartbeat/status"
)

const (
	statusSecret = "s3cr3t-never-shown-0d9f"
	statusHaCf   = "keepalive 200ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nudpport 694\nbcast eth1\nnode node1 node2\nauto_failback off\nlogfile /dev/null\n"
	statusHaRes  = "node1 10.0.0.100 svc\nnode2 10.0.0.200\n"
)

// statusNode is node2 of a pair, built by hand with only what the status
// code reads: the configuration, membership and the drop counters.
func statusNode(t *testing.T, keys string) (*node, *time.Time) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"ha.cf": statusHaCf, "haresources": statusHaRes, "authkeys": keys} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := hadir.Load(hadir.Options{Dir: dir, Node: "node2", Validators: map[string]func([]string) error{}})
	if !c.Ok() {
		t.Fatalf("config: %v", c.Problems)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := &now
	lg, err := hblog.New(hblog.Options{Logfile: "/dev/null", Nodename: "node2", PID: 1, Now: func() time.Time { return *clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	n := &node{conf: c, log: lg, now: func() time.Time { return *clock }, pid: 1}
	n.ing = newIngest(lg, n.now)
	cf := c.HaCf
	n.m = hbnode.New(hbnode.Config{Membership: membership.Params{Node: "node2", Nodes: cf.Nodes, Links: []string{"eth1"},
		Keepalive: cf.Keepalive, Deadtime: cf.Deadtime, Warntime: cf.Warntime, Initdead: cf.Initdead, Generation: 4},
		Planner: planner.Config{Us: "node2", Peer: "node1", Groups: c.Groups}, Rand: rand.New(rand.NewSource(1))}, now)
	return n, clock
}

func peerStatus(n *node, at time.Time, gen string, withHash bool) {
	m := &wire.Message{}
	m.Add(wire.FType, "status")
	m.Add("st", "active")
	m.Add(wire.FSrc, "node1")
	m.Add(wire.FGen, gen)
	if withHash {
		m.Add(status.ConfigField, n.configHash())
	}
	n.statPacket(media.Packet{Link: "eth1", At: at}, m)
}

// TestStatusSnapshotFromLoopState: what the hooks record shows in the
// snapshot: the peer's generation and software, link ages, a failed
// start, the death that caused a takeover, and the config comparison.
func TestStatusSnapshotFromLoopState(t *testing.T) {
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	t0 := *clock
	peerStatus(n, t0, "1a", true)
	n.statAct(hbnode.Log{Level: "WARN", Text: "Late heartbeat: Node node1: interval 700 ms"})
	*clock = t0.Add(300 * time.Millisecond)
	n.statAct(hbnode.PeerDead{Node: "node1"})
	n.statPlan(planner.Op{ID: 1, Kind: planner.Take, Groups: []string{"10.0.0.100"}, Why: "mach_down"})
	*clock = t0.Add(time.Second)
	n.statDone(planner.OpDone{OpID: 1, Results: []planner.GroupResult{{Key: "10.0.0.100", Outcome: planner.StartFailed, FailedAt: 1}}})
	n.checkPeerConfig()
	s := n.healthSnapshot()

	peer := s.Nodes[0]
	if peer.Name != "node1" || peer.Generation != 0x1a || peer.Software != "hbgo" || peer.LateHeartbeats != 1 {
		t.Errorf("peer %+v", peer)
	}
	if a := peer.Links[0].LastHeartbeatAge; a == nil || *a != 1 {
		t.Errorf("link age %v, want 1 s", a)
	}
	if s.PeerConfig.State != status.ConfigMatch {
		t.Errorf("peer config %+v", s.PeerConfig)
	}
	g := s.Groups[0]
	if g.Resources[0].State != status.StateStopped || g.Resources[1].State != status.StateFailed || g.Resources[1].Failures != 1 {
		t.Errorf("group %+v", g)
	}
	if s.Transitions["peer-dead"] != 1 || s.LastTransition == nil ||
		!strings.Contains(s.LastTransition.Text, "node1 declared dead at 2026-12-06 12:00:00 after 300 ms without heartbeats") {
		t.Errorf("transition %+v %+v", s.Transitions, s.LastTransition)
	}
	if code, _ := s.Health(); code != status.ExitDegraded {
		t.Errorf("health %d, want degraded (failed resource)", code)
	}

	// A stock peer: no hash, software "heartbeat", config unknown.
	peerStatus(n, t0.Add(2*time.Second), "1a", false)
	n.checkPeerConfig()
	s = n.healthSnapshot()
	if s.Nodes[0].Software != "heartbeat (stock)" || s.PeerConfig.State != status.ConfigUnknown {
		t.Errorf("stock peer: %+v %+v", s.Nodes[0], s.PeerConfig)
	}
}

// TestStatusNeverShowsSecrets: the authkeys secret appears in none of the
// three renderings, whatever the method (crc also raises its warning).
func TestStatusNeverShowsSecrets(t *testing.T) {
	for _, keys := range []string{
		"auth 1\n1 sha1 " + statusSecret + "\n",
		"auth 2\n1 sha1 " + statusSecret + "\n2 md5 " + statusSecret + "\n",
		"auth 3\n3 crc\n1 sha1 " + statusSecret + "\n",
	} {
		n, clock := statusNode(t, keys)
		peerStatus(n, *clock, "1", true)
		s := n.healthSnapshot()
		var b bytes.Buffer
		_ = status.WriteText(&b, s)
		_ = status.WriteJSON(&b, s)
		_ = status.WriteMetrics(&b, s)
		rep := n.healthReply()
		b.Write(rep.Health)
		if strings.Contains(b.String(), statusSecret) || strings.Contains(b.String(), "s3cr3t") {
			t.Errorf("secret shown for %q", keys)
		}
		crc := strings.Contains(b.String(), "crc-auth")
		if crc != strings.Contains(keys, "auth 3") {
			t.Errorf("crc warning %v for %q", crc, keys)
		}
	}
}

// TestStatusHooksAllocateNothingAtIdle: the per-packet hook costs no
// allocation for a status like the one before (idle traffic).
func TestStatusHooksAllocateNothingAtIdle(t *testing.T) {
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	m := &wire.Message{}
	m.Add(wire.FType, "status")
	m.Add(wire.FSrc, "node1")
	m.Add(wire.FGen, "1a")
	m.Add(status.ConfigField, n.configHash())
	m.Add(status.VersionField, "v1.2.3")
	p := media.Packet{Link: "eth1", At: *clock}
	n.statPacket(p, m)
	send := hbnode.Send{Msg: &wire.Message{}}
	send.Msg.Add(wire.FType, "status")
	var a hbnode.Action = send // the loop holds actions as interfaces
	n.statAct(a)               // first keepalive: opens the sinks (none configured)
	if a := testing.AllocsPerRun(100, func() {
		n.statPacket(p, m)
		n.statAct(a)
	}); a != 0 {
		t.Errorf("%v allocations per packet and keepalive, want 0", a)
	}
}

// TestStatusPeerSoftware: an hbgo peer's status messages carry its version
// (status.VersionField, beside the configuration hash) and status shows
// "hbgo VERSION" for it; this node shows its own the same way. A peer with
// only the hash is "hbgo", a stock peer "heartbeat (stock)".
func TestStatusPeerSoftware(t *testing.T) {
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	m := &wire.Message{}
	m.Add(wire.FType, "status")
	m.Add(wire.FSrc, "node1")
	m.Add(wire.FGen, "1a")
	n.addStatusFields(m) // what our own status messages carry
	ver, _ := m.Get(status.VersionField)
	hash, _ := m.Get(status.ConfigField)
	if ver == "" || ver != n.ourVersion() || hash != n.configHash() {
		t.Fatalf("status fields: version %q hash %q", ver, hash)
	}
	n.statPacket(media.Packet{Link: "eth1", At: *clock}, m)
	s := n.healthSnapshot()
	if want := "hbgo " + ver; s.Nodes[0].Software != want || s.Nodes[1].Software != want || s.Version != want {
		t.Errorf("software %q (peer), %q (local), version %q; want %q", s.Nodes[0].Software, s.Nodes[1].Software, s.Version, want)
	}
	peerStatus(n, *clock, "1a", true) // an older hbgo: the hash only
	if sw := n.healthSnapshot().Nodes[0].Software; sw != "hbgo" {
		t.Errorf("hash-only peer: %q", sw)
	}
	peerStatus(n, *clock, "1a", false)
	if sw := n.healthSnapshot().Nodes[0].Software; sw != "heartbeat (stock)" {
		t.Errorf("stock peer: %q", sw)
	}
}

// peerMsg feeds a non-status message from node1 of generation gen.
func peerMsg(n *node, at time.Time, gen string, kv ...string) {
	m := &wire.Message{}
	m.Add(wire.FType, kv[0])
	for i := 1; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	m.Add(wire.FSrc, "node1")
	m.Add(wire.FGen, gen)
	n.statPacket(media.Packet{Link: "eth1", At: at}, m)
}

// TestStatusStockStuck: a stock peer that declared this node dead (its
// stonith message names us) and never sent mach_down's resource message
// raises the stock-stuck warning once stockStuckAfter has passed; the
// message, the peer's restart (new generation) or its death clear it. An
// hbgo peer, a replay from an older generation, a stonith about another
// node or an unneeded one never raise it.
func TestStatusStockStuck(t *testing.T) {
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	t0 := *clock
	stuck := func(at time.Duration) bool {
		*clock = t0.Add(at)
		for _, w := range n.healthSnapshot().Warnings {
			if w.Code == "stock-stuck" {
				if !strings.Contains(w.Text, "node1 (stock heartbeat)") || !strings.Contains(w.Text, "docs/MIGRATION.md") {
					t.Errorf("warning text %q", w.Text)
				}
				return true
			}
		}
		return false
	}
	stonith := func(gen, node, result string) {
		peerMsg(n, *clock, gen, "stonith", "node", node, "result", result)
	}
	peerStatus(n, t0, "1a", false) // a stock peer

	stonith("1a", "node2", "n_stnth")
	if stuck(stockStuckAfter - time.Second) {
		t.Error("warned while mach_down may still be starting the groups")
	}
	if !stuck(stockStuckAfter + time.Second) {
		t.Fatal("no stock-stuck warning after the takeover never completed")
	}
	peerMsg(n, *clock, "1a", "resource", "rsc_hold", "foreign", "info", "mach_down")
	if stuck(stockStuckAfter + 2*time.Second) {
		t.Error("still warned after mach_down's message came")
	}

	// The peer restarts (a new process, a new generation): not stuck.
	*clock = t0
	stonith("1a", "node2", "n_stnth")
	peerStatus(n, t0.Add(time.Minute), "1b", false)
	if stuck(stockStuckAfter + time.Minute) {
		t.Error("warned about a peer that restarted")
	}
	// The peer dies: not stuck either.
	*clock = t0
	stonith("1b", "node2", "n_stnth")
	if !stuck(stockStuckAfter + time.Second) {
		t.Fatal("no warning for the restarted peer's own lost takeover")
	}
	n.statAct(hbnode.PeerDead{Node: "node1"})
	if stuck(stockStuckAfter + time.Minute) {
		t.Error("warned about a dead peer")
	}

	*clock = t0
	stonith("1a", "node2", "n_stnth")  // a replay from its older process
	stonith("1b", "node1", "n_stnth")  // not about us
	stonith("1b", "node2", "unneeded") // we had given up everything: no mach_down follows
	peerMsg(n, *clock, "1b", "resource", "rsc_hold", "all", "info", "req_our_resources()")
	if stuck(stockStuckAfter + time.Minute) {
		t.Error("warned without a takeover of ours pending")
	}

	// An hbgo peer's takeover has no FIFO: never stuck.
	*clock = t0
	peerStatus(n, t0, "1c", true)
	stonith("1c", "node2", "n_stnth")
	if stuck(stockStuckAfter + time.Minute) {
		t.Error("warned about an hbgo peer")
	}
}
