package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// PingSpec is one `ping <ip>` or `ping_group <name> <ip> …` node (PROTOCOL §12.7).
type PingSpec struct {
	Node  string       // the ping node's name: the address, or the group name
	Addrs []netip.Addr // IPv4 addresses to ping; any reply counts for the node
}

// Pinger sends ICMP echo requests to the ping nodes; each echo reply from a
// node's address goes to the daemon's queue as a Packet whose Ping names
// the node and whose Data is the echoed payload.
type Pinger struct {
	conn  net.PacketConn
	raw   syscall.RawConn // conn's socket, for syscalls that skip the scheduler (see rawUDP)
	id    int
	specs []PingSpec
	byIP  map[netip.Addr]string
	now   func() time.Time
	c     counters
	mu    sync.Mutex
	seq   int
	done  chan struct{}
}

// OpenPing opens a raw ICMP socket for the ping nodes; its reader, like the
// UDP readers, is a plain goroutine on Go's network poller.
func OpenPing(specs []PingSpec, rx *Queue) (*Pinger, error) {
	conn, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("ping: %w", err)
	}
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ping: %w", err)
	}
	p := &Pinger{conn: conn, raw: raw, id: os.Getpid() & 0xffff, specs: specs, byIP: map[netip.Addr]string{},
		now: time.Now, done: make(chan struct{})}
	for _, s := range specs {
		for _, a := range s.Addrs {
			p.byIP[a] = s.Node
		}
	}
	go p.read(rx)
	return p, nil
}

// Send sends payload in an echo request to every address of ping node node.
func (p *Pinger) Send(node string, payload []byte) error {
	p.mu.Lock()
	p.seq = (p.seq + 1) & 0xffff
	seq := p.seq
	p.mu.Unlock()
	b, err := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: seq, Data: payload}}).Marshal(nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range p.specs {
		if s.Node != node {
			continue
		}
		for _, a := range s.Addrs {
			if err := rawSendTo(p.raw, b, netip.AddrPortFrom(a, 0)); err != nil {
				p.c.sendFailed(err, p.now())
				errs = append(errs, err)
				continue
			}
			p.c.sent.Add(1)
		}
	}
	return errors.Join(errs...)
}

func (p *Pinger) read(rx *Queue) {
	buf := make([]byte, 65536)
	for {
		n, from, err := rawRecvFrom(p.raw, buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-p.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		at := p.now()
		if node, data, ok := p.reply(buf[:n], from.Addr()); ok {
			p.c.deliver(rx, Packet{Data: data, Link: node, At: at, From: from.Addr().String(), Ping: node})
		}
	}
}

// reply picks out our echo replies from the ping nodes' addresses; b is
// the datagram as a raw IPv4 socket reads it, IP header first.
func (p *Pinger) reply(b []byte, from netip.Addr) (node string, data []byte, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 || int(b[0]&0x0f)*4 > len(b) {
		return "", nil, false
	}
	m, err := icmp.ParseMessage(1, b[int(b[0]&0x0f)*4:])
	if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
		return "", nil, false
	}
	e, isEcho := m.Body.(*icmp.Echo)
	if !isEcho || e.ID != p.id {
		return "", nil, false
	}
	if node, ok = p.byIP[from]; !ok {
		return "", nil, false
	}
	return node, append([]byte(nil), e.Data...), true
}

// Stats returns the pinger's counters.
func (p *Pinger) Stats() Stats { return p.c.snapshot() }

// Close stops the reader and closes the socket.
func (p *Pinger) Close() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	close(p.done)
	return p.conn.Close()
}
