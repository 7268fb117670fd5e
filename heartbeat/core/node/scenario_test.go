package node_test

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"hbgo/authkeys"
	"hbgo/haresources"
	"hbgo/haresources/monitor"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/ipfail"
	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
)

// TestScenarios runs the two-node scenario files in testdata/: each node
// is a node.Machine, the network between them is a list of sealed packets,
// and the executor a queue that reports each operation done (or failed)
// after optime. The expected output is what each node writes to its ha-log
// and the operations it runs, with the time since the cluster was made.
// go test ./heartbeat/core/node -rewrite regenerates it: read the diff.
//
// Commands, one per datadriven block:
//
//	cluster [mode=on|off|legacy] [keepalive=1s] [deadtime=10s] [deadtime1=2s] [deadtime2=6s] [warntime=5s] [initdead=12s] [optime=0s] [ipfail]
//	<haresources lines>          two nodes, node1 and node2, on one ucast link
//	start node1 [node2]          boot (the daemon's start-up scan finds nothing)
//	advance 200ms                run the cluster for that long: timers fire, packets arrive at once
//	tick                         every running node's timers at the current time
//	deliver                      hand over the packets in flight (every command ends with it)
//	drop node1->node2            lose every packet node1 sends node2 from now on
//	partition / heal             drop both ways / stop dropping
//	lose node2 t=resource info=mach_down   node2 never sends its next message with these fields
//	replay node1->node2 [type=status] [count=1]   resend node1's oldest sealed packets to node2
//	crash node1                  power off: nothing left running
//	restart node1                boot again with the next generation
//	shutdown node1               graceful stop (SIGTERM)
//	standby node2 [set]          hb_standby
//	takeover node1 [set]         hb_takeover
//	show                         each node's rscstatus and the groups running on it
//	counters node2               membership's packet counters (received, kept, duplicates, drops by reason)
//	op-fail node2 IPaddr start   every start (stop) of that resource on node2 fails from now on
//	handover node1 GROUP         the resource monitor hands GROUP over after repeated failures:
//	                             Block, then hb_standby of the group's set, as the daemon carries them out
//	block node1 GROUP / unblock node1 [GROUP]   the monitor's Block alone (unblock: heartbeat cleanup,
//	                             failure_window); a block is on disk (failure counts): a restart
//	                             re-establishes it right after Start, before comm up
//
// The resource monitor the node composes (issue 15) runs when the cluster
// line has watch, monitor=, threshold= or window=:
//
//	cluster watch [monitor=(hbx-svc,...)] [threshold=3] [window=10m]   monitor=: on-fail restart for
//	                             those resources (token or agent name); the rest are repaired only
//	vanish node1 IPaddr::10.0.0.1 [cause=netlink RTM_DELADDR]   a watch saw the VIP go; the restore
//	                             it asks for succeeds at once (0.4 ms)
//	fail node1 hbx-svc [cause=status exit 7]   a watch or a check found the resource failed
//	conflict node1 IPaddr::10.0.0.1 mac=02:00:00:00:00:09   another MAC answers ARP for the VIP
//	cleanup node1 [RES]          heartbeat cleanup
//
// In a monitor cluster, show also lists the groups whose watches run (the
// last Watch action of each), and vanish, fail and conflict reach a node
// only when the resource's group is watched there: the daemon stops a
// group's watchers on Watch off, so nothing would report it.
//
// A monitor's restart takes optime and fails when op-fail names a start of
// one of its resources; the failure counts it saves survive a restart.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var c *cluster
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "cluster" {
				c = newCluster(t, d)
				return "ok\n"
			}
			if c == nil {
				t.Fatalf("%s: no cluster yet", d.Pos)
			}
			return c.run(t, d)
		})
	})
}

// epoch is the scenario clock's start.
var epoch = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

type cluster struct {
	t       testing.TB
	now     time.Time
	nodes   []*simNode
	groups  []haresources.Group
	mode    planner.Mode
	timing  membership.Params
	optime  time.Duration
	ipfail  bool
	keys    *authkeys.Keys
	flight  []packet
	cut     map[[2]string]bool
	lose    map[string][]map[string]string // node: field sets of messages it never sends
	sent    map[string][][]byte            // sealed packets each node sent, oldest first
	out     strings.Builder
	storm   int
	timeout time.Time
	watch   bool          // the resource monitor runs
	mons    []string      // monitor=: resources whose failure restarts
	thresh  int           // threshold=
	window  time.Duration // window=
}

type packet struct {
	from, to string
	data     []byte
}

type simNode struct {
	name    string
	m       *node.Machine
	up      bool
	gen     uint64
	uuid    [16]byte
	ops     []planner.Op // the executor's queue; the first runs
	opEnd   time.Time    // when the first op completes
	fail    map[string]bool
	exitAt  time.Time // the daemon exits (after shutdone, or to re-exec)
	reexec  bool
	bootAt  time.Time // re-exec after a healed partition
	running map[string]bool
	watched map[string]bool // groups whose watches run (the Watch actions)
	dt      time.Duration   // this node's deadtime, when it differs (deadtime1=, deadtime2=)
	blocked []string        // groups the monitor blocked; kept across restarts (failure counts on disk)
	counts  monitor.Counts  // the monitor's failure counts on disk
	monq    []monJob        // the monitor's restores and restarts under way
}

// monJob is a monitor action the stand-in daemon carries out: its result
// ev is stepped at end.
type monJob struct {
	end time.Time
	ev  node.Event
}

func newCluster(t *testing.T, d *datadriven.TestData) *cluster {
	c := &cluster{t: t, now: epoch, cut: map[[2]string]bool{}, lose: map[string][]map[string]string{},
		sent: map[string][][]byte{}, mode: planner.On,
		timing: membership.Params{Keepalive: time.Second, Deadtime: 10 * time.Second, Warntime: 5 * time.Second,
			Initdead: 12 * time.Second, MaxRexmitDelay: 250 * time.Millisecond, HopFudge: 1}}
	var dts [][2]string // node number, deadtime
	for _, a := range d.CmdArgs {
		v := ""
		if len(a.Vals) > 0 {
			v = a.Vals[0]
		}
		dur := func() time.Duration {
			x, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("%s: %s: %v", d.Pos, a.Key, err)
			}
			return x
		}
		switch a.Key {
		case "mode":
			m, ok := map[string]planner.Mode{"on": planner.On, "off": planner.Off, "legacy": planner.Legacy}[v]
			if !ok {
				t.Fatalf("%s: mode %q", d.Pos, v)
			}
			c.mode = m
		case "keepalive":
			c.timing.Keepalive = dur()
		case "deadtime":
			c.timing.Deadtime = dur()
		case "warntime":
			c.timing.Warntime = dur()
		case "initdead":
			c.timing.Initdead = dur()
		case "deadtime1", "deadtime2":
			dts = append(dts, [2]string{a.Key[len("deadtime"):], v})
		case "optime":
			c.optime = dur()
		case "ipfail":
			c.ipfail = true
		case "watch":
			c.watch = true
		case "monitor":
			c.watch, c.mons = true, a.Vals
		case "threshold":
			c.watch = true
			fmt.Sscan(v, &c.thresh)
		case "window":
			c.watch, c.window = true, dur()
		default:
			t.Fatalf("%s: unknown argument %s", d.Pos, a.Key)
		}
	}
	k, err := authkeys.New(1, authkeys.SHA1, "scenario-secret")
	if err != nil {
		t.Fatal(err)
	}
	c.keys = k
	gs, probs := haresources.Parse(strings.NewReader(d.Input), "haresources")
	if probs.HasErrors() {
		t.Fatalf("%s: haresources: %v", d.Pos, probs)
	}
	c.groups = gs
	for i, name := range []string{"node1", "node2"} {
		n := &simNode{name: name, fail: map[string]bool{}, running: map[string]bool{}, watched: map[string]bool{}}
		n.uuid[0], n.uuid[15] = byte(i+1), 0x42
		c.nodes = append(c.nodes, n)
	}
	for _, x := range dts {
		dt, err := time.ParseDuration(x[1])
		if err != nil {
			t.Fatalf("%s: deadtime%s: %v", d.Pos, x[0], err)
		}
		c.node("node" + x[0]).dt = dt
	}
	return c
}

func (c *cluster) node(name string) *simNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node %q", name)
	return nil
}

func (c *cluster) peer(n *simNode) *simNode {
	if n == c.nodes[0] {
		return c.nodes[1]
	}
	return c.nodes[0]
}

func (c *cluster) printf(n *simNode, format string, args ...any) {
	fmt.Fprintf(&c.out, "%7.3f %s: %s\n", c.now.Sub(epoch).Seconds(), n.name, fmt.Sprintf(format, args...))
}

// boot starts n's daemon, as the daemon's run does: Start, then a Tick.
func (c *cluster) boot(n *simNode) {
	n.gen++
	n.up, n.ops, n.exitAt, n.reexec, n.bootAt = true, nil, time.Time{}, false, time.Time{}
	n.watched = map[string]bool{} // a new daemon: no watch runs until its machine says so
	c.printf(n, "boots (generation %d)", n.gen)
	p := c.timing
	p.Node, p.Nodes, p.Links, p.UUID, p.Generation = n.name, []string{"node1", "node2"}, []string{"eth1"}, n.uuid, n.gen
	p.Load = func(b []byte) []byte { return append(b, "0.00 0.00 0.00 1/100 1000"...) }
	if n.dt != 0 {
		p.Deadtime = n.dt
	}
	cfg := node.Config{Membership: p, PID: 1000 + int(n.gen),
		Planner: planner.Config{Us: n.name, Peer: c.peer(n).name, AutoFailback: c.mode, Groups: c.groups},
		Rand:    rand.New(rand.NewSource(int64(n.gen)))}
	if c.ipfail {
		cfg.IpfailCmd = "/usr/lib/heartbeat/ipfail"
		cfg.Ipfail = &ipfail.Config{Node: n.name, Keepalive: p.Keepalive, AutoFailback: [...]string{"legacy", "on", "off"}[c.modeIndex()], PID: cfg.PID}
	}
	if c.watch {
		mc := monitor.Config{Threshold: c.thresh, Window: c.window, Counts: n.counts}
		for _, g := range c.groups {
			mg := monitor.Group{Key: g.Key()}
			for _, r := range g.Resources {
				of := monitor.Repair
				if slices.Contains(c.mons, r.Token) || slices.Contains(c.mons, r.Name) {
					of = monitor.Restart
				}
				mg.Resources = append(mg.Resources, monitor.Resource{Name: r.Token, OnFail: of})
			}
			mc.Groups = append(mc.Groups, mg)
		}
		cfg.Monitor = &mc
	}
	n.m = node.New(cfg, c.now)
	c.step(n, node.Start{At: c.now})
	for _, g := range n.blocked {
		c.step(n, node.Block{Group: g, On: true, At: c.now})
	}
	c.step(n, node.Tick{At: c.now})
}

func (c *cluster) modeIndex() int {
	switch c.mode {
	case planner.On:
		return 1
	case planner.Off:
		return 2
	}
	return 0
}

// step feeds n one event and carries out its actions as the daemon does.
func (c *cluster) step(n *simNode, ev node.Event) {
	if !n.up {
		return
	}
	for _, a := range n.m.Step(ev) {
		switch a := a.(type) {
		case node.Send:
			c.send(n, a.Msg)
		case node.Log:
			if a.Level == "debug" {
				continue
			}
			switch {
			case a.Proc != "":
				c.printf(n, "%s: %s: %s", a.Proc, a.Level, a.Text)
			case a.Drop != "":
				c.printf(n, "%s: %s [dropped: %s]", a.Level, a.Text, a.Drop)
			default:
				c.printf(n, "%s: %s", a.Level, a.Text)
			}
		case node.ScriptLog:
			c.printf(n, "%s: %s", a.Tag, a.Text)
		case node.Op:
			c.printf(n, "op %d %s [%s] (%s)", a.ID, a.Kind, strings.Join(a.Groups, " "), a.Why)
			if len(n.ops) == 0 {
				n.opEnd = c.now.Add(c.optime)
			}
			n.ops = append(n.ops, a.Op)
		case node.ShutdownDone:
			n.exitAt = c.now.Add(min(2*c.timing.Keepalive, time.Second))
		case node.ExitAt:
			n.exitAt = a.At
		case node.Restart:
			n.exitAt, n.reexec = c.now.Add(time.Second), true
		case node.Fence:
			c.printf(n, "fenced: reboot (%s %s)", a.Key, a.Token)
			c.crash(n)
			return
		case node.Stonith:
			c.printf(n, "stonith %s", a.Node)
		case node.Watch:
			c.printf(n, "watch %s %s", a.Group, map[bool]string{true: "on", false: "off"}[a.On])
			n.watched[a.Group] = a.On
		case node.Restore:
			c.printf(n, "restore %s", a.Resource)
			n.monq = append(n.monq, monJob{c.now, node.Restored{Resource: a.Resource, Took: 400 * time.Microsecond}})
		case node.Reannounce:
			c.printf(n, "reannounce %s", a.Resource)
		case node.RestartFrom:
			c.printf(n, "restart %s: stop [%s], start [%s]", a.Group, strings.Join(a.Stop, " "), strings.Join(a.Start, " "))
			done := node.RestartDone{Group: a.Group}
			for _, tok := range a.Start {
				if r, ok := c.resource(tok); ok && n.fail[r.Name+" start"] {
					done.Err = tok + " start: exit 1"
					break
				}
			}
			n.monq = append(n.monq, monJob{c.now.Add(c.optime), done})
		case node.SaveCounts:
			n.counts = a.Counts.Clone()
			var w []string
			for r, ts := range a.Counts {
				w = append(w, fmt.Sprintf("%s=%d", r, len(ts)))
			}
			sort.Strings(w)
			c.printf(n, "failure counts saved [%s]", strings.Join(w, " "))
		}
	}
}

func (c *cluster) resource(tok string) (haresources.Resource, bool) {
	for _, g := range c.groups {
		for _, r := range g.Resources {
			if r.Token == tok {
				return r, true
			}
		}
	}
	return haresources.Resource{}, false
}

// send seals m and puts it on the link to the peer, unless cut or lost.
func (c *cluster) send(n *simNode, m *wire.Message) {
	for i, f := range c.lose[n.name] {
		if matches(m, f) {
			c.lose[n.name] = append(c.lose[n.name][:i:i], c.lose[n.name][i+1:]...)
			c.printf(n, "(lost: %s)", formatMsg(m))
			return
		}
	}
	b, err := wire.Seal(m, c.keys)
	if err != nil {
		c.t.Fatalf("%s: seal: %v", n.name, err)
	}
	c.sent[n.name] = append(c.sent[n.name], b)
	to := c.peer(n)
	if !c.cut[[2]string{n.name, to.name}] {
		c.flight = append(c.flight, packet{n.name, to.name, b})
	}
}

// formatMsg is a message's resource-layer fields (not membership's stamps).
func formatMsg(m *wire.Message) string {
	var w []string
	for _, f := range m.Fields {
		switch f.Name {
		case wire.FSrc, wire.FSrcUUID, wire.FSeq, wire.FGen, wire.FTime, wire.FLoad, wire.FTTL, wire.FDestUUID:
			continue
		}
		w = append(w, f.Name+"="+string(f.Value))
	}
	return strings.Join(w, " ")
}

func matches(m *wire.Message, f map[string]string) bool {
	for k, v := range f {
		if m.Str(k) != v {
			return false
		}
	}
	return true
}

// settle delivers every packet in flight, and what they cause, and runs
// the operations, exits and re-execs due by now.
func (c *cluster) settle() {
	for {
		if c.storm++; c.storm > 100000 {
			c.t.Fatal("the cluster never settles (message storm)")
		}
		if len(c.flight) > 0 {
			p := c.flight[0]
			c.flight = c.flight[1:]
			to := c.node(p.to)
			m, err := wire.Decode(p.data, c.keys)
			if err != nil {
				c.t.Fatalf("%s: decode: %v", p.to, err)
			}
			c.step(to, node.Recv{Msg: m, Link: "eth1", At: c.now})
			continue
		}
		if !c.due() {
			return
		}
	}
}

// due runs one operation completion, exit or boot due by now.
func (c *cluster) due() bool {
	for _, n := range c.nodes {
		switch {
		case n.up && len(n.ops) > 0 && !n.opEnd.After(c.now):
			op := n.ops[0]
			n.ops = n.ops[1:]
			n.opEnd = c.now.Add(c.optime)
			c.step(n, node.OpDone{Done: c.execute(n, op), At: c.now})
			return true
		case n.up && len(n.monq) > 0 && !n.monq[0].end.After(c.now):
			j := n.monq[0]
			n.monq = n.monq[1:]
			c.step(n, stamp(j.ev, c.now))
			return true
		case n.up && !n.exitAt.IsZero() && !n.exitAt.After(c.now):
			c.step(n, node.StopClients{At: c.now})
			c.printf(n, "info: %s Heartbeat shutdown complete.", n.name)
			n.up, n.exitAt = false, time.Time{}
			if n.reexec {
				// stock sleeps ceil(deadtime)+1 s, then starts anew (PROTOCOL §6.4).
				dt := c.timing.Deadtime
				if n.dt != 0 {
					dt = n.dt
				}
				n.bootAt = c.now.Add(dt.Truncate(time.Second) + time.Second)
				if dt%time.Second != 0 {
					n.bootAt = n.bootAt.Add(time.Second)
				}
				c.printf(n, "re-exec in %s", n.bootAt.Sub(c.now))
			}
			return true
		case !n.up && !n.bootAt.IsZero() && !n.bootAt.After(c.now):
			c.boot(n)
			return true
		}
	}
	return false
}

// execute is the executor: every group of op starts (stops) unless one of its
// resources was told to fail (op-fail).
func (c *cluster) execute(n *simNode, op planner.Op) planner.OpDone {
	done := planner.OpDone{OpID: op.ID}
	var words []string
	for _, key := range op.Groups {
		r := planner.GroupResult{Key: key, Outcome: planner.Started}
		verb := "start"
		if op.Kind == planner.Give {
			r.Outcome, verb = planner.Stopped, "stop"
		}
		for _, g := range c.groups {
			if g.Key() != key {
				continue
			}
			for i, res := range g.Resources {
				if n.fail[res.Name+" "+verb] {
					r.FailedAt = i
					r.Outcome = planner.StartFailed
					if verb == "stop" {
						r.Outcome, r.StillRunning = planner.StopFailed, true
					}
					break
				}
			}
		}
		word := map[planner.Outcome]string{planner.Started: "started", planner.Stopped: "stopped",
			planner.StartFailed: "start failed", planner.StopFailed: "stop failed"}[r.Outcome]
		words = append(words, key+" "+word)
		if r.Outcome == planner.Started || r.Outcome == planner.StopFailed {
			n.running[key] = true
		} else {
			delete(n.running, key)
		}
		done.Results = append(done.Results, r)
	}
	if len(words) == 0 {
		words = []string{"no group (its turn kept)"} // an Op.InTurn left with none
	}
	c.printf(n, "op %d done: %s", op.ID, strings.Join(words, ", "))
	return done
}

// next is the earliest time something is due, zero if nothing is.
func (c *cluster) next() time.Time {
	var t time.Time
	consider := func(x time.Time) {
		if !x.IsZero() && (t.IsZero() || x.Before(t)) {
			t = x
		}
	}
	for _, n := range c.nodes {
		if n.up {
			consider(n.m.NextDeadline())
			consider(n.exitAt)
			if len(n.ops) > 0 {
				consider(n.opEnd)
			}
			if len(n.monq) > 0 {
				consider(n.monq[0].end)
			}
		} else {
			consider(n.bootAt)
		}
	}
	return t
}

// advance runs the cluster until now+d.
func (c *cluster) advance(d time.Duration) {
	end := c.now.Add(d)
	for {
		c.settle()
		t := c.next()
		if t.IsZero() || t.After(end) {
			break
		}
		if t.After(c.now) {
			c.now = t
		}
		for _, n := range c.nodes {
			if n.up && !n.m.NextDeadline().After(c.now) {
				c.step(n, node.Tick{At: c.now})
			}
		}
	}
	c.now = end
}

// watching says a watch of n's would see what happens to resource tok:
// its group's watches run (the daemon stops them on Watch off, so nothing
// is reported then). Otherwise it says so and the event is not stepped.
func (c *cluster) watching(n *simNode, tok string) bool {
	for _, g := range c.groups {
		for _, r := range g.Resources {
			if (r.Token == tok || r.Name == tok) && n.watched[g.Key()] {
				return true
			}
		}
	}
	c.printf(n, "(not seen: no watch of %s runs)", tok)
	return false
}

// kv is the value of key=value among d's arguments (several words joined), or def.
func kv(d *datadriven.TestData, key, def string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return strings.Join(a.Vals, " ")
		}
	}
	return def
}

// stamp sets a monitor result's time to at.
func stamp(ev node.Event, at time.Time) node.Event {
	switch e := ev.(type) {
	case node.Restored:
		e.At = at
		return e
	case node.RestartDone:
		e.At = at
		return e
	}
	return ev
}

func (c *cluster) crash(n *simNode) {
	n.running, n.watched = map[string]bool{}, map[string]bool{}
	n.up, n.ops, n.exitAt, n.bootAt, n.monq = false, nil, time.Time{}, time.Time{}, nil
	var keep []packet
	for _, p := range c.flight {
		if p.from != n.name && p.to != n.name {
			keep = append(keep, p)
		}
	}
	c.flight = keep
}

func (c *cluster) run(t *testing.T, d *datadriven.TestData) string {
	c.out.Reset()
	c.storm = 0
	arg := func(i int) string {
		if i < len(d.CmdArgs) {
			return d.CmdArgs[i].Key
		}
		return ""
	}
	pair := func(s string) [2]string {
		a, b, ok := strings.Cut(s, "->")
		if !ok {
			t.Fatalf("%s: want from->to, got %q", d.Pos, s)
		}
		c.node(a)
		c.node(b)
		return [2]string{a, b}
	}
	set := func() string {
		if s := arg(1); s != "" {
			return s
		}
		return "all"
	}
	switch d.Cmd {
	case "start":
		for _, a := range d.CmdArgs {
			c.boot(c.node(a.Key))
		}
	case "advance":
		x, err := time.ParseDuration(arg(0))
		if err != nil {
			t.Fatalf("%s: %v", d.Pos, err)
		}
		c.advance(x)
	case "tick":
		for _, n := range c.nodes {
			c.step(n, node.Tick{At: c.now})
		}
	case "deliver":
	case "drop":
		c.cut[pair(arg(0))] = true
	case "partition":
		c.cut[[2]string{"node1", "node2"}], c.cut[[2]string{"node2", "node1"}] = true, true
	case "heal":
		c.cut = map[[2]string]bool{}
	case "lose":
		f := map[string]string{}
		for _, a := range d.CmdArgs[1:] {
			f[a.Key] = strings.Join(a.Vals, ",")
		}
		c.lose[c.node(arg(0)).name] = append(c.lose[arg(0)], f)
	case "replay":
		p := pair(arg(0))
		typ, count := "", 1
		for _, a := range d.CmdArgs[1:] {
			switch a.Key {
			case "type":
				typ = a.Vals[0]
			case "count":
				fmt.Sscan(a.Vals[0], &count)
			}
		}
		for _, b := range c.sent[p[0]] {
			if count == 0 {
				break
			}
			if m, err := wire.Decode(b, c.keys); err == nil && (typ == "" || m.Type() == typ) {
				c.flight = append(c.flight, packet{p[0], p[1], b})
				count--
			}
		}
	case "crash":
		n := c.node(arg(0))
		c.printf(n, "crashes")
		c.crash(n)
	case "restart":
		c.boot(c.node(arg(0)))
	case "shutdown":
		n := c.node(arg(0))
		c.step(n, node.Shutdown{At: c.now})
	case "standby":
		c.step(c.node(arg(0)), node.Standby{Set: set(), At: c.now})
	case "takeover":
		c.step(c.node(arg(0)), node.Takeover{Set: set(), At: c.now})
	case "show":
		for _, n := range c.nodes {
			var keys, watched []string
			for _, g := range c.groups {
				if n.running[g.Key()] {
					keys = append(keys, g.Key())
				}
				if n.watched[g.Key()] {
					watched = append(watched, g.Key())
				}
			}
			word := "down"
			if n.up {
				word = "rscstatus=" + n.m.Word()
			}
			if c.watch {
				c.printf(n, "%s, running [%s], watched [%s]", word, strings.Join(keys, " "), strings.Join(watched, " "))
			} else {
				c.printf(n, "%s, running [%s]", word, strings.Join(keys, " "))
			}
		}
	case "counters":
		n := c.node(arg(0))
		mc := n.m.Snapshot().Counters
		var drops []string
		for k, v := range mc.Drops {
			drops = append(drops, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(drops)
		c.printf(n, "received=%d kept=%d duplicates=%d dropped=%d [%s]", mc.Received, mc.Kept, mc.Duplicates, mc.Dropped, strings.Join(drops, " "))
	case "op-fail":
		c.node(arg(0)).fail[arg(1)+" "+arg(2)] = true
	case "handover", "block":
		n, g := c.node(arg(0)), arg(1)
		if !slices.Contains(n.blocked, g) {
			n.blocked = append(n.blocked, g)
		}
		c.step(n, node.Block{Group: g, On: true, At: c.now})
		if d.Cmd == "handover" {
			set := "foreign"
			for _, grp := range c.groups {
				if grp.Key() == g && grp.Node == n.name {
					set = "local"
				}
			}
			c.step(n, node.Standby{Set: set, At: c.now})
		}
	case "vanish":
		if n := c.node(arg(0)); c.watching(n, arg(1)) {
			c.step(n, node.Vanished{Resource: arg(1), Cause: kv(d, "cause", "netlink RTM_DELADDR"), At: c.now})
		}
	case "fail":
		if n := c.node(arg(0)); c.watching(n, arg(1)) {
			c.step(n, node.Failed{Resource: arg(1), Cause: kv(d, "cause", "status exit 7"), At: c.now})
		}
	case "conflict":
		if n := c.node(arg(0)); c.watching(n, arg(1)) {
			c.step(n, node.Conflict{Resource: arg(1), MAC: kv(d, "mac", "02:00:00:00:00:09"), At: c.now})
		}
	case "cleanup":
		c.step(c.node(arg(0)), node.Cleanup{Resource: arg(1), At: c.now})
	case "unblock":
		n := c.node(arg(0))
		gs := n.blocked
		if arg(1) != "" {
			gs = []string{arg(1)}
		}
		for _, g := range gs {
			n.blocked = slices.DeleteFunc(n.blocked, func(x string) bool { return x == g })
			c.step(n, node.Block{Group: g, On: false, At: c.now})
		}
	default:
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	}
	c.settle()
	if c.out.Len() == 0 {
		return "ok\n"
	}
	return c.out.String()
}
