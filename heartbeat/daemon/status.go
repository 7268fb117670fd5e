package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"hbgo/authkeys"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/core/membership"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/edge/media"
	"hbgo/heartbeat/status"
	"hbgo/internal/statekey"
	"hbgo/internal/version"
)

// statusView is what the loop records for `heartbeat status` and the
// metrics beyond membership's and the planner's own state: when each link
// last carried a packet, the peers' generations and configuration hashes,
// each resource's state, and the transitions. The loop alone touches it;
// the sinks get copies (status.Snapshot).
type statusView struct {
	start    time.Time
	names    map[string]string               // src field as sent → node name ("" = not a peer)
	linkSeen map[string]map[string]time.Time // node → link → last authenticated packet
	nodeSeen map[string]time.Time            // last packet per node (ping nodes: echo replies)
	genStr   map[string]string               // node → its hg field as last seen
	gen      map[string]uint64
	cfHash   map[string]string // node → its status messages' status.ConfigField ("" none)
	peerVer  map[string]string // node → its status messages' status.VersionField ("" none)
	heard    map[string]bool   // node → a status message was heard
	late     map[string]uint64 // node → Late heartbeat lines
	res      map[string]*resView
	trans    map[string]uint64
	last     *status.Transition
	death    string // why the peer was last declared dead, for the transition text
	machDown machDownWait

	ourVer   string // hbgo's own version, as VersionField sends it
	ourHash  string
	ourHashB []byte // ourHash and ourVer as addStatusFields sends them
	ourVerB  []byte
	hashConf *hadir.Conf // the configuration ourHash is of
	cmpKey   [2]string   // (ours, peer's) last compared
	cmp      status.PeerConfig
	alarm    status.MismatchAlarm

	sinks      *status.Sinks
	sinksTried bool
	published  time.Time // the Time of the snapshot the sinks last got
	pubKey     uint64    // its metricsKey
	publishes  uint64    // snapshots handed to the sinks (tests)
}

type resView struct {
	state    string
	since    time.Time
	failures uint64 // failed starts and stops since the last heartbeat cleanup
	total    uint64 // failed starts and stops since this daemon started (cleanup leaves it)
}

// stat returns the node's statusView, made on first use.
func (n *node) stat() *statusView {
	if n.sv == nil {
		n.sv = &statusView{start: n.now(), names: map[string]string{}, linkSeen: map[string]map[string]time.Time{}, nodeSeen: map[string]time.Time{},
			genStr: map[string]string{}, gen: map[string]uint64{}, cfHash: map[string]string{}, peerVer: map[string]string{}, heard: map[string]bool{},
			late: map[string]uint64{}, res: map[string]*resView{}, trans: map[string]uint64{}}
	}
	return n.sv
}

// configHash is this node's status.ConfigHash, recomputed after a reload.
func (n *node) configHash() string {
	v := n.stat()
	if v.hashConf != n.conf {
		v.hashConf, v.ourHash = n.conf, status.ConfigHash(n.conf.HaCf, n.conf.Groups)
	}
	return v.ourHash
}

// statPacket records an authenticated packet: which link it came on, and
// from a status message the sender's generation and configuration hash.
// For a packet like the one before it allocates nothing (fields are
// compared as bytes, maps hit existing keys): it runs for every packet.
func (n *node) statPacket(p media.Packet, m *wire.Message) {
	v := n.stat()
	name := p.Ping
	if name == "" {
		src := field(m, wire.FSrc)
		var ok bool
		if name, ok = v.names[string(src)]; !ok {
			name = strings.ToLower(string(src))
			if name == n.conf.Node || !n.conf.HaCf.HasNode(name) {
				name = "" // ours (looped back) or not a node of ours: membership drops it
			}
			v.names[string(src)] = name
		}
		if name == "" {
			return
		}
		per := v.linkSeen[name]
		if per == nil {
			per = map[string]time.Time{}
			v.linkSeen[name] = per
		}
		per[p.Link] = p.At
	}
	v.nodeSeen[name] = p.At
	if p.Ping != "" {
		return
	}
	if t := field(m, wire.FType); string(t) != "status" {
		n.statPeerMsg(name, t, m, p.At)
		return
	}
	v.heard[name] = true
	if g := field(m, wire.FGen); string(g) != v.genStr[name] {
		v.genStr[name] = string(g)
		v.gen[name], _ = strconv.ParseUint(string(g), 16, 64)
	}
	if h := field(m, status.ConfigField); string(h) != v.cfHash[name] {
		v.cfHash[name] = string(h)
	}
	if h := field(m, status.VersionField); string(h) != v.peerVer[name] {
		v.peerVer[name] = string(h)
	}
}

// field returns the value of m's first string field called name, without
// the copy wire.Message.Get makes.
func field(m *wire.Message, name string) []byte {
	for i := range m.Fields {
		if f := &m.Fields[i]; f.Name == name && f.Type == wire.String {
			return f.Value
		}
	}
	return nil
}

// statAct follows the node machine's actions before they are carried out:
// late heartbeats, a peer's death, operations, and our own status going
// out, which paces the metrics sinks and the mismatch check.
func (n *node) statAct(a hbnode.Action) {
	v := n.stat()
	switch a := a.(type) {
	case hbnode.Op:
		n.statPlan(a.Op)
	case hbnode.Log:
		// COMPAT's text: "Late heartbeat: Node <name>: interval <n> ms".
		if rest, ok := strings.CutPrefix(a.Text, "Late heartbeat: Node "); ok && a.Proc == "" {
			if name, _, ok := strings.Cut(rest, ":"); ok {
				v.late[strings.ToLower(name)]++
			}
		}
	case hbnode.PeerDead:
		n.noteDeath(a.Node)
		if v.machDown.peer == a.Node {
			v.machDown = machDownWait{} // its process died: nothing left stuck
		}
	case hbnode.Send:
		if a.Rexmit || string(field(a.Msg, wire.FType)) != "status" {
			return
		}
		n.checkPeerConfig()
		if !v.sinksTried {
			v.sinksTried = true
			s, err := status.NewSinks(n.conf.Hbgo, n.log.Errorf, n.freshSnapshot)
			if err != nil {
				n.log.Errorf("hbgo: metrics: %v", err)
			} else if s != nil {
				v.sinks = s
				n.closers = append(n.closers, s.Close)
			}
		}
		if v.sinks != nil {
			n.publishSinks()
		}
	}
}

// publishSinks hands the sinks a snapshot when the metrics changed (their
// metricsKey), at most once per status.PublishEvery, and otherwise every
// status.TextfileRefresh for the heartbeat ages. It runs as our status goes
// out, at most once per keepalive. An idle node builds a snapshot (and wakes
// the textfile's writer) every 10 s instead of every second: the writer's
// render of the snapshot, to find it unchanged, was 9 % of an idle node's
// CPU (bench/results/idle-2026-12-06.md). The listener asks the loop for
// a snapshot when scraped (freshSnapshot), so its ages are current.
func (n *node) publishSinks() {
	v := n.stat()
	now := n.now()
	since := now.Sub(v.published)
	k := n.metricsKey(now)
	if since < status.TextfileRefresh && (k == v.pubKey || since < status.PublishEvery) {
		return
	}
	snap := n.healthSnapshot() // a copy: the sinks write it off the loop
	v.published, v.pubKey = snap.Time, k
	v.publishes++
	v.sinks.Publish(snap)
}

// metricsKey is a hash of everything the metrics show but the heartbeat
// ages: when it is unchanged, so is the textfile but for its age lines.
// It allocates nothing and reads no clock but now (failure counts within
// failure_window expire with time). TestMetricsKeyFollowsMetrics checks it
// against the rendered metrics.
func (n *node) metricsKey(now time.Time) uint64 {
	v := n.stat()
	h := statekey.Uint(statekey.Offset, n.m.StateKey())
	var drops uint64 // counters only grow: their sum changes with any of them
	for _, c := range n.ing.drops {
		drops += c
	}
	for _, m := range n.media {
		s := m.Stats()
		drops += s.DroppedQueueFull + s.DroppedOversize
	}
	if n.pinger != nil {
		drops += n.pinger.Stats().DroppedQueueFull
	}
	h = statekey.Uint(h, drops)
	var late, trans uint64
	for _, c := range v.late {
		late += c
	}
	for _, c := range v.trans {
		trans += c
	}
	h = statekey.Uint(statekey.Uint(h, late), trans)
	if v.last != nil {
		h = statekey.Uint(h, uint64(v.last.Time.UnixNano()))
	}
	seen := uint64(len(v.nodeSeen)) // an age line appears with a link's first packet
	for _, per := range v.linkSeen {
		seen += uint64(len(per))
	}
	h = statekey.Uint(h, seen)
	h = statekey.String(h, v.cmp.State)
	if !n.o.NoResources {
		h = statekey.Uint(h, uint64(n.m.Holds()))
	}
	for _, g := range n.conf.Groups {
		if n.m.MonitorBlocked(g.Key()) {
			h = statekey.Uint(h, 1)
		}
		for _, r := range g.Resources {
			if rv := v.res[r.Token]; rv != nil {
				h = statekey.Uint(statekey.Uint(statekey.String(h, rv.state), rv.failures), rv.total)
			} else {
				h = statekey.String(h, "")
			}
			h = statekey.Uint(statekey.Uint(h, uint64(n.m.FailCount(now, r.Token))), n.m.FailSeen(r.Token))
		}
	}
	return h
}

func (n *node) noteDeath(peer string) {
	v := n.stat()
	now := n.now()
	text := peer + " declared dead at " + now.Format("2006-01-02 15:04:05")
	if t, ok := v.nodeSeen[peer]; ok {
		text += fmt.Sprintf(" after %d ms without heartbeats", now.Sub(t).Milliseconds())
	}
	v.death = text
}

// checkPeerConfig compares the peer's configuration hash with ours when
// either changed, and logs a mismatch as MismatchAlarm allows.
func (n *node) checkPeerConfig() {
	v := n.stat()
	ours := n.configHash()
	peer, theirs := n.peerName(), ""
	if peer != "" {
		theirs = v.cfHash[peer]
	}
	if k := [2]string{ours, theirs}; k != v.cmpKey || v.cmp.State == "" {
		v.cmpKey, v.cmp = k, status.CompareConfig(ours, theirs)
	}
	if line := v.alarm.Check(peer, v.cmp, n.now()); line != "" {
		n.log.Warnf("%s", line)
	}
}

// peerName is the other normal node of ha.cf ("" for a one-node cluster).
func (n *node) peerName() string {
	for _, nd := range n.conf.HaCf.Nodes {
		if nd != n.conf.Node {
			return nd
		}
	}
	return ""
}

// transitionCause names a planner operation's reason for people and metrics.
func transitionCause(why string) string {
	switch why {
	case "mach_down":
		return "peer-dead"
	case "req_our_resources":
		return "startup"
	case "ip-request", "ip-request-resp":
		return "failback"
	case "held-at-start":
		return "cleanup"
	}
	return why // standby, shutdown
}

// statPlan follows the planner's operations: resources start or stop.
func (n *node) statPlan(a planner.Action) {
	op, ok := a.(planner.Op)
	if !ok || len(op.Groups) == 0 {
		return
	}
	v := n.stat()
	now := n.now()
	cause := transitionCause(op.Why)
	v.trans[cause]++
	verb, st := "takes", status.StateStarting
	if op.Kind == planner.Give {
		verb, st = "gives up", status.StateStopping
	}
	text := fmt.Sprintf("%s %s %s (%s)", n.conf.Node, verb, strings.Join(op.Groups, ", "), op.Why)
	if cause == "peer-dead" && v.death != "" {
		text = v.death + "; " + text
	}
	v.last = &status.Transition{Time: now, Cause: cause, Text: text}
	for _, key := range op.Groups {
		for _, r := range n.groupTokens(key) {
			n.setRes(r, st, now)
		}
	}
}

// statDone follows the executor's results.
func (n *node) statDone(d planner.OpDone) {
	now := n.now()
	for _, r := range d.Results {
		toks := n.groupTokens(r.Key)
		for i, t := range toks {
			switch r.Outcome {
			case planner.Started:
				n.setRes(t, status.StateStarted, now)
			case planner.Stopped:
				n.setRes(t, status.StateStopped, now)
			case planner.StartFailed, planner.StopFailed:
				if i == r.FailedAt {
					n.setRes(t, status.StateFailed, now)
					rv := n.stat().res[t]
					rv.failures++
					rv.total++
				} else if r.Outcome == planner.StartFailed {
					n.setRes(t, status.StateStopped, now)
				}
			}
		}
	}
}

func (n *node) setRes(token, state string, now time.Time) {
	v := n.stat()
	r := v.res[token]
	if r == nil {
		r = &resView{}
		v.res[token] = r
	}
	if r.state != state {
		r.state, r.since = state, now
	}
}

func (n *node) groupTokens(key string) []string {
	for _, g := range n.conf.Groups {
		if g.Key() == key {
			t := make([]string, len(g.Resources))
			for i, r := range g.Resources {
				t[i] = r.Token
			}
			return t
		}
	}
	return nil
}

// healthReply answers control.OpHealth.
func (n *node) healthReply() control.Reply {
	n.checkPeerConfig()
	b, err := status.MarshalSnapshot(n.healthSnapshot())
	if err != nil {
		return control.Reply{Error: err.Error()}
	}
	return control.Reply{OK: true, Health: b}
}

// healthSnapshot builds the status.Snapshot from the loop's state. It
// shares nothing with the loop: the sinks may read it on another goroutine.
func (n *node) healthSnapshot() *status.Snapshot {
	v := n.stat()
	now := n.now()
	ms := n.m.Snapshot()
	cf := n.conf.HaCf
	s := &status.Snapshot{Schema: status.Schema, Time: now, Version: "hbgo " + n.ourVersion(), Local: n.conf.Node,
		Keepalive: status.Ms(cf.Keepalive), Deadtime: status.Ms(cf.Deadtime),
		Drops: map[string]uint64{}, Transitions: map[string]uint64{}, PeerConfig: v.cmp, Warnings: []status.Warning{}}
	if s.PeerConfig.State == "" {
		s.PeerConfig.State = status.ConfigUnknown
	}
	s.PeerConfig.Parts = append([]string(nil), s.PeerConfig.Parts...)
	for k, c := range n.counters() {
		if r, ok := strings.CutPrefix(k, "drop."); ok {
			s.Drops[r] = c
		}
	}
	for k, c := range v.trans {
		s.Transitions[k] = c
	}
	if v.last != nil {
		t := *v.last
		s.LastTransition = &t
	}
	peerUp := n.statusNodes(s, v, ms, now)
	s.Groups = n.statusGroups(v, peerUp)
	if w, ok := n.stockStuck(now); ok {
		s.Warnings = append(s.Warnings, w)
	}
	if k := n.conf.Keys; k != nil {
		if m, ok := k.Method(k.Active()); ok && m == authkeys.CRC {
			s.Warnings = append(s.Warnings, status.Warning{Code: "crc-auth",
				Text: "authkeys signs with crc: anyone on a heartbeat link can forge messages; use sha1"})
		}
	}
	return s
}

// statusNodes adds each node with its links to s (and a warning per unreachable ping node); it reports whether a peer is up.
func (n *node) statusNodes(s *status.Snapshot, v *statusView, ms membership.Snapshot, now time.Time) (peerUp bool) {
	for _, nd := range ms.Nodes {
		sn := status.Node{Name: nd.Name, Type: nd.Type, State: nd.Status, LateHeartbeats: v.late[nd.Name], Generation: v.gen[nd.Name]}
		switch {
		case nd.Name == n.conf.Node:
			sn.Local, sn.Generation, sn.Software = true, ms.Generation, s.Version
		case nd.Type == "ping":
		default:
			sn.Software = status.PeerSoftware(v.peerVer[nd.Name], v.cfHash[nd.Name], v.heard[nd.Name])
		}
		if nd.Type != "ping" && nd.Name != n.conf.Node && (nd.Status == "up" || nd.Status == "active") {
			peerUp = true
		}
		for _, l := range nd.Links {
			sl := status.Link{Name: l.Name, Up: l.Status == "up"}
			if nd.Type == "ping" {
				sl.Up = nd.Status != "dead"
			}
			t, ok := v.linkSeen[nd.Name][l.Name]
			if nd.Type == "ping" {
				t, ok = v.nodeSeen[nd.Name]
			}
			if ok && !sn.Local {
				age := now.Sub(t).Seconds()
				sl.LastHeartbeatAge = &age
			}
			sn.Links = append(sn.Links, sl)
		}
		if nd.Type == "ping" && nd.Status == "dead" {
			s.Warnings = append(s.Warnings, status.Warning{Code: "ping-unreachable", Text: "ping node " + nd.Name + " does not answer"})
		}
		s.Nodes = append(s.Nodes, sn)
	}
	return peerUp
}

// statusGroups is each group's resources as this node last saw them, and who holds the group as far as it knows.
func (n *node) statusGroups(v *statusView, peerUp bool) []status.Group {
	var out []status.Group
	hold := planner.None
	if n.m != nil && !n.o.NoResources {
		hold = n.m.Holds()
	}
	for _, g := range n.conf.Groups {
		sg := status.Group{Name: g.Key(), Primary: g.Node, HandedOver: n.m != nil && n.m.MonitorBlocked(g.Key())}
		set := planner.Foreign
		if g.Node == n.conf.Node {
			set = planner.Local
		}
		here := false
		for _, r := range g.Resources {
			sr := status.Resource{Name: r.Token, State: status.StateStopped}
			if rv := v.res[r.Token]; rv != nil {
				sr.State, sr.Since, sr.Failures, sr.FailuresTotal = rv.state, rv.since, rv.failures, rv.total
			} else if hold&set != 0 {
				sr.State = status.StateStarted // held since before this daemon recorded it (start-up scan, -R)
			}
			sr.MonitorFailures = n.monFailures(r.Token)
			sr.Failures += sr.MonitorFailures
			if n.m != nil {
				sr.FailuresTotal += n.m.FailSeen(r.Token)
			}
			if sr.State == status.StateStarted || sr.State == status.StateStarting || sr.State == status.StateStopping {
				here = true
			}
			sg.Resources = append(sg.Resources, sr)
		}
		switch {
		case here:
			sg.Holder = n.conf.Node
		case peerUp && !n.o.NoResources:
			sg.Holder = n.peerName() // as far as this node knows: what it does not run, the live peer does
		}
		out = append(out, sg)
	}
	return out
}

// addStatusFields adds our configuration hash and hbgo's version to a
// status message we send (membership.Params.StatusExtra); stock ignores
// both (TestMixedConfigHashField).
// Their bytes are made once and shared by every status (a message never
// changes a value's bytes; a new hash gets new ones).
func (n *node) addStatusFields(m *wire.Message) {
	v := n.stat()
	if h := n.configHash(); v.ourHashB == nil || string(v.ourHashB) != h {
		v.ourHashB = []byte(h)
	}
	if v.ourVerB == nil {
		v.ourVerB = []byte(n.ourVersion())
	}
	m.AddBytes(status.ConfigField, v.ourHashB)
	m.AddBytes(status.VersionField, v.ourVerB)
}

// ourVersion is hbgo's own version (internal/version), read once.
func (n *node) ourVersion() string {
	v := n.stat()
	if v.ourVer == "" {
		v.ourVer = strings.TrimSpace(version.Get().Version)
		if v.ourVer == "" {
			v.ourVer = "devel"
		}
	}
	return v.ourVer
}

// monFailures is the resource monitor's failure count of token within
// failure_window, as it counts them toward failover_threshold (0 when no
// monitor runs).
func (n *node) monFailures(token string) uint64 {
	if n.m == nil {
		return 0
	}
	return uint64(n.m.FailCount(n.now(), token))
}

// statCleanup follows `heartbeat cleanup [RESOURCE]`: the start and stop
// failures status counts are cleared with the monitor's ("" = every
// resource); the totals since the daemon started are kept (a Prometheus
// counter, hbgo_resource_failures_total, never goes down).
func (n *node) statCleanup(res string) {
	for tok, r := range n.stat().res {
		if res == "" || tok == res {
			r.failures = 0
		}
	}
}

// stockStuckAfter is how long a stock peer's takeover of this node's groups
// may run before status says its mach_down message was lost: mach_down
// starts the groups first, which can take a while for a slow service.
const stockStuckAfter = 5 * time.Minute

// machDownWait is a stock peer's takeover of this node's groups whose
// closing mach_down message has not come (zero: none pending).
type machDownWait struct {
	peer string
	gen  string // the peer's hg when it began: a new process is not stuck
	at   time.Time
}

// statPeerMsg follows a stock peer's takeover of this node (issue 16,
// docs/MIGRATION.md "If the stock node will not stop"). When stock
// declares its peer dead it sends stonith node=<peer> (result n_stnth, or
// the device's) and runs mach_down, whose message resource info=mach_down
// ends the takeover when stock's main process reads it back (PROTOCOL
// §11.4). Stock's FIFO race can lose that message, and then stock can never
// stop gracefully; on the wire the message simply never comes. This node
// sees it when it still hears the peer after being declared dead (an
// outbound cut, a paused process). Messages of an older generation of the
// peer (replays) are ignored.
func (n *node) statPeerMsg(peer string, typ []byte, m *wire.Message, at time.Time) {
	v := n.stat()
	switch string(typ) {
	case "stonith":
		if !v.heard[peer] || v.cfHash[peer] != "" || string(field(m, wire.FGen)) != v.genStr[peer] {
			return // not a stock peer (hbgo's takeover has no FIFO), or not its current process
		}
		if !strings.EqualFold(string(field(m, "node")), n.conf.Node) || string(field(m, "result")) == "unneeded" {
			return // not about us, or we had given everything up: no mach_down follows
		}
		if v.machDown.peer != peer || v.machDown.gen != v.genStr[peer] { // else a copy on another link: the first counts
			v.machDown = machDownWait{peer: peer, gen: v.genStr[peer], at: at}
		}
	case "resource":
		if v.machDown.peer == peer && string(field(m, "info")) == "mach_down" {
			v.machDown = machDownWait{}
		}
	}
}

// stockStuck is the stock-stuck warning when a stock peer's takeover of
// this node has waited stockStuckAfter for its mach_down message, and the
// same process of the peer still runs.
func (n *node) stockStuck(now time.Time) (status.Warning, bool) {
	v := n.stat()
	w := v.machDown
	if w.peer == "" || w.gen != v.genStr[w.peer] || now.Sub(w.at) < stockStuckAfter {
		return status.Warning{}, false
	}
	return status.Warning{Code: "stock-stuck", Text: fmt.Sprintf(
		"%s (stock heartbeat) took over from this node at %s and its mach_down message never came: it lost it and cannot stop gracefully; see docs/MIGRATION.md",
		w.peer, w.at.Format("2006-01-02 15:04:05"))}, true
}

// freshSnapshot asks the loop for a snapshot for a metrics scrape; it runs
// on the listener's goroutine. nil when the loop has not answered within
// status.PublishEvery (then the scrape is served the newest published one)
// or stop closed. The loop's part never blocks: the reply channel has room.
func (n *node) freshSnapshot(stop <-chan struct{}) *status.Snapshot {
	ch := make(chan *status.Snapshot, 1)
	t := time.NewTimer(status.PublishEvery)
	defer t.Stop()
	select {
	case n.later <- func() { ch <- n.healthSnapshot() }:
	case <-stop:
		return nil
	case <-t.C:
		return nil
	}
	select {
	case s := <-ch:
		return s
	case <-stop:
	case <-t.C:
	}
	return nil
}
