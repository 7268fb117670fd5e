package daemon

import (
	"testing"

	"hbgo/heartbeat/config/hacf"
)

// TestLazyLinks: only the first UDP link on a socket group (interface
// and port; mcast: group and port) reads lazily (media lazyRx), and none
// with hbgo.cf lazy_read off.
func TestLazyLinks(t *testing.T) {
	ucast := func(iface, peer string) hacf.Medium {
		return hacf.Medium{Type: hacf.MediumUcast, Iface: iface, Peer: peer, Port: 694}
	}
	links := []hacf.Medium{
		ucast("eth1", "10.0.0.1"), // an ha.cf for both nodes: one line names this node
		ucast("eth1", "10.0.0.2"),
		{Type: hacf.MediumBcast, Iface: "eth1", Port: 694},
		{Type: hacf.MediumBcast, Iface: "eth2", Port: 694},
		{Type: hacf.MediumMcast, Iface: "eth1", Group: "239.0.0.1", Port: 694},
		{Type: hacf.MediumMcast, Iface: "eth2", Group: "239.0.0.1", Port: 694},
		{Type: hacf.MediumMcast, Iface: "eth1", Group: "239.0.0.1", Port: 695},
		{Type: hacf.MediumSerial, Device: "/dev/ttyS0"},
		ucast("eth1", "10.0.0.2"),
	}
	want := []bool{true, false, false, true, true, false, true, false, false}
	got := lazyLinks(links, true)
	for i, w := range want {
		if got[i] != w {
			t.Errorf("link %d (%s %s %s%s): lazy %v, want %v", i, links[i].Type, links[i].Iface, links[i].Peer, links[i].Group, got[i], w)
		}
	}
	if got := lazyLinks(links, false); len(got) != 0 {
		t.Errorf("lazy_read off: lazy links %v, want none", got)
	}
}
