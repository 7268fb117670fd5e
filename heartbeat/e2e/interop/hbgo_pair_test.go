package interop

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
	"hbgo/internal/sched"
)

func TestMain(m *testing.M) { testnet.Main(m) }

var fastUcast = twonode.FastHaCf("ucast @HBIF@ @PEER_HBIP@")

const keys = twonode.Authkeys

// rtProbe is a resource script that records, on start, its own scheduling
// policy (field 41 of /proc/self/stat: 0 SCHED_OTHER, 2 SCHED_RR).
const rtProbe = `#!/bin/sh
F=/etc/ha.d/rtprobe.policy
case "$1" in
start) sed 's/.*) //' /proc/$$/stat | cut -d' ' -f39 >$F ;;
stop) rm -f $F ;;
status) if [ -f $F ]; then echo running; else echo stopped; fi ;;
esac
exit 0
`

// probePolicy waits for node i's rtProbe to have recorded its policy and
// returns it. The shell creates the file before sed writes the line, so it
// waits for the line, not for the file.
func probePolicy(t *testing.T, c *twonode.Cluster, i int) string {
	t.Helper()
	var b []byte
	if !twonode.WaitFor(c.Dead(5), func() bool {
		b, _ = os.ReadFile(c.Node[i].Path("/etc/ha.d/rtprobe.policy"))
		return strings.HasSuffix(string(b), "\n")
	}) {
		t.Fatalf("rtprobe never recorded its policy on node%d (%q)\n%s", i+1, b, c.Log(i))
	}
	return strings.TrimSpace(string(b))
}

// TestHbgoPairFailover runs two hbgo nodes that also ping the LAN client
// (a ping node), every thread of each SCHED_RR as stock's whole process is,
// while the resource scripts they run are SCHED_OTHER (COMPAT §4.4).
func TestHbgoPairFailover(t *testing.T) {
	bin := twonode.BuildHbgo(t)
	cls := clStatus(t, bin)
	c := twonode.New(t, twonode.Options{Prefix: "hbgoip", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: fastUcast + "ping " + twonode.Client + "\n", Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@ rtprobe\n",
		// Both nodes run hbgo: the start-up wait may end as soon as the
		// peer's resource state is known (hbgo.cf fast_start).
		HbgoCf: "fast_start on\n"})
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/rtprobe", []byte(rtProbe), 0o755)
	}
	started := time.Now()
	c.Start(0)
	c.Start(1)
	for i := 0; i < 2; i++ {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node node`+string(rune('2'-i))+`: status active`), 0, c.Dead(20)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(20), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	t.Logf("fast_start: VIP on node1 %v after both started", time.Since(started).Round(time.Millisecond))
	// The RQSTDELAY timer's expiry logs "local resource transition
	// completed." alone; with fast_start the planner says first why it did
	// not wait (or the peer became stable first and the line never comes).
	if l := c.Log(0); strings.Contains(l, "local resource transition completed.") &&
		!strings.Contains(l, "hbgo: fast_start: node2's resource state is known; not waiting RQSTDELAY") {
		t.Errorf("fast_start on both nodes, yet node1 waited out RQSTDELAY:\n%s", l)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+regexp.QuoteMeta(twonode.Client)+`: status ping`), 0, c.Dead(10)); err != nil {
			t.Error(err)
		}
		if out, _ := c.Node[i].Try(cls, "nodestatus", twonode.Client); strings.TrimSpace(out) != "ping" {
			t.Errorf("node%d: cl_status nodestatus %s = %q, want ping", i+1, twonode.Client, out)
		}
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`realtime: SCHED_RR priority 50 for every thread, as stock; scripts run at normal scheduling;`), 0, c.Dead(1)); err != nil {
			t.Error(err)
		}
		// After the start-up scan and (node1) the group's start: threads
		// the runtime made since are SCHED_RR too.
		allRR(t, i, c.Node[i].Pids(bin))
	}
	if p := probePolicy(t, c, 0); p != "0" {
		t.Errorf("node1's resource script ran with policy %q, want 0 (SCHED_OTHER)", p)
	}
	// An edit of ha.cf is validated at once and announced, never applied:
	// a broken line is reported as file:line, the fix as heartbeat -r's job.
	hacf := c.Node[1].Path("/etc/ha.d/ha.cf")
	orig, err := os.ReadFile(hacf)
	if err != nil {
		t.Fatal(err)
	}
	off0 := len(c.Log(1))
	if err := os.WriteFile(hacf, append(append([]byte(nil), orig...), "keepalive banana\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, off0, err = c.WaitLog(1, regexp.MustCompile(`ha\.cf:\d+: error: .*keepalive`), off0, c.Dead(10)); err != nil {
		t.Error(err)
	}
	if err := os.WriteFile(hacf, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err = c.WaitLog(1, regexp.MustCompile(`changed and is valid; run heartbeat -r to apply it`), off0, c.Dead(10)); err != nil {
		t.Error(err)
	}
	// Stock's own hb_standby script (ha_clustermsg into the FIFO) moves
	// the group over to node2.
	if out, err := c.Node[0].Try("/usr/share/heartbeat/hb_standby"); err != nil {
		t.Fatalf("stock hb_standby: %v\n%s", err, out)
	}
	if !twonode.WaitFor(c.Dead(20), func() bool { return c.HasVIP(1) && !c.HasVIP(0) }) {
		t.Fatalf("stock hb_standby on node1 did not move the VIP to node2\n%s", lastLines(c.Log(0), 30))
	}
	if p := probePolicy(t, c, 1); p != "0" {
		t.Errorf("node2's resource script ran with policy %q, want 0 (SCHED_OTHER)", p)
	}
	allRR(t, 0, c.Node[0].Pids(bin))
	allRR(t, 1, c.Node[1].Pids(bin))
	off := len(c.Log(1))
	c.Kill(0)
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`node node1: is dead`), off, c.Dead(5)); err != nil {
		t.Fatal(err)
	}
	if !twonode.WaitFor(c.Dead(5), func() bool { return c.HasVIP(1) }) {
		t.Fatalf("VIP never on node2\n%s", c.Log(1))
	}
}

// allRR checks that every thread of node i's daemon (pids) is SCHED_RR at
// stock's default priority.
func allRR(t *testing.T, i int, pids []int) {
	t.Helper()
	if len(pids) == 0 {
		t.Errorf("node%d: no daemon running", i+1)
	}
	for _, p := range pids {
		ths, err := sched.Threads(p)
		if err != nil {
			t.Errorf("node%d: %v", i+1, err)
			continue
		}
		for tid, pol := range ths {
			if pol != (sched.Policy{Name: "SCHED_RR", Prio: 50}) {
				t.Errorf("node%d: thread %d of %d runs %v, want SCHED_RR 50 (all: %v)", i+1, tid, p, pol, ths)
			}
		}
	}
}
