package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/hblog"
)

func TestParseCalls(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Call
		err      string
	}{
		{name: "drbdadm stand-in", in: "1795462288.652787547 drbdadm role r0\n1795462288.657901681 drbdadm primary r0\n",
			want: []Call{{time.Unix(1795462288, 652787547), []string{"drbdadm", "role", "r0"}},
				{time.Unix(1795462288, 657901681), []string{"drbdadm", "primary", "r0"}}}},
		{name: "short fraction and blank lines", in: "\n10.5 start node2\n\n11 stop node2",
			want: []Call{{time.Unix(10, 500000000), []string{"start", "node2"}}, {time.Unix(11, 0), []string{"stop", "node2"}}}},
		{name: "fraction past ns is cut", in: "1.1234567899 x\n", want: []Call{{time.Unix(1, 123456789), []string{"x"}}}},
		{name: "no stamp", in: "1.5 ok\ndrbdadm primary r0\n", want: []Call{{time.Unix(1, 500000000), []string{"ok"}}},
			err: `calls:2: bad time stamp "drbdadm"; want seconds.nanoseconds as date +%s.%N prints`},
		{name: "negative", in: "-1.5 x\n", err: `calls:1: bad time stamp "-1.5"`},
		{name: "bad fraction", in: "1.-5 x\n", err: `calls:1: bad time stamp "1.-5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCalls(strings.NewReader(tc.in), "calls")
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want prefix %q", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseCalls: any bytes parse or fail cleanly, and what parses has
// stamps that print back as non-negative seconds.
func FuzzParseCalls(f *testing.F) {
	f.Add([]byte("1795462288.652787547 drbdadm role r0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		calls, _ := ParseCalls(bytes.NewReader(b), "fuzz")
		for _, c := range calls {
			if c.Time.Unix() < 0 {
				t.Fatalf("negative stamp %v from %q", c.Time, b)
			}
		}
	})
}

func TestTimeline(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 19, 31, 27, 730000000, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	ev := func(ms float64, kind, node string, kv ...string) hblog.Event {
		e := hblog.Event{Time: at(ms), Kind: kind, Node: node, Fields: map[string]string{}}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Fields[kv[i]] = kv[i+1]
		}
		return e
	}
	// node2's journal and logs of a real run (19:31:28, see demo.go).
	src := Sources{T0: t0, Dead: "node1",
		Journal: []hblog.Event{
			ev(-10700, "op", "", "kind", "take", "groups", "[]", "op", "1", "why", "req_our_resources"),
			ev(-10699, "op_done", "", "op", "1"),
			ev(918.7, "status", "node1", "old", "active", "new", "dead"),
			ev(919.0, "op", "", "kind", "take", "groups", "[]", "op", "2", "why", "req_our_resources"),
			ev(919.1, "op", "", "kind", "take", "groups", "[drbddisk::r0]", "op", "3", "why", "mach_down"),
			ev(919.1, "node_dead", "node1"),
			ev(919.2, "op_done", "", "op", "2"),
			ev(1113.5, "op_done", "", "op", "3", "result", "drbddisk::r0=0"),
		},
		Drbdadm: []Call{{at(-10709), []string{"drbdadm", "role", "r0"}}, {at(922.8), []string{"drbdadm", "role", "r0"}},
			{at(927.9), []string{"drbdadm", "primary", "r0"}}},
		Service:       []Call{{at(-10000), []string{"start", "node1"}}, {at(1080), []string{"start", "node2"}}},
		LastHeartbeat: at(-83.4), Mounted: at(1073.5), VIPAdded: at(1074.4), Served: at(1107),
	}
	got := Timeline(src)
	want := []Step{
		{"last heartbeat from node1", at(-83.4)},
		{"node1 declared dead", at(918.7)},
		{"takeover started", at(919.1)},
		{"drbdadm primary", at(927.9)},
		{"filesystem mounted", at(1073.5)},
		{"VIP added", at(1074.4)},
		{"service start called", at(1080)},
		{"client served again", at(1107)},
		{"takeover complete", at(1113.5)},
		{"first gratuitous ARP at the client", time.Time{}},
		{"service listening", time.Time{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	var b bytes.Buffer
	WriteTimeline(&b, t0, got[:2])
	WriteTimeline(&b, t0, got[len(got)-1:])
	wantText := `failover timeline (ms after the crash):
     -83.4  last heartbeat from node1
     918.7  node1 declared dead
failover timeline (ms after the crash):
         -  service listening (not seen)
`
	if diff := cmp.Diff(wantText, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

// frame builds an Ethernet frame of type typ around payload.
func frame(typ uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], []byte{2, 0x77, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(b[12:14], typ)
	return append(b, payload...)
}

func arp(op uint16, mac net.HardwareAddr, ip net.IP) []byte {
	a := []byte{0, 1, 8, 0, 6, 4, 0, byte(op)}
	a = append(a, mac...)
	a = append(a, ip.To4()...)
	a = append(a, 0, 0, 0, 0, 0, 0)
	return append(a, ip.To4()...)
}

func udp(src net.IP, dport uint16) []byte {
	ip := make([]byte, 28)
	ip[0] = 0x45
	ip[9] = 17
	copy(ip[12:16], src.To4())
	copy(ip[16:20], net.IPv4(10, 78, 0, 2).To4())
	binary.BigEndian.PutUint16(ip[22:24], dport)
	return ip
}

func TestFrames(t *testing.T) {
	mac := net.HardwareAddr{2, 0x77, 0, 0, 0, 2}
	other := net.HardwareAddr{2, 0x77, 0, 0, 0, 1}
	vip, node1 := net.ParseIP("10.77.0.100"), net.ParseIP("10.78.0.1")
	for _, tc := range []struct {
		name      string
		frame     []byte
		garp, hbt bool
	}{
		{"garp request", frame(0x0806, arp(1, mac, vip)), true, false},
		{"garp reply", frame(0x0806, arp(2, mac, vip)), true, false},
		{"arp from the other node", frame(0x0806, arp(1, other, vip)), false, false},
		{"arp for another address", frame(0x0806, arp(1, mac, net.ParseIP("10.77.0.2"))), false, false},
		{"truncated arp", frame(0x0806, arp(1, mac, vip))[:30], false, false},
		{"heartbeat", frame(0x0800, udp(node1, 694)), false, true},
		{"other port", frame(0x0800, udp(node1, 695)), false, false},
		{"other source", frame(0x0800, udp(net.ParseIP("10.78.0.2"), 694)), false, false},
		{"truncated ip", frame(0x0800, udp(node1, 694))[:20], false, false},
		{"empty", nil, false, false},
	} {
		if got := IsGARP(tc.frame, mac, vip); got != tc.garp {
			t.Errorf("%s: IsGARP = %v, want %v", tc.name, got, tc.garp)
		}
		if got := IsHeartbeat(tc.frame, node1, 694); got != tc.hbt {
			t.Errorf("%s: IsHeartbeat = %v, want %v", tc.name, got, tc.hbt)
		}
	}
}

// FuzzFrames: the frame matchers never read past a short frame.
func FuzzFrames(f *testing.F) {
	f.Add(frame(0x0806, arp(1, net.HardwareAddr{2, 0x77, 0, 0, 0, 2}, net.ParseIP("10.77.0.100"))))
	f.Add(frame(0x0800, udp(net.ParseIP("10.78.0.1"), 694)))
	f.Fuzz(func(t *testing.T, b []byte) {
		IsGARP(b, net.HardwareAddr{2, 0x77, 0, 0, 0, 2}, net.ParseIP("10.77.0.100"))
		IsHeartbeat(b, net.ParseIP("10.78.0.1"), 694)
	})
}
