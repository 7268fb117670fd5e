package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/capture"
	"hbgo/internal/harness/budget"
)

// progRoutine runs a routine program as the kernel would on payload,
// seen base bytes in (a socket filter sees the UDP header first).
func progRoutine(t testing.TB, base, yes, no uint32, payload []byte) bool {
	t.Helper()
	vm, err := bpf.NewVM(routineProg(base, yes, no))
	if err != nil {
		t.Fatal(err)
	}
	in := append(make([]byte, base), payload...)
	got, err := vm.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if uint32(got) != yes && uint32(got) != no {
		t.Fatalf("program returned %d, neither %d nor %d", got, yes, no)
	}
	return uint32(got) == yes
}

// TestFilterProgKeepsUnicast: a socket filter's program is routineProg
// behind a check that keeps any unicast datagram (the VM has no packet
// type; the namespace test runs it in the kernel).
func TestFilterProgKeepsUnicast(t *testing.T) {
	for _, yes := range []uint32{keepAll, dropIt} {
		p := filterProg(yes, keepAll-yes)
		want := []bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: packetHost, SkipTrue: 1},
			bpf.RetConstant{Val: keepAll},
		}
		if !reflect.DeepEqual(p[:3], want) || !reflect.DeepEqual(p[3:], routineProg(filterBase, yes, keepAll-yes)) {
			t.Errorf("filterProg(%d) = %v", yes, p)
		}
	}
}

// sameAsRoutine checks the three programs' choices against Routine's for
// one payload: the steering and both filters agree with it, so a datagram
// goes to exactly one socket.
func sameAsRoutine(t testing.TB, b []byte) {
	t.Helper()
	want := Routine(Packet{Data: b})
	if got := progRoutine(t, steerBase, toLazy, toEager, b); got != want {
		t.Errorf("steering: routine %v, Routine %v: %.40q", got, want, b)
	}
	if got := progRoutine(t, filterBase, dropIt, keepAll, b); got != want {
		t.Errorf("read socket's filter: routine %v, Routine %v: %.40q", got, want, b)
	}
	if got := progRoutine(t, filterBase, keepAll, dropIt, b); got != want {
		t.Errorf("lazy socket's filter: routine %v, Routine %v: %.40q", got, want, b)
	}
}

// TestRoutineProgMatchesRoutine: the kernel's programs (steer.go) sort as
// Routine does every datagram of the recorded captures (stock's and
// hbgo's), every message type both encodings, and every prefix of a
// routine one (too short: not routine).
func TestRoutineProgMatchesRoutine(t *testing.T) {
	caps, _ := filepath.Glob("../capture/testdata/*/capture.pcap")
	if len(caps) == 0 {
		t.Fatal("no captures in ../capture/testdata")
	}
	routines := 0
	for _, f := range caps {
		ps, err := capture.ReadFile(f, 694)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range ps {
			sameAsRoutine(t, p.Payload)
			if Routine(Packet{Data: p.Payload}) {
				routines++
			}
		}
	}
	if routines == 0 {
		t.Error("no routine datagram in the captures")
	}
	stock, err := os.ReadFile("testdata/stock-ackmsg.bin")
	if err != nil {
		t.Fatal(err)
	}
	sameAsRoutine(t, stock)
	for _, typ := range []string{"status", "NS_ackmsg", "NS_rexmit", "ip-request", "resource", "hbgo-takeover", "statu", "status2"} {
		m := &wire.Message{}
		m.Add(wire.FType, typ)
		m.Add(wire.FSrc, "node1")
		for _, b := range [][]byte{wire.MarshalNetstring(m), wire.MarshalClassic(m)} {
			sameAsRoutine(t, b)
		}
	}
	for _, r := range routine {
		for i := 0; i <= len(r); i++ {
			sameAsRoutine(t, r[:i])
			sameAsRoutine(t, append(r[:i:i], 'x'))
		}
	}
}

// FuzzRoutineProg: for any datagram, the kernel's programs choose as Routine.
func FuzzRoutineProg(f *testing.F) {
	for _, r := range routine {
		f.Add(append(r[:len(r):len(r)], "rest"...))
		f.Add(r[:len(r)-1])
	}
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) { sameAsRoutine(t, b) })
}

// TestLazyFloodReadInTurns: a lazy socket holding more than its queue
// takes is read a queueful at a time, Poll saying more are left, in the
// order the datagrams came and each stamped no later than it was read
// (root: the lazy socket binds to lo as a medium binds its interface).
func TestLazyFloodReadInTurns(t *testing.T) {
	in, rx, _, c := lazyOnLo(t, 8)
	const n = 20
	sent := time.Now()
	for i := range n {
		if _, err := fmt.Fprintf(c, ">>>\nt=status\nseq=%02d\n<<<\n", i); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	polls := 0
	for len(got) < n {
		more := in.Poll()
		polls++
		if more && rx.Len() != cap(rx.c) {
			t.Fatalf("Poll said more with %d of %d queued", rx.Len(), cap(rx.c))
		}
		for {
			p, ok := in.Next()
			if !ok {
				break
			}
			if p.At.Before(sent) || p.At.After(time.Now()) {
				t.Errorf("At %v outside [%v, now]", p.At, sent)
			}
			got = append(got, string(p.Data))
		}
		if budget.Left(t) < time.Second {
			t.Fatalf("read %d of %d", len(got), n)
		}
		if !more {
			time.Sleep(time.Millisecond) // some still on their way
		}
	}
	for i, g := range got {
		if want := fmt.Sprintf(">>>\nt=status\nseq=%02d\n<<<\n", i); g != want {
			t.Fatalf("datagram %d is %q, want %q (out of order)", i, g, want)
		}
	}
	if polls < n/8 {
		t.Errorf("%d polls read %d datagrams through a queue of 8", polls, n)
	}
}

// TestLazyKeepsOrder: statuses and other messages sent back to back land
// in the two sockets of the pair, and are queued in the order they were
// sent, whether the loop's Poll or the medium's reader reads them (root,
// as TestLazyFloodReadInTurns).
func TestLazyKeepsOrder(t *testing.T) {
	in, _, _, c := lazyOnLo(t, 64)
	msg := func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf(">>>\nt=resource\nseq=%02d\n<<<\n", i)
		}
		return fmt.Sprintf(">>>\nt=status\nseq=%02d\n<<<\n", i)
	}
	// One sending CPU: the kernel queues what a CPU sends on loopback in
	// order, but two CPUs' queues in any order (one socket alike).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var one unix.CPUSet
	one.Set(0)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		const n = 31 // the last one not routine: the reader reads it, and all before it
		for i := range n {
			if _, err := io.WriteString(c, msg(i)); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		var ats []time.Time
		for len(got) < n {
			if round%2 == 0 {
				in.Poll() // the loop reads; otherwise the reader does, on the others
			}
			for {
				p, ok := in.Next()
				if !ok {
					break
				}
				got = append(got, string(p.Data))
				ats = append(ats, p.At)
				in.Recycle(p)
			}
			if budget.Left(t) < time.Second {
				t.Fatalf("round %d: read %d of %d", round, len(got), n)
			}
			runtime.Gosched()
		}
		for i, g := range got {
			if g != msg(i) {
				t.Fatalf("round %d: datagram %d is %q, want %q (out of order; At %v)", round, i, g, msg(i), ats)
			}
		}
	}
}

// freePort is a UDP port on 127.0.0.1 that nothing had bound a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// lazyOnLo opens a lazy ucast medium on lo, to itself, with a queue of
// size in a DeferRoutine Inbox, and a socket that sends to it; all closed
// when the test ends (root: SO_BINDTODEVICE; skipped otherwise).
func lazyOnLo(t *testing.T, size int) (*Inbox, *Queue, Medium, net.Conn) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (SO_BINDTODEVICE)")
	}
	in := NewInbox()
	in.DeferRoutine = true
	rx := in.NewQueue(size)
	port := freePort(t)
	m, err := OpenUcast(context.Background(), UcastSpec{Iface: "lo", Peer: netip.MustParseAddr("127.0.0.1"), Port: port, Lazy: true}, rx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.(*udpMedium).LazyErr(); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return in, rx, m, c
}

// TestLazyRefusedKeepsReadSocket: when the lazy socket cannot be set up
// (here: the read socket was bound without SO_REUSEPORT, so the second
// bind fails), openLazy says why and the medium reads every datagram on
// its one socket as before (root, as TestLazyFloodReadInTurns).
func TestLazyRefusedKeepsReadSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (SO_BINDTODEVICE)")
	}
	rx := NewQueue(8)
	port := freePort(t)
	m, err := OpenBcast(context.Background(), BcastSpec{Iface: "lo", Port: port}, rx)
	if err != nil {
		t.Skipf("no bcast on lo here: %v", err)
	}
	defer m.Close()
	u := m.(*udpMedium)
	if l, err := openLazy(u.rd, "lo", rx, &u.c, u.link, time.Now); l != nil || !errors.Is(err, errNoLazy) {
		t.Fatalf("openLazy beside a socket without SO_REUSEPORT: lazy %v, %v; want errNoLazy", l != nil, err)
	}
	c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, b := range []string{">>>\nt=status\n<<<\n", ">>>\nt=resource\n<<<\n"} {
		if _, err := io.WriteString(c, b); err != nil {
			t.Fatal(err)
		}
		if p, ok := recvWithin(t, rx, must(t)); !ok || string(p.Data) != b {
			t.Fatalf("got %q (%v), want %q on the one socket", p.Data, ok, b)
		}
	}
}
