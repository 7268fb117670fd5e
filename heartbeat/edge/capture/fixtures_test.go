package capture

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var mkfixtures = flag.Bool("mkfixtures", false, "rewrite the fixtures made from testdata/ucast-sha1/capture.pcap")

// fixtureFrames is how many records of ucast-sha1/capture.pcap the
// converted fixtures keep.
const fixtureFrames = 10

// TestMakeFixtures writes the converted fixtures when run with -mkfixtures:
//
//	go test ./heartbeat/edge/capture -run TestMakeFixtures -mkfixtures
//
// Each holds the first fixtureFrames records of ucast-sha1/capture.pcap (stock
// heartbeat traffic, Ethernet):
//
//	ucast-sha1.pcapng  the same frames as pcapng (pcapgo.NgWriter, one Ethernet interface)
//	vlan.pcap          every frame re-tagged with an 802.1Q header (VLAN 78)
//	qinq.pcap          every frame with 802.1ad outer tag 100 and 802.1Q inner tag 78
//	raw.pcap           the Ethernet header stripped, LINKTYPE_RAW (101)
//	ipv4.pcap          the Ethernet header stripped, LINKTYPE_IPV4 (228)
//
// Without the flag it checks the committed files are what it would write.
func TestMakeFixtures(t *testing.T) {
	frames, cis := pcapFrames(t, "testdata/ucast-sha1/capture.pcap", fixtureFrames)
	tag := func(data []byte, tags ...[]byte) []byte {
		out := append([]byte(nil), data[:12]...)
		for _, t := range tags {
			out = append(out, t...)
		}
		return append(out, data[12:]...)
	}
	write := func(name string, lt layers.LinkType, conv func([]byte) []byte) {
		var buf bytes.Buffer
		w := pcapgo.NewWriterNanos(&buf)
		if err := w.WriteFileHeader(262144, lt); err != nil {
			t.Fatal(err)
		}
		for i, d := range frames {
			d = conv(d)
			ci := cis[i]
			ci.CaptureLength, ci.Length = len(d), len(d)
			if err := w.WritePacket(ci, d); err != nil {
				t.Fatal(err)
			}
		}
		check(t, name, buf.Bytes())
	}
	write("testdata/vlan.pcap", layers.LinkTypeEthernet, func(d []byte) []byte { return tag(d, []byte{0x81, 0x00, 0x00, 78}) })
	write("testdata/qinq.pcap", layers.LinkTypeEthernet, func(d []byte) []byte {
		return tag(d, []byte{0x88, 0xa8, 0x00, 100}, []byte{0x81, 0x00, 0x00, 78})
	})
	write("testdata/raw.pcap", layers.LinkTypeRaw, func(d []byte) []byte { return d[14:] })
	write("testdata/ipv4.pcap", layers.LinkTypeIPv4, func(d []byte) []byte { return d[14:] })

	var buf bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range frames {
		if err := nw.WritePacket(cis[i], d); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}
	check(t, "testdata/ucast-sha1.pcapng", buf.Bytes())
}

func check(t *testing.T, name string, b []byte) {
	t.Helper()
	if *mkfixtures {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (make it with -mkfixtures)", err)
	}
	if !bytes.Equal(old, b) {
		t.Errorf("%s differs from what -mkfixtures would write", name)
	}
}
