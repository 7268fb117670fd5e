package watch

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// delAddr is an RTM_DELADDR message as the kernel sends it for ip on link
// index 2, with IFA_ADDRESS peer (a point-to-point address) and IFA_LOCAL ip.
func delAddr(ip, peer net.IP) []byte {
	req := nl.NewNetlinkRequest(unix.RTM_DELADDR, 0)
	req.AddData(&nl.IfAddrmsg{IfAddrmsg: unix.IfAddrmsg{Family: unix.AF_INET, Prefixlen: 24, Index: 2}})
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, peer.To4()))
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, ip.To4()))
	return req.Serialize()
}

// TestVIPDispatch: the watcher's own reader parses what the library's two
// subscriptions did: a removal of a held address (its IFA_LOCAL, not the
// peer's IFA_ADDRESS) is a Vanished event, several messages in one read
// are each seen, and a message whose length runs past the read is an
// error, not a silent cut. (TestVIPRestore, root, runs it on real events.)
func TestVIPDispatch(t *testing.T) {
	events := make(chan Event, 4)
	v := &VIPs{Events: events}
	v.Hold("IPaddr::10.1.0.5", netip.MustParseAddr("10.1.0.5"), 2, "eth0")
	other := delAddr(net.ParseIP("10.1.0.9"), net.ParseIP("10.1.0.5"))
	held := delAddr(net.ParseIP("10.1.0.5"), net.ParseIP("10.1.0.1"))
	if err := v.dispatch(append(append([]byte{}, other...), held...)); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != Vanished || ev.Resource != "IPaddr::10.1.0.5" || ev.Cause != "netlink RTM_DELADDR" {
			t.Errorf("event %+v", ev)
		}
	default:
		t.Fatal("no Vanished event")
	}
	if len(events) != 0 {
		t.Errorf("%d more events (the peer address is not the held one)", len(events))
	}
	if err := v.dispatch(held[:len(held)-4]); err == nil {
		t.Error("a truncated message was accepted")
	}
}
