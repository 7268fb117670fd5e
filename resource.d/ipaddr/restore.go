package ipaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Held is a VIP as start configured it: what a restore puts back when the
// address is removed behind the daemon's back (issue 15: same label, same
// netmask, same broadcast, gratuitous ARPs again).
type Held struct {
	Kind      Kind
	IP        netip.Addr
	Iface     string
	LinkIndex int
	Bits      int
	Label     string
	Broadcast net.IP // nil = none
}

// ErrNotConfigured means the address is not on any interface.
var ErrNotConfigured = errors.New("address not configured")

// Snapshot records where and how the agent's address is configured now
// (after its start); ErrNotConfigured when it is not.
func (a *Agent) Snapshot() (Held, error) {
	f, err := a.Host.locate(a.Spec.IP)
	if err != nil {
		return Held{}, err
	}
	if f == nil {
		return Held{}, fmt.Errorf("%s: %w", a.Spec.IP, ErrNotConfigured)
	}
	bits, _ := f.addr.Mask.Size()
	h := Held{Kind: a.Spec.Kind, IP: a.Spec.IP, Iface: f.link.Attrs().Name, LinkIndex: f.link.Attrs().Index, Bits: bits, Label: f.addr.Label}
	if b := f.addr.Broadcast.To4(); b != nil && !b.Equal(net.IPv4zero) {
		h.Broadcast = b
	}
	if h.Label == h.Iface {
		h.Label = "" // the kernel reports the interface name as the label of an unlabelled address
	}
	return h, nil
}

// ErrLinkDown means the address is configured but its interface is down:
// the announcement waits for the link to come up.
var ErrLinkDown = errors.New("interface is down")

// Restore puts h back when it is missing and announces it; added says
// whether it had to be added. On a down interface the address is added and
// ErrLinkDown returned: announce it when the link is up.
func (host *Host) Restore(h Held) (added bool, err error) {
	nh, err := host.nl()
	if err != nil {
		return false, err
	}
	link, err := nh.LinkByName(h.Iface)
	if err != nil {
		return false, fmt.Errorf("restore %s: interface %s: %w", h.IP, h.Iface, err)
	}
	f, err := host.locate(h.IP)
	if err != nil {
		return false, err
	}
	if f != nil && f.link.Attrs().Name != h.Iface {
		return false, &ErrWrongInterface{IP: h.IP, Want: h.Iface, Got: f.link.Attrs().Name}
	}
	if f == nil {
		// A fresh Addr: AddrAdd mutates its argument (libraries.md netlink pitfall 2).
		ad := &netlink.Addr{IPNet: &net.IPNet{IP: h.IP.AsSlice(), Mask: net.CIDRMask(h.Bits, 32)}, Label: h.Label}
		if h.Broadcast != nil {
			ad.Broadcast = append(net.IP(nil), h.Broadcast...)
		} else {
			ad.Broadcast = net.IPv4zero.To4() // zero = none (addr_linux.go)
		}
		host.mu.Lock()
		err := nh.AddrAdd(link, ad)
		host.mu.Unlock()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return false, fmt.Errorf("restore %s/%d on %s: %w", h.IP, h.Bits, h.Iface, err)
		}
		added = true
	}
	if link.Attrs().Flags&net.FlagUp == 0 || link.Attrs().RawFlags&unix.IFF_LOWER_UP == 0 {
		return added, ErrLinkDown
	}
	return added, host.Announce(h, link)
}

// Announce sends h's gratuitous ARPs again, as its start did (same count
// and spacing for IPaddr and IPaddr2); link may be nil.
func (host *Host) Announce(h Held, link netlink.Link) error {
	if host.Sender == nil {
		return nil
	}
	if link == nil {
		nh, err := host.nl()
		if err != nil {
			return err
		}
		if link, err = nh.LinkByName(h.Iface); err != nil {
			return fmt.Errorf("announce %s: interface %s: %w", h.IP, h.Iface, err)
		}
	}
	at := link.Attrs()
	ifi := &net.Interface{Index: at.Index, Name: at.Name, HardwareAddr: at.HardwareAddr, MTU: at.MTU, Flags: at.Flags}
	pairs, every := IPaddrPairs, IPaddrEvery
	if h.Kind == IPaddr2 {
		pairs, every = IPaddr2Pairs, IPaddr2Every
	}
	host.Sender.Cancel(h.IP) // a run still going for this address restarts from its first pair
	if err := host.Sender.Start(ifi, h.IP, pairs, every); err != nil {
		return fmt.Errorf("announce %s on %s: %w", h.IP, at.Name, err)
	}
	return nil
}
