package planner

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"hbgo/haresources"
)

// epoch is the scenario clock's start.
var epoch = time.Date(2026, 11, 22, 23, 15, 0, 0, time.UTC)

// parseGroups reads haresources-style lines "node res1 res2 …" (tests only;
// the real parser lives in package haresources).
func parseGroups(t testing.TB, input string) []haresources.Group {
	var gs []haresources.Group
	for i, line := range strings.Split(strings.TrimSpace(input), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("group line %q: want node and resources", line)
		}
		g := haresources.Group{Node: strings.ToLower(f[0]), Line: i + 1}
		for _, tok := range f[1:] {
			parts := strings.Split(tok, "::")
			g.Resources = append(g.Resources, haresources.Resource{Token: tok, Name: parts[0], Args: parts[1:]})
		}
		gs = append(gs, g)
	}
	return gs
}

type simNode struct {
	name    string
	p       *Planner
	crashed bool
	autoOps []Op
}

type queued struct {
	from string
	m    Message
}

// cluster wires two planners back to back: every message goes to the
// sender's loopback first, then to the peer, as on a bcast link.
//
// Scenario files (testdata/scenarios/*.txt) use two commands:
//
//	cluster mode=on|off|legacy [auto-ops] [fast] [stonith]
//	<haresources lines>
//
// builds node1 and node2 with the same groups; auto-ops completes every Op
// successfully as soon as it is ordered. And
//
//	run [quiet]
//	<lines>
//
// where each line is deliver (until the queue is empty), deliver-one, drop
// (lose everything queued), tick <duration> (both nodes), auto-ops on|off,
// or "<node> <event>" with event one of comm-up, peer <status>,
// peer-restarted, standby [set], takeover [set], shutdown,
// partition-healed, stonith-done <result>, held <keys…>, block <key>,
// unblock <key> (the resource monitor's Block), op-done <id> ok |
// <key>=started|stopped|start-failed@<i>|stop-failed@<i>[:running] …,
// msg <name=value…> (to this node only), send <name=value…> (sent by this
// node's daemon for a client), crash, restart, tick <duration> (this node
// only), show. The output lists every action of every node.
type cluster struct {
	t       testing.TB
	cfg     map[string]Config
	now     time.Time
	nodes   map[string]*simNode
	names   []string
	queue   []queued
	autoOps bool
	out     strings.Builder
	// sent records every Send per node and incarnation (restart count).
	sent map[string][][]string
	inc  map[string]int
	// onAction, if set, sees every action of every node.
	onAction func(node string, a Action)
}

func newCluster(t testing.TB, d *datadriven.TestData) *cluster {
	mode := On
	var arg string
	if d.MaybeScanArgs(t, "mode", &arg) {
		switch arg {
		case "on":
			mode = On
		case "off":
			mode = Off
		case "legacy":
			mode = Legacy
		default:
			t.Fatalf("mode %q", arg)
		}
	}
	c := &cluster{t: t, now: epoch, nodes: map[string]*simNode{}, cfg: map[string]Config{},
		names: []string{"node1", "node2"}, autoOps: d.HasArg("auto-ops")}
	groups := parseGroups(t, d.Input)
	for i, n := range c.names {
		cfg := Config{Us: n, Peer: c.names[1-i], AutoFailback: mode, Groups: groups,
			Stonith: d.HasArg("stonith"), FastStart: d.HasArg("fast")}
		c.cfg[n] = cfg
		c.nodes[n] = &simNode{name: n, p: New(cfg, c.now)}
	}
	return c
}

func (c *cluster) peer(n string) string {
	if n == c.names[0] {
		return c.names[1]
	}
	return c.names[0]
}

func (c *cluster) step(n *simNode, ev Event) {
	acts := n.p.Step(ev)
	for _, a := range acts {
		fmt.Fprintf(&c.out, "%s: %s\n", n.name, Format(a))
		if c.onAction != nil {
			c.onAction(n.name, a)
		}
		switch a := a.(type) {
		case Send:
			c.queue = append(c.queue, queued{n.name, a.M})
			if c.sent == nil {
				c.sent, c.inc = map[string][][]string{}, map[string]int{}
			}
			for len(c.sent[n.name]) <= c.inc[n.name] {
				c.sent[n.name] = append(c.sent[n.name], nil)
			}
			c.sent[n.name][c.inc[n.name]] = append(c.sent[n.name][c.inc[n.name]], a.M.String())
		case Op:
			if c.autoOps {
				n.autoOps = append(n.autoOps, a)
			}
		}
	}
	for len(n.autoOps) > 0 && !n.crashed {
		op := n.autoOps[0]
		n.autoOps = n.autoOps[1:]
		fmt.Fprintf(&c.out, "%s: (executor: op %d ok)\n", n.name, op.ID)
		c.step(n, OpDone{OpID: op.ID, Results: okResults(op)})
	}
}

func okResults(op Op) []GroupResult {
	var rs []GroupResult
	for _, k := range op.Groups {
		o := Started
		if op.Kind == Give {
			o = Stopped
		}
		rs = append(rs, GroupResult{Key: k, Outcome: o})
	}
	return rs
}

func (c *cluster) deliverOne() {
	q := c.queue[0]
	c.queue = c.queue[1:]
	c.deliver(q)
}

// deliver hands q to its sender's loopback first. Like stock's master
// control process, the sender acts on its own copy before the message
// reaches the wire, so whatever that sends reaches the peer first (seen in
// the captures: resource isstable=1 arrives before the done that caused it).
func (c *cluster) deliver(q queued) {
	if n := c.nodes[q.from]; !n.crashed {
		mark := len(c.queue)
		c.step(n, Msg{M: q.m, From: q.from})
		caused := append([]queued(nil), c.queue[mark:]...)
		c.queue = c.queue[:mark]
		for _, x := range caused {
			c.deliver(x)
		}
	} else {
		return
	}
	if n := c.nodes[c.peer(q.from)]; !n.crashed {
		c.step(n, Msg{M: q.m, From: q.from})
	}
}

func (c *cluster) run(d *datadriven.TestData) string {
	c.out.Reset()
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c.out.WriteString("> " + line + "\n")
		f := strings.Fields(line)
		switch f[0] {
		case "deliver":
			for i := 0; len(c.queue) > 0; i++ {
				if i > 1000 {
					c.t.Fatalf("message storm")
				}
				c.deliverOne()
			}
			continue
		case "deliver-one":
			if len(c.queue) > 0 {
				c.deliverOne()
			}
			continue
		case "drop":
			c.queue = nil
			continue
		case "auto-ops":
			c.autoOps = f[1] == "on"
			continue
		case "tick":
			dur, err := time.ParseDuration(f[1])
			if err != nil {
				c.t.Fatal(err)
			}
			c.now = c.now.Add(dur)
			for _, name := range c.names {
				if n := c.nodes[name]; !n.crashed {
					c.step(n, Tick{c.now})
				}
			}
			continue
		}
		n := c.nodes[f[0]]
		if n == nil || len(f) < 2 {
			c.t.Fatalf("bad line %q", line)
		}
		args := f[2:]
		arg := func(i int) string {
			if i < len(args) {
				return args[i]
			}
			return ""
		}
		switch f[1] {
		case "comm-up":
			c.step(n, CommUp{})
		case "peer":
			c.step(n, PeerStatus{Node: c.peer(n.name), Status: arg(0)})
		case "peer-restarted":
			c.step(n, PeerRestarted{Node: c.peer(n.name)})
		case "standby":
			c.step(n, Standby{Set: arg(0)})
		case "takeover":
			c.step(n, Takeover{Set: arg(0)})
		case "shutdown":
			c.step(n, Shutdown{})
		case "partition-healed":
			c.step(n, PartitionHealed{Node: c.peer(n.name)})
		case "stonith-done":
			c.step(n, StonithDone{Node: c.peer(n.name), Result: arg(0)})
		case "held":
			c.step(n, Held{Keys: args})
		case "block", "unblock":
			c.step(n, Block{Group: arg(0), On: f[1] == "block"})
		case "op-done":
			c.step(n, c.opDone(n, args))
		case "send":
			// A message the node's daemon sends on behalf of someone else
			// (an API client such as ipfail): it goes to the wire as is,
			// and the planners get what the translation makes of it.
			fmt.Fprintf(&c.out, "%s: (client) send %s\n", n.name, strings.Join(args, " "))
			if m, ok := parseMsg(fieldsOf(args)...); ok {
				c.queue = append(c.queue, queued{n.name, m})
			}
		case "msg":
			// A message as membership delivers it; from= is the sender
			// membership authenticated.
			var from string
			var kv []string
			for _, w := range args {
				if f, ok := strings.CutPrefix(w, "from="); ok {
					from = f
					continue
				}
				kv = append(kv, fieldsOf([]string{w})...)
			}
			m, ok := parseMsg(kv...)
			if !ok || from == "" {
				c.t.Fatalf("bad msg line %q: want t=<a planner type> and from=<sender>", line)
			}
			c.step(n, Msg{M: m, From: from})
		case "crash":
			n.crashed = true
		case "restart":
			if c.inc == nil {
				c.inc = map[string]int{}
			}
			c.inc[n.name]++
			n.crashed = false
			n.p = New(c.cfg[n.name], c.now)
		case "show":
			c.show(n)
		case "holding":
			var keys []string
			for k, h := range n.p.groups.held {
				if h {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			fmt.Fprintf(&c.out, "%s: holding [%s]\n", n.name, strings.Join(keys, " "))
		case "tick":
			// Advance the shared clock but tick only this node: the
			// other sees the time at its next tick (timer granularity).
			dur, err := time.ParseDuration(arg(0))
			if err != nil {
				c.t.Fatal(err)
			}
			c.now = c.now.Add(dur)
			c.step(n, Tick{c.now})
		default:
			c.t.Fatalf("unknown event %q", line)
		}
	}
	return c.out.String()
}

// opDone parses "ID ok" or "ID key=outcome[@i][:running] …".
func (c *cluster) opDone(n *simNode, args []string) OpDone {
	id, err := strconv.Atoi(args[0])
	if err != nil {
		c.t.Fatal(err)
	}
	ev := OpDone{OpID: id}
	special := map[string]GroupResult{}
	for _, a := range args[1:] {
		if a == "ok" {
			continue
		}
		k, v, _ := strings.Cut(a, "=")
		r := GroupResult{Key: k}
		v, running := strings.CutSuffix(v, ":running")
		r.StillRunning = running
		v, at, _ := strings.Cut(v, "@")
		if at != "" {
			r.FailedAt, _ = strconv.Atoi(at)
		}
		switch v {
		case "start-failed":
			r.Outcome = StartFailed
		case "stop-failed":
			r.Outcome = StopFailed
		case "started":
			r.Outcome = Started
		case "stopped":
			r.Outcome = Stopped
		default:
			c.t.Fatalf("outcome %q", v)
		}
		special[k] = r
	}
	// The op's groups come from the planner that ordered it.
	if info := n.p.exec.ops[id]; info != nil {
		for _, k := range info.groups {
			if r, ok := special[k]; ok {
				ev.Results = append(ev.Results, r)
				continue
			}
			o := Started
			if info.kind == Give {
				o = Stopped
			}
			ev.Results = append(ev.Results, GroupResult{Key: k, Outcome: o})
		}
	}
	return ev
}

func (c *cluster) show(n *simNode) {
	p := n.p
	dl := "none"
	if d := p.NextDeadline(); !d.IsZero() {
		dl = "+" + d.Sub(c.now).String()
	}
	blocked := ""
	if bs := p.Blocked(); len(bs) > 0 {
		blocked = " blocked=[" + strings.Join(bs, " ") + "]"
	}
	fmt.Fprintf(&c.out, "%s: state=%s hold=%s other=%s other-stable=%t standby=%s rscstatus=%s deadline=%s failed=[%s]%s\n",
		n.name, p.local.state, p.local.hold, p.peer.holds, p.peer.stable, p.standby.state, p.Word(), dl, strings.Join(p.FailedHere(), " "), blocked)
}

func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		var c *cluster
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "cluster":
				c = newCluster(t, d)
				return ""
			case "run":
				out := c.run(d)
				if d.HasArg("quiet") {
					return ""
				}
				return out
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}
