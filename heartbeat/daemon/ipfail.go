package daemon

import (
	"hbgo/haresources/planner"
	"hbgo/heartbeat/hblog"
	"hbgo/heartbeat/ipfail"
	"hbgo/heartbeat/membership"
	"hbgo/heartbeat/respawn"
)

// ipfailConfigured says whether ha.cf has a respawn line for ipfail, which
// hbgo does not start but emulates (issue #6; README of the ipfail captures).
func (n *node) ipfailConfigured() (string, bool) {
	for _, ch := range n.conf.HaCf.Respawn {
		if respawn.IsIPfail(ch.Path) {
			return ch.Command, true
		}
	}
	return "", false
}

// ipfailStart signs the emulated ipfail on, as stock's respawned ipfail
// does right after comm up: heartbeat's node walk is its node table in
// reverse ha.cf order (as cl_status listnodes prints it).
func (n *node) ipfailStart() {
	cmd, ok := n.ipfailConfigured()
	if !ok || n.ipf != nil {
		return
	}
	n.log.Infof("hbgo: %q is not started: hbgo does ipfail's job itself, with ipfail's messages", cmd)
	cf := n.conf.HaCf
	n.ipf = ipfail.New(ipfail.Config{Node: n.conf.Node, Keepalive: cf.Keepalive, AutoFailback: cf.AutoFailback.String(), PID: n.pid})
	ms := n.mem.Snapshot()
	var walk []ipfail.Node
	for i := len(ms.Nodes) - 1; i >= 0; i-- {
		nd := ms.Nodes[i]
		walk = append(walk, ipfail.Node{Name: nd.Name, Type: nd.Type, Status: nd.Status})
	}
	// The planner's own word: n.rsc holds only words it reported as
	// changed, and before the first acquisition ends it is "transition"
	// (stock: other_is_stable starts false), which keeps ipfail from a
	// foreign give-up at start (README §3.3).
	n.ipfStep(ipfail.Start{Nodes: walk, Word: n.plan.Word()})
}

// ipfStep feeds the emulated ipfail, if it runs, and carries out its actions.
func (n *node) ipfStep(ev ipfail.Event) {
	if n.ipf == nil {
		return
	}
	for _, a := range n.ipf.Step(n.now(), ev) {
		switch a := a.(type) {
		case ipfail.Send:
			// Through membership like any message: its loopback copy of
			// ask_resources reaches the planner as a standby request.
			n.memStep(membership.Originate{Msg: a.M, At: n.now()})
		case ipfail.Log:
			lvl, err := hblog.ParseLevel(a.Level)
			if err != nil {
				lvl = hblog.Info
			}
			n.log.LogAs("ipfail", n.pid, lvl, "%s", a.Text)
		case ipfail.Exit:
			n.log.Errorf("hbgo: ipfail emulation stopped (%s), as stock's ipfail exits", a.Reason)
		}
	}
}

// ipfailMem passes membership's news to the emulated ipfail.
func (n *node) ipfailMem(a membership.Action) {
	switch a := a.(type) {
	case membership.NodeStatus:
		n.ipfStep(ipfail.NodeStatus{Node: a.Node, Status: a.New})
	case membership.LinkStatus:
		st := "dead"
		if a.Up {
			st = "up"
		}
		n.ipfStep(ipfail.LinkStatus{Node: a.Node, Link: a.Link, Status: st})
	case membership.Deliver:
		n.ipfStep(ipfail.Msg{M: a.Msg})
	}
}

// ipfailPlan passes the resource status word to the emulated ipfail.
func (n *node) ipfailPlan(a planner.Action) {
	if w, ok := a.(planner.StatusWord); ok {
		n.ipfStep(ipfail.Resources{Word: w.Word})
	}
}

var ipfailStop = ipfail.Stop{}

var ipfailTick = ipfail.Tick{}
