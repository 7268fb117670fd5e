package daemon

import (
	"math/rand"
	"strings"
	"testing"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/membership"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/status"
)

// TestStatusPingUnreachable: a ping node that stops answering is a warning
// in the snapshot the daemon builds (issue 16 item 1, "a ping node
// unreachable"), its link shows down, and `heartbeat status` exits 1 for
// it; the golden tests only render a snapshot made by hand.
func TestStatusPingUnreachable(t *testing.T) {
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	cf := n.conf.HaCf
	const ping = "10.0.0.254"
	t0 := *clock
	n.m = hbnode.New(hbnode.Config{Membership: membership.Params{Node: "node2", Nodes: cf.Nodes, Links: []string{"eth1"},
		PingNodes: []string{ping}, Keepalive: cf.Keepalive, Deadtime: cf.Deadtime, Warntime: cf.Warntime, Initdead: cf.Initdead, Generation: 4},
		Planner: planner.Config{Us: "node2", Peer: "node1", Groups: n.conf.Groups}, Rand: rand.New(rand.NewSource(1))}, t0)
	peerStatus(n, t0, "1a", true)
	// No echo reply, well past initdead and deadtime (the status hook hears the
	// peer; membership is not fed its packets, see below).
	for at := t0; at.Before(t0.Add(cf.Initdead + 3*cf.Deadtime)); at = at.Add(cf.Keepalive) {
		*clock = at
		peerStatus(n, at, "1a", true)
		n.m.Step(hbnode.Tick{At: at})
	}
	s := n.healthSnapshot()
	var pn *status.Node
	for i := range s.Nodes {
		if s.Nodes[i].Name == ping {
			pn = &s.Nodes[i]
		}
	}
	if pn == nil || pn.State != "dead" || len(pn.Links) != 1 || pn.Links[0].Up {
		t.Fatalf("ping node in the snapshot: %+v", pn)
	}
	found := false
	for _, w := range s.Warnings {
		if w.Code == "ping-unreachable" && strings.Contains(w.Text, ping) {
			found = true
		}
	}
	if !found {
		t.Errorf("no ping-unreachable warning naming %s: %+v", ping, s.Warnings)
	}
	// (membership here hears nothing from node1 either, so the peer is dead
	// too: the reason, not only the exit code, must name the ping node)
	code, why := s.Health()
	if code != status.ExitDegraded || !strings.Contains(strings.Join(why, "; "), "ping node "+ping+" unreachable") {
		t.Errorf("health %d %v, want degraded naming the ping node", code, why)
	}
}
