package media

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/testnet"
)

// recvWithin waits up to d for a packet on rx; d is a short window for a
// check that nothing arrives, or budget.Left(t) (must) for one that must.
func recvWithin(t *testing.T, rx *Queue, d time.Duration) (Packet, bool) {
	t.Helper()
	select {
	case p := <-rx.C():
		return p, true
	case <-time.After(d):
		return Packet{}, false
	}
}

// must is the bound of a wait for a packet that must arrive: the run's own
// -timeout (harness/budget), so a busy machine stretches it.
func must(t *testing.T) time.Duration { return budget.Left(t) }

func TestMemNetworkDeliversCutsAndHeals(t *testing.T) {
	n := NewMemNetwork(nil)
	rx1, rx2 := NewQueue(4), NewQueue(4)
	m1 := n.Attach("node1", "eth1", false, rx1)
	m2 := n.Attach("node2", "eth1", true, rx2)
	defer m1.Close()
	defer m2.Close()

	if err := m1.Send(Outgoing{Netstring: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	if p, ok := recvWithin(t, rx2, must(t)); !ok || string(p.Data) != "a" || p.Link != "eth1" || p.From != "node1" {
		t.Fatalf("node2 got %+v, %v; want a from node1 on eth1", p, ok)
	}
	if _, ok := recvWithin(t, rx1, 10*time.Millisecond); ok {
		t.Fatal("node1 heard itself without loopback")
	}
	// node2 has loopback: it hears its own message and node1 hears it too.
	_ = m2.Send(Outgoing{Netstring: []byte("b")})
	for _, rx := range []*Queue{rx1, rx2} {
		if p, ok := recvWithin(t, rx, must(t)); !ok || string(p.Data) != "b" {
			t.Fatalf("got %+v, %v; want b", p, ok)
		}
	}
	n.Cut("node1", "eth1")
	_ = m2.Send(Outgoing{Netstring: []byte("c")})
	<-rx2.C() // loopback still works on the uncut node
	if _, ok := recvWithin(t, rx1, 20*time.Millisecond); ok {
		t.Fatal("cut node received")
	}
	n.Heal("node1", "eth1")
	_ = m2.Send(Outgoing{Netstring: []byte("d")})
	if p, ok := recvWithin(t, rx1, must(t)); !ok || string(p.Data) != "d" {
		t.Fatalf("healed node got %+v, %v", p, ok)
	}
}

func TestMemNetworkFullQueueDropsAndCounts(t *testing.T) {
	n := NewMemNetwork(nil)
	rx := NewQueue(0) // nobody reads
	a := n.Attach("a", "l", false, NewQueue(1))
	b := n.Attach("b", "l", false, rx)
	for i := 0; i < 3; i++ {
		_ = a.Send(Outgoing{Netstring: []byte("x")})
	}
	if s := b.Stats(); s.Received != 3 || s.DroppedQueueFull != 3 {
		t.Fatalf("stats %+v, want 3 received and 3 dropped", s)
	}
	_ = b.Close()
	if err := b.Send(Outgoing{}); err != ErrClosed {
		t.Fatalf("send on closed medium: %v, want ErrClosed", err)
	}
}

// TestUDPMediaInNamespaces sends real datagrams between two namespaces over
// each UDP medium and checks link names, addressing and stock's start lines.
func TestUDPMediaInNamespaces(t *testing.T) {
	lab := testnet.New(t, "hbgomed")
	lab.Node("n1")
	lab.Node("n2")
	lab.Veth("n1", "eth1", "10.231.0.1/24", "n2", "eth1", "10.231.0.2/24")
	ctx := context.Background()

	type pair struct {
		name     string
		open1    func(rx *Queue) (Medium, error)
		open2    func(rx *Queue) (Medium, error)
		start1   string
		hearSelf bool
	}
	peer := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	grp := netip.MustParseAddr("239.231.0.1")
	cases := func(lazy bool) []pair {
		return []pair{
			{name: "bcast",
				open1: func(rx *Queue) (Medium, error) {
					return OpenBcast(ctx, BcastSpec{Iface: "eth1", Port: 7694, Lazy: lazy}, rx)
				},
				open2: func(rx *Queue) (Medium, error) {
					return OpenBcast(ctx, BcastSpec{Iface: "eth1", Port: 7694, Lazy: lazy}, rx)
				},
				start1: "glib: UDP Broadcast heartbeat started on port 7694 (7694) interface eth1", hearSelf: true},
			{name: "ucast",
				open1: func(rx *Queue) (Medium, error) {
					return OpenUcast(ctx, UcastSpec{Iface: "eth1", Peer: peer("10.231.0.2"), Port: 7695, Lazy: lazy}, rx)
				},
				open2: func(rx *Queue) (Medium, error) {
					return OpenUcast(ctx, UcastSpec{Iface: "eth1", Peer: peer("10.231.0.1"), Port: 7695, Lazy: lazy}, rx)
				},
				start1: "glib: ucast: started on port 7695 interface eth1 to 10.231.0.2"},
			{name: "mcast",
				open1: func(rx *Queue) (Medium, error) {
					return OpenMcast(ctx, McastSpec{Iface: "eth1", Group: grp, Port: 7696, TTL: 1, Loop: false, Lazy: lazy}, rx)
				},
				open2: func(rx *Queue) (Medium, error) {
					return OpenMcast(ctx, McastSpec{Iface: "eth1", Group: grp, Port: 7696, TTL: 1, Loop: false, Lazy: lazy}, rx)
				},
				start1: "glib: UDP multicast heartbeat started for group 239.231.0.1 port 7696 interface eth1 (ttl=1 loop=0)"},
		}
	}
	// Multicast needs a route for the group on the interface.
	for _, n := range []string{"n1", "n2"} {
		lab.In(n, "ip", "route", "add", "224.0.0.0/4", "dev", "eth1")
	}
	for _, c := range cases(false) {
		t.Run(c.name, func(t *testing.T) {
			rx1, rx2 := NewQueue(8), NewQueue(8)
			var m1, m2 Medium
			var err1, err2 error
			lab.Do("n1", func() { m1, err1 = c.open1(rx1) })
			lab.Do("n2", func() { m2, err2 = c.open2(rx2) })
			if err1 != nil || err2 != nil {
				t.Fatalf("open: %v / %v", err1, err2)
			}
			defer m1.Close()
			defer m2.Close()
			if m1.Started() != c.start1 || m1.Link() != "eth1" || m1.Kind() != c.name {
				t.Errorf("medium: %q %q %q", m1.Started(), m1.Link(), m1.Kind())
			}
			msg := []byte("###\n11:(0)t=status,%%%\n")
			if err := m1.Send(Outgoing{Netstring: msg}); err != nil {
				t.Fatal(err)
			}
			p, ok := recvWithin(t, rx2, must(t))
			if !ok || !bytes.Equal(p.Data, msg) || p.Link != "eth1" {
				t.Fatalf("n2 got %+v, %v", p, ok)
			}
			if a, err := netip.ParseAddrPort(p.From); err != nil || a.Addr() != peer("10.231.0.1") {
				t.Errorf("from %q, want 10.231.0.1:port", p.From)
			}
			_, self := recvWithin(t, rx1, 100*time.Millisecond)
			if self != c.hearSelf {
				t.Errorf("n1 heard its own %s datagram: %v, want %v (COMPAT §2.5)", c.name, self, c.hearSelf)
			}
			if s := m1.Stats(); s.Sent != 1 {
				t.Errorf("stats %+v", s)
			}
		})
	}
	for _, c := range cases(true) {
		t.Run(c.name+"/lazy", func(t *testing.T) { testLazy(t, lab, c.open1, c.open2) })
	}
}

// testLazy: with Lazy, a routine datagram waits on the lazy socket until
// the queue's poll, a non-routine one is read at once, behind the routine
// ones that came before it, and nothing is lost or read twice, whether the
// kernel picks one socket (unicast) or copies it to both (broadcast,
// multicast): the kernel's programs (steer.go) as the running kernel runs
// them.
func testLazy(t *testing.T, lab *testnet.Lab, open1, open2 func(rx *Queue) (Medium, error)) {
	rx1, rx2 := NewQueue(8), NewQueue(8)
	var m1, m2 Medium
	var err1, err2 error
	lab.Do("n1", func() { m1, err1 = open1(rx1) })
	lab.Do("n2", func() { m2, err2 = open2(rx2) })
	if err1 != nil || err2 != nil {
		t.Fatalf("open: %v / %v", err1, err2)
	}
	defer m1.Close()
	defer m2.Close()
	if err := m2.(*udpMedium).lazyErr; err != nil || rx2.poll == nil {
		t.Fatalf("no lazy socket: %v", err)
	}
	send := func(b string) {
		t.Helper()
		if err := m1.Send(Outgoing{Netstring: []byte(b)}); err != nil {
			t.Fatal(err)
		}
	}
	next := func(want string) Packet {
		t.Helper()
		p, ok := recvWithin(t, rx2, must(t))
		if !ok || string(p.Data) != want {
			t.Fatalf("n2 got %q (%v), want %q", p.Data, ok, want)
		}
		return p
	}
	// Routine, then not: the reader queues the first before the second.
	r1, n1 := "###\n11:(0)t=status,1\n", "###\n13:(0)t=resource,1\n"
	sent := time.Now()
	send(r1)
	send(n1)
	p := next(r1)
	if p.At.Before(sent) || p.At.After(time.Now()) {
		t.Errorf("lazy datagram's At %v, not between its send %v and now", p.At, sent)
	}
	next(n1)
	// Routine alone: only a poll reads it.
	r2 := ">>>\nt=NS_ackmsg\n2\n"
	send(r2)
	for {
		if rx2.Len() > 0 {
			t.Fatalf("routine datagram %q read without a poll", (<-rx2.C()).Data)
		}
		if rx2.poll(); rx2.Len() > 0 {
			break
		}
		if budget.Left(t) < time.Second {
			t.Fatal("routine datagram never reached the lazy socket")
		}
		time.Sleep(time.Millisecond)
	}
	next(r2)
	// Too short for any prefix: read at once, as anything not routine.
	send("###\n")
	next("###\n")
	time.Sleep(10 * time.Millisecond) // a copy read twice would be here by now
	if rx2.poll(); rx2.Len() != 0 {
		t.Errorf("%d datagrams read twice: %q", rx2.Len(), (<-rx2.C()).Data)
	}
	if s := m2.Stats(); s.Received != 4 {
		t.Errorf("n2 counted %d received, want 4", s.Received)
	}
	if m1.Kind() != "ucast" {
		return
	}
	// The group's sockets in the other order (as after a socket of it
	// closed and another was bound): a unicast datagram lands in the
	// wrong socket of the two and is read there, never dropped.
	l := m2.(*udpMedium).lazy
	if err := attachProg(l.socks[1].fd, unix.SO_ATTACH_REUSEPORT_CBPF, mustAssemble(routineProg(steerBase, toEager, toLazy))); err != nil {
		t.Fatal(err)
	}
	send(r1)
	send(n1)
	got := map[string]bool{}
	for len(got) < 2 {
		rx2.poll()
		if p, ok := recvWithin(t, rx2, time.Millisecond); ok {
			got[string(p.Data)] = true
		}
		if budget.Left(t) < time.Second {
			t.Fatalf("with the group reordered, n2 got only %v", got)
		}
	}
	if !got[r1] || !got[n1] {
		t.Errorf("with the group reordered, n2 got %v", got)
	}
}

// TestPingLoopback pings 127.0.0.1 and gets the payload back from the ping
// node it was sent to (root only: a raw ICMP socket).
func TestPingLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raw ICMP needs root")
	}
	rx := NewQueue(16)
	lo := netip.MustParseAddr("127.0.0.1")
	p, err := OpenPing([]PingSpec{{Node: "127.0.0.1", Addrs: []netip.Addr{lo}}}, rx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	payload := []byte("t=NS_st\nst=ping\n")
	if err := p.Send("127.0.0.1", payload); err != nil {
		t.Fatal(err)
	}
	got, ok := recvWithin(t, rx, must(t))
	if !ok {
		t.Fatal("no echo reply from 127.0.0.1")
	}
	if got.Ping != "127.0.0.1" || got.Link != "127.0.0.1" || !bytes.Equal(got.Data, payload) {
		t.Errorf("got %+v, want the payload back from ping node 127.0.0.1", got)
	}
	if s := p.Stats(); s.Sent != 1 || s.Received != 1 {
		t.Errorf("stats %+v, want 1 sent, 1 received", s)
	}
}
