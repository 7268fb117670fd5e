package media

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// TestUDPPacketAllocs pins the allocations of a heartbeat's trip through a
// UDP medium (issue 16 item 5): the loop's send, the reader's receive
// and its copy into the queue, and the loop's Recycle. A ucast medium on
// lo sends to itself. With the Inbox's recycled buffers, the raw system
// calls' callbacks made once and the sender's string kept, a packet
// allocates nothing.
func TestUDPPacketAllocs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_BINDTODEVICE needs root")
	}
	port := freePort(t)
	inbox := NewInbox()
	rx := inbox.NewQueue(16)
	m, err := OpenUcast(context.Background(), UcastSpec{Iface: "lo", Peer: netip.MustParseAddr("127.0.0.1"), Port: port}, rx)
	if err != nil {
		t.Skipf("no ucast on lo here: %v", err)
	}
	defer m.Close()
	pkt := bytes.Repeat([]byte("x"), 300)
	lost := time.NewTimer(budget.Left(t)) // a lost datagram on lo: fail, do not hang
	defer lost.Stop()
	trip := func() {
		if err := m.Send(Outgoing{Netstring: pkt}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-inbox.Ready():
		case <-lost.C:
			t.Fatal("the datagram did not come back")
		}
		p, ok := inbox.Next()
		if !ok || !bytes.Equal(p.Data, pkt) || !strings.HasPrefix(p.From, "127.0.0.1:") {
			t.Fatalf("got %v %q from %q", ok, p.Data, p.From)
		}
		inbox.Recycle(p)
	}
	if n := testing.AllocsPerRun(100, trip); n != 0 {
		t.Errorf("a packet's trip through a UDP medium allocates %v times, want 0", n)
	}
}

// TestLazyPacketAllocs: a routine heartbeat's trip through a lazy
// medium's second socket (the loop's Poll, the kernel's stamp read into
// At) allocates nothing either.
func TestLazyPacketAllocs(t *testing.T) {
	inbox, _, m, _ := lazyOnLo(t, 16)
	pkt := append([]byte(">>>\nt=status\n"), bytes.Repeat([]byte("x"), 300)...)
	trip := func() {
		if err := m.Send(Outgoing{Netstring: pkt}); err != nil {
			t.Fatal(err)
		}
		for !inbox.Poll() && inbox.Len() == 0 {
			if budget.Left(t) < time.Second {
				t.Fatal("the datagram did not come back")
			}
		}
		p, ok := inbox.Next()
		if !ok || !bytes.Equal(p.Data, pkt) || !strings.HasPrefix(p.From, "127.0.0.1:") || p.At.IsZero() {
			t.Fatalf("got %v %q from %q at %v", ok, p.Data, p.From, p.At)
		}
		inbox.Recycle(p)
	}
	if n := testing.AllocsPerRun(100, trip); n != 0 {
		t.Errorf("a routine packet's trip through a lazy socket allocates %v times, want 0", n)
	}
}
