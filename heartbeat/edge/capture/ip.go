package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"
)

// ErrFragmented marks a UDP datagram whose IP fragments were not all captured.
var ErrFragmented = errors.New("fragmented")

// ErrTruncated marks a datagram cut short by the capture's snap length.
var ErrTruncated = errors.New("truncated by the capture's snap length")

const (
	protoUDP      = 17
	ipv6HopByHop  = 0
	ipv6Routing   = 43
	ipv6Fragment  = 44
	ipv6DestOpts  = 60
	maxDatagram   = 65535
	maxFragGroups = 1024 // pending reassemblies kept before the oldest is given up
	// maxHeld bounds the packets held back behind a datagram still being
	// reassembled; past it, that datagram is given up (reported with what
	// was missing) so that memory stays bounded on any capture.
	maxHeld = 4096
)

// demux turns link-layer frames into the UDP payloads to or from one port,
// reassembling IPv4 fragments, and hands them to emit in capture order.
type demux struct {
	file string
	port uint16
	emit func(Packet)
	// held are the packets not yet emitted: the oldest datagram still
	// being reassembled and everything captured after it.
	held  []heldPacket
	base  int // packet number (0-based, over the whole file) of held[0]
	frags map[fragKey]*fragGroup
	order []fragKey
}

// heldPacket is a packet waiting its turn; waiting marks the placeholder
// of a fragmented datagram whose pieces are not all in yet.
type heldPacket struct {
	p       Packet
	waiting bool
	key     fragKey
}

type fragKey struct {
	src, dst netip.Addr
	id       uint16
}

type fragPiece struct {
	off  int
	data []byte
}

type fragGroup struct {
	pieces []fragPiece
	total  int // payload length, known once the last fragment is seen; -1 before
	slot   int // packet number of the placeholder, -1 when the first fragment is missing
	first  frame
}

func newDemux(file string, port int, emit func(Packet)) *demux {
	return &demux{file: file, port: uint16(port), emit: emit, frags: map[fragKey]*fragGroup{}}
}

func (d *demux) add(f frame) {
	ip := network(f.link, f.data)
	if len(ip) == 0 {
		return
	}
	truncated := len(f.data) < f.wireLen
	switch ip[0] >> 4 {
	case 4:
		d.ipv4(f, ip, truncated)
	case 6:
		d.ipv6(f, ip, truncated)
	}
	for len(d.held) > maxHeld && d.held[0].waiting {
		// Give the oldest datagram up; its placeholder keeps its error.
		h := &d.held[0]
		if g := d.frags[h.key]; g != nil && g.slot == d.base {
			d.drop(h.key)
		}
		h.waiting = false
		d.flush()
	}
	d.flush()
}

// push queues a finished packet behind those held back.
func (d *demux) push(p Packet) {
	d.held = append(d.held, heldPacket{p: p})
}

// at returns the held packet with packet number slot.
func (d *demux) at(slot int) *Packet { return &d.held[slot-d.base].p }

// flush emits the held packets up to the first one still waiting.
func (d *demux) flush() {
	n := 0
	for n < len(d.held) && !d.held[n].waiting {
		d.emit(d.held[n].p)
		n++
	}
	if n == 0 {
		return
	}
	d.base += n
	if n == len(d.held) {
		d.held = d.held[:0]
		return
	}
	d.held = append(d.held[:0], d.held[n:]...)
}

func (d *demux) ipv4(f frame, ip []byte, truncated bool) {
	if len(ip) < 20 {
		return
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	if ihl < 20 || total < ihl || len(ip) < ihl || ip[9] != protoUDP {
		return
	}
	src := netip.AddrFrom4([4]byte(ip[12:16]))
	dst := netip.AddrFrom4([4]byte(ip[16:20]))
	short := false
	if total > len(ip) {
		short = true
		total = len(ip)
	} else {
		ip = ip[:total] // drop link-layer padding
	}
	payload := ip[ihl:total]
	flags := binary.BigEndian.Uint16(ip[6:8])
	more := flags&0x2000 != 0
	off := int(flags&0x1fff) * 8
	if !more && off == 0 {
		d.udp(f, src, dst, payload, short && truncated)
		return
	}
	key := fragKey{src: src, dst: dst, id: binary.BigEndian.Uint16(ip[4:6])}
	g := d.frags[key]
	if g == nil {
		if len(d.order) >= maxFragGroups {
			d.drop(d.order[0]) // its placeholder keeps its error
		}
		g = &fragGroup{total: -1, slot: -1}
		d.frags[key] = g
		d.order = append(d.order, key)
	}
	if off == 0 {
		// The first fragment holds the UDP header: keep a placeholder in
		// capture order when it is ours.
		if len(payload) < 8 || !d.ours(payload) {
			d.drop(key)
			return
		}
		g.first = f
		g.slot = d.base + len(d.held)
		d.held = append(d.held, heldPacket{waiting: true, key: key, p: Packet{
			Time: f.time, File: d.file, Frame: f.frameNum,
			Src: netip.AddrPortFrom(src, binary.BigEndian.Uint16(payload[0:2])),
			Dst: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(payload[2:4])),
		}})
	}
	if !more {
		g.total = off + len(payload)
	}
	if off+len(payload) > maxDatagram {
		return
	}
	g.pieces = append(g.pieces, fragPiece{off: off, data: append([]byte(nil), payload...)})
	g.incompleteErr(d)
	if whole := g.assemble(); whole != nil && g.slot >= 0 {
		d.drop(key)
		p := d.parseUDP(g.first, src, dst, whole, false)
		p.Time, p.Frame = f.time, f.frameNum // delivered when the last piece arrived
		*d.at(g.slot) = p
	}
}

// incompleteErr refreshes the placeholder's error with what is still missing.
func (g *fragGroup) incompleteErr(d *demux) {
	if g.slot < 0 {
		return
	}
	have := 0
	for _, p := range g.pieces {
		have += len(p.data)
	}
	got := fmt.Sprintf("only the first %d bytes", have)
	if g.total >= 0 {
		got = fmt.Sprintf("only %d of %d bytes", have, g.total)
	}
	d.at(g.slot).Err = fmt.Errorf("%w: %s of the IPv4 datagram were captured; a 'udp port' filter keeps only first fragments, capture with 'udp port %d or ip[6:2] & 0x1fff != 0'",
		ErrFragmented, got, d.port)
}

// assemble returns the reassembled payload once every byte is present.
func (g *fragGroup) assemble() []byte {
	if g.total < 0 {
		return nil
	}
	sort.SliceStable(g.pieces, func(i, j int) bool { return g.pieces[i].off < g.pieces[j].off })
	covered := 0
	for _, p := range g.pieces {
		if p.off > covered {
			return nil
		}
		covered = max(covered, p.off+len(p.data))
	}
	if covered < g.total {
		return nil
	}
	whole := make([]byte, g.total)
	for _, p := range g.pieces {
		if p.off < g.total {
			copy(whole[p.off:], p.data)
		}
	}
	return whole
}

// drop gives up reassembling key: its placeholder, if any, is emitted as it
// stands at the next flush.
func (d *demux) drop(key fragKey) {
	if g := d.frags[key]; g != nil && g.slot >= d.base {
		d.held[g.slot-d.base].waiting = false
	}
	delete(d.frags, key)
	for i, k := range d.order {
		if k == key {
			d.order = append(d.order[:i], d.order[i+1:]...)
			break
		}
	}
}

func (d *demux) ipv6(f frame, ip []byte, truncated bool) {
	if len(ip) < 40 {
		return
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	src := netip.AddrFrom16([16]byte(ip[8:24]))
	dst := netip.AddrFrom16([16]byte(ip[24:40]))
	next := ip[6]
	rest := ip[40:]
	short := false
	if plen > len(rest) {
		short = true
	} else {
		rest = rest[:plen]
	}
	for {
		switch next {
		case protoUDP:
			d.udp(f, src, dst, rest, short && truncated)
			return
		case ipv6HopByHop, ipv6Routing, ipv6DestOpts:
			if len(rest) < 8 {
				return
			}
			n := (int(rest[1]) + 1) * 8
			if n > len(rest) {
				return
			}
			next, rest = rest[0], rest[n:]
		case ipv6Fragment:
			if len(rest) < 8 {
				return
			}
			off := binary.BigEndian.Uint16(rest[2:4]) &^ 7
			nh := rest[0]
			rest = rest[8:]
			if off != 0 || nh != protoUDP || len(rest) < 8 || !d.ours(rest) {
				return
			}
			// IPv6 reassembly is not implemented: report rather than misparse.
			p := d.parseUDP(f, src, dst, rest, false)
			p.Payload = nil
			p.Err = fmt.Errorf("%w: IPv6 fragments are not reassembled", ErrFragmented)
			d.push(p)
			return
		default:
			return
		}
	}
}

// ours reports whether a UDP header is to or from the selected port.
func (d *demux) ours(udp []byte) bool {
	return binary.BigEndian.Uint16(udp[0:2]) == d.port || binary.BigEndian.Uint16(udp[2:4]) == d.port
}

func (d *demux) udp(f frame, src, dst netip.Addr, udp []byte, truncated bool) {
	if len(udp) < 8 || !d.ours(udp) {
		return
	}
	d.push(d.parseUDP(f, src, dst, udp, truncated))
}

func (d *demux) parseUDP(f frame, src, dst netip.Addr, udp []byte, truncated bool) Packet {
	p := Packet{
		Time: f.time, File: d.file, Frame: f.frameNum,
		Src: netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:2])),
		Dst: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:4])),
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:6]))
	switch {
	case ulen == 0 && len(udp) > 8:
		// IPv6 jumbogram or a sender that leaves the length out: trust IP.
		p.Payload = udp[8:]
	case ulen < 8:
		p.Err = fmt.Errorf("bad UDP length %d", ulen)
	case ulen > len(udp):
		p.Payload = udp[8:]
		if truncated {
			p.Err = fmt.Errorf("%w: %d of %d UDP payload bytes captured", ErrTruncated, len(udp)-8, ulen-8)
		} else {
			p.Err = fmt.Errorf("UDP length %d exceeds the %d bytes of the IP payload", ulen, len(udp))
		}
	default:
		p.Payload = udp[8:ulen]
	}
	return p
}

// finish emits the packets still held, in capture order; fragmented
// datagrams that never completed keep their error.
func (d *demux) finish() {
	for i := range d.held {
		d.held[i].waiting = false
	}
	d.flush()
}
