package daemon

import (
	"time"

	"hbgo/haresources/monitor"
	"hbgo/haresources/planner"
)

// The monitor's hand-over and block as the daemon carries them out (issue
// 15): the block reaches the planner (monAction), comes back from the
// failure counts at start, and a hand-over's outcome is learnt from the
// planner rather than assumed.

// monStarted hands the monitor the daemon's start: blocks kept in the
// failure counts on disk reach the planner before comm up.
func (n *node) monStarted() {
	if n.mon != nil {
		n.monStep(monitor.Started{})
	}
}

// monHandCheck reports the hand-overs whose outcome is known: done when
// the planner no longer holds the group (its standby gave it up), failed
// when no standby runs, nothing is under way and it still holds it (the
// peer refused or did not answer, or the request was not accepted).
func (n *node) monHandCheck() {
	s := n.mon
	for key := range s.handing {
		g, ok := s.groups[key]
		if !ok {
			delete(s.handing, key)
			continue
		}
		class := planner.Foreign
		if g.Node == n.conf.Node {
			class = planner.Local
		}
		switch {
		case n.m.Holds()&class == 0:
			delete(s.handing, key)
			n.monStep(monitor.OpDone{Op: "standby", Group: key})
		case !n.m.Busy(): // no standby runs, no op
			delete(s.handing, key)
			n.monStep(monitor.OpDone{Op: "standby", Group: key, Err: "the peer did not take it (standby refused, unanswered or not accepted)"})
		}
	}
}

// monCheckLater runs monSync (and so monHandCheck) on the loop after d.
func (n *node) monCheckLater(d time.Duration) {
	s := n.mon
	time.AfterFunc(d, func() {
		select {
		case n.later <- n.monSync:
		case <-s.ctx.Done():
		}
	})
}
