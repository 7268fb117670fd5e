package ipaddr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"hbgo/resource.d/agent"
	"hbgo/resource.d/sendarp"
)

// Stock gratuitous ARP timing (COMPAT §6.1, §6.2): count of pairs and pair period.
const (
	IPaddrPairs  = 10
	IPaddrEvery  = 500 * time.Millisecond // send_arp -i 500: 250 ms between packets
	IPaddr2Pairs = 5
	IPaddr2Every = 200 * time.Millisecond // send_arp -i 200: 100 ms between packets
)

// Host is what the agents share on one host: the netlink handle, the ARP
// sender and where sysctls live.
type Host struct {
	NL        *netlink.Handle // nil = a handle in the caller's namespace, opened on first use
	Sender    *sendarp.Sender // keeps one raw socket per interface
	Log       agent.Logger
	SysctlDir string // default /proc/sys

	mu sync.Mutex // guards NL's lazy opening and serialises label choice + add
}

// Agent is one configured IPaddr or IPaddr2 resource.
type Agent struct {
	Spec Spec
	Host *Host
}

// New parses args and returns the agent.
func New(kind Kind, args []string, h *Host) (*Agent, error) {
	s, err := Parse(kind, args)
	if err != nil {
		return nil, err
	}
	return &Agent{Spec: s, Host: h}, nil
}

func (a *Agent) tag() string {
	// COMPAT §8.3: RA tag "IPaddr(IPaddr_10.0.0.5)"; the wrapper names the
	// instance after the address alone (OCF_RESOURCE_INSTANCE=${OCF_TYPE}_$BASEIP).
	return fmt.Sprintf("%s(%s_%s)", a.Spec.Kind, a.Spec.Kind, a.Spec.IP)
}

func (a *Agent) logf(format string, args ...any) { agent.Logf(a.Host.Log, a.tag(), format, args...) }

func (h *Host) nl() (*netlink.Handle, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.NL != nil {
		return h.NL, nil
	}
	nh, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("open netlink: %w", err)
	}
	h.NL = nh
	return nh, nil
}

// dumpRetries bounds the retries of a netlink dump the kernel marked
// interrupted (libraries.md netlink pitfall 3).
const dumpRetries = 5

func retryDump[T any](f func() (T, error)) (T, error) {
	var v T
	var err error
	for range dumpRetries {
		v, err = f()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	return v, fmt.Errorf("netlink dump interrupted %d times: %w", dumpRetries, err)
}

// Plan is what start would configure, after findif.
type Plan struct {
	Iface      string
	Bits       int
	Broadcast  netip.Addr
	Calculated bool // the netmask came from the route
}

// Resolve applies findif to the spec against the main routing table.
func (a *Agent) Resolve(routes []Route) (Plan, error) {
	s := a.Spec
	p := Plan{Iface: s.Iface, Bits: s.Bits, Broadcast: s.Broadcast}
	if s.Iface == "" || s.Bits < 0 {
		r, err := FindIf(routes, s.IP, s.Iface)
		if err != nil {
			return Plan{}, err
		}
		if p.Iface == "" {
			p.Iface = r.Dev
		}
		if p.Bits < 0 {
			p.Bits = r.Dst.Bits()
			p.Calculated = true
		}
	}
	// IPaddr computes the subnet's broadcast; IPaddr2 (RA 4.12) sets one only
	// when given (testdata/stock: "Adding inet address …/24 to device eth0").
	if !p.Broadcast.IsValid() && s.Kind == IPaddr {
		p.Broadcast = Broadcast(s.IP, p.Bits)
	}
	return p, nil
}

func (h *Host) routes() ([]Route, error) {
	nh, err := h.nl()
	if err != nil {
		return nil, err
	}
	rs, err := retryDump(func() ([]netlink.Route, error) {
		return nh.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	names := map[int]string{}
	var out []Route
	for _, r := range rs {
		if r.Dst == nil || r.LinkIndex == 0 {
			continue
		}
		name, ok := names[r.LinkIndex]
		if !ok {
			l, err := nh.LinkByIndex(r.LinkIndex)
			if err != nil {
				continue
			}
			name = l.Attrs().Name
			names[r.LinkIndex] = name
		}
		pfx, ok := netip.AddrFromSlice(r.Dst.IP)
		if !ok {
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		out = append(out, Route{Dst: netip.PrefixFrom(pfx.Unmap(), ones), Dev: name, Metric: r.Priority})
	}
	return out, nil
}

// found is where the address currently is.
type found struct {
	link netlink.Link
	addr netlink.Addr
}

// locate finds ip among all IPv4 addresses of the host.
func (h *Host) locate(ip netip.Addr) (*found, error) {
	nh, err := h.nl()
	if err != nil {
		return nil, err
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return nh.AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	for _, ad := range addrs {
		if x, ok := netip.AddrFromSlice(ad.IP); ok && x.Unmap() == ip {
			l, err := nh.LinkByIndex(ad.LinkIndex)
			if err != nil {
				return nil, fmt.Errorf("link %d of %s: %w", ad.LinkIndex, ip, err)
			}
			return &found{link: l, addr: ad}, nil
		}
	}
	return nil, nil
}

// ErrWrongInterface means the address is configured, but on another interface than the given one.
type ErrWrongInterface struct {
	IP        netip.Addr
	Want, Got string
}

func (e *ErrWrongInterface) Error() string {
	return fmt.Sprintf("%s is configured on %s, not on %s", e.IP, e.Got, e.Want)
}

// Start adds the address (a no-op when it is already there) and starts the
// gratuitous ARP; it returns once the first ARP pair is written.
func (a *Agent) Start(ctx context.Context) error {
	s := a.Spec
	routes, err := a.Host.routes()
	if err != nil {
		return err
	}
	p, err := a.Resolve(routes)
	if err != nil {
		a.logf("ERROR: %v", err)
		return err
	}
	nh, err := a.Host.nl()
	if err != nil {
		return err
	}
	link, err := nh.LinkByName(p.Iface)
	if err != nil {
		return fmt.Errorf("%s: interface %s: %w", s.Kind, p.Iface, err)
	}
	f, err := a.Host.locate(s.IP)
	if err != nil {
		return err
	}
	if f != nil {
		if f.link.Attrs().Name != p.Iface {
			err := &ErrWrongInterface{IP: s.IP, Want: p.Iface, Got: f.link.Attrs().Name}
			a.logf("ERROR: %v", err)
			return err
		}
		return nil // COMPAT §6.1: already configured ⇒ success
	}
	if s.Kind == IPaddr {
		// Logged even when the netmask was given (testdata/stock/ha-log).
		a.logf("INFO: Using calculated netmask for %s: %s", s.IP, Netmask(p.Bits))
	}
	// Two groups starting at once must not pick the same alias number.
	a.Host.mu.Lock()
	defer a.Host.mu.Unlock()
	label, err := a.label(nh, link, p)
	if err != nil {
		return err
	}
	if err := a.addAddr(nh, link, p, label); err != nil {
		return err
	}
	if s.Kind == IPaddr2 {
		a.logf("INFO: Bringing device %s up", p.Iface)
		if err := nh.LinkSetUp(link); err != nil {
			return fmt.Errorf("%s: set %s up: %w", s.Kind, p.Iface, err)
		}
		// The RA logs the send_arp command it backgrounds here; none runs
		// (the ARPs go out from this process), so the line is not written.
	}
	where := p.Iface
	if label != "" {
		where = label
	}
	arps := a.garp(link)
	a.logf("%s", agent.AddrAdded(fmt.Sprintf("%s/%d", s.IP, p.Bits), where, arps))
	return nil
}

// label is the address label: IPaddr's next free eth0:N alias, else the spec's (IPaddr2 logs the add here, as its RA does).
func (a *Agent) label(nh *netlink.Handle, link netlink.Link, p Plan) (string, error) {
	s := a.Spec
	label := s.Label
	if s.Kind == IPaddr {
		existing, err := retryDump(func() ([]netlink.Addr, error) { return nh.AddrList(link, netlink.FAMILY_V4) })
		if err != nil {
			return "", fmt.Errorf("list addresses of %s: %w", p.Iface, err)
		}
		var labels []string
		for _, ad := range existing {
			labels = append(labels, ad.Label)
		}
		if label, err = NextLabel(p.Iface, labels); err != nil {
			return "", err
		}
		// Stock logs the ifconfig command it runs here ("eval ifconfig …");
		// none runs, so the line is not written (agent.DroppedLines).
	} else {
		with := ""
		if label != "" {
			with = " (with label " + label + ")"
		}
		if p.Broadcast.IsValid() {
			a.logf("INFO: Adding inet address %s/%d with broadcast address %s to device %s%s", s.IP, p.Bits, p.Broadcast, p.Iface, with)
		} else {
			a.logf("INFO: Adding inet address %s/%d to device %s%s", s.IP, p.Bits, p.Iface, with)
		}
	}
	return label, nil
}

// addAddr adds the address with its label and broadcast; an address already there is not an error.
func (a *Agent) addAddr(nh *netlink.Handle, link netlink.Link, p Plan, label string) error {
	s := a.Spec
	// A fresh Addr: AddrAdd mutates its argument (libraries.md netlink pitfall 2).
	ad := &netlink.Addr{
		IPNet: &net.IPNet{IP: s.IP.AsSlice(), Mask: net.CIDRMask(p.Bits, 32)},
		Label: label,
	}
	if p.Broadcast.IsValid() {
		ad.Broadcast = p.Broadcast.AsSlice()
	} else {
		// 0.0.0.0 stops netlink from computing one (addr_linux.go: zero = none).
		ad.Broadcast = net.IPv4zero.To4()
	}
	if err := nh.AddrAdd(link, ad); err != nil && !errors.Is(err, unix.EEXIST) {
		a.logf("ERROR: %s: add %s/%d to %s failed: %v", s.Kind, s.IP, p.Bits, p.Iface, err)
		return fmt.Errorf("%s: add %s/%d to %s: %w", s.Kind, s.IP, p.Bits, p.Iface, err)
	}
	return nil
}

// garp starts the gratuitous ARPs and returns how many packets go out (0
// when there is no sender or it failed; stock never fails start on it).
func (a *Agent) garp(link netlink.Link) int {
	if a.Host.Sender == nil {
		return 0
	}
	at := link.Attrs()
	ifi := &net.Interface{Index: at.Index, Name: at.Name, HardwareAddr: at.HardwareAddr, MTU: at.MTU, Flags: at.Flags}
	pairs, every := IPaddrPairs, IPaddrEvery
	if a.Spec.Kind == IPaddr2 {
		pairs, every = IPaddr2Pairs, IPaddr2Every
	}
	if err := a.Host.Sender.Start(ifi, a.Spec.IP, pairs, every); err != nil {
		// Stock backgrounds send_arp and never fails start on it.
		a.logf("ERROR: Could not send gratuitous arp for %s on %s: %v", a.Spec.IP, at.Name, err)
		return 0
	}
	return 2 * pairs // a request and a reply per pair
}

// Stop cancels a running ARP sender and removes the address; absent is success.
func (a *Agent) Stop(ctx context.Context) error {
	s := a.Spec
	if a.Host.Sender != nil {
		// Stock's IPaddr2 logs killing its send_arp process here; there is
		// none (agent.DroppedLines).
		a.Host.Sender.Cancel(s.IP)
	}
	f, err := a.Host.locate(s.IP)
	if err != nil {
		return err
	}
	if f == nil {
		return nil
	}
	name := f.link.Attrs().Name
	if s.Iface != "" && name != s.Iface {
		err := &ErrWrongInterface{IP: s.IP, Want: s.Iface, Got: name}
		a.logf("ERROR: %v", err)
		return err
	}
	nh, err := a.Host.nl()
	if err != nil {
		return err
	}
	if err := a.keepSecondaries(f); err != nil {
		return err
	}
	if s.Kind == IPaddr2 {
		a.logf("INFO: IP status = ok, IP_CIP=")
	}
	// (Stock's IPaddr logs "ifconfig <label> down" here; no ifconfig runs.)
	del := &netlink.Addr{IPNet: f.addr.IPNet, Label: f.addr.Label}
	if err := nh.AddrDel(f.link, del); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		a.logf("WARNING: IP Address %s NOT released: rc=1", s.IP)
		return fmt.Errorf("%s: delete %s from %s: %w", s.Kind, s.IP, name, err)
	}
	where := f.addr.Label
	if where == "" {
		where = name
	}
	ones, _ := f.addr.IPNet.Mask.Size()
	a.logf("%s", agent.AddrRemoved(fmt.Sprintf("%s/%d", s.IP, ones), where))
	return nil
}

// keepSecondaries sets promote_secondaries on the interface when the address
// to delete is a primary with secondaries in its subnet: without it the kernel
// deletes those secondaries, other VIPs, along with it (libraries.md netlink
// pitfall 4).
func (a *Agent) keepSecondaries(f *found) error {
	if f.addr.Flags&unix.IFA_F_SECONDARY != 0 {
		return nil
	}
	nh, _ := a.Host.nl()
	others, err := retryDump(func() ([]netlink.Addr, error) { return nh.AddrList(f.link, netlink.FAMILY_V4) })
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", f.link.Attrs().Name, err)
	}
	has := false
	for _, o := range others {
		if o.Flags&unix.IFA_F_SECONDARY != 0 && f.addr.IPNet.Contains(o.IP) {
			has = true
			break
		}
	}
	if !has {
		return nil
	}
	dir := a.Host.SysctlDir
	if dir == "" {
		dir = "/proc/sys"
	}
	name := f.link.Attrs().Name
	path := filepath.Join(dir, "net/ipv4/conf", name, "promote_secondaries")
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 && b[0] == '1' {
		return nil
	}
	a.logf(agent.FmtPromoteSecondaries, name, name, a.Spec.IP)
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("set promote_secondaries on %s: %w", name, err)
	}
	return nil
}

// Status reports whether the address is configured: the wrapper's
// "INFO:  Running OK" or "INFO:  Resource is stopped" (COMPAT §6.1); on another
// base interface than the given one it is an error and not running.
func (a *Agent) Status(ctx context.Context) (agent.Status, error) {
	f, err := a.Host.locate(a.Spec.IP)
	if err != nil {
		return agent.Status{Text: agent.TextStopped}, err
	}
	if f == nil {
		return agent.Status{Text: agent.TextStopped}, nil
	}
	if name := f.link.Attrs().Name; a.Spec.Iface != "" && name != a.Spec.Iface {
		err := &ErrWrongInterface{IP: a.Spec.IP, Want: a.Spec.Iface, Got: name}
		return agent.Status{Text: "ERROR:  Generic error"}, err
	}
	return agent.Status{Running: true, Text: agent.TextRunning}, nil
}
