package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		head string
		want Kind
	}{
		{"\xd4\xc3\xb2\xa1\x02\x00", Pcap},
		{"\xa1\xb2\xc3\xd4", Pcap},
		{"\x4d\x3c\xb2\xa1", Pcap},
		{"\xa1\xb2\x3c\x4d", Pcap},
		{"\x0a\x0d\x0d\x0a", Pcapng},
		{"###\n12:(0)t=status,", Raw},
		{">>>\nt=status\n", Serial},
		{"noise\x00\n>>>\nt=status\n", Serial},
		{"###", Unknown},
		{"", Unknown},
		{"hello world\n", Unknown},
		{"\x1f\x8b\x08", Unknown}, // Read looks inside gzip itself
	} {
		if got := Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

// payloads returns the UDP payloads of ucast-sha1/capture.pcap, which the
// other fixtures were made from.
func payloads(t *testing.T) [][]byte {
	t.Helper()
	pkts, err := ReadFile("testdata/ucast-sha1/capture.pcap", DefaultPort)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, p := range pkts {
		out = append(out, p.Payload)
	}
	return out
}

// scenario is one row of testdata/scenarios.tsv, the stock captures'
// index shared with package decode.
type scenario struct {
	file, keys string
	n          int
	src, dst   string // first message's; "-" for serial streams
}

func scenarios(t *testing.T) []scenario {
	t.Helper()
	b, err := os.ReadFile("testdata/scenarios.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []scenario
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(l, "\t")
		if strings.HasPrefix(l, "#") || len(f) != 5 {
			continue
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("scenarios.tsv: %q: %v", l, err)
		}
		out = append(out, scenario{f[0], f[1], n, f[3], f[4]})
	}
	if len(out) < 8 {
		t.Fatalf("scenarios.tsv: only %d rows", len(out))
	}
	return out
}

// TestScenarios reads stock heartbeat's captures: every datagram on port 694
// (every frame of a serial stream) comes out whole, as many as
// scenarios.tsv says, serial frames back to back.
func TestScenarios(t *testing.T) {
	for _, tc := range scenarios(t) {
		t.Run(tc.file, func(t *testing.T) {
			pkts, err := ReadFile(filepath.Join("testdata", tc.file), DefaultPort)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkts) != tc.n {
				t.Fatalf("got %d packets, want %d", len(pkts), tc.n)
			}
			serial := tc.src == "-"
			for i, p := range pkts {
				if serial {
					if p.Err != nil || !bytes.HasPrefix(p.Payload, []byte(">>>\n")) || !bytes.HasSuffix(p.Payload, []byte("<<<\n")) {
						t.Fatalf("frame %d at %d: %v %.30q", i, p.Offset, p.Err, p.Payload)
					}
					if i > 0 && p.Offset != pkts[i-1].Offset+int64(len(pkts[i-1].Payload)) {
						t.Errorf("frame %d at %d does not follow the previous one", i, p.Offset)
					}
					continue
				}
				if p.Err != nil || !bytes.HasPrefix(p.Payload, []byte("###\n")) || p.Time.IsZero() || p.Frame != i+1 {
					t.Fatalf("packet %d: frame %d time %v err %v payload %.20q", i, p.Frame, p.Time, p.Err, p.Payload)
				}
			}
			if serial {
				return
			}
			if got := pkts[0].Src.String() + " " + pkts[0].Dst.String(); got != tc.src+" "+tc.dst {
				t.Errorf("first packet %s, want %s %s", got, tc.src, tc.dst)
			}
		})
	}
	raw, err := os.ReadFile("testdata/raw-netstring.bin") // payloads/0001-status.bin
	if err != nil {
		t.Fatal(err)
	}
	if p := payloads(t); !bytes.Equal(p[0], raw) {
		t.Errorf("first payload differs from payloads/0001-status.bin")
	}
}

type summary struct {
	Src, Dst string
	Payload  int // index into payloads(), -1 for none
	Frag     bool
}

func summarize(t *testing.T, pkts []Packet, all [][]byte) []summary {
	t.Helper()
	var out []summary
	for _, p := range pkts {
		s := summary{Src: p.Src.String(), Dst: p.Dst.String(), Payload: -1, Frag: errors.Is(p.Err, ErrFragmented)}
		for i, q := range all {
			if p.Payload != nil && bytes.Equal(p.Payload, q) {
				s.Payload = i
				break
			}
		}
		if p.Err != nil && !s.Frag {
			t.Errorf("%s frame %d: %v", p.File, p.Frame, p.Err)
		}
		out = append(out, s)
	}
	return out
}

// TestLinkTypes reads the same stock payloads through every link layer.
func TestLinkTypes(t *testing.T) {
	all := payloads(t)
	// testdata/mkcaptures.sh: payload files 0001-0004, 0007, 0008 over IPv4,
	// 0006 over IPv6, 0010 in two IPv4 fragments; 0005 went to port 695.
	live := []summary{
		{"10.99.0.1:40001", "10.99.0.2:694", 0, false},
		{"10.99.0.1:40001", "10.99.0.2:694", 1, false},
		{"10.99.0.1:40001", "10.99.0.2:694", 2, false},
		{"10.99.0.1:40001", "10.99.0.2:694", 3, false},
		{"10.99.0.2:40002", "10.99.0.1:694", 6, false},
		{"10.99.0.2:40002", "10.99.0.1:694", 7, false},
		{"[fd99::1]:40003", "[fd99::2]:694", 5, false},
		{"10.99.0.1:40004", "10.99.0.2:694", 9, false},
	}
	filtered := append(append([]summary(nil), live[:7]...), summary{"10.99.0.1:40004", "10.99.0.2:694", -1, true})
	var converted []summary
	for i := range fixtureFrames {
		src, dst := "10.78.0.1:45228", "10.78.0.2:694"
		if i >= 6 && i <= 8 {
			src, dst = "10.78.0.2:60211", "10.78.0.1:694"
		}
		converted = append(converted, summary{src, dst, i, false})
	}
	for _, tc := range []struct {
		file string
		want []summary
	}{
		{"sll2.pcap", live},
		{"sll.pcap", live},
		{"sll-portfilter.pcap", filtered},
		{"ucast-sha1.pcapng", converted},
		{"vlan.pcap", converted},
		{"qinq.pcap", converted},
		{"raw.pcap", converted},
		{"ipv4.pcap", converted},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkts, err := ReadFile(filepath.Join("testdata", tc.file), DefaultPort)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(t, pkts, all)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestPort(t *testing.T) {
	pkts, err := ReadFile("testdata/sll2.pcap", 695)
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(t, pkts, payloads(t)); !cmp.Equal(got, []summary{{"10.99.0.1:40001", "10.99.0.2:695", 4, false}}) {
		t.Errorf("port 695: got %v", got)
	}
	pkts, err = ReadFile("testdata/mcast-sha1/capture.pcap", 695)
	if err != nil || len(pkts) != 0 {
		t.Errorf("mcast on port 695: %d packets, %v", len(pkts), err)
	}
}

func TestRawFile(t *testing.T) {
	pkts, err := ReadFile("testdata/raw-netstring.bin", DefaultPort)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 1 || pkts[0].Source() != "testdata/raw-netstring.bin@0" || len(pkts[0].Payload) != 306 || !pkts[0].Time.IsZero() {
		t.Errorf("got %+v", pkts)
	}
}

// pcapOf builds a pcap file in memory.
func pcapOf(t *testing.T, lt layers.LinkType, frames ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestErrors(t *testing.T) {
	whole, err := os.ReadFile("testdata/ucast-sha1/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	var le *LinkTypeError
	for _, tc := range []struct {
		name  string
		data  []byte
		n     int
		check func(error) bool
	}{
		{"empty file", nil, 0, func(err error) bool { return err != nil && !errors.As(err, &fe) }},
		{"not a capture", []byte("GET / HTTP/1.0\r\n"), 0, func(err error) bool { return errors.As(err, &fe) }},
		{"header only", whole[:24], 0, func(err error) bool { return err == nil }},
		{"short header", whole[:20], 0, func(err error) bool { return err != nil }},
		// tcpdump killed mid-write: the records before the cut survive.
		{"cut mid record", whole[:24+3*(16+14+20+8+306)+100], 3, func(err error) bool { return err != nil }},
		{"unsupported link type", pcapOf(t, layers.LinkTypeIEEE802_11), 0, func(err error) bool { return errors.As(err, &le) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts, err := Read(bytes.NewReader(tc.data), "x.pcap", DefaultPort)
			if len(pkts) != tc.n || !tc.check(err) {
				t.Errorf("got %d packets, err %v; want %d", len(pkts), err, tc.n)
			}
		})
	}
}

// TestTruncatedSnaplen: a capture taken with a short -s keeps the start of
// the datagram; the packet says so instead of passing on half a message.
func TestTruncatedSnaplen(t *testing.T) {
	frames, cis := pcapFrames(t, "testdata/ucast-sha1/capture.pcap", 1)
	data, ci := frames[0], cis[0]
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(200, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ci.CaptureLength = 200
	if err := w.WritePacket(ci, data[:200]); err != nil {
		t.Fatal(err)
	}
	pkts, err := Read(&buf, "short.pcap", DefaultPort)
	if err != nil || len(pkts) != 1 || !errors.Is(pkts[0].Err, ErrTruncated) {
		t.Fatalf("got %+v, %v", pkts, err)
	}
	if want := netip.MustParseAddrPort("10.78.0.1:45228"); pkts[0].Src != want {
		t.Errorf("src %v, want %v", pkts[0].Src, want)
	}
}

// TestFragmentOrder: fragments that arrive last-first still reassemble, and
// a lone non-first fragment is dropped silently (its port is unknown).
func TestFragmentOrder(t *testing.T) {
	all, _ := pcapFrames(t, "testdata/sll.pcap", -1)
	var frags [][]byte
	for _, data := range all {
		ip := data[16:]
		if ip[0]>>4 == 4 && ip[9] == 17 && (ip[6]&0x3f != 0 || ip[7] != 0) {
			frags = append(frags, data)
		}
	}
	if len(frags) != 2 {
		t.Fatalf("sll.pcap has %d fragments, want 2", len(frags))
	}
	want := payloads(t)[9]
	pkts, err := Read(bytes.NewReader(pcapOf(t, layers.LinkTypeLinuxSLL, frags[1], frags[0])), "rev.pcap", DefaultPort)
	if err != nil || len(pkts) != 1 || pkts[0].Err != nil || !bytes.Equal(pkts[0].Payload, want) {
		t.Errorf("reversed fragments: %d packets, %v", len(pkts), err)
	}
	pkts, err = Read(bytes.NewReader(pcapOf(t, layers.LinkTypeLinuxSLL, frags[1])), "tail.pcap", DefaultPort)
	if err != nil || len(pkts) != 0 {
		t.Errorf("lone tail fragment: %+v, %v", pkts, err)
	}
}

// TestSerial splits a serial stream with a frame cut by a restart (stock's
// own streams are in TestScenarios).
func TestSerial(t *testing.T) {
	// A frame cut by a restart: its start line, then a new frame begins.
	b := []byte("noise\n>>>\nt=status\nsrc=node1\n>>>\nt=status\n<<<\n>>>\nt=x\n")
	pkts, err := Read(bytes.NewReader(b), "s.bin", DefaultPort)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkts {
		got = append(got, fmt.Sprintf("%s %v", p.Source(), p.Err != nil))
	}
	if diff := cmp.Diff([]string{"s.bin@6 true", "s.bin@29 false", "s.bin@46 true"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// TestPcapngInterfaces: a pcapng with an interface we cannot decode keeps
// the frames of the others; one with only such interfaces is an error.
func TestPcapngInterfaces(t *testing.T) {
	frames, _ := pcapFrames(t, "testdata/ucast-sha1/capture.pcap", 2)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeIEEE802_11, SnapLength: 65535}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	only := func() []byte {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	if err := w.WritePacket(gopacket.CaptureInfo{CaptureLength: 10, Length: 10, InterfaceIndex: 0}, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	wifiOnly := only()
	eth, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f), InterfaceIndex: eth}, f); err != nil {
			t.Fatal(err)
		}
	}
	mixed := only()
	var le *LinkTypeError
	if pkts, err := Read(bytes.NewReader(wifiOnly), "wifi.pcapng", DefaultPort); !errors.As(err, &le) || len(pkts) != 0 {
		t.Errorf("802.11 only: %d packets, %v", len(pkts), err)
	}
	pkts, err := Read(bytes.NewReader(mixed), "mixed.pcapng", DefaultPort)
	if err != nil || len(pkts) != 2 || pkts[0].Frame != 2 {
		t.Errorf("mixed: %+v, %v", pkts, err)
	}
}

// pcapFrames returns the first n records of a pcap file (n < 0: all).
func pcapFrames(t *testing.T, path string, n int) ([][]byte, []gopacket.CaptureInfo) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	var cis []gopacket.CaptureInfo
	for n < 0 || len(frames) < n {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF && n < 0 {
			break
		}
		if err != nil {
			t.Fatalf("%s record %d: %v", path, len(frames)+1, err)
		}
		frames = append(frames, data)
		cis = append(cis, ci)
	}
	return frames, cis
}

func BenchmarkReadFile(b *testing.B) {
	data, err := os.ReadFile("testdata/ucast-sha1/capture.pcap")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), "ucast-sha1.pcap", DefaultPort); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGzip(t *testing.T) {
	whole, err := os.ReadFile("testdata/ucast-sha1/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(whole)
	zw.Close()
	gz := buf.Bytes()
	pkts, err := Read(bytes.NewReader(gz), "x.pcap.gz", DefaultPort)
	if err != nil || len(pkts) != 227 {
		t.Errorf("gzipped capture: %d packets, %v", len(pkts), err)
	}
	// Twice compressed is not looked into.
	var buf2 bytes.Buffer
	zw = gzip.NewWriter(&buf2)
	zw.Write(gz)
	zw.Close()
	var fe *FormatError
	if _, err := Read(&buf2, "x.pcap.gz.gz", DefaultPort); !errors.As(err, &fe) {
		t.Errorf("gzip in gzip: %v", err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// TestFragmentHeldBounded: Scan hands packets out as it reads; a fragmented
// datagram whose other pieces never come holds back at most maxHeld
// packets, then comes out with its error, in capture order. A repeated
// first fragment (a second placeholder for the same datagram) must not
// hold the stream up either.
func TestFragmentHeldBounded(t *testing.T) {
	all, _ := pcapFrames(t, "testdata/sll.pcap", -1)
	var first, plain []byte
	for _, data := range all {
		ip := data[16:]
		if ip[0]>>4 != 4 || ip[9] != 17 {
			continue
		}
		switch {
		case ip[6]&0x20 != 0 && ip[6]&0x1f == 0 && ip[7] == 0:
			first = data // more fragments, offset 0
		case ip[6]&0x3f == 0 && ip[7] == 0 && plain == nil:
			plain = data
		}
	}
	if first == nil || plain == nil {
		t.Fatal("sll.pcap has no first fragment or no whole datagram")
	}
	for _, lead := range [][][]byte{{first}, {first, first}} {
		frames := append([][]byte(nil), lead...)
		const n = 3 * maxHeld
		for range n {
			frames = append(frames, plain)
		}
		file := pcapOf(t, layers.LinkTypeLinuxSLL, frames...)
		cr := &countingReader{r: bytes.NewReader(file)}
		var got []Packet
		readAtFirst := -1
		err := Scan(cr, "held.pcap", DefaultPort, func(p Packet) {
			if len(got) == 0 {
				readAtFirst = cr.n
			}
			got = append(got, p)
		})
		if err != nil || len(got) != len(lead)+n {
			t.Fatalf("%d leading first fragments: %d packets, %v; want %d", len(lead), len(got), err, len(lead)+n)
		}
		for i := range lead {
			if !errors.Is(got[i].Err, ErrFragmented) {
				t.Errorf("%d leading first fragments: packet %d: err %v, want the fragmented placeholder first", len(lead), i, got[i].Err)
			}
		}
		if readAtFirst >= len(file)/2 {
			t.Errorf("%d leading first fragments: first packet handed out after %d of %d bytes; want it within maxHeld packets", len(lead), readAtFirst, len(file))
		}
	}
}
