package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// lazyRx is a UDP medium's second read socket, for its routine datagrams
// only (Routine: statuses and ACKs), which nothing wakes for (issue 16
// item 5, bench/results/idle-2026-12-07/README.md).
//
// An idle daemon's loop wakes once a keepalive for its own status. The
// peer's status, arriving in between, woke the network poller's thread a
// second time only to be queued for that deadline (Inbox.DeferRoutine).
// Now the kernel sorts the datagrams on the medium's port: a reuseport
// program sends a routine unicast datagram to this socket, which is on no
// poller; each socket's filter keeps only its share of a broadcast or
// multicast one, which the kernel copies to both (steer.go). The loop
// reads this socket itself before it handles anything (Inbox.Poll), so
// nothing is read later than it would have been: the deferred datagram
// already waited for the next deadline. Each datagram's At is the
// kernel's receive time (SO_TIMESTAMPNS), so lateness is measured as
// before, to the arrival.
//
// Order is kept: the medium's reader, before it queues a datagram of its
// own socket, first queues what waits here (mu), so a node's status and
// the message after it are handled in the order they came. A flood here
// is read by the loop at its own pace: Poll stops at a full queue, and the
// loop comes back while datagrams remain (daemon drainRx).
type lazyRx struct {
	mu      sync.Mutex
	fd      int // -1 once closed
	q       *Queue
	c       *counters
	link    string
	now     func() time.Time
	emptied time.Time // when the last read that emptied the socket began

	buf      []byte
	oob      [8]uint64 // a cmsghdr and a timespec, aligned
	iov      unix.Iovec
	msg      unix.Msghdr
	sa       unix.RawSockaddrInet4
	lastFrom netip.AddrPort
	fromStr  string
}

// errNoLazy wraps why a medium reads every datagram on its one socket.
var errNoLazy = errors.New("no lazy socket")

// openLazy binds a lazy socket beside rd, on the same address and device,
// and sets the kernel's programs on the pair. rd must have been bound
// with SO_REUSEPORT. On an error rd is as it was, and the caller reads
// every datagram on rd as before.
func openLazy(rd net.PacketConn, iface string, q *Queue, c *counters, link string, now func() time.Time) (*lazyRx, error) {
	la, ok := rd.LocalAddr().(*net.UDPAddr)
	if !ok || la.IP.To4() == nil {
		return nil, fmt.Errorf("%w: read socket is not IPv4 UDP", errNoLazy)
	}
	rc, err := rd.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoLazy, err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: socket: %v", errNoLazy, err)
	}
	l := &lazyRx{fd: fd, q: q, c: c, link: link, now: now, buf: make([]byte, MaxMessage+1)}
	fail := func(what string, err error) (*lazyRx, error) {
		_ = rc.Control(func(rfd uintptr) { _ = unix.SetsockoptInt(int(rfd), unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0) })
		unix.Close(fd)
		return nil, fmt.Errorf("%w: %s: %v", errNoLazy, what, err)
	}
	for _, o := range [][2]int{{unix.SO_REUSEADDR, 1}, {unix.SO_REUSEPORT, 1}, {unix.SO_RCVBUF, rcvBuf}, {unix.SO_TIMESTAMPNS, 1}} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], o[1]); err != nil {
			return fail(fmt.Sprintf("setsockopt %d", o[0]), err)
		}
	}
	if iface != "" {
		if err := unix.BindToDevice(fd, iface); err != nil {
			return fail("SO_BINDTODEVICE", err)
		}
	}
	sa := &unix.SockaddrInet4{Port: la.Port}
	copy(sa.Addr[:], la.IP.To4())
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	// Bound: the kernel may pick either socket for a unicast datagram,
	// and the lazy one is read too, so nothing is lost meanwhile. Then the
	// steering; then the filters, the lazy one's last (before that, the
	// socket it drops from may be the one picked).
	if err := attachProg(fd, unix.SO_ATTACH_REUSEPORT_CBPF, steerProg()); err != nil {
		return fail("SO_ATTACH_REUSEPORT_CBPF", err)
	}
	var rerr error
	if err := rc.Control(func(rfd uintptr) { rerr = attachProg(int(rfd), unix.SO_ATTACH_FILTER, eagerFilterProg()) }); err != nil || rerr != nil {
		return fail("SO_ATTACH_FILTER on the read socket", errors.Join(err, rerr))
	}
	if err := attachProg(fd, unix.SO_ATTACH_FILTER, lazyFilterProg()); err != nil {
		return fail("SO_ATTACH_FILTER", err)
	}
	l.iov.Base = &l.buf[0]
	l.iov.SetLen(len(l.buf))
	l.msg.Name = (*byte)(unsafe.Pointer(&l.sa))
	l.msg.Iov = &l.iov
	l.msg.Iovlen = 1
	l.msg.Control = (*byte)(unsafe.Pointer(&l.oob[0]))
	l.emptied = now()
	return l, nil
}

// attachProg sets a classic BPF program on fd (SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF).
func attachProg(fd, opt int, prog []bpf.RawInstruction) error {
	f := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		f[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, opt, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]})
}

// poll queues the datagrams waiting on the lazy socket, while the queue
// has room; more: it stopped at a full queue, with datagrams maybe left.
func (l *lazyRx) poll() (more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pollLocked()
}

// pollLocked is poll with mu held.
func (l *lazyRx) pollLocked() (more bool) {
	if l.fd < 0 {
		return false
	}
	start := l.now()
	for {
		if len(l.q.c) == cap(l.q.c) {
			return true
		}
		l.msg.Namelen = unix.SizeofSockaddrInet4
		l.msg.SetControllen(int(unsafe.Sizeof(l.oob)))
		l.msg.Flags = 0
		n, _, errno := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(l.fd), uintptr(unsafe.Pointer(&l.msg)), unix.MSG_DONTWAIT)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 { // EAGAIN: empty; anything else: tried again at the next look
			if errno == unix.EAGAIN {
				l.emptied = start
			}
			return false
		}
		if int(n) > MaxMessage {
			l.c.droppedOversize.Add(1)
			continue
		}
		at := l.arrival()
		from := netip.AddrPortFrom(netip.AddrFrom4(l.sa.Addr), uint16(l.sa.Port>>8|l.sa.Port<<8))
		if from != l.lastFrom || l.fromStr == "" {
			l.lastFrom, l.fromStr = from, from.String()
		}
		l.c.deliver(l.q, Packet{Data: l.q.copyOf(l.buf[:n]), Link: l.link, At: at, From: l.fromStr})
	}
}

// arrival is when the datagram just read came in, on the daemon's clock
// (monotonic): now less its age by the kernel's stamp, an age of at most
// the time since the socket was last seen empty (a clock step changes
// nothing else).
func (l *lazyRx) arrival() time.Time {
	now := l.now()
	h := (*unix.Cmsghdr)(unsafe.Pointer(&l.oob[0]))
	if int(l.msg.Controllen) < unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))) ||
		h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_TIMESTAMPNS {
		return now
	}
	ts := (*unix.Timespec)(unsafe.Pointer(&l.oob[unix.SizeofCmsghdr/8]))
	age := time.Duration(now.UnixNano() - ts.Nano())
	age = min(age, now.Sub(l.emptied))
	if age <= 0 {
		return now
	}
	return now.Add(-age)
}

// close closes the lazy socket; a poll after it reads nothing.
func (l *lazyRx) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fd < 0 {
		return nil
	}
	err := unix.Close(l.fd)
	l.fd = -1
	return err
}
