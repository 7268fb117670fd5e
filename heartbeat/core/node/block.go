package node

import (
	"time"

	"hbgo/haresources/planner"
)

// Block carries the resource monitor's block into the planner: this node
// does not take Group back (On) after handing it over for repeated
// failures, or may again (planner departure f).
type Block struct {
	Group string
	On    bool
	At    time.Time
}

func (e Block) at() time.Time { return e.At }

// StandbyRunning says a standby exchange is in progress (the daemon learns
// from its end whether the monitor's hand-over happened).
func (m *Machine) StandbyRunning() bool { return m.plan.StandbyRunning() }

// Blocked lists the groups this node does not take back.
func (m *Machine) Blocked() []string { return m.plan.Blocked() }

func (m *Machine) block(e Block) {
	m.journal("block", "", map[string]string{"group": e.Group, "on": boolWord(e.On)})
	m.planStep(planner.Block{Group: e.Group, On: e.On})
}

func boolWord(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
