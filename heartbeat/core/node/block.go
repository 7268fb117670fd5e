package node

import (
	"time"

	"hbgo/haresources/planner"
)

// Block carries a block into the planner: this node does not take Group
// back (On) after handing it over for repeated failures, or may again
// (planner departure f). The composed monitor blocks through the same path
// inside the Step (rule M3); as an event it is the scenario harness's
// stand-in for a monitor's decision alone (monitor_block.txt).
type Block struct {
	Group string
	On    bool
	// HandOver: the monitor's hand-over of Group begins (On) or failed
	// (off); the monitor's lines tell it, the planner's do not
	// (planner.Block.HandOver).
	HandOver bool
	At       time.Time
}

func (e Block) at() time.Time { return e.At }

func (m *Machine) block(e Block) {
	m.journal("block", "", map[string]string{"group": e.Group, "on": boolWord(e.On)})
	m.planStep(planner.Block{Group: e.Group, On: e.On, HandOver: e.HandOver})
}

func boolWord(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
