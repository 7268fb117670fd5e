package watch

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/vethlab"
	"hbgo/resource.d/ipaddr"
)

// lab: namespace A holds the VIP 10.78.0.100/24 (label eth0:7) on eth0
// (10.78.0.1/24), namespace B is the client on the veth's other end (vb,
// 10.78.0.2/24); both made by this test.
type lab struct {
	*vethlab.Lab
	host *ipaddr.Host
	macA net.HardwareAddr
}

var vip = netip.MustParseAddr("10.78.0.100")

func newLab(t *testing.T) *lab {
	t.Helper()
	v := vethlab.New(t, vethlab.Options{Prefix: "hbgowatch", Links: []string{"eth0"}, Peers: []string{"vb"},
		AddrA: "10.78.0.1/24", AddrB: "10.78.0.2/24"})
	return &lab{Lab: v, host: &ipaddr.Host{NL: v.NL, Sender: v.Sender, Log: nopLog{}}, macA: v.MAC["eth0"]}
}

type nopLog struct{}

func (nopLog) Script(tag, text string) {}

// garps returns the times of the gratuitous ARPs for vip seen on ifname in ns.
func garps(t *testing.T, ns netns.NsHandle, ifname string) func() []time.Time {
	t.Helper()
	frames := vethlab.CaptureARP(t, ns, ifname)
	return func() []time.Time {
		var out []time.Time
		for _, f := range frames() {
			if f.P.SenderIP == vip && f.P.TargetIP == vip {
				out = append(out, f.At)
			}
		}
		return out
	}
}

// wait is the bound of every wait in these tests for something that must
// happen: the run's own -timeout (budget), not a bare constant, since a busy
// machine delays netlink delivery, mounts and shells; the measured times are
// logged, not asserted.
func wait(t testing.TB) time.Duration { return budget.Left(t) }

func next(t *testing.T, ch <-chan Event, kind Kind) Event {
	t.Helper()
	d := wait(t)
	deadline := time.After(d)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", kind, d)
		}
	}
}

func (l *lab) addr(t *testing.T) (netlink.Addr, bool) {
	t.Helper()
	lk, err := l.NL.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	as, err := l.NL.AddrList(lk, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.IP.Equal(vip.AsSlice()) {
			return a, true
		}
	}
	return netlink.Addr{}, false
}

// TestVIPRestore: the held VIP removed by `ip addr del`, by `ip addr flush
// dev eth0` (what networkd does on restart) and the interface set down then
// up: each time the watcher reports it, Restore puts it back with the same
// label, netmask and broadcast, and the client namespace sees gratuitous
// ARPs again and reaches the address.
func TestVIPRestore(t *testing.T) {
	l := newLab(t)
	vethlab.IP(t, "-n", l.A, "addr", "add", "10.78.0.100/24", "brd", "10.78.0.255", "dev", "eth0", "label", "eth0:7")
	ag, err := ipaddr.New(ipaddr.IPaddr, []string{"10.78.0.100/24/eth0"}, l.host)
	if err != nil {
		t.Fatal(err)
	}
	held, err := ag.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if held.Label != "eth0:7" || held.Bits != 24 || held.Iface != "eth0" || held.Broadcast.String() != "10.78.0.255" {
		t.Fatalf("snapshot %+v", held)
	}
	events := make(chan Event, 16)
	w := &VIPs{Events: events, NS: &l.NsA}
	w.Hold("IPaddr::10.78.0.100/24/eth0", vip, held.LinkIndex, held.Iface)
	_, stop := runVIPs(t, w)
	seen := garps(t, l.NsB, "vb")

	check := func(how string, ev Event, start time.Time) {
		t.Helper()
		added, err := l.host.Restore(held)
		took := time.Since(start)
		if err != nil || !added {
			t.Fatalf("%s: restore: added %v, %v", how, added, err)
		}
		a, ok := l.addr(t)
		if !ok || a.Label != "eth0:7" {
			t.Fatalf("%s: after restore: %+v %v", how, a, ok)
		}
		if ones, _ := a.Mask.Size(); ones != 24 || !a.Broadcast.Equal(net.ParseIP("10.78.0.255")) {
			t.Errorf("%s: netmask /%d broadcast %v", how, ones, a.Broadcast)
		}
		n := len(seen())
		deadline := time.Now().Add(wait(t))
		for len(seen()) == n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if len(seen()) == n {
			t.Fatalf("%s: no gratuitous ARP in the client namespace", how)
		}
		vethlab.IP(t, "netns", "exec", l.B, "ping", "-c1", "-W", "5", "10.78.0.100")
		t.Logf("%s: %s (%s) → back after %s", how, ev.Kind, ev.Cause, took)
	}

	start := time.Now()
	vethlab.IP(t, "-n", l.A, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	ev := next(t, events, Vanished)
	if ev.Resource != "IPaddr::10.78.0.100/24/eth0" || ev.Cause != "netlink RTM_DELADDR" {
		t.Errorf("event %+v", ev)
	}
	check("ip addr del", ev, start)

	start = time.Now()
	vethlab.IP(t, "-n", l.A, "addr", "flush", "dev", "eth0")
	ev = next(t, events, Vanished)
	// flush took 10.78.0.1 too; the test puts the interface's own address back.
	vethlab.IP(t, "-n", l.A, "addr", "add", "10.78.0.1/24", "dev", "eth0")
	check("ip addr flush dev eth0", ev, start)

	// Down: the address stays (IPv4 keeps it) or goes (a manager flushes it);
	// either way it is put back and announced once the link is up.
	vethlab.IP(t, "-n", l.A, "link", "set", "eth0", "down")
	vethlab.IP(t, "-n", l.A, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	ev = next(t, events, Vanished)
	if added, err := l.host.Restore(held); !added || err != ipaddr.ErrLinkDown {
		t.Fatalf("restore on a down link: added %v, %v (want ErrLinkDown)", added, err)
	}
	n := len(seen())
	start = time.Now()
	vethlab.IP(t, "-n", l.A, "link", "set", "eth0", "up")
	ev = next(t, events, LinkUp)
	if ev.Cause != "link eth0 went down and came back up" {
		t.Errorf("event %+v", ev)
	}
	if added, err := l.host.Restore(held); added || err != nil {
		t.Fatalf("restore after link up: added %v, %v (want announce only)", added, err)
	}
	deadline := time.Now().Add(wait(t))
	for len(seen()) == n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(seen()) == n {
		t.Fatal("link up: no gratuitous ARP in the client namespace")
	}
	vethlab.IP(t, "netns", "exec", l.B, "ping", "-c1", "-W", "5", "10.78.0.100")
	t.Logf("link down/up: announced %s after the link came up", time.Since(start))

	// Released: no more events.
	w.Release(vip)
	vethlab.IP(t, "-n", l.A, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	select {
	case ev := <-events:
		t.Errorf("event after release: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

// TestConflict: a second namespace claims the held VIP with arping (as a
// node whose daemon died still holding it would answer); the watcher reports
// the claimant's MAC, never our own announcements.
func TestConflict(t *testing.T) {
	if _, err := exec.LookPath("arping"); err != nil {
		t.Skip("needs iputils-arping (.ci/deps installs it)")
	}
	l := newLab(t)
	vethlab.IP(t, "-n", l.A, "addr", "add", "10.78.0.100/24", "dev", "eth0")
	events := make(chan Event, 64)
	nsA := l.NsA
	w := &Conflicts{Events: events, Dial: func(ifi *net.Interface) (*arp.Client, *packet.Conn, error) {
		var c *arp.Client
		var pc *packet.Conn
		var err error
		vethlab.InNS(nsA, func() { c, pc, err = DialARP(ifi) })
		return c, pc, err
	}}
	defer w.Close()
	lk, _ := l.NL.LinkByName("eth0")
	at := lk.Attrs()
	ifi := &net.Interface{Index: at.Index, Name: at.Name, HardwareAddr: at.HardwareAddr, MTU: at.MTU, Flags: at.Flags}
	if err := w.Hold(context.Background(), "IPaddr::10.78.0.100/24/eth0", vip, ifi); err != nil {
		t.Fatal(err)
	}
	// Our own announcement is no conflict.
	ag, _ := ipaddr.New(ipaddr.IPaddr, []string{"10.78.0.100/24/eth0"}, l.host)
	held, err := ag.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.host.Announce(held, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		t.Fatalf("own GARP reported: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	lb, err := netlink.NewHandleAt(l.NsB)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	vb, _ := lb.LinkByName("vb")
	mac := vb.Attrs().HardwareAddr.String()
	// The claimant holds the address too and announces it.
	vethlab.IP(t, "-n", l.B, "addr", "add", "10.78.0.100/24", "dev", "vb")
	vethlab.IP(t, "netns", "exec", l.B, "arping", "-U", "-c", "2", "-I", "vb", "-s", "10.78.0.100", "10.78.0.100")
	ev := next(t, events, Conflict)
	if ev.MAC != mac || ev.Resource != "IPaddr::10.78.0.100/24/eth0" {
		t.Errorf("event %+v, want MAC %s", ev, mac)
	}
	w.Release(vip)
}

// runVIPs runs w and returns once its netlink socket listens (Run's
// ready), failing the test if Run fails first; errc delivers Run's result,
// and stop ends Run and returns it.
func runVIPs(t *testing.T, w *VIPs) (errc <-chan error, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ready := make(chan struct{})
	res := make(chan error, 1)
	go func() { res <- w.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-res:
		t.Fatal(err)
	}
	return res, func() error { cancel(); return <-res }
}
