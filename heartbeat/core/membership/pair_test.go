package membership

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"hbgo/haresources"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/node/rscwire"
)

// pair couples two membership machines (the env exchange) with a resource
// planner each, wired as heartbeat/daemon's loop wires them, and an
// executor that completes every operation at once. It shows which node
// holds which group when membership and the planner act together: what a
// late heartbeat, a replay or a partition leaves behind.
type pair struct {
	t      *testing.T
	e      *env
	mode   planner.Mode
	dt     map[string]time.Duration // each node's deadtime
	gen    map[string]uint64
	plans  map[string]*planner.Planner
	held   map[string]map[string]bool // node -> group key -> running there
	ops    []pendingOp
	stopAt map[string]time.Time // Restart: the daemon exits then
	backAt map[string]time.Time // and starts again then (PROTOCOL §6.4)
	out    *strings.Builder
}

type pendingOp struct {
	node string
	op   planner.Op
}

var pairGroups = []haresources.Group{
	{Node: "node1", Resources: []haresources.Resource{{Token: "IPaddr::10.0.0.1", Name: "IPaddr", Args: []string{"10.0.0.1"}}}, Line: 1},
	{Node: "node2", Resources: []haresources.Resource{{Token: "IPaddr::10.0.0.2", Name: "IPaddr", Args: []string{"10.0.0.2"}}}, Line: 2},
}

func newPair(t *testing.T, mode string) *pair {
	p := &pair{t: t, e: newEnv(), dt: map[string]time.Duration{}, gen: map[string]uint64{},
		plans: map[string]*planner.Planner{}, held: map[string]map[string]bool{},
		stopAt: map[string]time.Time{}, backAt: map[string]time.Time{}, out: &strings.Builder{}}
	switch mode {
	case "on":
		p.mode = planner.On
	case "off":
		p.mode = planner.Off
	case "legacy":
		p.mode = planner.Legacy
	default:
		t.Fatalf("mode %q", mode)
	}
	p.e.hook = p.onMem
	return p
}

func (p *pair) stamp() string { return p.e.stamp() }

// mem runs one env command (membership's own output is not printed).
func (p *pair) mem(cmd string) {
	d := &datadriven.TestData{}
	f := strings.Fields(cmd)
	d.Cmd = f[0]
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		a := datadriven.CmdArg{Key: k}
		if v != "" {
			a.Vals = []string{v}
		}
		d.CmdArgs = append(d.CmdArgs, a)
	}
	p.e.handle(p.t, d)
}

func (p *pair) peer(name string) string {
	if name == "node1" {
		return "node2"
	}
	return "node1"
}

func (p *pair) start(name string) {
	p.gen[name]++
	p.plans[name] = planner.New(planner.Config{Us: name, Peer: p.peer(name), AutoFailback: p.mode, Groups: pairGroups}, p.e.now)
	p.held[name] = map[string]bool{}
	fmt.Fprintf(p.out, "%s %s: start (generation %d)\n", p.stamp(), name, p.gen[name])
	p.mem(fmt.Sprintf("start name=%s deadtime=%s initdead=%s gen=%d", name, p.dt[name], 3*p.dt[name], 100+p.gen[name]))
	if _, up := p.e.ms[p.peer(name)]; up {
		p.mem("pair node1 node2")
	}
}

// onMem is the daemon's memAction for the planner's part.
func (p *pair) onMem(name string, a Action) {
	pl := p.plans[name]
	if pl == nil || !p.stopAt[name].IsZero() && !p.e.now.Before(p.stopAt[name]) {
		return
	}
	switch a := a.(type) {
	case NodeStatus:
		if a.Node != name {
			p.plan(name, planner.PeerStatus{Node: a.Node, Status: a.New})
		}
	case NodeDead:
		fmt.Fprintf(p.out, "%s %s: %s is dead\n", p.stamp(), name, a.Node)
		p.plan(name, planner.PeerStatus{Node: a.Node, Status: StDead})
	case CommUp:
		p.plan(name, planner.CommUp{})
	case PeerRestarted:
		fmt.Fprintf(p.out, "%s %s: %s restarted\n", p.stamp(), name, a.Node)
		p.plan(name, planner.PeerRestarted{Node: a.Node})
	case PartitionHealed:
		fmt.Fprintf(p.out, "%s %s: partition with %s healed\n", p.stamp(), name, a.Node)
		p.plan(name, planner.PartitionHealed{Node: a.Node})
	case Deliver:
		if pm, ok, _ := rscwire.FromWire(a.Msg, a.From); ok {
			p.plan(name, pm)
		}
	}
}

func (p *pair) plan(name string, ev planner.Event) {
	for _, a := range p.plans[name].Step(ev) {
		switch a := a.(type) {
		case planner.Send:
			if m := p.e.ms[name]; m != nil {
				p.e.report(name, m.Step(Originate{Msg: rscwire.ToWire(a.M), At: p.e.now}))
			}
		case planner.Op:
			if len(a.Groups) > 0 {
				fmt.Fprintf(p.out, "%s %s: %s %s (%s)\n", p.stamp(), name, a.Kind, strings.Join(a.Groups, " "), a.Why)
			}
			p.ops = append(p.ops, pendingOp{name, a})
		case planner.Restart:
			fmt.Fprintf(p.out, "%s %s: restart\n", p.stamp(), name)
			p.stopAt[name] = p.e.now.Add(time.Second)
			secs := (p.dt[name] + time.Second - 1) / time.Second
			p.backAt[name] = p.stopAt[name].Add(secs*time.Second + time.Second)
		case planner.Fence:
			p.t.Fatalf("%s fenced", name)
		}
	}
}

// runOps completes the queued operations in order, as the executor does.
func (p *pair) runOps() {
	for len(p.ops) > 0 {
		o := p.ops[0]
		p.ops = p.ops[1:]
		if p.plans[o.node] == nil {
			continue
		}
		var rs []planner.GroupResult
		for _, k := range o.op.Groups {
			r := planner.GroupResult{Key: k, Outcome: planner.Started}
			p.held[o.node][k] = o.op.Kind == planner.Take
			if o.op.Kind == planner.Give {
				r.Outcome = planner.Stopped
			}
			rs = append(rs, r)
		}
		p.plan(o.node, planner.OpDone{OpID: o.op.ID, Results: rs})
	}
}

// advance runs the pair for d in 10 ms steps.
func (p *pair) advance(d time.Duration) {
	end := p.e.now.Add(d)
	for p.e.now.Before(end) {
		p.e.advance(10 * time.Millisecond)
		for _, name := range []string{"node1", "node2"} {
			if at := p.stopAt[name]; !at.IsZero() && !p.e.now.Before(at) && p.e.ms[name] != nil {
				// The daemon exits: its resources were given up already.
				p.mem("stop name=" + name)
				p.plans[name] = nil
				fmt.Fprintf(p.out, "%s %s: exits\n", p.stamp(), name)
			}
			if at := p.backAt[name]; !at.IsZero() && !p.e.now.Before(at) {
				p.stopAt[name], p.backAt[name] = time.Time{}, time.Time{}
				p.start(name)
			}
			if pl := p.plans[name]; pl != nil {
				p.plan(name, planner.Tick{Now: p.e.now})
			}
		}
		p.runOps()
	}
}

func (p *pair) holders() string {
	var b strings.Builder
	for _, g := range pairGroups {
		var on []string
		for _, n := range []string{"node1", "node2"} {
			if p.held[n][g.Key()] {
				on = append(on, n)
			}
		}
		sort.Strings(on)
		fmt.Fprintf(&b, "%s on [%s]\n", g.Key(), strings.Join(on, " "))
	}
	return b.String()
}

// TestPairScenarios runs testdata/pair: membership and planner of two nodes
// together, commands:
//
//	pair mode=on|off|legacy dt1=2s dt2=6s   two nodes, their deadtimes
//	advance 5s                              run (prints what moved resources)
//	cut node2 / heal node2                  lose / deliver node2's datagrams
//	holders                                 who runs each group
func TestPairScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/pair", func(t *testing.T, path string) {
		var p *pair
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			arg := func(k, def string) string {
				for _, a := range d.CmdArgs {
					if a.Key == k && len(a.Vals) > 0 {
						return a.Vals[0]
					}
				}
				return def
			}
			switch d.Cmd {
			case "pair":
				p = newPair(t, arg("mode", "on"))
				p.e.out = &strings.Builder{}
				p.dt["node1"], p.dt["node2"] = dur(t, arg("dt1", "2s")), dur(t, arg("dt2", "2s"))
				p.start("node1")
				p.start("node2")
			case "advance":
				p.advance(dur(t, d.CmdArgs[0].Key))
			case "cut", "heal":
				name := d.CmdArgs[0].Key
				p.e.dropped[name+"/eth1"] = d.Cmd == "cut"
				fmt.Fprintf(p.out, "%s %s: %s\n", p.stamp(), name, map[string]string{"cut": "cut off", "heal": "heard again"}[d.Cmd])
			case "holders":
				return p.holders()
			default:
				t.Fatalf("unknown command %q", d.Cmd)
			}
			s := p.out.String()
			p.out.Reset()
			p.e.out.Reset()
			return s
		})
	})
}
