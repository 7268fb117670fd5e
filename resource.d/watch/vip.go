package watch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// VIPs watches the held VIPs through netlink address and link events: a
// removal is a Vanished event at once, an interface coming up a LinkUp
// event for each VIP on it.
type VIPs struct {
	Events chan<- Event
	NS     *netns.NsHandle // nil = the caller's namespace
	Now    func() time.Time

	mu   sync.Mutex
	held map[netip.Addr]vipEntry
	up   map[int]bool // link index → up, as last seen
}

type vipEntry struct {
	resource string
	link     int
	iface    string
}

// Hold starts watching ip (configured on link index/iface) for resource.
func (v *VIPs) Hold(resource string, ip netip.Addr, link int, iface string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.held == nil {
		v.held = map[netip.Addr]vipEntry{}
	}
	v.held[ip] = vipEntry{resource: resource, link: link, iface: iface}
}

// Release stops watching ip.
func (v *VIPs) Release(ip netip.Addr) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.held, ip)
}

func (v *VIPs) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Run subscribes and delivers events until ctx ends; it returns once both
// subscriptions are open (ready closed), or with the subscription error.
func (v *VIPs) Run(ctx context.Context, ready chan<- struct{}) error {
	addrs := make(chan netlink.AddrUpdate, 64)
	links := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	errs := make(chan error, 2)
	onErr := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{Namespace: v.NS, ErrorCallback: onErr, ReceiveBufferSize: 1 << 20}); err != nil {
		close(done)
		return fmt.Errorf("watch VIPs: subscribe to addresses: %w", err)
	}
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{Namespace: v.NS, ErrorCallback: onErr, ListExisting: true, ReceiveBufferSize: 1 << 20}); err != nil {
		close(done)
		return fmt.Errorf("watch VIPs: subscribe to links: %w", err)
	}
	if ready != nil {
		close(ready)
	}
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return fmt.Errorf("watch VIPs: %w", err)
		case u, ok := <-addrs:
			if !ok {
				return fmt.Errorf("watch VIPs: address subscription closed")
			}
			v.onAddr(u)
		case u, ok := <-links:
			if !ok {
				return fmt.Errorf("watch VIPs: link subscription closed")
			}
			v.onLink(u)
		}
	}
}

func (v *VIPs) onAddr(u netlink.AddrUpdate) {
	if u.NewAddr {
		return
	}
	ip, ok := netip.AddrFromSlice(u.LinkAddress.IP)
	if !ok {
		return
	}
	v.mu.Lock()
	e, held := v.held[ip.Unmap()]
	v.mu.Unlock()
	if !held {
		return
	}
	send(v.Events, Event{Resource: e.resource, Kind: Vanished, Cause: "netlink RTM_DELADDR", At: v.now()})
}

func (v *VIPs) onLink(u netlink.LinkUpdate) {
	at := u.Link.Attrs()
	isUp := at.Flags&net.FlagUp != 0 && at.OperState != netlink.OperDown && at.OperState != netlink.OperLowerLayerDown
	v.mu.Lock()
	if v.up == nil {
		v.up = map[int]bool{}
	}
	was, seen := v.up[at.Index]
	v.up[at.Index] = isUp
	var evs []Event
	if seen && !was && isUp {
		for _, e := range v.held {
			if e.link == at.Index {
				evs = append(evs, Event{Resource: e.resource, Kind: LinkUp, Cause: "link " + at.Name + " went down and came back up", At: v.now()})
			}
		}
	}
	v.mu.Unlock()
	for _, ev := range evs {
		send(v.Events, ev)
	}
}
