package capture

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Link types this package decodes (tcpdump.org/linktypes.html). DLT_RAW is
// 12 on most systems and 14 on OpenBSD; savefiles should carry 101.
const (
	linkNull      = LinkTypeNull      // BSD loopback: 4-byte host-order family
	linkEthernet  = LinkTypeEthernet  // Ethernet II, 802.1Q/802.1ad tags
	linkRaw       = LinkTypeRaw       // 101: raw IPv4 or IPv6
	linkDLTRaw12  = LinkType(12)      // DLT_RAW as written by some systems
	linkDLTRaw14  = LinkType(14)      // DLT_RAW on OpenBSD
	linkLinuxSLL  = LinkTypeLinuxSLL  // tcpdump -i any before libpcap 1.10
	linkLinuxSLL2 = LinkTypeLinuxSLL2 // tcpdump -i any on Debian 12
	linkIPv4      = LinkTypeIPv4
	linkIPv6      = LinkTypeIPv6
)

// Ethertypes.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ2 = 0x9100
)

func supportedLink(lt LinkType) bool {
	switch lt {
	case linkNull, linkEthernet, linkRaw, linkDLTRaw12, linkDLTRaw14, linkLinuxSLL, linkLinuxSLL2, linkIPv4, linkIPv6:
		return true
	}
	return false
}

// LinkTypeError is a capture whose link-layer type this package cannot decode.
type LinkTypeError struct {
	File     string
	LinkType LinkType
}

func (e *LinkTypeError) Error() string {
	return fmt.Sprintf("%s: unsupported link type %d (%s); capture with tcpdump -i <interface> or -i any", e.File, int(e.LinkType), e.LinkType)
}

// network returns the IP packet inside a link-layer frame, or nil when the
// frame carries something else.
func network(lt LinkType, b []byte) []byte {
	var ethertype int
	switch lt {
	case linkRaw, linkDLTRaw12, linkDLTRaw14, linkIPv4, linkIPv6:
		return b
	case linkNull:
		if len(b) < 4 {
			return nil
		}
		// The family is in the capturing host's byte order: accept both.
		fam := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		if fam > 0xffff {
			fam = uint32(b[3]) | uint32(b[2])<<8 | uint32(b[1])<<16 | uint32(b[0])<<24
		}
		switch fam {
		case 2, 24, 28, 30: // AF_INET; AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin
			return b[4:]
		}
		return nil
	case linkEthernet:
		if len(b) < 14 {
			return nil
		}
		ethertype = int(b[12])<<8 | int(b[13])
		b = b[14:]
		for ethertype == etherVLAN || ethertype == etherQinQ || ethertype == etherQinQ2 {
			if len(b) < 4 {
				return nil
			}
			ethertype = int(b[2])<<8 | int(b[3])
			b = b[4:]
		}
	case linkLinuxSLL:
		// packet type 2, ARPHRD 2, address length 2, address 8, protocol 2.
		if len(b) < 16 {
			return nil
		}
		ethertype = int(b[14])<<8 | int(b[15])
		b = b[16:]
	case linkLinuxSLL2:
		// protocol 2, reserved 2, ifindex 4, ARPHRD 2, packet type 1,
		// address length 1, address 8.
		if len(b) < 20 {
			return nil
		}
		ethertype = int(b[0])<<8 | int(b[1])
		b = b[20:]
	default:
		return nil
	}
	if ethertype == etherIPv4 || ethertype == etherIPv6 {
		return b
	}
	return nil
}

// frame is one captured link-layer record.
type frame struct {
	time     time.Time
	link     LinkType
	data     []byte
	wireLen  int // original length on the wire
	frameNum int
}

func scanPcap(r io.Reader, file string, port int, fn func(Packet)) error {
	sr, err := NewSavefileReader(r)
	if err != nil {
		return fmt.Errorf("%s: pcap header: %w", file, noEOF(err))
	}
	lt := sr.LinkType()
	if !supportedLink(lt) {
		return &LinkTypeError{File: file, LinkType: lt}
	}
	d := newDemux(file, port, fn)
	for n := 1; ; n++ {
		rec, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.finish()
			return fmt.Errorf("%s: record %d: %w", file, n, err)
		}
		d.add(frame{time: rec.Time, link: lt, data: rec.Data, wireLen: rec.WireLen, frameNum: n})
	}
	d.finish()
	return nil
}

func scanPcapng(r io.Reader, file string, port int, fn func(Packet)) error {
	sr, err := NewSavefileReader(r)
	if err != nil {
		return fmt.Errorf("%s: pcapng header: %w", file, noEOF(err))
	}
	d := newDemux(file, port, fn)
	var unsupported *LinkTypeError
	decoded := 0
	for n := 1; ; n++ {
		rec, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.finish()
			return fmt.Errorf("%s: block %d: %w", file, n, err)
		}
		// pcapng gives each interface its own link type; frames from
		// interfaces we cannot decode (USB, Bluetooth…) are skipped.
		if !supportedLink(rec.Link) {
			unsupported = &LinkTypeError{File: file, LinkType: rec.Link}
			continue
		}
		decoded++
		d.add(frame{time: rec.Time, link: rec.Link, data: rec.Data, wireLen: rec.WireLen, frameNum: n})
	}
	d.finish()
	if decoded == 0 && unsupported != nil {
		return unsupported
	}
	return nil
}
