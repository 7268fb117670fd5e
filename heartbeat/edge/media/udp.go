package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// BcastSpec is one `bcast <iface>` link (PROTOCOL §12.1).
type BcastSpec struct {
	Iface string
	Port  int  // udpport in effect when the line was read
	Lazy  bool // routine datagrams on a second socket, read by the loop (lazyRx); only for the one medium on its port
}

// UcastSpec is one `ucast <iface> <peer>` link (PROTOCOL §12.2).
type UcastSpec struct {
	Iface string
	Peer  netip.Addr // resolved once at configuration time, as stock does
	Port  int
	Lazy  bool // routine datagrams on a second socket, read by the loop (lazyRx); only for the one medium on its port
}

// McastSpec is one `mcast <iface> <group> <port> <ttl> <loop>` link (PROTOCOL §12.3).
type McastSpec struct {
	Iface string
	Group netip.Addr
	Port  int
	TTL   int
	Loop  bool
	Lazy  bool // see UcastSpec.Lazy
}

// udpMedium is a UDP link: one socket to read on udpport, one to write.
type udpMedium struct {
	kind, link, started string
	rd                  net.PacketConn
	wr                  net.PacketConn
	dst                 *net.UDPAddr
	raw                 rawUDP  // the same sockets, for syscalls that skip the scheduler
	lazy                *lazyRx // nil: every datagram is read on rd
	iface               string  // rd's SO_BINDTODEVICE ("": none), for the lazy socket
	wantLazy            bool
	lazyErr             error // why wantLazy got no lazy socket
	now                 func() time.Time
	c                   counters
	done                chan struct{}
}

// readOpts are a read socket's options; lazy adds SO_REUSEPORT, which
// the lazy socket's port sharing needs (stock sets it on ucast only).
func readOpts(lazy bool) [][2]int {
	o := [][2]int{{unix.SO_REUSEADDR, 1}, {unix.SO_RCVBUF, rcvBuf}}
	if lazy {
		o = append(o, [2]int{unix.SO_REUSEPORT, 1})
	}
	return o
}

// rcvBuf is the receive buffer asked for: large enough that a burst of
// garbage does not push the peer's keepalive out of the kernel queue.
const rcvBuf = 4 << 20

// sockopts returns a net.ListenConfig Control that sets integer socket
// options and SO_BINDTODEVICE (iface empty: none).
func sockopts(iface string, opts ...[2]int) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			for _, o := range opts {
				if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[0], o[1]); e != nil && serr == nil {
					// SO_REUSEPORT may be missing; stock tolerates ENOPROTOOPT (PROTOCOL §12.2).
					if !(o[0] == unix.SO_REUSEPORT && errors.Is(e, unix.ENOPROTOOPT)) {
						serr = fmt.Errorf("setsockopt %d: %w", o[0], e)
					}
				}
			}
			if iface != "" && serr == nil {
				if e := unix.BindToDevice(int(fd), iface); e != nil {
					serr = fmt.Errorf("SO_BINDTODEVICE %s: %w", iface, e)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// listenRetry binds like stock: several attempts one second apart, because an
// interface may still be coming up at boot (PROTOCOL §12.1).
func listenRetry(ctx context.Context, lc net.ListenConfig, addr string, attempts int) (net.PacketConn, error) {
	var last error
	for i := 0; i < attempts; i++ {
		pc, err := lc.ListenPacket(ctx, "udp4", addr)
		if err == nil {
			return pc, nil
		}
		last = err
		if i+1 < attempts {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	return nil, last
}

// broadcastAddr returns the IPv4 broadcast address of iface (SIOCGIFBRDADDR
// in stock; here the first IPv4 network's directed broadcast).
func broadcastAddr(iface string) (net.IP, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil {
			continue
		}
		ip := n.IP.To4()
		b := make(net.IP, 4)
		for i := range b {
			b[i] = ip[i] | ^n.Mask[len(n.Mask)-4+i]
		}
		return b, nil
	}
	return nil, fmt.Errorf("interface %s has %w", iface, errNoIPv4)
}

// OpenBcast opens a bcast link; received packets go to rx.
func OpenBcast(ctx context.Context, s BcastSpec, rx *Queue) (Medium, error) {
	bc, err := broadcastAddr(s.Iface)
	if err != nil {
		return nil, Explain("bcast", s.Iface, s.Port, err)
	}
	rd, err := listenRetry(ctx, net.ListenConfig{Control: sockopts(s.Iface, readOpts(s.Lazy)...)},
		fmt.Sprintf(":%d", s.Port), 10)
	if err != nil {
		return nil, Explain("bcast", s.Iface, s.Port, fmt.Errorf("read socket: %w", err))
	}
	wlc := net.ListenConfig{Control: sockopts(s.Iface, [2]int{unix.SO_BROADCAST, 1}, [2]int{unix.SO_DONTROUTE, 1})}
	wr, err := wlc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		rd.Close()
		return nil, Explain("bcast", s.Iface, s.Port, fmt.Errorf("write socket: %w", err))
	}
	m := &udpMedium{kind: "bcast", link: s.Iface, rd: rd, wr: wr,
		dst:     &net.UDPAddr{IP: bc, Port: s.Port},
		started: fmt.Sprintf("glib: UDP Broadcast heartbeat started on port %d (%d) interface %s", s.Port, s.Port, s.Iface),
		now:     time.Now, done: make(chan struct{}), iface: s.Iface, wantLazy: s.Lazy}
	return m.start(rx)
}

// OpenUcast opens a ucast link; received packets go to rx.
func OpenUcast(ctx context.Context, s UcastSpec, rx *Queue) (Medium, error) {
	if !s.Peer.Is4() {
		return nil, Explain("ucast", s.Iface, s.Port, fmt.Errorf("peer %s is not an IPv4 address", s.Peer))
	}
	// SO_REUSEPORT as stock's ucast reader, with or without Lazy.
	rd, err := listenRetry(ctx, net.ListenConfig{Control: sockopts(s.Iface, readOpts(true)...)},
		fmt.Sprintf(":%d", s.Port), 10)
	if err != nil {
		return nil, Explain("ucast", s.Iface, s.Port, fmt.Errorf("read socket: %w", err))
	}
	wlc := net.ListenConfig{Control: sockopts(s.Iface, [2]int{unix.SO_REUSEPORT, 1})}
	wr, err := wlc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		rd.Close()
		return nil, Explain("ucast", s.Iface, s.Port, fmt.Errorf("write socket: %w", err))
	}
	// IP_TOS = IPTOS_LOWDELAY, as stock's ucast writer (PROTOCOL §12.2).
	_ = ipv4.NewPacketConn(wr).SetTOS(0x10)
	m := &udpMedium{kind: "ucast", link: s.Iface, rd: rd, wr: wr,
		dst:     net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.Peer, uint16(s.Port))),
		started: fmt.Sprintf("glib: ucast: started on port %d interface %s to %s", s.Port, s.Iface, s.Peer),
		now:     time.Now, done: make(chan struct{}), iface: s.Iface, wantLazy: s.Lazy}
	return m.start(rx)
}

// OpenMcast opens an mcast link; received packets go to rx.
func OpenMcast(ctx context.Context, s McastSpec, rx *Queue) (Medium, error) {
	ifi, err := net.InterfaceByName(s.Iface)
	if err != nil {
		return nil, Explain("mcast", s.Iface, s.Port, err)
	}
	if !s.Group.Is4() || !s.Group.IsMulticast() {
		return nil, Explain("mcast", s.Iface, s.Port, fmt.Errorf("%s is not an IPv4 multicast group", s.Group))
	}
	// Read socket bound to group:port, joined on the interface; stock sets
	// no SO_BINDTODEVICE here (PROTOCOL §12.3).
	rd, err := listenRetry(ctx, net.ListenConfig{Control: sockopts("", readOpts(s.Lazy)...)},
		netip.AddrPortFrom(s.Group, uint16(s.Port)).String(), 50)
	if err != nil {
		return nil, Explain("mcast", s.Iface, s.Port, fmt.Errorf("read socket: %w", err))
	}
	grp := &net.UDPAddr{IP: s.Group.AsSlice()}
	if err := ipv4.NewPacketConn(rd).JoinGroup(ifi, grp); err != nil {
		rd.Close()
		return nil, Explain("mcast", s.Iface, s.Port, fmt.Errorf("join %s: %w", s.Group, err))
	}
	var wlc net.ListenConfig
	wr, err := wlc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		rd.Close()
		return nil, Explain("mcast", s.Iface, s.Port, fmt.Errorf("write socket: %w", err))
	}
	p := ipv4.NewPacketConn(wr)
	for _, e := range []error{p.SetMulticastInterface(ifi), p.SetMulticastTTL(s.TTL), p.SetMulticastLoopback(s.Loop)} {
		if e != nil {
			rd.Close()
			wr.Close()
			return nil, Explain("mcast", s.Iface, s.Port, fmt.Errorf("write socket options: %w", e))
		}
	}
	loop := 0
	if s.Loop {
		loop = 1
	}
	m := &udpMedium{kind: "mcast", link: s.Iface, rd: rd, wr: wr,
		dst:     net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.Group, uint16(s.Port))),
		started: fmt.Sprintf("glib: UDP multicast heartbeat started for group %s port %d interface %s (ttl=%d loop=%d)", s.Group, s.Port, s.Iface, s.TTL, loop),
		now:     time.Now, done: make(chan struct{}), wantLazy: s.Lazy}
	return m.start(rx)
}

func (m *udpMedium) Link() string    { return m.link }
func (m *udpMedium) Kind() string    { return m.kind }
func (m *udpMedium) Started() string { return m.started }
func (m *udpMedium) Stats() Stats    { return m.c.snapshot() }

// LazyErr is why a medium opened with Lazy has no lazy socket (nil: it
// has one, or was not asked for one).
func (m *udpMedium) LazyErr() error { return m.lazyErr }

func (m *udpMedium) Send(out Outgoing) error {
	select {
	case <-m.done:
		return ErrClosed
	default:
	}
	if err := m.raw.send(out.Netstring); err != nil {
		m.c.sendFailed(err, m.now())
		return fmt.Errorf("%s %s: %w", m.kind, m.link, err)
	}
	m.c.sent.Add(1)
	return nil
}

// start makes the raw handles and starts the reader goroutine. The reader
// is not locked to a thread of its own: a locked reader costs two thread
// hand-offs per packet (netpoller to reader, reader to loop), which were
// most of an idle daemon's CPU (bench/results/idle-2026-11-23.md). With
// realtime on, every thread of the daemon is SCHED_RR (internal/sched);
// membership judges lateness by the reader's At stamp, not by when the
// loop got the packet.
func (m *udpMedium) start(rx *Queue) (Medium, error) {
	raw, err := newRawUDP(m.rd, m.wr, m.dst)
	if err != nil {
		m.rd.Close()
		m.wr.Close()
		return nil, fmt.Errorf("%s %s: %w", m.kind, m.link, err)
	}
	m.raw = raw
	if m.wantLazy {
		// Without it (an old kernel, say) the medium reads every datagram
		// on rd as before: slower to idle, nothing else changes.
		m.lazy, m.lazyErr = openLazy(m.rd, m.iface, rx, &m.c, m.link, m.now)
		if m.lazy != nil {
			rx.poll = m.lazy.poll
			go m.lazy.waitRead(raw.rd)
			return m, nil
		}
	}
	go m.read(rx)
	return m, nil
}

func (m *udpMedium) read(rx *Queue) {
	buf := make([]byte, 65536)
	var lastFrom netip.AddrPort // the sender of the last packet, and as a string:
	fromStr := ""               // made again only when the sender changes
	for {
		n, from, err := m.raw.recv(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-m.done:
				return
			case <-time.After(10 * time.Millisecond): // transient error: do not spin
			}
			continue
		}
		at := m.now()
		if n > MaxMessage {
			m.c.droppedOversize.Add(1)
			continue
		}
		if from != lastFrom || fromStr == "" {
			lastFrom, fromStr = from, from.String()
		}
		m.c.deliver(rx, Packet{Data: rx.copyOf(buf[:n]), Link: m.link, At: at, From: fromStr})
	}
}

func (m *udpMedium) Close() error {
	select {
	case <-m.done:
		return nil
	default:
	}
	close(m.done)
	var lerr error
	if m.lazy != nil {
		lerr = m.lazy.close() // first: its reads use rd's descriptor
	}
	return errors.Join(lerr, m.rd.Close(), m.wr.Close())
}
