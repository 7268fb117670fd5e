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

// lazyRx is a UDP medium's pair of read sockets: the medium's own, on Go's
// poller, and a second one on no poller for its routine datagrams
// (Routine: statuses and ACKs), which nothing wakes for (issue 16 item 5,
// bench/results/idle-2026-12-06e/README.md).
//
// An idle daemon's loop wakes once a keepalive for its own status. The
// peer's status, arriving in between, woke the network poller's thread a
// second time only to be queued for that deadline (Inbox.DeferRoutine).
// Now the kernel sorts the datagrams on the medium's port: a reuseport
// program sends a routine unicast datagram to the second socket; each
// socket's filter keeps only its share of a broadcast or multicast one,
// which the kernel copies to both (steer.go). The loop reads the pair
// itself before it handles anything (Inbox.Poll), so nothing is read later
// than it would have been: a routine datagram waited for the next
// deadline before too.
//
// Order is kept: whoever reads (the loop, or the medium's reader when the
// first socket has a datagram) reads both sockets under mu until both are
// empty, and queues what it read in the order the kernel stamped it
// (SO_TIMESTAMPNS). Each datagram's At is that stamp, so lateness is
// measured to the arrival. A flood is read at the loop's pace: a read
// stops at a full queue, and the loop comes back while datagrams remain
// (daemon drainRx); only then may two datagrams of the flood's time be
// queued out of order, which membership's retransmission repairs.
type lazyRx struct {
	mu     sync.Mutex
	closed bool
	socks  [2]rxSock // the medium's read socket, the lazy one
	q      *Queue
	c      *counters
	link   string
	now    func() time.Time
	buf    []byte   // one datagram, copied into the queue's buffers
	batch  []Packet // what one read took, before it is queued in order
	stamps []int64  // the kernel's stamp of each (ns; the order to queue them in)
}

// rxSock is one socket of the pair, with its recvmsg buffers made once.
type rxSock struct {
	fd       int
	emptied  time.Time // when the last read that emptied it began
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
// every datagram on rd alone, as before.
func openLazy(rd net.PacketConn, iface string, q *Queue, c *counters, link string, now func() time.Time) (*lazyRx, error) {
	la, ok := rd.LocalAddr().(*net.UDPAddr)
	if !ok || la.IP.To4() == nil {
		return nil, fmt.Errorf("%w: read socket is not IPv4 UDP", errNoLazy)
	}
	sc, ok := rd.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%w: read socket has no file descriptor", errNoLazy)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoLazy, err)
	}
	rdFD := -1
	if err := rc.Control(func(fd uintptr) { rdFD = int(fd) }); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoLazy, err)
	}
	// Without SO_REUSEPORT on rd the second socket would still bind (both
	// have SO_REUSEADDR), but in no group with rd: nothing would steer.
	if v, err := unix.GetsockoptInt(rdFD, unix.SOL_SOCKET, unix.SO_REUSEPORT); err != nil || v == 0 {
		return nil, fmt.Errorf("%w: the read socket was bound without SO_REUSEPORT (%v)", errNoLazy, err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: socket: %v", errNoLazy, err)
	}
	fail := func(what string, err error) (*lazyRx, error) {
		// rd as it was: no filter, no stamps, no steering (were it left,
		// it would only name a socket the group no longer has, and the
		// kernel would pick rd anyway).
		_ = unix.SetsockoptInt(rdFD, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0)
		_ = unix.SetsockoptInt(rdFD, unix.SOL_SOCKET, unix.SO_DETACH_REUSEPORT_BPF, 0)
		_ = unix.SetsockoptInt(rdFD, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 0)
		unix.Close(fd)
		return nil, fmt.Errorf("%w: %s: %v", errNoLazy, what, err)
	}
	// The read socket's options (the group needs the same), and the stamps.
	for _, o := range append(readOpts(true), [2]int{unix.SO_TIMESTAMPNS, 1}) {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], o[1]); err != nil {
			return fail(fmt.Sprintf("setsockopt %d", o[0]), err)
		}
	}
	if err := unix.SetsockoptInt(rdFD, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail("SO_TIMESTAMPNS on the read socket", err)
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
	// and both are read, so nothing is lost meanwhile. Then the steering;
	// then the filters, the lazy one's last (before that, the socket it
	// drops from may be the one picked).
	if err := attachProg(fd, unix.SO_ATTACH_REUSEPORT_CBPF, steerProg()); err != nil {
		return fail("SO_ATTACH_REUSEPORT_CBPF", err)
	}
	if err := attachProg(rdFD, unix.SO_ATTACH_FILTER, eagerFilterProg()); err != nil {
		return fail("SO_ATTACH_FILTER on the read socket", err)
	}
	if err := attachProg(fd, unix.SO_ATTACH_FILTER, lazyFilterProg()); err != nil {
		return fail("SO_ATTACH_FILTER", err)
	}
	l := &lazyRx{q: q, c: c, link: link, now: now, buf: make([]byte, MaxMessage+1), batch: make([]Packet, 0, cap(q.c)), stamps: make([]int64, 0, cap(q.c))}
	t := now()
	for i, fd := range []int{rdFD, fd} {
		s := &l.socks[i]
		s.fd, s.emptied = fd, t
		s.iov.Base = &l.buf[0]
		s.iov.SetLen(len(l.buf))
		s.msg.Name = (*byte)(unsafe.Pointer(&s.sa))
		s.msg.Iov = &s.iov
		s.msg.Iovlen = 1
		s.msg.Control = (*byte)(unsafe.Pointer(&s.oob[0]))
	}
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

// poll queues the datagrams waiting on both sockets, in the order they
// came, while the queue has room; more: it stopped at a full queue, with
// datagrams maybe left.
func (l *lazyRx) poll() (more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	// Read the sockets in turn, each until it is empty, until one has
	// nothing more after the other was emptied: then each datagram left
	// unread came after every one read (it came after its socket's last
	// empty read, and every datagram read was read before that). At idle:
	// the lazy socket's datagram, its empty read, the other's empty read.
	room := cap(l.q.c) - len(l.q.c)
	l.batch, l.stamps = l.batch[:0], l.stamps[:0]
	for n, i := 0, 1; ; n, i = n+1, i^1 {
		if len(l.batch) >= room {
			more = true
			break
		}
		if !l.read(&l.socks[i], room) && n > 0 {
			break
		}
	}
	// In the order the kernel stamped them (at most a queueful; at idle
	// one or two). By the stamps themselves: At, taken back to the
	// monotonic clock through a time.Now whose two clocks are read apart,
	// can be microseconds off, more than two datagrams sent back to back.
	b, ts := l.batch, l.stamps
	for j := 1; j < len(b); j++ {
		for k := j; k > 0 && ts[k] < ts[k-1]; k-- {
			b[k], b[k-1] = b[k-1], b[k]
			ts[k], ts[k-1] = ts[k-1], ts[k]
		}
	}
	for j := range b {
		l.c.deliver(l.q, b[j])
		b[j] = Packet{}
	}
	l.batch, l.stamps = b[:0], ts[:0]
	return more
}

// read takes datagrams from s into the batch until s is empty or the
// batch holds room; got: it took at least one.
func (l *lazyRx) read(s *rxSock, room int) (got bool) {
	start := l.now()
	for len(l.batch) < room {
		s.msg.Namelen = unix.SizeofSockaddrInet4
		s.msg.SetControllen(int(unsafe.Sizeof(s.oob)))
		s.msg.Flags = 0
		n, _, errno := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msg)), unix.MSG_DONTWAIT)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 { // EAGAIN: empty; anything else: tried again at the next look
			if errno == unix.EAGAIN {
				s.emptied = start
			}
			return got
		}
		got = true
		if int(n) > MaxMessage {
			l.c.droppedOversize.Add(1)
			continue
		}
		from := addrPort4(&s.sa)
		if from != s.lastFrom || s.fromStr == "" {
			s.lastFrom, s.fromStr = from, from.String()
		}
		at, stamp := l.arrival(s)
		l.batch = append(l.batch, Packet{Data: l.q.copyOf(l.buf[:n]), Link: l.link, At: at, From: s.fromStr})
		l.stamps = append(l.stamps, stamp)
	}
	return got
}

// arrival is when the datagram just read from s came in, on the daemon's
// clock (monotonic): now less its age by the kernel's stamp, an age of at
// most the time since s was last seen empty (a clock step changes nothing
// else); and the stamp itself, in ns of the wall clock (now's, when the
// kernel gave none).
func (l *lazyRx) arrival(s *rxSock) (time.Time, int64) {
	now := l.now()
	h := (*unix.Cmsghdr)(unsafe.Pointer(&s.oob[0]))
	if int(s.msg.Controllen) < unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))) ||
		h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_TIMESTAMPNS {
		return now, now.UnixNano()
	}
	stamp := (*unix.Timespec)(unsafe.Pointer(&s.oob[unix.SizeofCmsghdr/8])).Nano()
	age := min(time.Duration(now.UnixNano()-stamp), now.Sub(s.emptied))
	if age <= 0 {
		return now, stamp
	}
	return now.Add(-age), stamp
}

// waitRead is the medium's reader: it waits on Go's poller for the read
// socket, and reads the pair (poll) each time it has a datagram, until
// the medium closes.
func (l *lazyRx) waitRead(rc syscall.RawConn) {
	fn := func(uintptr) bool {
		l.poll()
		return l.isClosed() // false: wait for the next datagram
	}
	for {
		if err := rc.Read(fn); err != nil || l.isClosed() {
			return
		}
	}
}

func (l *lazyRx) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// close closes the lazy socket; a poll after it reads nothing. Call it
// before the read socket is closed: poll uses its descriptor.
func (l *lazyRx) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return unix.Close(l.socks[1].fd)
}
