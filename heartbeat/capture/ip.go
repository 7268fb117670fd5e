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
)

// demux turns link-layer frames into the UDP payloads to or from one port,
// reassembling IPv4 fragments.
type demux struct {
	file  string
	port  uint16
	out   []Packet
	frags map[fragKey]*fragGroup
	order []fragKey
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
	slot   int // index in out of the placeholder, -1 when the first fragment is missing
	first  frame
}

func newDemux(file string, port int) *demux {
	return &demux{file: file, port: uint16(port), frags: map[fragKey]*fragGroup{}}
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
		g.slot = len(d.out)
		d.out = append(d.out, Packet{
			Time: f.time, File: d.file, Frame: f.frameNum,
			Src: netip.AddrPortFrom(src, binary.BigEndian.Uint16(payload[0:2])),
			Dst: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(payload[2:4])),
		})
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
		d.out[g.slot] = p
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
	d.out[g.slot].Err = fmt.Errorf("%w: %s of the IPv4 datagram were captured; a 'udp port' filter keeps only first fragments, capture with 'udp port %d or ip[6:2] & 0x1fff != 0'",
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

func (d *demux) drop(key fragKey) {
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
			d.out = append(d.out, p)
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
	d.out = append(d.out, d.parseUDP(f, src, dst, udp, truncated))
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

// finish returns the packets in capture order; fragmented datagrams that
// never completed keep their error.
func (d *demux) finish() []Packet {
	return d.out
}
