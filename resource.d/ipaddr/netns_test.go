package ipaddr

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

	"hbgo/resource.d/agent"
	"hbgo/resource.d/sendarp"
)

// lab is a pair of network namespaces this test created: "a" runs the agent
// (veth eth0, 10.77.0.1/24; veth eth1 without any IPv4 address), "b" is the
// client on the other end (vb 10.77.0.2/24, vb2).
type lab struct {
	a, b   string
	ha     *netlink.Handle
	nsA    netns.NsHandle
	nsB    netns.NsHandle
	macA   net.HardwareAddr
	macA2  net.HardwareAddr
	logger *recLog
	host   *Host
}

func ipCmd(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newLab(t testing.TB) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces hbgoagt-* with veth pairs")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip to build the test namespaces")
	}
	l := &lab{a: fmt.Sprintf("hbgoagt-a%d", os.Getpid()), b: fmt.Sprintf("hbgoagt-b%d", os.Getpid())}
	ipCmd(t, "netns", "add", l.a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.a).Run() })
	ipCmd(t, "netns", "add", l.b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.b).Run() })
	ipCmd(t, "-n", l.a, "link", "add", "eth0", "type", "veth", "peer", "name", "vb", "netns", l.b)
	ipCmd(t, "-n", l.a, "link", "add", "eth1", "type", "veth", "peer", "name", "vb2", "netns", l.b)
	ipCmd(t, "-n", l.a, "addr", "add", "10.77.0.1/24", "dev", "eth0")
	ipCmd(t, "-n", l.b, "addr", "add", "10.77.0.2/24", "dev", "vb")
	for _, c := range [][]string{{l.a, "eth0"}, {l.a, "eth1"}, {l.b, "vb"}, {l.b, "vb2"}, {l.a, "lo"}, {l.b, "lo"}} {
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
	for name, mac := range map[string]*net.HardwareAddr{"eth0": &l.macA, "eth1": &l.macA2} {
		lk, err := l.ha.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		*mac = lk.Attrs().HardwareAddr
	}
	l.logger = &recLog{}
	nsA := l.nsA
	sender := &sendarp.Sender{Listen: func(ifi *net.Interface) (sendarp.Conn, error) {
		// The raw socket must be created inside namespace a; it stays bound
		// to it afterwards (libraries.md mdlayher/arp pitfall 4).
		var c sendarp.Conn
		var err error
		inNS(nsA, func() { c, err = sendarp.ListenRaw(ifi) })
		return c, err
	}}
	t.Cleanup(func() { sender.Close() })
	l.host = &Host{NL: l.ha, Sender: sender, Log: l.logger}
	return l
}

// inNS runs f on a locked OS thread switched into ns; the thread is thrown
// away afterwards (the goroutine exits still locked), so no other goroutine
// ever runs in ns. Only test code does this (libraries.md netlink pitfall 5).
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

type recLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *recLog) Script(tag, text string) {
	r.mu.Lock()
	r.lines = append(r.lines, tag+": "+text)
	r.mu.Unlock()
}

func (r *recLog) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.lines
	r.lines = nil
	return l
}

type seen struct {
	at  time.Time
	op  arp.Operation
	p   arp.Packet
	src net.HardwareAddr
	dst net.HardwareAddr
}

// capture listens for ARP on ifname in ns and collects frames until stopped.
func capture(t testing.TB, ns netns.NsHandle, ifname string) (get func() []seen) {
	t.Helper()
	var c *packet.Conn
	var err error
	inNS(ns, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(ifname); err != nil {
			return
		}
		c, err = packet.Listen(ifi, packet.Raw, int(ethernet.EtherTypeARP), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []seen
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
			if f.UnmarshalBinary(buf[:n]) != nil {
				continue
			}
			var p arp.Packet
			if p.UnmarshalBinary(f.Payload) != nil {
				continue
			}
			mu.Lock()
			got = append(got, seen{at: time.Now(), op: p.Operation, p: p, src: f.Source, dst: f.Destination})
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func (l *lab) addrs(t testing.TB, ifname string) map[string]netlink.Addr {
	t.Helper()
	lk, err := l.ha.LinkByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	as, err := l.ha.AddrList(lk, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]netlink.Addr{}
	for _, a := range as {
		m[a.IP.String()] = a
	}
	return m
}

// run calls op inside namespace a (sysctls under /proc/sys/net follow the thread's namespace).
func (l *lab) run(op func() error) error {
	var err error
	inNS(l.nsA, func() { err = op() })
	return err
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkGARP(t *testing.T, frames []seen, mac net.HardwareAddr, vip string) {
	t.Helper()
	ip := netip.MustParseAddr(vip)
	for i, f := range frames {
		wantTHA := net.HardwareAddr{0, 0, 0, 0, 0, 0}
		wantOp := arp.OperationRequest
		if i%2 == 1 {
			wantTHA, wantOp = mac, arp.OperationReply
		}
		if f.op != wantOp || f.dst.String() != "ff:ff:ff:ff:ff:ff" || f.src.String() != mac.String() ||
			f.p.SenderHardwareAddr.String() != mac.String() || f.p.SenderIP != ip ||
			f.p.TargetHardwareAddr.String() != wantTHA.String() || f.p.TargetIP != ip {
			t.Errorf("frame %d: op %v %v>%v SHA %v SPA %v THA %v TPA %v; want op %v, COMPAT §6.1 layout", i, f.op, f.src, f.dst,
				f.p.SenderHardwareAddr, f.p.SenderIP, f.p.TargetHardwareAddr, f.p.TargetIP, wantOp)
		}
	}
}

func TestNamespaceIPaddr(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	frames := capture(t, l.nsB, "vb")
	// A stale neighbour entry on the client, as after a failover from another node.
	ipCmd(t, "-n", l.b, "neigh", "replace", "10.77.0.100", "lladdr", "02:00:00:00:00:99", "dev", "vb", "nud", "stale")

	a, err := New(IPaddr, []string{"10.77.0.100"}, l.host)
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Status(ctx)
	if err != nil || st.Running || st.Text != "INFO:  Resource is stopped" {
		t.Fatalf("status before start = %+v, %v", st, err)
	}
	if err := l.run(func() error { return a.Start(ctx) }); err != nil {
		t.Fatal(err)
	}
	got := l.addrs(t, "eth0")["10.77.0.100"]
	if got.Label != "eth0:0" || got.IPNet.String() != "10.77.0.100/24" || got.Broadcast.String() != "10.77.0.255" {
		t.Errorf("VIP = label %q %v brd %v, want eth0:0 10.77.0.100/24 brd 10.77.0.255", got.Label, got.IPNet, got.Broadcast)
	}
	if diff := cmpLines([]string{
		"IPaddr(IPaddr_10.77.0.100): INFO: Using calculated netmask for 10.77.0.100: 255.255.255.0",
		"IPaddr(IPaddr_10.77.0.100): INFO: added 10.77.0.100/24 to eth0:0 (netlink), 20 gratuitous ARPs",
	}, l.logger.take()); diff != "" {
		t.Errorf("start log (-want +got)\n%s", diff)
	}
	waitFor(t, 2*time.Second, "the first GARP pair at the client", func() bool { return len(frames()) >= 2 })
	checkGARP(t, frames()[:2], l.macA, "10.77.0.100")
	waitFor(t, 2*time.Second, "the client's neighbour entry to move to our MAC", func() bool {
		return strings.Contains(ipCmd(t, "-n", l.b, "neigh", "show", "10.77.0.100", "dev", "vb"), l.macA.String())
	})
	st, err = a.Status(ctx)
	if err != nil || !st.Running || st.Text != "INFO:  Running OK" {
		t.Fatalf("status after start = %+v, %v", st, err)
	}
	// Second start: already there, no-op, no log lines.
	if err := l.run(func() error { return a.Start(ctx) }); err != nil {
		t.Fatal(err)
	}
	// A second IPaddr VIP takes the next alias number.
	b, _ := New(IPaddr, []string{"10.77.0.101/24/eth0"}, l.host)
	if err := l.run(func() error { return b.Start(ctx) }); err != nil {
		t.Fatal(err)
	}
	if lb := l.addrs(t, "eth0")["10.77.0.101"].Label; lb != "eth0:1" {
		t.Errorf("second VIP label = %q, want eth0:1", lb)
	}
	// Status with the wrong interface given: error, not running.
	w, _ := New(IPaddr, []string{"10.77.0.100/24/eth1"}, l.host)
	if st, err := w.Status(ctx); err == nil || st.Running {
		t.Errorf("status on wrong interface = %+v, %v; want error, not running", st, err)
	}
	// Stop cancels the sender (IPaddr sends for ~5 s) and removes the address.
	l.logger.take()
	if err := l.run(func() error { return a.Stop(ctx) }); err != nil {
		t.Fatal(err)
	}
	if l.host.Sender.Running(a.Spec.IP) {
		t.Error("ARP sender still running after stop")
	}
	forA := func() int {
		n := 0
		for _, f := range frames() {
			if f.p.SenderIP == a.Spec.IP {
				n++
			}
		}
		return n
	}
	n := forA()
	if n >= 2*IPaddrPairs {
		t.Errorf("all %d frames were sent before stop; expected stop to cancel the sender", n)
	}
	as := l.addrs(t, "eth0")
	if _, ok := as["10.77.0.100"]; ok {
		t.Error("10.77.0.100 still configured after stop")
	}
	if _, ok := as["10.77.0.101"]; !ok {
		t.Error("second VIP 10.77.0.101 vanished with the first")
	}
	if diff := cmpLines([]string{"IPaddr(IPaddr_10.77.0.100): INFO: removed 10.77.0.100/24 from eth0:0 (netlink)"}, l.logger.take()); diff != "" {
		t.Errorf("stop log (-want +got)\n%s", diff)
	}
	if err := l.run(func() error { return a.Stop(ctx) }); err != nil {
		t.Errorf("stop when stopped: %v", err)
	}
	time.Sleep(3 * IPaddrEvery / 2)
	if m := forA(); m != n {
		t.Errorf("%d frames after stop", m-n)
	}
	// No route for the address: fail with "No route to".
	nr, _ := New(IPaddr, []string{"10.88.0.1"}, l.host)
	if err := l.run(func() error { return nr.Start(ctx) }); err == nil || !strings.Contains(err.Error(), "No route to 10.88.0.1") {
		t.Errorf("start without route = %v", err)
	}
}

func TestNamespaceIPaddr2(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	frames := capture(t, l.nsB, "vb2")
	// eth1 has no IPv4 address at all: the raw socket must still send, and
	// the first VIP becomes the primary.
	v1, err := New(IPaddr2, []string{"10.78.0.10/24/eth1:vip"}, l.host)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := New(IPaddr2, []string{"10.78.0.11/24/eth1/10.78.0.127"}, l.host)
	ipCmd(t, "-n", l.a, "link", "set", "eth1", "down")
	t0 := time.Now()
	if err := l.run(func() error { return v1.Start(ctx) }); err != nil {
		t.Fatal(err)
	}
	if err := l.run(func() error { return v2.Start(ctx) }); err != nil {
		t.Fatal(err)
	}
	as := l.addrs(t, "eth1")
	if a := as["10.78.0.10"]; a.Label != "eth1:vip" || a.IPNet.String() != "10.78.0.10/24" || a.Broadcast != nil {
		t.Errorf("VIP1 = %q %v %v", a.Label, a.IPNet, a.Broadcast)
	}
	if a := as["10.78.0.11"]; a.Label != "eth1" || a.Broadcast.String() != "10.78.0.127" {
		t.Errorf("VIP2 label = %q, want none (the interface name)", a.Label)
	}
	if lk, _ := l.ha.LinkByName("eth1"); lk.Attrs().Flags&net.FlagUp == 0 {
		t.Error("IPaddr2 did not bring eth1 up")
	}
	if diff := cmpLines([]string{
		"IPaddr2(IPaddr2_10.78.0.10): INFO: Adding inet address 10.78.0.10/24 to device eth1 (with label eth1:vip)",
		"IPaddr2(IPaddr2_10.78.0.10): INFO: Bringing device eth1 up",
		"IPaddr2(IPaddr2_10.78.0.10): INFO: added 10.78.0.10/24 to eth1:vip (netlink), 10 gratuitous ARPs",
		"IPaddr2(IPaddr2_10.78.0.11): INFO: Adding inet address 10.78.0.11/24 with broadcast address 10.78.0.127 to device eth1",
		"IPaddr2(IPaddr2_10.78.0.11): INFO: Bringing device eth1 up",
		"IPaddr2(IPaddr2_10.78.0.11): INFO: added 10.78.0.11/24 to eth1 (netlink), 10 gratuitous ARPs",
	}, l.logger.take()); diff != "" {
		t.Errorf("start log (-want +got)\n%s", diff)
	}
	// 5 pairs per VIP, pairs 200 ms apart.
	waitFor(t, 3*time.Second, "5 GARP pairs for each VIP", func() bool { return len(frames()) >= 4*IPaddr2Pairs })
	time.Sleep(300 * time.Millisecond)
	var f1 []seen
	for _, f := range frames() {
		if f.p.SenderIP == v1.Spec.IP {
			f1 = append(f1, f)
		}
	}
	if len(f1) != 2*IPaddr2Pairs {
		t.Fatalf("%d frames for VIP1, want %d", len(f1), 2*IPaddr2Pairs)
	}
	checkGARP(t, f1, l.macA2, "10.78.0.10")
	span := f1[len(f1)-1].at.Sub(f1[0].at)
	want := time.Duration(IPaddr2Pairs-1) * IPaddr2Every
	if span < want*3/4 || span > want*3 {
		t.Errorf("5 pairs spanned %v, want about %v", span, want)
	}
	t.Logf("IPaddr2 GARP: %d frames over %v (start at +%v)", len(f1), span, f1[0].at.Sub(t0))

	// Stopping the primary (VIP1) must not take VIP2 with it.
	sysctl := "/proc/sys/net/ipv4/conf/eth1/promote_secondaries"
	if err := l.run(func() error { return v1.Stop(ctx) }); err != nil {
		t.Fatal(err)
	}
	as = l.addrs(t, "eth1")
	if _, ok := as["10.78.0.10"]; ok {
		t.Error("VIP1 still there after stop")
	}
	if _, ok := as["10.78.0.11"]; !ok {
		t.Error("VIP2 vanished when the primary VIP1 was removed")
	}
	var ps []byte
	l.run(func() error { ps, _ = os.ReadFile(sysctl); return nil })
	if strings.TrimSpace(string(ps)) != "1" {
		t.Errorf("promote_secondaries = %q, want 1", ps)
	}
	lines := l.logger.take()
	if len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), "promote_secondaries=1") {
		t.Errorf("stop did not log the promote_secondaries change: %q", lines)
	}
	st, _ := v2.Status(ctx)
	if !st.Running {
		t.Errorf("VIP2 status = %+v", st)
	}
}

func cmpLines(want, got []string) string {
	if strings.Join(want, "\n") == strings.Join(got, "\n") {
		return ""
	}
	return "-" + strings.Join(want, "\n-") + "\n+" + strings.Join(got, "\n+")
}

var _ agent.Agent = (*Agent)(nil)

// BenchmarkStartFirstPair measures IPaddr2 start (findif, address add, link
// up, first GARP pair written) then stop, inside a namespace, with the raw
// socket already open as in the daemon after its first VIP.
func BenchmarkStartFirstPair(b *testing.B) {
	l := newLab(b)
	ctx := context.Background()
	a, _ := New(IPaddr2, []string{"10.77.0.150"}, l.host)
	l.host.Log = nil
	warm := func() error { return a.Start(ctx) }
	if err := l.run(warm); err != nil {
		b.Fatal(err)
	}
	var total, stop time.Duration
	l.run(func() error {
		for b.Loop() {
			if err := a.Stop(ctx); err != nil {
				b.Fatal(err)
			}
			t := time.Now()
			if err := a.Start(ctx); err != nil {
				b.Fatal(err)
			}
			total += time.Since(t)
		}
		return nil
	})
	_ = stop
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/start")
}
