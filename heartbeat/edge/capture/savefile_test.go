package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// drain collects records from next until io.EOF.
func drain(next func() (Record, error)) ([]Record, error) {
	var recs []Record
	for {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

// readAll reads every record of a savefile with SavefileReader.
func readAll(b []byte) ([]Record, error) {
	sr, err := NewSavefileReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return drain(sr.Next)
}

// readAllPcapgo reads every record of a savefile with gopacket's pcapgo,
// the reader this package used before it had its own.
func readAllPcapgo(b []byte) ([]Record, error) {
	if binary.LittleEndian.Uint32(b) == ngSHB {
		nr, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, err
		}
		return drain(func() (Record, error) {
			data, ci, err := nr.ReadPacketData()
			if err != nil {
				return Record{}, err
			}
			ifc, err := nr.Interface(ci.InterfaceIndex)
			if err != nil {
				return Record{}, err
			}
			return Record{Time: ci.Timestamp, Link: LinkType(ifc.LinkType), Data: data, WireLen: ci.Length, Interface: ci.InterfaceIndex}, nil
		})
	}
	pr, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return drain(func() (Record, error) {
		data, ci, err := pr.ReadPacketData()
		if err != nil {
			return Record{}, err
		}
		return Record{Time: ci.Timestamp, Link: LinkType(pr.LinkType()), Data: data, WireLen: ci.Length}, nil
	})
}

// savefiles lists every pcap and pcapng file in the repository's heartbeat/ tree.
func savefiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".pcap" || ext == ".pcapng") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// capture/testdata alone holds 14; fewer means the walk went wrong.
	if len(files) < 14 {
		t.Fatalf("found only %d savefiles: %v", len(files), files)
	}
	return files
}

// TestSavefileMatchesPcapgo reads every capture in the repository with both
// readers and compares every frame's bytes, timestamp, length and link type.
func TestSavefileMatchesPcapgo(t *testing.T) {
	for _, path := range savefiles(t) {
		t.Run(path, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := readAllPcapgo(b)
			if err != nil {
				t.Fatalf("pcapgo: %v", err)
			}
			got, err := readAll(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatal("no records")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-pcapgo +ours):\n%s", diff)
			}
		})
	}
}

// order is a byte order that can also append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// pcapBuild writes a classic pcap file in the given byte order.
func pcapBuild(o order, nano bool, snaplen uint32, lt LinkType, recs ...Record) []byte {
	magic := uint32(magicMicro)
	if nano {
		magic = magicNano
	}
	b := o.AppendUint32(nil, magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = o.AppendUint32(b, 0) // thiszone
	b = o.AppendUint32(b, 0) // sigfigs
	b = o.AppendUint32(b, snaplen)
	b = o.AppendUint32(b, uint32(lt))
	for _, r := range recs {
		frac := r.Time.Nanosecond()
		if !nano {
			frac /= 1000
		}
		b = o.AppendUint32(b, uint32(r.Time.Unix()))
		b = o.AppendUint32(b, uint32(frac))
		b = o.AppendUint32(b, uint32(len(r.Data)))
		b = o.AppendUint32(b, uint32(r.WireLen))
		b = append(b, r.Data...)
	}
	return b
}

// ng builds a pcapng file block by block.
type ng struct {
	o order
	b []byte
}

// block appends a block with a correct total length and padding.
func (n *ng) block(typ uint32, body []byte) *ng {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	l := uint32(12 + len(body))
	n.b = n.o.AppendUint32(n.b, typ)
	n.b = n.o.AppendUint32(n.b, l)
	n.b = append(n.b, body...)
	n.b = n.o.AppendUint32(n.b, l)
	return n
}

func (n *ng) shb(o order) *ng {
	n.o = o
	body := o.AppendUint32(nil, ngBOM)
	body = o.AppendUint16(body, 1)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint64(body, ^uint64(0)) // section length unknown
	return n.block(ngSHB, body)
}

// idb appends an interface; opts are (code, value) pairs.
func (n *ng) idb(lt LinkType, snaplen uint32, opts ...any) *ng {
	body := n.o.AppendUint16(nil, uint16(lt))
	body = n.o.AppendUint16(body, 0)
	body = n.o.AppendUint32(body, snaplen)
	for i := 0; i+1 < len(opts); i += 2 {
		v := opts[i+1].([]byte)
		body = n.o.AppendUint16(body, uint16(opts[i].(int)))
		body = n.o.AppendUint16(body, uint16(len(v)))
		body = append(body, v...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	if len(opts) > 0 {
		body = n.o.AppendUint32(body, 0) // opt_endofopt
	}
	return n.block(ngIDB, body)
}

// epb appends an enhanced packet (pb: an obsolete packet block) with a
// timestamp in the interface's units.
func (n *ng) epb(pb bool, iface uint32, ts uint64, data []byte, wire int) *ng {
	var body []byte
	if pb {
		body = n.o.AppendUint16(nil, uint16(iface))
		body = n.o.AppendUint16(body, 0) // drops
	} else {
		body = n.o.AppendUint32(nil, iface)
	}
	body = n.o.AppendUint32(body, uint32(ts>>32))
	body = n.o.AppendUint32(body, uint32(ts))
	body = n.o.AppendUint32(body, uint32(len(data)))
	body = n.o.AppendUint32(body, uint32(wire))
	body = append(body, data...)
	if pb {
		return n.block(ngPB, body)
	}
	return n.block(ngEPB, body)
}

func (n *ng) spb(data []byte, wire int) *ng {
	return n.block(ngSPB, append(n.o.AppendUint32(nil, uint32(wire)), data...))
}

func frameOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return b
}

var t0 = time.Date(2026, 11, 23, 22, 3, 41, 123456789, time.UTC)

// synthetic are hand-built savefiles covering what the repository's
// captures do not: big-endian files, several interfaces and sections,
// simple and obsolete packet blocks, skipped blocks.
func synthetic() map[string][]byte {
	us := t0.Truncate(time.Microsecond)
	recs := []Record{
		{Time: us, Data: frameOf(60), WireLen: 60},
		{Time: us.Add(time.Second), Data: frameOf(40), WireLen: 1500},
	}
	nsRecs := []Record{{Time: t0, Data: frameOf(60), WireLen: 60}}
	m := map[string][]byte{
		"pcap little-endian µs": pcapBuild(binary.LittleEndian, false, 65535, LinkTypeEthernet, recs...),
		"pcap big-endian µs":    pcapBuild(binary.BigEndian, false, 65535, LinkTypeEthernet, recs...),
		"pcap big-endian ns":    pcapBuild(binary.BigEndian, true, 65535, LinkTypeLinuxSLL, nsRecs...),
		"pcap little-endian ns": pcapBuild(binary.LittleEndian, true, 65535, LinkTypeRaw, nsRecs...),
	}
	usTS := uint64(us.UnixMicro())
	nsTS := uint64(t0.UnixNano())
	for _, o := range []order{binary.LittleEndian, binary.BigEndian} {
		n := &ng{}
		n.shb(o).
			idb(LinkTypeEthernet, 262144).
			idb(LinkTypeLinuxSLL2, 0, 9, []byte{9}, 2, []byte("if_description")).
			block(0x0bad, []byte("custom or unknown: skipped")).
			epb(false, 0, usTS, frameOf(60), 60).
			epb(false, 1, nsTS, frameOf(61), 61).
			block(5, make([]byte, 12)). // interface statistics: interface 0, time 0, no counters
			epb(true, 1, nsTS+1, frameOf(62), 100).
			// A second section in the other byte order starts afresh.
			shb(map[bool]order{true: binary.BigEndian, false: binary.LittleEndian}[o == binary.LittleEndian]).
			idb(LinkTypeRaw, 128, 14, n.o.AppendUint64(nil, 3600)).
			spb(frameOf(50), 50).
			spb(frameOf(128), 400).
			epb(false, 0, usTS, frameOf(20), 20)
		m[fmt.Sprintf("pcapng %v then the other", o)] = n.b
	}
	return m
}

// TestSavefileSyntheticMatchesPcapgo compares the two readers on the
// hand-built files.
func TestSavefileSyntheticMatchesPcapgo(t *testing.T) {
	for name, b := range synthetic() {
		t.Run(name, func(t *testing.T) {
			want, err := readAllPcapgo(b)
			if err != nil {
				t.Fatalf("pcapgo: %v", err)
			}
			got, err := readAll(b)
			if err != nil {
				t.Fatal(err)
			}
			if n := map[bool]int{true: 6, false: len(got)}[strings.HasPrefix(name, "pcapng")]; len(got) == 0 || len(got) != n {
				t.Fatalf("%d records, want %d", len(got), n)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-pcapgo +ours):\n%s", diff)
			}
		})
	}
}

// TestSavefilePcapng checks the pcapng details directly: interfaces,
// if_tsresol (decimal and binary), if_tsoffset and simple packets.
func TestSavefilePcapng(t *testing.T) {
	n := &ng{}
	n.shb(binary.BigEndian).
		idb(LinkTypeEthernet, 0).
		idb(LinkTypeLinuxSLL, 0, 9, []byte{0x80 | 10}).                        // 2^-10 s
		idb(LinkTypeRaw, 0, 9, []byte{3}, 14, []byte{0, 0, 0, 0, 0, 0, 0, 5}). // ms, +5 s
		idb(LinkTypeIPv6, 16).
		epb(false, 0, 1_500_000_000_000_001, frameOf(10), 10).
		epb(false, 1, 1024*100+512, frameOf(11), 11).
		epb(false, 2, 1_000_250, frameOf(12), 12).
		spb(frameOf(14), 14)
	want := []Record{
		{Time: time.Unix(1_500_000_000, 1000).UTC(), Link: LinkTypeEthernet, Data: frameOf(10), WireLen: 10},
		{Time: time.Unix(100, 500_000_000).UTC(), Link: LinkTypeLinuxSLL, Data: frameOf(11), WireLen: 11, Interface: 1},
		{Time: time.Unix(1005, 250_000_000).UTC(), Link: LinkTypeRaw, Data: frameOf(12), WireLen: 12, Interface: 2},
		{Link: LinkTypeEthernet, Data: frameOf(14), WireLen: 14},
	}
	got, err := readAll(n.b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLinkTypeString(t *testing.T) {
	for lt, want := range map[LinkType]string{
		LinkTypeEthernet: "Ethernet", LinkTypeLinuxSLL2: "Linux SLL2", LinkTypeIEEE802_11: "802.11", 147: "UnknownLinkType",
	} {
		if got := lt.String(); got != want {
			t.Errorf("LinkType(%d) = %q, want %q", uint32(lt), got, want)
		}
	}
}

// withLen overwrites the 32-bit value at off.
func withLen(b []byte, off int, o order, v uint32) []byte {
	b = append([]byte(nil), b...)
	o.PutUint32(b[off:], v)
	return b
}

// TestSavefileMalformed: every damaged header is an error, never a panic
// and never an allocation sized by a length field.
func TestSavefileMalformed(t *testing.T) {
	le := binary.LittleEndian
	one := []Record{{Time: t0, Data: frameOf(60), WireLen: 60}}
	good := pcapBuild(le, true, 65535, LinkTypeEthernet, one...)
	two := pcapBuild(le, true, 65535, LinkTypeEthernet, append(one, one...)...)
	ngGood := (&ng{}).shb(le).idb(LinkTypeEthernet, 65535).epb(false, 0, 0, frameOf(60), 60).b
	shbLen := 28
	idbEnd := shbLen + 20
	epbLenOff := idbEnd + 4
	for _, tc := range []struct {
		name string
		in   []byte
		want error // what errors.Is must find
		msg  string
	}{
		{"empty", nil, io.EOF, ""},
		{"truncated global header", good[:10], io.ErrUnexpectedEOF, ""},
		{"bad magic", append([]byte{0xde, 0xad, 0xbe, 0xef}, good[4:]...), ErrSavefile, "unknown magic 0xdeadbeef"},
		{"pcap version 3", withLen(good, 4, le, 3), ErrSavefile, "pcap version 3.0"},
		{"record header truncated", two[:24+16+60+8], io.ErrUnexpectedEOF, ""},
		{"record longer than the file", two[:len(two)-1], io.ErrUnexpectedEOF, ""},
		{"record longer than snaplen", withLen(good, 16, le, 59), ErrSavefile, "exceeds the snap length 59"},
		{"record longer than its wire length", withLen(good, 24+12, le, 59), ErrSavefile, "exceeds the original length"},
		{"huge record", withLen(withLen(withLen(good, 16, le, 0xffffffff), 24+8, le, 0xfffffff0), 24+12, le, 0xfffffff0), ErrSavefile, "exceeds the snap length"},
		{"record just under the limit, file cut", withLen(withLen(withLen(good, 16, le, 0), 24+8, le, maxRecord), 24+12, le, maxRecord), io.ErrUnexpectedEOF, ""},
		{"pcapng truncated section header", ngGood[:20], io.ErrUnexpectedEOF, ""},
		{"pcapng bad byte-order magic", withLen(ngGood, 8, le, 0x12345678), ErrSavefile, "byte-order magic"},
		{"pcapng version 2", withLen(ngGood, 12, le, 2), ErrSavefile, "pcapng version 2.0"},
		{"pcapng section header too short", (&ng{o: le}).block(ngSHB, le.AppendUint32(nil, ngBOM)).b, ErrSavefile, "too short"},
		{"zero-length block", withLen(ngGood, epbLenOff, le, 0), ErrSavefile, "block length 0 is too short"},
		{"zero-length unknown block", append(append([]byte(nil), ngGood...), 0xad, 0x0b, 0, 0, 0, 0, 0, 0), ErrSavefile, "block length 0 is too short"},
		{"block length not a multiple of 4", withLen(ngGood, epbLenOff, le, 13), ErrSavefile, "not a multiple of 4"},
		{"unknown block length not a multiple of 4", append(append([]byte(nil), ngGood...), 0xad, 0x0b, 0, 0, 13, 0, 0, 0), ErrSavefile, "not a multiple of 4"},
		{"huge block length", withLen(ngGood, epbLenOff, le, 0xfffffffc), ErrSavefile, "over the"},
		{"huge section header", withLen(ngGood, 4, le, 0xfffffffc), ErrSavefile, "over the"},
		{"block length past the end", withLen(ngGood, epbLenOff, le, 8<<20), io.ErrUnexpectedEOF, ""},
		{"trailing length differs", withLen(ngGood, len(ngGood)-4, le, 12), ErrSavefile, "trailing length"},
		{"block header cut", ngGood[:idbEnd+2], io.ErrUnexpectedEOF, ""},
		{"packet before any interface", (&ng{}).shb(le).epb(false, 0, 0, frameOf(4), 4).b, ErrSavefile, "the section has 0"},
		{"simple packet before any interface", (&ng{}).shb(le).spb(frameOf(4), 4).b, ErrSavefile, "before any interface"},
		{"packet on a missing interface", (&ng{}).shb(le).idb(LinkTypeEthernet, 0).epb(true, 1, 0, frameOf(4), 4).b, ErrSavefile, "interface 1"},
		{"captured length past its block", withLen(ngGood, idbEnd+8+12, le, 64), ErrSavefile, "in a 60-byte block body"},
		{"captured length over snaplen", (&ng{}).shb(le).idb(LinkTypeEthernet, 32).epb(false, 0, 0, frameOf(40), 40).b, ErrSavefile, "exceeds the snap length 32"},
		{"interfaces end with their section", (&ng{}).shb(le).idb(LinkTypeEthernet, 0).shb(le).epb(false, 0, 0, frameOf(4), 4).b, ErrSavefile, "the section has 0"},
		{"option overruns its block", (&ng{}).shb(le).block(ngIDB, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 100, 0, 'e', 't', 'h', '0'}).b, ErrSavefile, "overruns"},
		{"timestamp resolution 10^-20", (&ng{}).shb(le).idb(LinkTypeEthernet, 0, 9, []byte{20}).b, ErrSavefile, "10^-20"},
		{"timestamp resolution 2^-64", (&ng{}).shb(le).idb(LinkTypeEthernet, 0, 9, []byte{0x80 | 64}).b, ErrSavefile, "2^-64"},
		{"short interface block", (&ng{}).shb(le).block(ngIDB, []byte{1, 0, 0, 0}).b, ErrSavefile, "interface block body"},
		{"short packet block", (&ng{}).shb(le).idb(LinkTypeEthernet, 0).block(ngEPB, make([]byte, 16)).b, ErrSavefile, "packet block body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := readAll(tc.in)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tc.msg)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<10 {
				t.Errorf("allocated %d bytes for a %d-byte file", grew, len(tc.in))
			}
			// The public entry point must fail the same way.
			if _, err := Read(bytes.NewReader(tc.in), "x", DefaultPort); err == nil {
				t.Error("Read: no error")
			}
		})
	}
}

// TestSavefilePcapFCSBits: the FCS length in the link-type field's top bits
// (pcap-savefile(5)) does not change the link type.
func TestSavefilePcapFCSBits(t *testing.T) {
	b := pcapBuild(binary.BigEndian, false, 0, 0x4<<28|1<<26|LinkTypeEthernet, Record{Data: frameOf(8), WireLen: 8})
	got, err := readAll(b)
	if err != nil || len(got) != 1 || got[0].Link != LinkTypeEthernet {
		t.Fatalf("got %+v, %v; want one Ethernet record", got, err)
	}
}

// TestLinkTypeStringMatchesGopacket: the names in "unsupported link type"
// errors are the ones gopacket printed before this package had its own type.
func TestLinkTypeStringMatchesGopacket(t *testing.T) {
	for lt := range LinkType(277) {
		if lt == 14 {
			continue // DLT_RAW on OpenBSD: gopacket names it only there
		}
		if got, want := lt.String(), layers.LinkType(lt).String(); got != want {
			t.Errorf("LinkType(%d) = %q, gopacket says %q", uint32(lt), got, want)
		}
	}
}
