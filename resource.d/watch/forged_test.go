package watch

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/vethlab"
)

// vipGroups is the multicast group mask Run's socket is bound to (links,
// IPv4 and IPv6 addresses): how the test tells the watcher's socket from
// the others in the process.
const vipGroups = 1<<(unix.RTNLGRP_LINK-1) | 1<<(unix.RTNLGRP_IPV4_IFADDR-1) | 1<<(unix.RTNLGRP_IPV6_IFADDR-1)

// watcherPort returns the netlink port id of the running VIP watcher's
// socket, found among the process's descriptors by its bound groups.
func watcherPort(t *testing.T) uint32 {
	t.Helper()
	var port uint32
	found := budget.Poll(t, func() bool {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range ents {
			fd, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			sa, err := unix.Getsockname(fd)
			if nsa, ok := sa.(*unix.SockaddrNetlink); err == nil && ok && nsa.Groups == vipGroups && nsa.Pid != 0 {
				port = nsa.Pid
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%d netlink sockets bound to the VIP watcher's groups: cannot tell which is the watcher's", n)
		}
		return n == 1
	})
	if !found {
		t.Fatal("no netlink socket bound to the VIP watcher's groups")
	}
	return port
}

// forgedDelAddr is an RTM_DELADDR for ip/24 on link index, as the kernel
// would send it.
func forgedDelAddr(ip net.IP, index int) []byte {
	req := nl.NewNetlinkRequest(unix.RTM_DELADDR, 0)
	req.AddData(&nl.IfAddrmsg{IfAddrmsg: unix.IfAddrmsg{Family: unix.AF_INET, Prefixlen: 24, Index: uint32(index)}})
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, ip.To4()))
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, ip.To4()))
	return req.Serialize()
}

// forgedLink is an RTM_NEWLINK for link index named name, up or down.
func forgedLink(index int, name string, up bool) []byte {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, 0)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	oper := uint8(netlinkOperDown)
	if up {
		msg.Flags = unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_LOWER_UP
		oper = netlinkOperUp
	}
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_OPERSTATE, []byte{oper}))
	return req.Serialize()
}

// RFC 2863 operational states as IFLA_OPERSTATE carries them.
const (
	netlinkOperDown = 2
	netlinkOperUp   = 6
)

// TestVIPIgnoresForgedSender: any process in the namespace can unicast a
// netlink message to the watcher's port id, but only the kernel (port id
// 0) speaks for links and addresses. A forged RTM_DELADDR of a held VIP
// and a forged eth0 down/up (which, from the kernel, would be a Vanished
// and a LinkUp) sent from a user-space socket inside the test's namespace
// are dropped, while a real deletion of another held VIP that follows them
// is still reported. The forged messages are in the watcher's queue before
// the real one and netlink delivers in order, so the real event being the
// first one read proves the forged ones were dropped: no quiet-period wait.
func TestVIPIgnoresForgedSender(t *testing.T) {
	// The namespaces are made here and removed by t.Cleanup, also on failure.
	l := newLab(t)
	// The forged deletion's address: it stays on eth0 throughout.
	target := netip.MustParseAddr("10.78.0.101")
	vethlab.IP(t, "-n", l.A, "addr", "add", "10.78.0.100/24", "dev", "eth0")
	vethlab.IP(t, "-n", l.A, "addr", "add", "10.78.0.101/24", "dev", "eth0")
	lk, err := l.NL.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	index := lk.Attrs().Index
	const res, resForged = "IPaddr::10.78.0.100/24/eth0", "IPaddr::10.78.0.101/24/eth0"
	forged := [][]byte{
		forgedDelAddr(target.AsSlice(), index),
		forgedLink(index, "eth0", false),
		forgedLink(index, "eth0", true),
	}

	// The same bytes from the kernel would be reported: the test would
	// prove nothing if the watcher ignored them for their content.
	{
		events := make(chan Event, 4)
		v := &VIPs{Events: events}
		v.Hold(resForged, target, index, "eth0")
		for _, b := range forged {
			if err := v.dispatch(b); err != nil {
				t.Fatal(err)
			}
		}
		if len(events) != 2 {
			t.Fatalf("the forged messages, dispatched as the kernel's: %d events, want Vanished and LinkUp", len(events))
		}
		if a, b := <-events, <-events; a.Kind != Vanished || a.Resource != resForged || b.Kind != LinkUp {
			t.Fatalf("the forged messages, dispatched as the kernel's: %+v, %+v", a, b)
		}
	}

	events := make(chan Event, 16)
	w := &VIPs{Events: events, NS: &l.NsA}
	w.Hold(res, vip, index, "eth0")
	w.Hold(resForged, target, index, "eth0")
	errc, stop := runVIPs(t, w)
	port := watcherPort(t)

	// A user-space sender in the watcher's namespace; the kernel stamps
	// its own port id (never 0) as the source, which it cannot forge.
	var fd int
	vethlab.InNS(l.NsA, func() {
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		}
	})
	if err != nil {
		t.Fatalf("user-space netlink socket in %s: %v", l.A, err)
	}
	defer unix.Close(fd)
	for i, b := range forged {
		// Queued for the watcher, or an error (ECONNREFUSED for a port
		// nobody holds): success means the watcher has it to read.
		if err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
			t.Fatalf("forged message %d to port %d: %v", i, port, err)
		}
	}

	// The real deletion, queued after the forged messages: it must be the
	// first event.
	vethlab.IP(t, "-n", l.A, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	select {
	case ev := <-events:
		if ev.Kind != Vanished || ev.Resource != res || ev.Cause != "netlink RTM_DELADDR" {
			t.Errorf("first event %+v, want the real deletion of %s: a forged message was taken for the kernel's", ev, res)
		}
	case err := <-errc:
		t.Fatalf("the watcher stopped: %v", err)
	case <-time.After(wait(t)):
		t.Fatal("the real deletion was not reported")
	}
	for len(events) > 0 {
		t.Errorf("event after the real deletion: %+v", <-events)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}
