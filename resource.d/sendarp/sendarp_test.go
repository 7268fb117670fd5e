package sendarp

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/harness/budget"
)

// TestFrames pins the bytes to COMPAT §6.1's observed layout: broadcast
// Ethernet, ARP request (THA zero) then reply (THA = own MAC), SPA = TPA = VIP,
// padded by the kernel, not by us.
func TestFrames(t *testing.T) {
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	req, rep, err := Frames(mac, netip.MustParseAddr("10.0.0.5"))
	if err != nil {
		t.Fatal(err)
	}
	eth := "ffffffffffff" + "525400123456" + "0806"
	hdr := "0001" + "0800" + "06" + "04"
	wantReq := eth + hdr + "0001" + "525400123456" + "0a000005" + "000000000000" + "0a000005"
	wantRep := eth + hdr + "0002" + "525400123456" + "0a000005" + "525400123456" + "0a000005"
	if diff := cmp.Diff(wantReq, hex.EncodeToString(req)[:len(wantReq)]); diff != "" {
		t.Errorf("request (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(wantRep, hex.EncodeToString(rep)[:len(wantRep)]); diff != "" {
		t.Errorf("reply (-want +got)\n%s", diff)
	}
	if strings.Trim(hex.EncodeToString(req)[len(wantReq):], "0") != "" {
		t.Errorf("request has non-zero trailing bytes: %x", req)
	}
}

type fakeConn struct {
	mu     sync.Mutex
	frames [][]byte
	closed bool
}

func (f *fakeConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frames = append(f.frames, append([]byte(nil), b...))
	return len(b), nil
}

func (f *fakeConn) Close() error { f.closed = true; return nil }

func (f *fakeConn) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.frames)
}

var ifi = &net.Interface{Index: 3, Name: "eth0", HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}}

func TestSenderPairs(t *testing.T) {
	fc := &fakeConn{}
	opened := 0
	var slept []time.Duration
	var mu sync.Mutex
	s := &Sender{
		Listen: func(*net.Interface) (Conn, error) { opened++; return fc, nil },
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			slept = append(slept, d)
			mu.Unlock()
			return ctx.Err()
		},
	}
	ip := netip.MustParseAddr("10.0.0.5")
	if err := s.Start(ifi, ip, 10, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if fc.n() < 2 {
		t.Fatalf("Start returned after %d frames, want the first pair written", fc.n())
	}
	budget.Poll(t, func() bool { return !s.Running(ip) }) // the sender's goroutine, on the fake clock
	if fc.n() != 20 {
		t.Errorf("%d frames, want 20 (10 pairs)", fc.n())
	}
	mu.Lock()
	if len(slept) != 9 || slept[0] != 500*time.Millisecond {
		t.Errorf("slept %v, want 9 × 500ms", slept)
	}
	mu.Unlock()
	for i, f := range fc.frames {
		if op := f[21]; int(op) != 1+i%2 {
			t.Errorf("frame %d op %d", i, op)
		}
	}
	// The socket is kept for the next address on the same interface.
	if err := s.Start(ifi, netip.MustParseAddr("10.0.0.6"), 1, time.Second); err != nil {
		t.Fatal(err)
	}
	if opened != 1 {
		t.Errorf("opened %d sockets, want 1", opened)
	}
	s.Close()
	if !fc.closed {
		t.Error("Close left the socket open")
	}
}

func TestSenderCancel(t *testing.T) {
	fc := &fakeConn{}
	s := &Sender{
		Listen: func(*net.Interface) (Conn, error) { return fc, nil },
		Sleep: func(ctx context.Context, d time.Duration) error {
			<-ctx.Done()
			return ctx.Err()
		},
	}
	ip := netip.MustParseAddr("10.0.0.5")
	if err := s.Start(ifi, ip, 5, time.Hour); err != nil {
		t.Fatal(err)
	}
	if !s.Running(ip) {
		t.Fatal("not running after start")
	}
	if !s.Cancel(ip) {
		t.Error("Cancel found no sender")
	}
	if s.Running(ip) || s.Cancel(ip) {
		t.Error("sender still registered after Cancel")
	}
	if fc.n() != 2 {
		t.Errorf("%d frames, want only the first pair", fc.n())
	}
}

func TestParse(t *testing.T) {
	if got, err := Parse([]string{"10.0.0.5/eth1"}); err != nil || got.Iface != "eth1" || got.IP.String() != "10.0.0.5" {
		t.Errorf("Parse = %+v, %v", got, err)
	}
	for _, bad := range [][]string{nil, {"10.0.0.5"}, {"10.0.0.5/"}, {"x/eth0"}, {"10.0.0.5/24/eth0"}, {"a", "b"}} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestAgentStatus(t *testing.T) {
	fc := &fakeConn{}
	s := &Sender{Listen: func(*net.Interface) (Conn, error) { return fc, nil }}
	defer s.Close()
	a, err := New([]string{"10.0.0.5/eth0"}, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Interface = func(string) (*net.Interface, error) { return ifi, nil }
	ctx := context.Background()
	if st, _ := a.Status(ctx); st.Running || st.Text != "INFO:  Resource is stopped" {
		t.Errorf("status = %+v", st)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Status(ctx); !st.Running || st.Text != "INFO:  Running OK" {
		t.Errorf("status = %+v", st)
	}
	a.Stop(ctx)
	if st, _ := a.Status(ctx); st.Running || s.Running(a.T.IP) {
		t.Errorf("after stop: status %+v, sender running %v", st, s.Running(a.T.IP))
	}
}
