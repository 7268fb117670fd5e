package media

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// echoPacket is an IPv4 datagram (20-byte header, as a raw socket reads
// it) carrying an ICMP message of type typ with id and payload.
func echoPacket(t testing.TB, typ ipv4.ICMPType, id int, payload string) []byte {
	b, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte(payload)}}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 9, 10, 0, 0, 1}
	return append(h, b...)
}

func TestPingReply(t *testing.T) {
	p := &Pinger{id: 77, byIP: map[netip.Addr]string{netip.MustParseAddr("10.0.0.9"): "gw"}}
	from := netip.MustParseAddr("10.0.0.9")
	reply := echoPacket(t, ipv4.ICMPTypeEchoReply, 77, "t=NS_st")
	type res struct {
		Node, Data string
		OK         bool
	}
	cases := []struct {
		name string
		b    []byte
		from netip.Addr
		want res
	}{
		{"our reply", reply, from, res{"gw", "t=NS_st", true}},
		{"from an address that is no ping node", reply, netip.MustParseAddr("10.0.0.8"), res{}},
		{"someone else's id", echoPacket(t, ipv4.ICMPTypeEchoReply, 78, "x"), from, res{}},
		{"our own request", echoPacket(t, ipv4.ICMPTypeEcho, 77, "x"), from, res{}},
		{"shorter than an IP header", reply[:19], from, res{}},
		{"not IPv4", append([]byte{0x65}, reply[1:]...), from, res{}},
		{"header length beyond the datagram", append([]byte{0x4f}, reply[1:30]...), from, res{}},
		{"header only", reply[:20], from, res{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			node, data, ok := p.reply(c.b, c.from)
			if diff := cmp.Diff(c.want, res{node, string(data), ok}); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func FuzzPingReply(f *testing.F) {
	f.Add(echoPacket(f, ipv4.ICMPTypeEchoReply, 77, "t=NS_st"))
	f.Add([]byte{0x4f, 0, 0})
	p := &Pinger{id: 77, byIP: map[netip.Addr]string{netip.MustParseAddr("10.0.0.9"): "gw"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		if node, _, ok := p.reply(b, netip.MustParseAddr("10.0.0.9")); ok != (node == "gw") {
			t.Fatalf("ok %v with node %q", ok, node)
		}
	})
}
