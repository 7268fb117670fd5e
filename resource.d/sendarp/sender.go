// Package sendarp sends gratuitous ARP for an address (the SendArp agent and the senders IPaddr and IPaddr2 start).
package sendarp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
)

// Conn is the part of a raw packet socket the sender writes to.
type Conn interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	Close() error
}

// ListenFunc opens a raw ARP socket on an interface.
type ListenFunc func(ifi *net.Interface) (Conn, error)

// ListenRaw opens an AF_PACKET socket for ARP on ifi; unlike arp.Dial it works
// on an interface with no IPv4 address (libraries.md, mdlayher/arp pitfall 1).
func ListenRaw(ifi *net.Interface) (Conn, error) {
	c, err := packet.Listen(ifi, packet.Raw, int(ethernet.EtherTypeARP), nil)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Frames returns the two Ethernet frames of one gratuitous ARP pair as
// COMPAT §6.1 describes stock send_arp's: a request (op 1, SHA/SPA = mac/ip,
// THA zero, TPA = ip) then a reply (op 2, THA = mac), both to broadcast.
// The reply's THA is our own MAC, never broadcast: Linux's neighbour locktime
// ignores the broadcast-THA form (libraries.md, mdlayher/arp pitfall 2).
func Frames(mac net.HardwareAddr, ip netip.Addr) (request, reply []byte, err error) {
	req, err := arp.NewPacket(arp.OperationRequest, mac, ip, net.HardwareAddr{0, 0, 0, 0, 0, 0}, ip)
	if err != nil {
		return nil, nil, fmt.Errorf("build ARP request for %s: %w", ip, err)
	}
	rep, err := arp.NewPacket(arp.OperationReply, mac, ip, mac, ip)
	if err != nil {
		return nil, nil, fmt.Errorf("build ARP reply for %s: %w", ip, err)
	}
	frame := func(p *arp.Packet) ([]byte, error) {
		pb, err := p.MarshalBinary()
		if err != nil {
			return nil, err
		}
		f := ethernet.Frame{Destination: ethernet.Broadcast, Source: mac, EtherType: ethernet.EtherTypeARP, Payload: pb}
		return f.MarshalBinary()
	}
	if request, err = frame(req); err != nil {
		return nil, nil, fmt.Errorf("frame ARP request for %s: %w", ip, err)
	}
	if reply, err = frame(rep); err != nil {
		return nil, nil, fmt.Errorf("frame ARP reply for %s: %w", ip, err)
	}
	return request, reply, nil
}

// Sender owns one raw socket per interface (opened lazily, kept) and the
// running background senders, one per address.
type Sender struct {
	Listen ListenFunc                                       // nil = ListenRaw
	Sleep  func(ctx context.Context, d time.Duration) error // nil = timer sleep

	mu      sync.Mutex
	conns   map[int]Conn        // by interface index
	running map[netip.Addr]*run // by address
}

type run struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Close closes every kept socket after cancelling the running senders.
func (s *Sender) Close() error {
	s.mu.Lock()
	runs := s.running
	s.running = nil
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, r := range runs {
		r.cancel()
		<-r.done
	}
	for _, c := range conns {
		c.Close()
	}
	return nil
}

func (s *Sender) conn(ifi *net.Interface) (Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.conns[ifi.Index]; ok {
		return c, nil
	}
	listen := s.Listen
	if listen == nil {
		listen = ListenRaw
	}
	c, err := listen(ifi)
	if err != nil {
		return nil, fmt.Errorf("open ARP socket on %s: %w", ifi.Name, err)
	}
	if s.conns == nil {
		s.conns = map[int]Conn{}
	}
	s.conns[ifi.Index] = c
	return c, nil
}

func (s *Sender) dropConn(ifi *net.Interface, c Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[ifi.Index] == c {
		delete(s.conns, ifi.Index)
		c.Close()
	}
}

// Start writes the first request/reply pair for ip on ifi and returns; the
// remaining pairs-1 pairs follow in the background, every apart from the
// previous pair. A sender already running for ip is cancelled first.
//
// Stock send_arp spaces every packet evenly (COMPAT §6.1: 250 ms between
// packets, -i 500 per pair); we write each pair's two packets back to back so
// both forms are on the wire when Start returns, and keep stock's pair
// period, count and total duration.
func (s *Sender) Start(ifi *net.Interface, ip netip.Addr, pairs int, every time.Duration) error {
	s.Cancel(ip)
	req, rep, err := Frames(ifi.HardwareAddr, ip)
	if err != nil {
		return err
	}
	c, err := s.conn(ifi)
	if err != nil {
		return err
	}
	if err := writePair(c, req, rep); err != nil {
		// The interface may have been recreated (new index behind the same
		// name, a stale socket): reopen once.
		s.dropConn(ifi, c)
		if c, err = s.conn(ifi); err != nil {
			return err
		}
		if err := writePair(c, req, rep); err != nil {
			return fmt.Errorf("send gratuitous ARP for %s on %s: %w", ip, ifi.Name, err)
		}
	}
	if pairs <= 1 {
		return nil
	}
	sleep := s.Sleep
	if sleep == nil {
		sleep = timerSleep
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if s.running == nil {
		s.running = map[netip.Addr]*run{}
	}
	s.running[ip] = r
	s.mu.Unlock()
	go func() {
		defer s.finish(ip, r)
		for i := 1; i < pairs; i++ {
			if sleep(ctx, every) != nil {
				return
			}
			if writePair(c, req, rep) != nil {
				return
			}
		}
	}()
	return nil
}

func writePair(c Conn, req, rep []byte) error {
	bc := &packet.Addr{HardwareAddr: ethernet.Broadcast}
	if _, err := c.WriteTo(req, bc); err != nil {
		return err
	}
	_, err := c.WriteTo(rep, bc)
	return err
}

func (s *Sender) finish(ip netip.Addr, r *run) {
	s.mu.Lock()
	if s.running[ip] == r {
		delete(s.running, ip)
	}
	s.mu.Unlock()
	r.cancel()
	close(r.done)
}

// Cancel stops a running sender for ip and waits for it; it reports whether one was running.
func (s *Sender) Cancel(ip netip.Addr) bool {
	s.mu.Lock()
	r := s.running[ip]
	s.mu.Unlock()
	if r == nil {
		return false
	}
	r.cancel()
	<-r.done
	return true
}

// Running reports whether a background sender for ip is still sending.
func (s *Sender) Running(ip netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[ip] != nil
}

func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
