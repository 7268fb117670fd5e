package ipaddr

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/vishvananda/netlink"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/vethlab"
	"hbgo/resource.d/agent"
)

// lab is a pair of network namespaces this test created: A runs the agent
// (veth eth0, 10.77.0.1/24; veth eth1 without any IPv4 address), B is the
// client on the other end (vb 10.77.0.2/24, vb2).
type lab struct {
	*vethlab.Lab
	macA, macA2 net.HardwareAddr
	logger      *recLog
	host        *Host
}

func newLab(t testing.TB) *lab {
	t.Helper()
	v := vethlab.New(t, vethlab.Options{Prefix: "hbgoagt", Links: []string{"eth0", "eth1"}, Peers: []string{"vb", "vb2"},
		AddrA: "10.77.0.1/24", AddrB: "10.77.0.2/24"})
	l := &lab{Lab: v, macA: v.MAC["eth0"], macA2: v.MAC["eth1"], logger: &recLog{}}
	l.host = &Host{NL: v.NL, Sender: v.Sender, Log: l.logger}
	return l
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

func (l *lab) addrs(t testing.TB, ifname string) map[string]netlink.Addr {
	t.Helper()
	lk, err := l.NL.LinkByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	as, err := l.NL.AddrList(lk, netlink.FAMILY_V4)
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
	vethlab.InNS(l.NsA, func() { err = op() })
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

func checkGARP(t *testing.T, frames []vethlab.Frame, mac net.HardwareAddr, vip string) {
	t.Helper()
	ip := netip.MustParseAddr(vip)
	for i, f := range frames {
		wantTHA := net.HardwareAddr{0, 0, 0, 0, 0, 0}
		wantOp := arp.OperationRequest
		if i%2 == 1 {
			wantTHA, wantOp = mac, arp.OperationReply
		}
		if f.Op != wantOp || f.Dst.String() != "ff:ff:ff:ff:ff:ff" || f.Src.String() != mac.String() ||
			f.P.SenderHardwareAddr.String() != mac.String() || f.P.SenderIP != ip ||
			f.P.TargetHardwareAddr.String() != wantTHA.String() || f.P.TargetIP != ip {
			t.Errorf("frame %d: op %v %v>%v SHA %v SPA %v THA %v TPA %v; want op %v, COMPAT §6.1 layout", i, f.Op, f.Src, f.Dst,
				f.P.SenderHardwareAddr, f.P.SenderIP, f.P.TargetHardwareAddr, f.P.TargetIP, wantOp)
		}
	}
}

func TestNamespaceIPaddr(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	frames := vethlab.CaptureARP(t, l.NsB, "vb")
	// A stale neighbour entry on the client, as after a failover from another node.
	vethlab.IP(t, "-n", l.B, "neigh", "replace", "10.77.0.100", "lladdr", "02:00:00:00:00:99", "dev", "vb", "nud", "stale")

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
	waitFor(t, budget.Left(t), "the first GARP pair at the client", func() bool { return len(frames()) >= 2 })
	checkGARP(t, frames()[:2], l.macA, "10.77.0.100")
	waitFor(t, budget.Left(t), "the client's neighbour entry to move to our MAC", func() bool {
		return strings.Contains(vethlab.IP(t, "-n", l.B, "neigh", "show", "10.77.0.100", "dev", "vb"), l.macA.String())
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
			if f.P.SenderIP == a.Spec.IP {
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
	frames := vethlab.CaptureARP(t, l.NsB, "vb2")
	// eth1 has no IPv4 address at all: the raw socket must still send, and
	// the first VIP becomes the primary.
	v1, err := New(IPaddr2, []string{"10.78.0.10/24/eth1:vip"}, l.host)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := New(IPaddr2, []string{"10.78.0.11/24/eth1/10.78.0.127"}, l.host)
	vethlab.IP(t, "-n", l.A, "link", "set", "eth1", "down")
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
	if lk, _ := l.NL.LinkByName("eth1"); lk.Attrs().Flags&net.FlagUp == 0 {
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
	waitFor(t, budget.Left(t), "5 GARP pairs for each VIP", func() bool { return len(frames()) >= 4*IPaddr2Pairs })
	time.Sleep(300 * time.Millisecond)
	var f1 []vethlab.Frame
	for _, f := range frames() {
		if f.P.SenderIP == v1.Spec.IP {
			f1 = append(f1, f)
		}
	}
	if len(f1) != 2*IPaddr2Pairs {
		t.Fatalf("%d frames for VIP1, want %d", len(f1), 2*IPaddr2Pairs)
	}
	checkGARP(t, f1, l.macA2, "10.78.0.10")
	span := f1[len(f1)-1].At.Sub(f1[0].At)
	want := time.Duration(IPaddr2Pairs-1) * IPaddr2Every
	if span < want*3/4 || span > want*3 {
		t.Errorf("5 pairs spanned %v, want about %v", span, want)
	}
	t.Logf("IPaddr2 GARP: %d frames over %v (start at +%v)", len(f1), span, f1[0].At.Sub(t0))

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
