package watch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
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

// recvSize is the read buffer of the VIP watcher's netlink socket: what
// vishvananda/netlink's Receive uses (RECEIVE_BUFFER_SIZE), so no message
// it would have read whole is cut here.
const recvSize = 65536

// Run subscribes and delivers events until ctx ends; it returns once the
// subscription is open (ready closed), or with the subscription error.
//
// Link and address events come on one netlink socket, read by this
// goroutine into one buffer kept for the watcher's life. The library's
// LinkSubscribe and AddrSubscribe would take a socket each, two goroutines
// each (a reader and one waiting to close it) and a fresh 64 KiB buffer
// for every blocked Receive: four goroutines and 128 KiB held by an idle
// daemon (bench/results/idle-2026-12-06b/anon).
func (v *VIPs) Run(ctx context.Context, ready chan<- struct{}) error {
	groups := []uint{unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_IFADDR, unix.RTNLGRP_IPV6_IFADDR}
	var s *nl.NetlinkSocket
	var err error
	if v.NS != nil {
		s, err = nl.SubscribeAt(*v.NS, netns.None(), unix.NETLINK_ROUTE, groups...)
	} else {
		s, err = nl.Subscribe(unix.NETLINK_ROUTE, groups...)
	}
	if err != nil {
		return fmt.Errorf("watch VIPs: subscribe to links and addresses: %w", err)
	}
	// The socket's own *os.File is private to nl: take a duplicate of the
	// (non-blocking) descriptor into a file of ours, which the runtime's
	// poller then waits on.
	fd, err := unix.FcntlInt(uintptr(s.GetFd()), unix.F_DUPFD_CLOEXEC, 0)
	s.Close()
	if err != nil {
		return fmt.Errorf("watch VIPs: %w", err)
	}
	f := os.NewFile(uintptr(fd), "netlink-route")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("watch VIPs: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	}); err != nil || serr != nil {
		return fmt.Errorf("watch VIPs: receive buffer: %w", errors.Join(err, serr))
	}
	// The links as they are now (the library's ListExisting), so that a
	// link's first down/up is seen as one.
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		werr = unix.Sendto(int(fd), req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return werr != unix.EAGAIN
	}); err != nil || werr != nil {
		return fmt.Errorf("watch VIPs: list links: %w", errors.Join(err, werr))
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	if ready != nil {
		close(ready)
	}
	buf := make([]byte, recvSize)
	for {
		var n, flags int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, _, flags, from, rerr = unix.Recvmsg(int(fd), buf, nil, 0)
			return rerr != unix.EAGAIN
		})
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("watch VIPs: receive: %w", err)
		}
		if flags&unix.MSG_TRUNC != 0 {
			return fmt.Errorf("watch VIPs: a netlink message larger than %d bytes", len(buf))
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != nl.PidKernel {
			continue
		}
		if err := v.dispatch(buf[:n]); err != nil {
			return fmt.Errorf("watch VIPs: %w", err)
		}
	}
}

// dispatch hands each link and address message in b to onLink or onAddr;
// the standard library splits b into messages (a cut or malformed one is
// an error).
func (v *VIPs) dispatch(b []byte) error {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return fmt.Errorf("malformed netlink message: %w", err)
	}
	for _, m := range msgs {
		h := unix.NlMsghdr{Len: m.Header.Len, Type: m.Header.Type, Flags: m.Header.Flags, Seq: m.Header.Seq, Pid: m.Header.Pid}
		switch h.Type {
		case unix.NLMSG_ERROR:
			if len(m.Data) >= 4 {
				if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
					return fmt.Errorf("netlink error: %w", syscall.Errno(-e))
				}
			}
		case unix.RTM_NEWLINK, unix.RTM_DELLINK:
			link, err := netlink.LinkDeserialize(&h, m.Data)
			if err != nil {
				return fmt.Errorf("could not parse link: %w", err)
			}
			v.onLink(netlink.LinkUpdate{Header: h, Link: link})
		case unix.RTM_NEWADDR, unix.RTM_DELADDR:
			if ip, ok := ifaAddr(m.Data); ok {
				v.onAddr(netlink.AddrUpdate{NewAddr: h.Type == unix.RTM_NEWADDR, LinkAddress: net.IPNet{IP: ip}})
			}
		}
	}
	return nil
}

// ifaAddr is the address of an RTM_NEWADDR/RTM_DELADDR message as
// netlink's AddrUpdate gives it: IFA_LOCAL if present (a peer address's
// own end), else IFA_ADDRESS.
func ifaAddr(data []byte) (net.IP, bool) {
	if len(data) < unix.SizeofIfAddrmsg {
		return nil, false
	}
	attrs, err := nl.ParseRouteAttr(data[unix.SizeofIfAddrmsg:])
	if err != nil {
		return nil, false
	}
	var ip net.IP
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.IFA_LOCAL:
			return net.IP(a.Value), true
		case unix.IFA_ADDRESS:
			ip = net.IP(a.Value)
		}
	}
	return ip, ip != nil
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
