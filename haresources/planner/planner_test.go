package planner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fileGroups has node1's groups A, C, D and node2's group B, in that file order.
const fileGroups = `node1 A a2
node2 B b2
node1 C
node1 D d2 d3`

func peerMsg(kv ...string) Event { return Msg{M: mustMsg(kv...), From: "node2"} }

func newNode1(t testing.TB, mode Mode) *Planner {
	cfg := Config{Us: "node1", Peer: "node2", AutoFailback: mode, Groups: parseGroups(t, fileGroups)}
	return New(cfg, epoch)
}

// feed steps every event, loops our own sends back and completes ops
// successfully, returning every Op ordered on the way.
func feed(p *Planner, evs ...Event) []Op {
	var ops []Op
	queue := append([]Event(nil), evs...)
	for i := 0; i < len(queue) && i < 500; i++ {
		for _, a := range p.Step(queue[i]) {
			switch a := a.(type) {
			case Send:
				queue = append(queue, Msg{M: a.M, From: p.cfg.Us})
			case Op:
				ops = append(ops, a)
				queue = append(queue, OpDone{OpID: a.ID, Results: okResults(a)})
			}
		}
	}
	return ops
}

// stableNode1 returns node1 after a cold start next to a node2 that holds its own group.
func stableNode1(t testing.TB, mode Mode) *Planner {
	p := newNode1(t, mode)
	feed(p, PeerStatus{"node2", "active"}, CommUp{},
		peerMsg("t", "starting"),
		peerMsg("t", "resource", "rsc_hold", "none", "rtype", "full", "isstable", "0"),
		Tick{epoch.Add(RqstDelay)},
		peerMsg("t", "resource", "rsc_hold", "local", "rtype", "full", "isstable", "1"))
	if p.local.state != stStable || !p.peer.stable || p.local.hold != Local {
		t.Fatalf("not stable: state %d other stable %t hold %s", p.local.state, p.peer.stable, p.local.hold)
	}
	return p
}

type opSum struct {
	Kind   OpKind
	Groups []string
	Why    string
}

func summarize(ops []Op) []opSum {
	var s []opSum
	for _, o := range ops {
		s = append(s, opSum{o.Kind, o.Groups, o.Why})
	}
	return s
}

// TestGroupsTouched checks every row of COMPAT §4.10.
func TestGroupsTouched(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T) []Op
		want []opSum
	}{
		{"own start, nice_failback: local groups not running", func(t *testing.T) []Op {
			p := newNode1(t, On)
			p.groups.held["C"] = true
			return feed(p, PeerStatus{"node2", "active"}, CommUp{},
				peerMsg("t", "starting"),
				peerMsg("t", "resource", "rsc_hold", "none", "rtype", "full", "isstable", "0"),
				Tick{epoch.Add(RqstDelay)})
		}, []opSum{{Take, []string{"A", "D"}, "req_our_resources"}}},
		{"own start, legacy alone: local groups", func(t *testing.T) []Op {
			return feed(newNode1(t, Legacy), CommUp{})
		}, []opSum{{Take, []string{"A", "C", "D"}, "req_our_resources"}}},
		{"peer declared dead: peer's groups and own local re-requested", func(t *testing.T) []Op {
			p := stableNode1(t, On)
			p.groups.held["C"] = false
			return feed(p, PeerStatus{"node2", "dead"})
		}, []opSum{{Take, []string{"C"}, "req_our_resources"}, {Take, []string{"B"}, "mach_down"}}},
		{"peer shutdown notice: standby-style acquisition, mach_down, own local", func(t *testing.T) []Op {
			p := stableNode1(t, On)
			return feed(p, peerMsg("t", "shutdone", "st", "dead"))
			// PROTOCOL §11.7: holding local, stock's standby-style set is the
			// mirror of foreign, i.e. our own local groups again (the
			// "re-requested" part of the COMPAT §4.10 row); mach_down takes the peer's.
		}, []opSum{{Take, nil, "req_our_resources"}, {Take, []string{"A", "C", "D"}, "standby"}, {Take, []string{"B"}, "mach_down"}}},
		{"local graceful shutdown: all groups in file order", func(t *testing.T) []Op {
			return feed(stableNode1(t, On), Shutdown{})
		}, []opSum{{Give, []string{"A", "B", "C", "D"}, "shutdown"}}},
		{"hb_standby all", func(t *testing.T) []Op {
			p := stableNode1(t, On)
			feed(p, Standby{"all"})
			return feed(p, peerMsg("t", "ask_resources", "rsc_hold", "all", "info", "other"))
		}, []opSum{{Give, []string{"A", "B", "C", "D"}, "standby"}}},
		{"hb_standby local", func(t *testing.T) []Op {
			p := stableNode1(t, On)
			feed(p, Standby{"local"})
			return feed(p, peerMsg("t", "ask_resources", "rsc_hold", "local", "info", "other"))
		}, []opSum{{Give, []string{"A", "C", "D"}, "standby"}}},
		{"hb_standby foreign", func(t *testing.T) []Op {
			p := stableNode1(t, On)
			feed(p, Standby{"foreign"})
			return feed(p, peerMsg("t", "ask_resources", "rsc_hold", "foreign", "info", "other"))
		}, []opSum{{Give, []string{"B"}, "standby"}}},
		{"hb_standby failback = foreign", func(t *testing.T) []Op {
			p := stableNode1(t, On)
			feed(p, Standby{"failback"})
			return feed(p, peerMsg("t", "ask_resources", "rsc_hold", "foreign", "info", "other"))
		}, []opSum{{Give, []string{"B"}, "standby"}}},
		{"acquire after peer's standby all: all", func(t *testing.T) []Op {
			return feed(stableNode1(t, On), peerMsg("t", "ask_resources", "rsc_hold", "all", "info", "me"),
				peerMsg("t", "ask_resources", "rsc_hold", "all", "info", "done"))
		}, []opSum{{Take, []string{"A", "B", "C", "D"}, "standby"}}},
		{"acquire after peer's standby local: our foreign", func(t *testing.T) []Op {
			return feed(stableNode1(t, On), peerMsg("t", "ask_resources", "rsc_hold", "local", "info", "me"),
				peerMsg("t", "ask_resources", "rsc_hold", "local", "info", "done"))
		}, []opSum{{Take, []string{"B"}, "standby"}}},
		{"acquire after peer's standby foreign: our local", func(t *testing.T) []Op {
			return feed(stableNode1(t, On), peerMsg("t", "ask_resources", "rsc_hold", "foreign", "info", "me"),
				peerMsg("t", "ask_resources", "rsc_hold", "foreign", "info", "done"))
		}, []opSum{{Take, []string{"A", "C", "D"}, "standby"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize(tt.run(t))); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateRule(t *testing.T) {
	tests := []struct {
		full     bool
		cur, msg Hold
		want     Hold
	}{
		{true, All, Local, Local},
		{true, None, Foreign, Foreign},
		{false, Local, Foreign, All},
		{false, All, None, None},
		{false, None, Local, Local},
		{false, Foreign, Foreign, Foreign},
	}
	for _, tt := range tests {
		if got := update(tt.full, tt.cur, tt.msg); got != tt.want {
			t.Errorf("update(full=%t, %s, %s) = %s, want %s", tt.full, tt.cur, tt.msg, got, tt.want)
		}
	}
}

func TestMirrorAndHoldWords(t *testing.T) {
	for _, tt := range []struct{ in, want Hold }{{None, None}, {Local, Foreign}, {Foreign, Local}, {All, All}} {
		if got := mirror(tt.in); got != tt.want {
			t.Errorf("mirror(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if h, ok := ParseHold(tt.in.String()); !ok || h != tt.in {
			t.Errorf("ParseHold(%q) = %s, %t", tt.in.String(), h, ok)
		}
	}
	if _, ok := ParseHold("failback"); ok {
		t.Error("ParseHold(failback) accepted")
	}
}

// TestHandOffKind: departure (a) hands over the failed group's own kind.
func TestHandOffKind(t *testing.T) {
	tests := []struct {
		name, failed string
		want         string
	}{
		{"local group fails", "A", "t=ask_resources rsc_hold=local info=me"},
		{"foreign group fails", "B", "t=ask_resources rsc_hold=foreign info=me"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := stableNode1(t, On)
			// Give node1 the foreign group too, as after a standby of node2.
			feed(p, peerMsg("t", "ask_resources", "rsc_hold", "all", "info", "me"),
				peerMsg("t", "ask_resources", "rsc_hold", "all", "info", "done"),
				peerMsg("t", "resource", "rsc_hold", "none", "rtype", "full", "isstable", "1"))
			id := p.emitOp(&opInfo{kind: Take, groups: []string{tt.failed}, why: "ip-request-resp"})
			var sends []string
			for _, a := range p.Step(OpDone{OpID: id, Results: []GroupResult{{Key: tt.failed, Outcome: StartFailed}}}) {
				if s, ok := a.(Send); ok {
					sends = append(sends, s.M.String())
				}
			}
			if diff := cmp.Diff([]string{tt.want}, sends); diff != "" {
				t.Errorf("sends (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.failed}, p.FailedHere()); diff != "" {
				t.Errorf("failed memory (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAutoFailbackModes: after a takeover, only auto_failback on sends the standby request.
func TestAutoFailbackModes(t *testing.T) {
	for _, tt := range []struct {
		mode Mode
		want bool
	}{{On, true}, {Off, false}} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			p := stableNode1(t, tt.mode)
			feed(p, PeerStatus{"node2", "dead"})
			feed(p, PeerStatus{"node2", "active"}, peerMsg("t", "starting"),
				peerMsg("t", "resource", "rsc_hold", "none", "rtype", "full", "isstable", "0"))
			var got bool
			for _, a := range p.Step(peerMsg("t", "resource", "rsc_hold", "none", "rtype", "full", "isstable", "1")) {
				if s, ok := a.(Send); ok {
					if ask, ok := s.M.(AskResources); ok {
						got = ask.Set == "foreign" && ask.Info == "me"
					}
				}
			}
			if got != tt.want {
				t.Errorf("auto-failback request sent = %t, want %t", got, tt.want)
			}
		})
	}
}

// TestLegacyAnswersEveryIPRequest: PROTOCOL §11.8 — a legacy peer waits forever otherwise.
func TestLegacyAnswersEveryIPRequest(t *testing.T) {
	p := newNode1(t, Legacy)
	feed(p, PeerStatus{"node2", "active"}, CommUp{})
	var got []string
	for _, a := range p.Step(peerMsg("t", "ip-request", "ipaddr", "B")) {
		if s, ok := a.(Send); ok {
			got = append(got, s.M.String())
		}
	}
	want := []string{"t=ip-request-resp dest=node2 ipaddr=B weown=no ok=OK"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reply (-want +got):\n%s", diff)
	}
}

func TestNextDeadline(t *testing.T) {
	p := newNode1(t, On)
	if d := p.NextDeadline(); !d.IsZero() {
		t.Fatalf("fresh planner deadline %v", d)
	}
	feed(p, PeerStatus{"node2", "active"}, CommUp{}, peerMsg("t", "starting"))
	p.Step(peerMsg("t", "resource", "rsc_hold", "none", "rtype", "full", "isstable", "0"))
	if got, want := p.NextDeadline(), epoch.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("RQSTDELAY deadline %v, want %v", got, want)
	}
}

func BenchmarkStepResource(b *testing.B) {
	p := stableNode1(b, On)
	evs := []Event{
		peerMsg("t", "resource", "rsc_hold", "local", "rtype", "full", "isstable", "0"),
		peerMsg("t", "resource", "rsc_hold", "local", "rtype", "full", "isstable", "1"),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Step(evs[i&1])
	}
}
