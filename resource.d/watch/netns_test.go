package watch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/sendarp"
)

// lab: namespace a holds the VIP 10.78.0.100/24 (label eth0:7) on eth0
// (10.78.0.1/24), namespace b is the client on the veth's other end (vb,
// 10.78.0.2/24); both made by this test.
type lab struct {
	a, b     string
	nsA, nsB netns.NsHandle
	ha       *netlink.Handle
	host     *ipaddr.Host
	macA     net.HardwareAddr
}

var vip = netip.MustParseAddr("10.78.0.100")

func ipCmd(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces hbgowatch-* with a veth pair")
	}
	l := &lab{a: fmt.Sprintf("hbgowatch-a%d", os.Getpid()), b: fmt.Sprintf("hbgowatch-b%d", os.Getpid())}
	ipCmd(t, "netns", "add", l.a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.a).Run() })
	ipCmd(t, "netns", "add", l.b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.b).Run() })
	ipCmd(t, "-n", l.a, "link", "add", "eth0", "type", "veth", "peer", "name", "vb", "netns", l.b)
	ipCmd(t, "-n", l.a, "addr", "add", "10.78.0.1/24", "dev", "eth0")
	ipCmd(t, "-n", l.b, "addr", "add", "10.78.0.2/24", "dev", "vb")
	for _, c := range [][]string{{l.a, "eth0"}, {l.b, "vb"}, {l.a, "lo"}, {l.b, "lo"}} {
		ipCmd(t, "-n", c[0], "link", "set", c[1], "up")
	}
	var err error
	if l.nsA, err = netns.GetFromName(l.a); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.nsA.Close() })
	if l.nsB, err = netns.GetFromName(l.b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.nsB.Close() })
	if l.ha, err = netlink.NewHandleAt(l.nsA); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.ha.Close)
	lk, err := l.ha.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	l.macA = lk.Attrs().HardwareAddr
	nsA := l.nsA
	sender := &sendarp.Sender{Listen: func(ifi *net.Interface) (sendarp.Conn, error) {
		var c sendarp.Conn
		var err error
		inNS(nsA, func() { c, err = sendarp.ListenRaw(ifi) })
		return c, err
	}}
	t.Cleanup(func() { sender.Close() })
	l.host = &ipaddr.Host{NL: l.ha, Sender: sender, Log: nopLog{}}
	return l
}

type nopLog struct{}

func (nopLog) Script(tag, text string) {}

// inNS runs f on a locked OS thread switched into ns; the thread is thrown
// away afterwards (libraries.md netlink pitfall 5).
func inNS(ns netns.NsHandle, f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			panic(err)
		}
		f()
	}()
	wg.Wait()
}

// garps collects gratuitous ARPs for vip seen on ifname in ns.
func garps(t *testing.T, ns netns.NsHandle, ifname string) func() []time.Time {
	t.Helper()
	var c *packet.Conn
	var err error
	inNS(ns, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(ifname); err == nil {
			c, err = packet.Listen(ifi, packet.Raw, int(ethernet.EtherTypeARP), nil)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			var f ethernet.Frame
			var p arp.Packet
			if f.UnmarshalBinary(buf[:n]) != nil || p.UnmarshalBinary(f.Payload) != nil {
				continue
			}
			if p.SenderIP == vip && p.TargetIP == vip {
				mu.Lock()
				got = append(got, time.Now())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), got...)
	}
}

// wait is the bound of every wait below: generous, since a busy machine
// delays netlink delivery; the measured times are logged, not asserted.
const wait = 10 * time.Second

func next(t *testing.T, ch <-chan Event, kind Kind) Event {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", kind, wait)
		}
	}
}

func (l *lab) addr(t *testing.T) (netlink.Addr, bool) {
	t.Helper()
	lk, err := l.ha.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	as, err := l.ha.AddrList(lk, netlink.FAMILY_V4)
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
	ipCmd(t, "-n", l.a, "addr", "add", "10.78.0.100/24", "brd", "10.78.0.255", "dev", "eth0", "label", "eth0:7")
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
	w := &VIPs{Events: events, NS: &l.nsA}
	w.Hold("IPaddr::10.78.0.100/24/eth0", vip, held.LinkIndex, held.Iface)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatal(err)
	}
	seen := garps(t, l.nsB, "vb")

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
		deadline := time.Now().Add(wait)
		for len(seen()) == n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if len(seen()) == n {
			t.Fatalf("%s: no gratuitous ARP in the client namespace", how)
		}
		ipCmd(t, "netns", "exec", l.b, "ping", "-c1", "-W", "5", "10.78.0.100")
		t.Logf("%s: %s (%s) → back after %s", how, ev.Kind, ev.Cause, took)
	}

	start := time.Now()
	ipCmd(t, "-n", l.a, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	ev := next(t, events, Vanished)
	if ev.Resource != "IPaddr::10.78.0.100/24/eth0" || ev.Cause != "netlink RTM_DELADDR" {
		t.Errorf("event %+v", ev)
	}
	check("ip addr del", ev, start)

	start = time.Now()
	ipCmd(t, "-n", l.a, "addr", "flush", "dev", "eth0")
	ev = next(t, events, Vanished)
	// flush took 10.78.0.1 too; the test puts the interface's own address back.
	ipCmd(t, "-n", l.a, "addr", "add", "10.78.0.1/24", "dev", "eth0")
	check("ip addr flush dev eth0", ev, start)

	// Down: the address stays (IPv4 keeps it) or goes (a manager flushes it);
	// either way it is put back and announced once the link is up.
	ipCmd(t, "-n", l.a, "link", "set", "eth0", "down")
	ipCmd(t, "-n", l.a, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	ev = next(t, events, Vanished)
	if added, err := l.host.Restore(held); !added || err != ipaddr.ErrLinkDown {
		t.Fatalf("restore on a down link: added %v, %v (want ErrLinkDown)", added, err)
	}
	n := len(seen())
	start = time.Now()
	ipCmd(t, "-n", l.a, "link", "set", "eth0", "up")
	ev = next(t, events, LinkUp)
	if ev.Cause != "link eth0 went down and came back up" {
		t.Errorf("event %+v", ev)
	}
	if added, err := l.host.Restore(held); added || err != nil {
		t.Fatalf("restore after link up: added %v, %v (want announce only)", added, err)
	}
	deadline := time.Now().Add(wait)
	for len(seen()) == n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(seen()) == n {
		t.Fatal("link up: no gratuitous ARP in the client namespace")
	}
	ipCmd(t, "netns", "exec", l.b, "ping", "-c1", "-W", "5", "10.78.0.100")
	t.Logf("link down/up: announced %s after the link came up", time.Since(start))

	// Released: no more events.
	w.Release(vip)
	ipCmd(t, "-n", l.a, "addr", "del", "10.78.0.100/24", "dev", "eth0")
	select {
	case ev := <-events:
		t.Errorf("event after release: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	if err := <-errc; err != nil {
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
	ipCmd(t, "-n", l.a, "addr", "add", "10.78.0.100/24", "dev", "eth0")
	events := make(chan Event, 64)
	nsA := l.nsA
	w := &Conflicts{Events: events, Dial: func(ifi *net.Interface) (*arp.Client, error) {
		var c *arp.Client
		var err error
		inNS(nsA, func() { c, err = arp.Dial(ifi) })
		return c, err
	}}
	defer w.Close()
	lk, _ := l.ha.LinkByName("eth0")
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
	lb, err := netlink.NewHandleAt(l.nsB)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	vb, _ := lb.LinkByName("vb")
	mac := vb.Attrs().HardwareAddr.String()
	// The claimant holds the address too and announces it.
	ipCmd(t, "-n", l.b, "addr", "add", "10.78.0.100/24", "dev", "vb")
	ipCmd(t, "netns", "exec", l.b, "arping", "-U", "-c", "2", "-I", "vb", "-s", "10.78.0.100", "10.78.0.100")
	ev := next(t, events, Conflict)
	if ev.MAC != mac || ev.Resource != "IPaddr::10.78.0.100/24/eth0" {
		t.Errorf("event %+v, want MAC %s", ev, mac)
	}
	w.Release(vip)
}
