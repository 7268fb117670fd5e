package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// LinkType is a savefile's link-layer header type (tcpdump.org/linktypes.html).
type LinkType uint32

// Link types this package names; the values are LINKTYPE_* from
// tcpdump.org/linktypes.html.
const (
	LinkTypeNull       LinkType = 0
	LinkTypeEthernet   LinkType = 1
	LinkTypeRaw        LinkType = 101
	LinkTypeIEEE802_11 LinkType = 105
	LinkTypeLinuxSLL   LinkType = 113
	LinkTypeIPv4       LinkType = 228
	LinkTypeIPv6       LinkType = 229
	LinkTypeLinuxSLL2  LinkType = 276
)

// String names the link type as `heartbeat decode` has always printed it
// in its "unsupported link type" error: gopacket's names for the types it
// had a decoder for, "UnknownLinkType" for every other.
func (lt LinkType) String() string {
	switch lt {
	case 0:
		return "Null"
	case 1:
		return "Ethernet"
	case 9:
		return "PPP"
	case 10:
		return "FDDI"
	case 101, 12, 14: // DLT_RAW is 12, or 14 on OpenBSD
		return "Raw"
	case 105:
		return "802.11"
	case 108:
		return "Loop"
	case 113:
		return "Linux SLL"
	case 117:
		return "PFLog"
	case 119:
		return "Prism"
	case 127:
		return "RadioTap"
	case 220:
		return "USB"
	case 276:
		return "Linux SLL2"
	}
	return "UnknownLinkType"
}

// Record is one frame read from a pcap or pcapng savefile.
type Record struct {
	Time      time.Time // capture time, UTC; zero for pcapng simple packet blocks
	Link      LinkType  // link-layer type of the interface the frame was captured on
	Data      []byte    // the captured bytes (at most the snap length)
	WireLen   int       // the frame's length on the wire
	Interface int       // pcapng interface index within its section; 0 for pcap
}

// Limits that keep a damaged or hostile file from causing huge allocations.
// libpcap's MAXIMUM_SNAPLEN is 262144; Wireshark refuses pcapng blocks over
// 16 MiB.
const (
	maxRecord = 1 << 20  // largest frame accepted, whatever the snap length says
	maxBlock  = 16 << 20 // largest pcapng block accepted
)

// Savefile magic numbers, as read little-endian.
const (
	magicMicro     = 0xa1b2c3d4
	magicNano      = 0xa1b23c4d
	magicMicroSwap = 0xd4c3b2a1
	magicNanoSwap  = 0x4d3cb2a1
	ngSHB          = 0x0a0d0d0a
	ngBOM          = 0x1a2b3c4d
)

// pcapng block types (draft-ietf-opsawg-pcapng §4).
const (
	ngIDB = 1 // interface description
	ngPB  = 2 // obsolete packet block
	ngSPB = 3 // simple packet
	ngEPB = 6 // enhanced packet
)

// ErrSavefile marks a savefile whose structure is damaged (as opposed to an
// I/O error or a truncation, which is io.ErrUnexpectedEOF).
var ErrSavefile = errors.New("malformed savefile")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSavefile, fmt.Sprintf(format, args...))
}

// SavefileReader reads the frames of a pcap or pcapng savefile in order.
type SavefileReader struct {
	r     io.Reader
	ng    bool
	order binary.ByteOrder
	off   int64 // bytes consumed so far
	hdr   [24]byte

	// pcap
	nanoFactor int64
	snaplen    uint32
	link       LinkType

	// pcapng: the interfaces of the current section
	ifaces []ngIface
}

type ngIface struct {
	link     LinkType
	snaplen  uint32
	units    uint64 // timestamp units per second (if_tsresol)
	tsOffset int64  // seconds added to every timestamp (if_tsoffset)
}

// NewSavefileReader reads the pcap global header or the first pcapng
// section header from r.
func NewSavefileReader(r io.Reader) (*SavefileReader, error) {
	s := &SavefileReader{r: r}
	if err := s.full(s.hdr[:4]); err != nil {
		return nil, err
	}
	switch binary.LittleEndian.Uint32(s.hdr[:4]) {
	case magicMicro:
		s.order, s.nanoFactor = binary.LittleEndian, 1000
	case magicNano:
		s.order, s.nanoFactor = binary.LittleEndian, 1
	case magicMicroSwap:
		s.order, s.nanoFactor = binary.BigEndian, 1000
	case magicNanoSwap:
		s.order, s.nanoFactor = binary.BigEndian, 1
	case ngSHB:
		s.ng = true
		if err := s.section(); err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, malformed("unknown magic %#08x", binary.BigEndian.Uint32(s.hdr[:4]))
	}
	h := s.hdr[4:24]
	if err := s.full(h); err != nil {
		return nil, err
	}
	// libpcap reads every 2.x file; only the major version tells formats apart.
	if major := s.order.Uint16(h[0:2]); major != 2 {
		return nil, malformed("pcap version %d.%d, want 2.4", major, s.order.Uint16(h[2:4]))
	}
	s.snaplen = s.order.Uint32(h[12:16])
	// The top bits hold the FCS length and its flag (pcap-savefile(5));
	// libpcap's LT_LINKTYPE keeps the low 26.
	s.link = LinkType(s.order.Uint32(h[16:20]) & 0x03ffffff)
	return s, nil
}

// LinkType returns a classic pcap file's link type (pcapng gives each record its own).
func (s *SavefileReader) LinkType() LinkType { return s.link }

// Next returns the next frame, or io.EOF after the last one. A file cut
// short yields io.ErrUnexpectedEOF; a damaged one an error wrapping ErrSavefile.
func (s *SavefileReader) Next() (Record, error) {
	if s.ng {
		return s.nextNg()
	}
	return s.nextPcap()
}

// full reads exactly len(b) bytes; EOF before the first byte stays io.EOF.
func (s *SavefileReader) full(b []byte) error {
	n, err := io.ReadFull(s.r, b)
	s.off += int64(n)
	return err
}

// body reads n bytes without trusting n: a length from a damaged file
// grows the buffer only as far as the data actually goes.
func (s *SavefileReader) body(n int) ([]byte, error) {
	const eager = 64 << 10
	if n <= eager {
		b := make([]byte, n)
		if err := s.full(b); err != nil {
			return nil, noEOF(err)
		}
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(eager)
	m, err := io.CopyN(&buf, s.r, int64(n))
	s.off += m
	if err != nil {
		return nil, noEOF(err)
	}
	return buf.Bytes(), nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF, for reads that must not end.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (s *SavefileReader) nextPcap() (Record, error) {
	h := s.hdr[:16]
	if err := s.full(h); err != nil {
		return Record{}, err // io.EOF at a record boundary, else ErrUnexpectedEOF
	}
	sec, frac := s.order.Uint32(h[0:4]), s.order.Uint32(h[4:8])
	capLen, wireLen := s.order.Uint32(h[8:12]), s.order.Uint32(h[12:16])
	limit := s.snaplen
	if limit == 0 || limit > maxRecord {
		limit = maxRecord // some writers leave the snap length 0
	}
	if capLen > limit {
		return Record{}, malformed("captured length %d exceeds the snap length %d", capLen, limit)
	}
	if capLen > wireLen {
		return Record{}, malformed("captured length %d exceeds the original length %d", capLen, wireLen)
	}
	data, err := s.body(int(capLen))
	if err != nil {
		return Record{}, err
	}
	return Record{
		Time:    time.Unix(int64(sec), int64(frac)*s.nanoFactor).UTC(),
		Link:    s.link,
		Data:    data,
		WireLen: int(wireLen),
	}, nil
}

// section reads a section header block whose type s.hdr[:4] holds already.
func (s *SavefileReader) section() error {
	h := s.hdr[4:12]
	if err := s.full(h); err != nil {
		return noEOF(err)
	}
	switch binary.LittleEndian.Uint32(h[4:8]) {
	case ngBOM:
		s.order = binary.LittleEndian
	case 0x4d3c2b1a:
		s.order = binary.BigEndian
	default:
		return malformed("section header at offset %d: bad byte-order magic %#08x", s.off-12, binary.BigEndian.Uint32(h[4:8]))
	}
	length := s.order.Uint32(h[0:4])
	b, err := s.blockBody(length, 12)
	if err != nil {
		return fmt.Errorf("section header at offset %d: %w", s.off-12, err)
	}
	if len(b) < 12 { // version, section length
		return malformed("section header block length %d is too short", length)
	}
	if major := s.order.Uint16(b[0:2]); major != 1 {
		return malformed("pcapng version %d.%d, want 1.0", major, s.order.Uint16(b[2:4]))
	}
	s.ifaces = s.ifaces[:0]
	return nil
}

// blockBody checks a block's total length (of which read bytes are consumed
// already), reads the rest and the trailing length, and returns the rest.
func (s *SavefileReader) blockBody(length uint32, read int) ([]byte, error) {
	switch {
	case length%4 != 0:
		return nil, malformed("block length %d is not a multiple of 4", length)
	case length < uint32(read)+4:
		return nil, malformed("block length %d is too short", length)
	case length > maxBlock:
		return nil, malformed("block length %d is over the %d limit", length, maxBlock)
	}
	b, err := s.body(int(length) - read)
	if err != nil {
		return nil, err
	}
	if trail := s.order.Uint32(b[len(b)-4:]); trail != length {
		return nil, malformed("block length %d, trailing length %d", length, trail)
	}
	return b[:len(b)-4], nil
}

func (s *SavefileReader) nextNg() (Record, error) {
	for {
		start := s.off
		if err := s.full(s.hdr[:4]); err != nil {
			return Record{}, err // io.EOF between blocks ends the file
		}
		typ := s.order.Uint32(s.hdr[:4])
		if typ == ngSHB { // palindrome: reads the same in either order
			if err := s.section(); err != nil {
				return Record{}, err
			}
			continue
		}
		if err := s.full(s.hdr[4:8]); err != nil {
			return Record{}, noEOF(err)
		}
		length := s.order.Uint32(s.hdr[4:8])
		var rec Record
		var err error
		switch typ {
		case ngIDB, ngPB, ngSPB, ngEPB:
			var b []byte
			b, err = s.blockBody(length, 8)
			if err == nil {
				var ok bool
				rec, ok, err = s.block(typ, b)
				if err == nil && ok {
					return rec, nil
				}
			}
		default:
			err = s.skip(length)
		}
		if err != nil {
			return Record{}, fmt.Errorf("block type %#x at offset %d: %w", typ, start, err)
		}
	}
}

// skip discards a block the reader does not need (statistics, name
// resolution, decryption secrets, custom and unknown blocks).
func (s *SavefileReader) skip(length uint32) error {
	switch {
	case length%4 != 0:
		return malformed("block length %d is not a multiple of 4", length)
	case length < 12:
		return malformed("block length %d is too short", length)
	case length > maxBlock:
		return malformed("block length %d is over the %d limit", length, maxBlock)
	}
	m, err := io.CopyN(io.Discard, s.r, int64(length)-8)
	s.off += m
	return noEOF(err)
}

// block decodes an interface or packet block body; ok tells whether it was a packet.
func (s *SavefileReader) block(typ uint32, b []byte) (rec Record, ok bool, err error) {
	o := s.order
	switch typ {
	case ngIDB:
		if len(b) < 8 {
			return rec, false, malformed("interface block body %d bytes long", len(b))
		}
		ifc := ngIface{link: LinkType(o.Uint16(b[0:2])), snaplen: o.Uint32(b[4:8]), units: 1e6}
		if err := ifc.options(o, b[8:]); err != nil {
			return rec, false, err
		}
		s.ifaces = append(s.ifaces, ifc)
		return rec, false, nil
	case ngSPB:
		if len(b) < 4 {
			return rec, false, malformed("simple packet block body %d bytes long", len(b))
		}
		if len(s.ifaces) == 0 {
			return rec, false, malformed("simple packet block before any interface block")
		}
		ifc := s.ifaces[0]
		wire := o.Uint32(b[0:4])
		capLen := wire
		if ifc.snaplen != 0 && capLen > ifc.snaplen {
			capLen = ifc.snaplen
		}
		if uint64(capLen) > uint64(len(b)-4) {
			return rec, false, malformed("simple packet of %d bytes in a %d-byte block body", capLen, len(b)-4)
		}
		return Record{Link: ifc.link, Data: b[4 : 4+capLen : 4+capLen], WireLen: int(wire)}, true, nil
	}
	// EPB and the obsolete PB share their layout but for the interface
	// field: 32 bits in an EPB, 16 bits plus a drops count in a PB.
	if len(b) < 20 {
		return rec, false, malformed("packet block body %d bytes long", len(b))
	}
	idx := o.Uint32(b[0:4])
	if typ == ngPB {
		idx = uint32(o.Uint16(b[0:2]))
	}
	if uint64(idx) >= uint64(len(s.ifaces)) {
		return rec, false, malformed("packet on interface %d; the section has %d", idx, len(s.ifaces))
	}
	ifc := s.ifaces[idx]
	ts := uint64(o.Uint32(b[4:8]))<<32 | uint64(o.Uint32(b[8:12]))
	capLen, wire := o.Uint32(b[12:16]), o.Uint32(b[16:20])
	if uint64(capLen) > uint64(len(b)-20) {
		return rec, false, malformed("captured length %d in a %d-byte block body", capLen, len(b)-20)
	}
	if ifc.snaplen != 0 && capLen > ifc.snaplen {
		return rec, false, malformed("captured length %d exceeds the snap length %d", capLen, ifc.snaplen)
	}
	if capLen > maxRecord {
		return rec, false, malformed("captured length %d is over the %d limit", capLen, maxRecord)
	}
	return Record{
		Time:      ifc.time(ts),
		Link:      ifc.link,
		Data:      b[20 : 20+capLen : 20+capLen],
		WireLen:   int(wire),
		Interface: int(idx),
	}, true, nil
}

// options reads the interface options this reader uses: if_tsresol (9)
// and if_tsoffset (14).
func (ifc *ngIface) options(o binary.ByteOrder, b []byte) error {
	for len(b) >= 4 {
		code, n := o.Uint16(b[0:2]), int(o.Uint16(b[2:4]))
		b = b[4:]
		if code == 0 { // opt_endofopt
			return nil
		}
		padded := (n + 3) &^ 3
		if padded > len(b) {
			return malformed("interface option %d of %d bytes overruns its block", code, n)
		}
		v := b[:n]
		b = b[padded:]
		switch {
		case code == 9 && n >= 1:
			e := uint(v[0] & 0x7f)
			if v[0]&0x80 != 0 {
				if e > 63 {
					return malformed("timestamp resolution 2^-%d", e)
				}
				ifc.units = 1 << e
			} else {
				if e > 19 {
					return malformed("timestamp resolution 10^-%d", e)
				}
				ifc.units = 1
				for range e {
					ifc.units *= 10
				}
			}
		case code == 14 && n >= 8:
			ifc.tsOffset = int64(o.Uint64(v))
		}
	}
	return nil
}

// time converts a timestamp in the interface's units to UTC.
func (ifc ngIface) time(ts uint64) time.Time {
	sec, frac := ts/ifc.units, ts%ifc.units
	// frac < units, so frac*1e9 / units fits and Div64 cannot overflow.
	hi, lo := bits.Mul64(frac, 1e9)
	nsec, _ := bits.Div64(hi, lo, ifc.units)
	return time.Unix(int64(sec)+ifc.tsOffset, int64(nsec)).UTC()
}
