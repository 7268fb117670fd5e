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
	return r, nil
}

// send writes b to the destination in one datagram.
func (r *rawUDP) send(b []byte) error { return rawSend(r.wr, b, &r.dst) }

// recv waits for one datagram and reads it into buf, returning its length
// (truncated to len(buf)) and its IPv4 sender.
func (r *rawUDP) recv(buf []byte) (int, netip.AddrPort, error) { return rawRecvFrom(r.rd, buf) }

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
	if len(b) == 0 {
		return nil
	}
	var errno syscall.Errno
	err := c.Write(func(fd uintptr) bool {
		_, _, errno = unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(sa)), unix.SizeofSockaddrInet4)
		return errno != unix.EINTR
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return fmt.Errorf("sendto: %w", errno)
	}
	return nil
}

// rawRecvFrom waits on the netpoller for one datagram, reads it into buf and
// returns its length (truncated to len(buf)) and its IPv4 sender.
func rawRecvFrom(c syscall.RawConn, buf []byte) (int, netip.AddrPort, error) {
	var (
		n     uintptr
		errno syscall.Errno
		sa    unix.RawSockaddrInet4
	)
	err := c.Read(func(fd uintptr) bool {
		salen := uint32(unix.SizeofSockaddrInet4)
		n, _, errno = unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&salen)))
		return errno != unix.EAGAIN && errno != unix.EINTR
	})
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if errno != 0 {
		return 0, netip.AddrPort{}, fmt.Errorf("recvfrom: %w", errno)
	}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	return int(n), netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1])), nil
}
