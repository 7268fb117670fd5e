package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAdoptAfterRestart checks that a restarted daemon (-R -C) takes the
// groups it finds running as its own and joins without touching them,
// where a plain start (Held) stops them.
func TestAdoptAfterRestart(t *testing.T) {
	type result struct {
		Ops       []opSum
		Holds     string
		Word      string
		HeldGroup []string
	}
	peerStable := []Event{
		peerMsg("t", "starting"),
		peerMsg("t", "resource", "rsc_hold", "foreign", "rtype", "full", "isstable", "1"),
	}
	tests := []struct {
		name  string
		mode  Mode
		first Event
		join  []Event
		want  result
	}{
		{"nice_failback, -C all, peer alive holding nothing", On,
			Adopt{Hold: All, Keys: []string{"A", "B", "C", "D"}},
			append([]Event{PeerStatus{"node2", "active"}, CommUp{}}, peerStable...),
			result{Holds: "all", Word: "all", HeldGroup: []string{"A", "B", "C", "D"}}},
		{"nice_failback, -C local, only own groups running", Off,
			Adopt{Hold: Local, Keys: []string{"A", "C", "D"}},
			[]Event{PeerStatus{"node2", "active"}, CommUp{}, peerMsg("t", "starting"),
				peerMsg("t", "resource", "rsc_hold", "local", "rtype", "full", "isstable", "1")},
			result{Holds: "local", Word: "local", HeldGroup: []string{"A", "C", "D"}}},
		{"nice_failback, -C local, peer dead: no takeover without a death seen", On,
			Adopt{Hold: Local, Keys: []string{"A", "C", "D"}},
			[]Event{CommUp{}},
			result{Holds: "local", Word: "transition", HeldGroup: []string{"A", "C", "D"}}},
		{"nice_failback, -C none, nothing running", On,
			Adopt{Hold: None},
			append([]Event{PeerStatus{"node2", "active"}, CommUp{}}, peerStable...),
			result{Holds: "none", Word: "none"}},
		{"legacy, no -C: what runs is held, no req_our_resources", Legacy,
			Adopt{Keys: []string{"A", "C", "D"}},
			[]Event{PeerStatus{"node2", "active"}, CommUp{}},
			result{Holds: "local", Word: "local", HeldGroup: []string{"A", "C", "D"}}},
		{"plain start finding groups running stops them (hbgo departure c)", On,
			Held{Keys: []string{"A", "C"}},
			nil,
			result{Ops: []opSum{{Give, []string{"C", "A"}, "held-at-start"}}, Holds: "none", Word: "transition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newNode1(t, tc.mode)
			ops := feed(p, append([]Event{tc.first}, tc.join...)...)
			got := result{Ops: summarize(ops), Holds: p.Holds().String(), Word: p.Word()}
			for _, g := range p.cfg.Groups {
				if p.groups.held[g.Key()] {
					got.HeldGroup = append(got.HeldGroup, g.Key())
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestAdoptAfterJoinIgnored checks that a restart state arriving after comm up changes nothing.
func TestAdoptAfterJoinIgnored(t *testing.T) {
	p := stableNode1(t, On)
	acts := p.Step(Adopt{Hold: All, Keys: []string{"B"}})
	if p.Holds() != Local || p.groups.held["B"] {
		t.Errorf("late Adopt changed the state: holds %s, B held %t", p.Holds(), p.groups.held["B"])
	}
	if len(acts) != 1 {
		t.Errorf("want one error log, got %v", acts)
	}
}

// TestBusy checks that resource work in flight is reported and a quiet node is not.
func TestBusy(t *testing.T) {
	p := stableNode1(t, On)
	if p.Busy() {
		t.Fatal("stable node reported busy")
	}
	acts := p.Step(Shutdown{})
	if !p.Busy() {
		t.Errorf("busy = false with a give-up op pending (actions %v)", acts)
	}
}
