package media

import (
	"fmt"
	"sync"
	"time"
)

// MemNetwork is an in-memory network: media attached to the same link name
// hear each other's messages, as hosts on one LAN segment would. Links can
// be cut and healed per node, so two daemons can be tested without sockets.
type MemNetwork struct {
	mu    sync.Mutex
	now   func() time.Time
	ports map[string][]*memMedium // link name → attached media
	cut   map[[2]string]bool      // (node, link) → isolated
}

// NewMemNetwork returns an empty in-memory network stamping arrivals with now.
func NewMemNetwork(now func() time.Time) *MemNetwork {
	if now == nil {
		now = time.Now
	}
	return &MemNetwork{now: now, ports: map[string][]*memMedium{}, cut: map[[2]string]bool{}}
}

// Attach connects node to link; messages it sends reach every other medium on
// that link (and itself when loopback is set, as bcast/mcast with loop do).
func (n *MemNetwork) Attach(node, link string, loopback bool, rx *Queue) Medium {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := &memMedium{net: n, node: node, link: link, loop: loopback, rx: rx, done: make(chan struct{})}
	n.ports[link] = append(n.ports[link], m)
	return m
}

// Cut isolates node on link: nothing it sends arrives, nothing reaches it.
func (n *MemNetwork) Cut(node, link string) {
	n.mu.Lock()
	n.cut[[2]string{node, link}] = true
	n.mu.Unlock()
}

// Heal undoes Cut.
func (n *MemNetwork) Heal(node, link string) {
	n.mu.Lock()
	delete(n.cut, [2]string{node, link})
	n.mu.Unlock()
}

type memMedium struct {
	net        *MemNetwork
	node, link string
	loop       bool
	rx         *Queue
	c          counters
	done       chan struct{}
	closeOnce  sync.Once
}

func (m *memMedium) Link() string { return m.link }
func (m *memMedium) Kind() string { return "mem" }
func (m *memMedium) Started() string {
	return fmt.Sprintf("in-memory link %s started for %s", m.link, m.node)
}
func (m *memMedium) Stats() Stats { return m.c.snapshot() }

func (m *memMedium) Send(out Outgoing) error {
	select {
	case <-m.done:
		return ErrClosed
	default:
	}
	n := m.net
	n.mu.Lock()
	if n.cut[[2]string{m.node, m.link}] {
		n.mu.Unlock()
		m.c.sent.Add(1) // written, lost on the wire
		return nil
	}
	var to []*memMedium
	for _, o := range n.ports[m.link] {
		if (o != m || m.loop) && !n.cut[[2]string{o.node, o.link}] {
			to = append(to, o)
		}
	}
	at := n.now()
	n.mu.Unlock()
	m.c.sent.Add(1)
	for _, o := range to {
		select {
		case <-o.done:
			continue
		default:
		}
		o.c.deliver(o.rx, Packet{Data: o.rx.copyOf(out.Netstring), Link: o.link, At: at, From: m.node})
	}
	return nil
}

func (m *memMedium) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		n := m.net
		n.mu.Lock()
		defer n.mu.Unlock()
		ms := n.ports[m.link]
		for i, o := range ms {
			if o == m {
				n.ports[m.link] = append(ms[:i:i], ms[i+1:]...)
				break
			}
		}
	})
	return nil
}
