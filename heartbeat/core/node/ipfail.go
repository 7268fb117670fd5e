package node

import (
	"fmt"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/ipfail"
	"hbgo/heartbeat/core/membership"
)

// startClients asks for ha.cf's respawn clients once, at the first comm
// up, and signs the emulated ipfail on right after, as stock's respawned
// ipfail does: heartbeat's node walk is its node table in reverse ha.cf
// order (as cl_status listnodes prints it).
func (m *Machine) startClients() {
	if m.started {
		return
	}
	m.started = true
	m.emit(StartClients{})
	if m.cfg.Ipfail == nil {
		return
	}
	m.log("info", fmt.Sprintf("hbgo: %q is not started: hbgo does ipfail's job itself, with ipfail's messages", m.cfg.IpfailCmd))
	m.ipf = ipfail.New(*m.cfg.Ipfail)
	ms := m.mem.Snapshot()
	var walk []ipfail.Node
	for i := len(ms.Nodes) - 1; i >= 0; i-- {
		nd := ms.Nodes[i]
		walk = append(walk, ipfail.Node{Name: nd.Name, Type: nd.Type, Status: nd.Status})
	}
	// The planner's own word: before the first acquisition ends it is
	// "transition" (stock: other_is_stable starts false), which keeps
	// ipfail from a foreign give-up at start (README §3.3).
	m.ipfStep(ipfail.Start{Nodes: walk, Word: m.plan.Word()})
}

// stopIpfail signs the emulated ipfail off and asks for the clients to be
// killed, after the resources are released (README of the ipfail captures
// §5.5: stock kills them after shutdone).
func (m *Machine) stopIpfail() {
	m.ipfStep(ipfail.Stop{})
	m.ipf = nil
	m.emit(StopClientsNow{})
}

// ipfStep feeds the emulated ipfail, if it runs, and handles its actions.
func (m *Machine) ipfStep(ev ipfail.Event) {
	if m.ipf == nil {
		return
	}
	for _, a := range m.ipf.Step(m.now, ev) {
		switch a := a.(type) {
		case ipfail.Send:
			// Through membership like any message: its loopback copy of
			// ask_resources reaches the planner as a standby request.
			m.memStep(membership.Originate{Msg: a.M, At: m.now})
		case ipfail.Log:
			m.emit(Log{Level: a.Level, Text: a.Text, Proc: "ipfail"})
		case ipfail.Exit:
			m.log("ERROR", fmt.Sprintf("hbgo: ipfail emulation stopped (%s), as stock's ipfail exits", a.Reason))
		}
	}
}

// ipfailMem passes membership's news to the emulated ipfail (rule 4).
func (m *Machine) ipfailMem(a membership.Action) {
	switch a := a.(type) {
	case membership.NodeStatus:
		m.ipfStep(ipfail.NodeStatus{Node: a.Node, Status: a.New})
	case membership.LinkStatus:
		st := "dead"
		if a.Up {
			st = "up"
		}
		m.ipfStep(ipfail.LinkStatus{Node: a.Node, Link: a.Link, Status: st})
	case membership.Deliver:
		m.ipfStep(ipfail.Msg{M: a.Msg})
	}
}

// ipfailPlan passes the resource status word to the emulated ipfail (rule 4).
func (m *Machine) ipfailPlan(a planner.Action) {
	if w, ok := a.(planner.StatusWord); ok {
		m.ipfStep(ipfail.Resources{Word: w.Word})
	}
}
