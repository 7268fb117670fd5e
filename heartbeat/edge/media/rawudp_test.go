package media

import (
	"bytes"
	"net"
	"testing"
)

// loopPair returns a UDP socket on loopback and rawUDP handles that send
// to it from a second socket.
func loopPair(t testing.TB) (rd, wr net.PacketConn, r rawUDP) {
	var err error
	if rd, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if wr, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if r, err = newRawUDP(rd, wr, rd.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	return rd, wr, r
}

// TestRawUDPLoopback sends datagrams to itself over loopback and reads them
// back with their sender, and reads nothing after its socket is closed.
func TestRawUDPLoopback(t *testing.T) {
	rd, wr, r := loopPair(t)
	defer wr.Close()
	buf := make([]byte, 64)
	for _, msg := range []string{"first", "second, longer than the first"} {
		if err := r.send([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		n, from, err := r.recv(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], []byte(msg)) || from.String() != wr.LocalAddr().String() {
			t.Errorf("got %q from %s, want %q from %s", buf[:n], from, msg, wr.LocalAddr())
		}
	}
	if err := r.send(nil); err != nil {
		t.Errorf("empty send: %v", err)
	}
	// A datagram longer than the buffer is cut to it, as recvfrom does.
	if err := r.send([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if n, _, err := r.recv(buf[:4]); err != nil || n != 4 {
		t.Errorf("truncated read: %d, %v; want 4 bytes", n, err)
	}
	rd.Close()
	if _, _, err := r.recv(buf); err == nil {
		t.Error("recv on a closed socket succeeded")
	}
}

// BenchmarkRawUDPRoundTrip is one keepalive-sized datagram sent and read
// back over loopback with raw syscalls (go test -bench RoundTrip).
func BenchmarkRawUDPRoundTrip(b *testing.B) {
	rd, wr, r := loopPair(b)
	defer rd.Close()
	defer wr.Close()
	msg, buf := make([]byte, 250), make([]byte, 2048)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.send(msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := r.recv(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetUDPRoundTrip is the same through net's WriteTo and ReadFrom.
func BenchmarkNetUDPRoundTrip(b *testing.B) {
	rd, wr, _ := loopPair(b)
	defer rd.Close()
	defer wr.Close()
	msg, buf, dst := make([]byte, 250), make([]byte, 2048), rd.LocalAddr()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wr.WriteTo(msg, dst); err != nil {
			b.Fatal(err)
		}
		if _, _, err := rd.ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
	}
}
