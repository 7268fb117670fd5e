package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawUDP reads and writes a medium's UDP sockets with raw system calls
// (rawSend, rawRecvFrom; the ping medium's raw ICMP socket uses them too),
// still waiting for readability on Go's network poller. The net package's
// ReadFrom and WriteTo enter the scheduler's syscall state on every packet,
// and that wakes the runtime's sysmon thread from its idle sleep each time
// (runtime.entersyscall); a non-blocking recvfrom/sendto on a UDP socket
// returns in microseconds, so telling the scheduler buys nothing. Writes
// never wait: a full send buffer is an error, as a late keepalive is worth
// less than the next one.
type rawUDP struct {
	rd, wr syscall.RawConn
	dst    unix.RawSockaddrInet4
	tx     *sendOp // the loop's sends
	rx     *recvOp // the reader's receives
}

// newRawUDP wraps the read socket rd and the write socket wr sending to dst.
func newRawUDP(rd, wr net.PacketConn, dst *net.UDPAddr) (rawUDP, error) {
	var r rawUDP
	rsc, ok1 := rd.(syscall.Conn)
	wsc, ok2 := wr.(syscall.Conn)
	if !ok1 || !ok2 {
		return r, errors.New("socket has no file descriptor")
	}
	var err error
	if r.rd, err = rsc.SyscallConn(); err != nil {
		return r, fmt.Errorf("read socket: %w", err)
	}
	if r.wr, err = wsc.SyscallConn(); err != nil {
		return r, fmt.Errorf("write socket: %w", err)
	}
	ip, ok := netip.AddrFromSlice(dst.IP.To4())
	if !ok {
		return r, fmt.Errorf("destination %s is not IPv4", dst.IP)
	}
	r.dst = sockaddr4(netip.AddrPortFrom(ip, uint16(dst.Port)))
	r.tx, r.rx = newSendOp(r.wr), newRecvOp(r.rd)
	return r, nil
}

// send writes b to the destination in one datagram (one goroutine at a time).
func (r *rawUDP) send(b []byte) error { return r.tx.send(b, &r.dst) }

// recv waits for one datagram and reads it into buf, returning its length
// (truncated to len(buf)) and its IPv4 sender (one goroutine at a time).
func (r *rawUDP) recv(buf []byte) (int, netip.AddrPort, error) { return r.rx.recv(buf) }

// sockaddr4 is the sockaddr_in of an IPv4 address and port.
func sockaddr4(a netip.AddrPort) unix.RawSockaddrInet4 {
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Addr().As4()}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(a.Port()>>8), byte(a.Port())
	return sa
}

// rawSendTo writes b in one datagram to the IPv4 address to.
func rawSendTo(c syscall.RawConn, b []byte, to netip.AddrPort) error {
	sa := sockaddr4(to)
	return rawSend(c, b, &sa)
}

// rawSend writes b in one datagram to sa without waiting for buffer space.
func rawSend(c syscall.RawConn, b []byte, sa *unix.RawSockaddrInet4) error {
	return newSendOp(c).send(b, sa)
}

// rawRecvFrom waits on the netpoller for one datagram, reads it into buf and
// returns its length (truncated to len(buf)) and its IPv4 sender.
func rawRecvFrom(c syscall.RawConn, buf []byte) (int, netip.AddrPort, error) {
	return newRecvOp(c).recv(buf)
}

// sendOp and recvOp are a socket's sendto and recvfrom with their
// RawConn callback made once: a closure made per call escapes to the heap
// (RawConn takes it through an interface), an allocation per packet, and
// a medium sends and receives one every keepalive. Each is for one
// goroutine at a time.
type sendOp struct {
	c     syscall.RawConn
	b     []byte
	sa    *unix.RawSockaddrInet4
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func newSendOp(c syscall.RawConn) *sendOp {
	o := &sendOp{c: c}
	o.fn = o.sendto
	return o
}

func (o *sendOp) sendto(fd uintptr) bool {
	_, _, o.errno = unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&o.b[0])), uintptr(len(o.b)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(o.sa)), unix.SizeofSockaddrInet4)
	return o.errno != unix.EINTR
}

// send writes b in one datagram to sa without waiting for buffer space.
func (o *sendOp) send(b []byte, sa *unix.RawSockaddrInet4) error {
	if len(b) == 0 {
		return nil
	}
	o.b, o.sa, o.errno = b, sa, 0
	err := o.c.Write(o.fn)
	errno := o.errno
	o.b, o.sa = nil, nil
	if err != nil {
		return err
	}
	if errno != 0 {
		return fmt.Errorf("sendto: %w", errno)
	}
	return nil
}

// recvOp: see sendOp.
type recvOp struct {
	c     syscall.RawConn
	buf   []byte
	n     uintptr
	errno syscall.Errno
	sa    unix.RawSockaddrInet4
	salen uint32
	fn    func(fd uintptr) bool
}

func newRecvOp(c syscall.RawConn) *recvOp {
	o := &recvOp{c: c}
	o.fn = o.recvfrom
	return o
}

func (o *recvOp) recvfrom(fd uintptr) bool {
	o.salen = unix.SizeofSockaddrInet4
	o.n, _, o.errno = unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&o.buf[0])), uintptr(len(o.buf)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&o.sa)), uintptr(unsafe.Pointer(&o.salen)))
	return o.errno != unix.EAGAIN && o.errno != unix.EINTR
}

// recv waits on the netpoller for one datagram, reads it into buf and
// returns its length (truncated to len(buf)) and its IPv4 sender.
func (o *recvOp) recv(buf []byte) (int, netip.AddrPort, error) {
	o.buf, o.n, o.errno = buf, 0, 0
	err := o.c.Read(o.fn)
	o.buf = nil
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if o.errno != 0 {
		return 0, netip.AddrPort{}, fmt.Errorf("recvfrom: %w", o.errno)
	}
	return int(o.n), addrPort4(&o.sa), nil
}

// addrPort4 is the address and port of a sockaddr_in (its port in network
// byte order, whatever the host's).
func addrPort4(sa *unix.RawSockaddrInet4) netip.AddrPort {
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
}
