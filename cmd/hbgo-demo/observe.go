package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// inNS runs fn on a fresh OS thread switched into the named network
// namespace; sockets fn creates stay in that namespace. The thread is
// thrown away afterwards (testnet.Lab.Do without the testing.T).
func inNS(name string, fn func() error) error {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	defer ns.Close()
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the goroutine exits with the thread locked, so
		// the runtime discards the namespaced thread.
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			done <- fmt.Errorf("enter %s: %w", name, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

// inNSLoop is inNS for a long-running fn: it returns at once, fn runs
// until it returns on its own.
func inNSLoop(name string, fn func()) error {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	ready := make(chan error, 1)
	go func() {
		defer ns.Close()
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			ready <- fmt.Errorf("enter %s: %w", name, err)
			return
		}
		ready <- nil
		fn()
	}()
	return <-ready
}

// Probe is one client attempt to reach the service on the VIP.
type Probe struct {
	At     time.Time // when the attempt ended
	Server string    // "node1", "node2", "" for no answer
}

// prober polls the VIP's service from the client namespace every period
// and reports each change of answer.
type prober struct {
	mu     sync.Mutex
	probes []Probe
	notify func(Probe, Probe) // (previous, current) on each change
}

func (p *prober) run(ctx context.Context, ns, addr string, period time.Duration) error {
	return inNSLoop(ns, func() {
		var last Probe
		first := true
		for ctx.Err() == nil {
			start := time.Now()
			cur := Probe{Server: askService(addr, period)}
			cur.At = time.Now()
			p.mu.Lock()
			p.probes = append(p.probes, cur)
			p.mu.Unlock()
			if first || cur.Server != last.Server {
				if p.notify != nil {
					p.notify(last, cur)
				}
				first = false
			}
			last = cur
			if d := period - time.Since(start); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			}
		}
	})
}

// askService connects to the demo service and returns the node it names.
func askService(addr string, timeout time.Duration) string {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(3 * timeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(line), "served by ")
}

// firstServed returns the end of the first probe at or after t answered by node.
func (p *prober) firstServed(node string, t time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.probes {
		if pr.Server == node && !pr.At.Before(t) {
			return pr.At
		}
	}
	return time.Time{}
}

// lastServed returns the end of the last probe before t answered by node.
func (p *prober) lastServed(node string, t time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last time.Time
	for _, pr := range p.probes {
		if pr.Server == node && pr.At.Before(t) {
			last = pr.At
		}
	}
	return last
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// packetSocket opens an AF_PACKET socket for ethertype proto on every
// interface of namespace ns, with a short receive timeout so readers can stop.
func packetSocket(ns string, proto uint16) (int, error) {
	fd := -1
	err := inNS(ns, func() error {
		var err error
		fd, err = syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(htons(proto)))
		if err != nil {
			return fmt.Errorf("packet socket in %s: %w", ns, err)
		}
		tv := syscall.NsecToTimeval(int64(100 * time.Millisecond))
		return syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	})
	if err != nil && fd >= 0 {
		syscall.Close(fd)
		fd = -1
	}
	return fd, err
}

// readFrames calls fn with each frame read from fd and its kernel arrival
// time (SO_TIMESTAMPNS, so a busy demo process does not skew it) until ctx
// ends, then closes fd.
func readFrames(ctx context.Context, fd int, fn func([]byte, time.Time)) {
	defer syscall.Close(fd)
	stamped := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1) == nil
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for ctx.Err() == nil {
		n, oobn, _, _, err := syscall.Recvmsg(fd, buf, oob, 0)
		if err != nil {
			continue
		}
		at := time.Now()
		if stamped {
			if t, ok := kernelStamp(oob[:oobn]); ok {
				at = t
			}
		}
		fn(buf[:n], at)
	}
}

// kernelStamp returns the SCM_TIMESTAMPNS time among control messages.
func kernelStamp(oob []byte) (time.Time, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return time.Unix(sec, nsec), true
		}
	}
	return time.Time{}, false
}

// stamps holds the latest or first time of an observation, safe for concurrent use.
type stamps struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *stamps) set(k string, t time.Time) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]time.Time{}
	}
	s.m[k] = t
	s.mu.Unlock()
}

// first records t under k unless k already has a time at or after after.
func (s *stamps) first(k string, t, after time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]time.Time{}
	}
	if old, ok := s.m[k]; ok && !old.Before(after) {
		return
	}
	if !t.Before(after) {
		s.m[k] = t
	}
}

func (s *stamps) get(k string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

// IsGARP reports whether frame is an ARP packet (request or reply) from
// sender hardware address mac announcing ip as its own.
func IsGARP(frame []byte, mac net.HardwareAddr, ip net.IP) bool {
	const eth = 14
	if len(frame) < eth+28 || binary.BigEndian.Uint16(frame[12:14]) != syscall.ETH_P_ARP {
		return false
	}
	a := frame[eth:]
	// htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4.
	if binary.BigEndian.Uint16(a[0:2]) != 1 || binary.BigEndian.Uint16(a[2:4]) != syscall.ETH_P_IP || a[4] != 6 || a[5] != 4 {
		return false
	}
	return bytes.Equal(a[8:14], mac) && bytes.Equal(a[14:18], ip.To4())
}

// IsHeartbeat reports whether frame is a UDP datagram from src to port.
func IsHeartbeat(frame []byte, src net.IP, port uint16) bool {
	const eth = 14
	if len(frame) < eth+20 || binary.BigEndian.Uint16(frame[12:14]) != syscall.ETH_P_IP {
		return false
	}
	ip := frame[eth:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || ip[9] != syscall.IPPROTO_UDP || len(ip) < ihl+4 {
		return false
	}
	return bytes.Equal(ip[12:16], src.To4()) && binary.BigEndian.Uint16(ip[ihl+2:ihl+4]) == port
}

// watchAddr records when ip is added in namespace ns (RTM_NEWADDR).
func watchAddr(ctx context.Context, ns string, ip net.IP, fn func(time.Time)) error {
	h, err := netns.GetFromName(ns)
	if err != nil {
		return fmt.Errorf("netns %s: %w", ns, err)
	}
	ch := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	err = netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{Namespace: &h})
	h.Close()
	if err != nil {
		return fmt.Errorf("watch addresses in %s: %w", ns, err)
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-ch:
				if !ok {
					return
				}
				if u.NewAddr && u.LinkAddress.IP.Equal(ip) {
					fn(time.Now())
				}
			}
		}
	}()
	return nil
}

// watchMount calls fn when dir appears in the mount table seen by pid. It
// blocks in poll(2) on /proc/<pid>/mounts, which the kernel wakes on every
// mount-table change, so the stamp does not wait for a polling period.
func watchMount(ctx context.Context, pid int, dir string, fn func(time.Time)) error {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mounts", pid))
	if err != nil {
		return fmt.Errorf("watch mounts: %w", err)
	}
	needle := []byte(" " + dir + " ")
	mounted := func() bool {
		b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<24))
		return err == nil && bytes.Contains(b, needle)
	}
	was := mounted()
	go func() {
		defer f.Close()
		runtime.LockOSThread() // a thread of its own: woken by the kernel, not by the scheduler's timers
		fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLPRI}}
		for ctx.Err() == nil {
			// The kernel's wake-up is the precise stamp, but it was seen to
			// be missed now and then: re-read every 5 ms as well, so a missed
			// wake-up costs at most 5 ms of precision, never the step.
			_, err := unix.Poll(fds, 5)
			at := time.Now()
			if err != nil && err != unix.EINTR {
				return
			}
			is := mounted()
			if is && !was {
				fn(at)
			}
			was = is
		}
	}()
	return nil
}
