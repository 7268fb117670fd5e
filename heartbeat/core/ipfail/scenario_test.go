package ipfail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"hbgo/heartbeat/core/wire"
)

// epoch is the scenario clock's start.
var epoch = time.Date(2026, 11, 23, 18, 11, 0, 0, time.UTC)

// pair wires two ipfail machines (node1, node2) and one ping node,
// 10.77.0.50, as in the captured runs (README §1).
//
// Scenario files (testdata/scenarios/*.txt) use two commands:
//
//	cluster afb=on|off|legacy ka=<keepalive>
//
// and
//
//	run [nodebug]
//	<lines>
//
// where each line is tick <duration> (both nodes), deliver (until nothing
// is queued: a message with dest goes to that node, others to both),
// drop (lose everything queued), or "<node> <event>" with event one of
// start [word] (the node walk uses the harness's view of that node),
// stop, status <node> <status>, link <node> <link> <status>, rsc <word>,
// msg <name=value…> (to this node only; src defaults to the other node).
// The output lists every action of every node; nodebug leaves out the
// debug lines.
type pair struct {
	now   time.Time
	m     map[string]*Machine
	view  map[string]map[string]string // node → (node → status) for Start
	queue []queued
}

type queued struct {
	from string
	m    *wire.Message
}

var names = []string{"node1", "node2"}

const pingNode = "10.77.0.50"

func newPair(t *testing.T, d *datadriven.TestData) *pair {
	afb, ka := "on", 2*time.Second
	for _, a := range d.CmdArgs {
		switch a.Key {
		case "afb":
			afb = a.Vals[0]
		case "ka":
			v, err := time.ParseDuration(a.Vals[0])
			if err != nil {
				t.Fatalf("%s: ka: %v", d.Pos, err)
			}
			ka = v
		default:
			t.Fatalf("%s: unknown argument %s", d.Pos, a.Key)
		}
	}
	p := &pair{now: epoch, m: map[string]*Machine{}, view: map[string]map[string]string{}}
	for i, n := range names {
		p.m[n] = New(Config{Node: n, Keepalive: ka, AutoFailback: afb, PID: 27 + i})
		p.view[n] = map[string]string{pingNode: "ping", "node1": "active", "node2": "active"}
	}
	return p
}

func (p *pair) step(b *strings.Builder, node string, ev Event, debug bool) {
	if s, ok := ev.(NodeStatus); ok {
		p.view[node][s.Node] = s.Status
	}
	for _, a := range p.m[node].Step(p.now, ev) {
		switch a := a.(type) {
		case Log:
			if a.Level == "debug" && !debug {
				continue
			}
			fmt.Fprintf(b, "%s: %s: %s\n", node, a.Level, a.Text)
		case Send:
			fmt.Fprintf(b, "%s: send %s\n", node, fields(a.M))
			m := a.M.Clone()
			if !m.Has(wire.FSrc) {
				m.Add(wire.FSrc, node) // membership adds it
			}
			p.queue = append(p.queue, queued{from: node, m: m})
		case Exit:
			fmt.Fprintf(b, "%s: exit %d (%s)\n", node, a.Code, a.Reason)
		}
	}
}

func fields(m *wire.Message) string {
	var s []string
	for _, f := range m.Fields {
		s = append(s, f.Name+"="+string(f.Value))
	}
	return strings.Join(s, " ")
}

func parseMsg(t *testing.T, words []string) *wire.Message {
	m := &wire.Message{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			t.Fatalf("msg field %q: want name=value", w)
		}
		m.Add(k, v)
	}
	return m
}

func (p *pair) run(t *testing.T, d *datadriven.TestData) string {
	debug := !d.HasArg("nodebug")
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		fmt.Fprintf(&b, "> %s\n", line)
		switch f[0] {
		case "tick":
			dur, err := time.ParseDuration(f[1])
			if err != nil {
				t.Fatalf("%s: %v", d.Pos, err)
			}
			end := p.now.Add(dur)
			// Fire each deadline at its own time, as the daemon's loop does.
			for {
				next := time.Time{}
				for _, n := range names {
					if dl := p.m[n].NextDeadline(); !dl.IsZero() && (next.IsZero() || dl.Before(next)) {
						next = dl
					}
				}
				if next.IsZero() || next.After(end) {
					break
				}
				p.now = next
				fmt.Fprintf(&b, "@%s\n", p.now.Sub(epoch))
				for _, n := range names {
					p.step(&b, n, Tick{}, debug)
				}
			}
			p.now = end
			for _, n := range names {
				p.step(&b, n, Tick{}, debug)
			}
		case "deliver":
			for len(p.queue) > 0 {
				q := p.queue[0]
				p.queue = p.queue[1:]
				for _, n := range names {
					if dest, ok := q.m.Get(wire.FDest); ok && dest != n {
						continue
					}
					p.step(&b, n, Msg{M: q.m}, debug)
				}
			}
		case "drop":
			p.queue = nil
		case "node1", "node2":
			if len(f) < 2 {
				t.Fatalf("%s: %q: missing event", d.Pos, line)
			}
			node := f[0]
			switch f[1] {
			case "start":
				word := "all"
				if len(f) > 2 {
					word = f[2]
				}
				// Stock's node walk: reverse ha.cf order (ping last declared).
				walk := []Node{{pingNode, "ping", ""}, {"node2", "normal", ""}, {"node1", "normal", ""}}
				if len(f) > 3 && f[3] == "solo" {
					walk = []Node{{pingNode, "ping", ""}, {node, "normal", ""}}
				}
				for i := range walk {
					walk[i].Status = p.view[node][walk[i].Name]
				}
				p.step(&b, node, Start{Nodes: walk, Word: word}, debug)
			case "stop":
				p.step(&b, node, Stop{}, debug)
			case "status":
				p.step(&b, node, NodeStatus{Node: f[2], Status: f[3]}, debug)
			case "link":
				p.step(&b, node, LinkStatus{Node: f[2], Link: f[3], Status: f[4]}, debug)
			case "rsc":
				p.step(&b, node, Resources{Word: f[2]}, debug)
			case "msg":
				m := parseMsg(t, f[2:])
				if !m.Has(wire.FSrc) {
					m.Add(wire.FSrc, other(node))
				}
				p.step(&b, node, Msg{M: m}, debug)
			default:
				t.Fatalf("%s: unknown event %q", d.Pos, f[1])
			}
		default:
			t.Fatalf("%s: unknown line %q", d.Pos, line)
		}
	}
	return b.String()
}

func other(n string) string {
	if n == "node1" {
		return "node2"
	}
	return "node1"
}

func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		var p *pair
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "cluster":
				p = newPair(t, d)
				return ""
			case "run":
				if p == nil {
					t.Fatalf("%s: run before cluster", d.Pos)
				}
				return p.run(t, d)
			}
			t.Fatalf("%s: unknown command %s", d.Pos, d.Cmd)
			return ""
		})
	})
}
