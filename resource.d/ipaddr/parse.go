// Package ipaddr is the native IPaddr and IPaddr2: a virtual IPv4 address added with netlink, announced by gratuitous ARP.
package ipaddr

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"hbgo/resource.d/agent"
)

// Kind says which agent's rules apply.
type Kind int

const (
	// IPaddr labels every address <iface>:<n> and sends 10 ARP pairs.
	IPaddr Kind = iota
	// IPaddr2 uses the given label or none and sends 5 ARP pairs.
	IPaddr2
)

func (k Kind) String() string {
	if k == IPaddr2 {
		return "IPaddr2"
	}
	return "IPaddr"
}

// MaxLabel is the kernel's limit on an address label (IFNAMSIZ-1, libraries.md netlink pitfall 1).
const MaxLabel = 15

// Spec is one parsed IPaddr/IPaddr2 argument.
type Spec struct {
	Kind      Kind
	Arg       string     // the argument as written, for the log tag
	IP        netip.Addr // the address
	Bits      int        // prefix length; -1 = not given (findif)
	Iface     string     // interface; "" = not given (findif)
	Label     string     // IPaddr2 only: full label "<iface>:<label>", "" = none
	Broadcast netip.Addr // invalid = not given (highest address of the subnet)
}

// Parse reads `ip[/bits[/iface[/broadcast]]]` as the wrapper does (COMPAT
// §6.1, §6.2): a field 3 starting with a digit is the broadcast address; an
// IPaddr interface `eth0:x` is reduced to eth0; an IPaddr2 `iface:label`
// becomes label "iface:label" (at most 15 bytes).
func Parse(kind Kind, args []string) (Spec, error) {
	hint := "write " + kind.String() + "::<ip>[/<bits>[/<interface>[/<broadcast>]]], e.g. " + kind.String() + "::10.0.0.5/24/eth0"
	bad := func(format string, a ...any) error {
		return &agent.ArgError{Agent: kind.String(), What: fmt.Sprintf(format, a...), Hint: hint}
	}
	if len(args) != 1 {
		// COMPAT §6.1: the wrapper wants exactly two argv words (argument + op).
		return Spec{}, bad("takes exactly one argument, got %d", len(args))
	}
	s := Spec{Kind: kind, Arg: args[0], Bits: -1}
	f := strings.Split(args[0], "/")
	if len(f) > 4 {
		return Spec{}, bad("%q has %d \"/\"-separated fields, at most 4 are allowed", args[0], len(f))
	}
	ip, err := netip.ParseAddr(f[0])
	if err != nil || !ip.Is4() {
		return Spec{}, bad("%q is not an IPv4 address", f[0])
	}
	s.IP = ip
	if len(f) > 1 && f[1] != "" {
		b, err := ParseBits(f[1])
		if err != nil {
			return Spec{}, bad("netmask %q: %v", f[1], err)
		}
		s.Bits = b
	}
	if err := vipError(kind, s.IP, s.Bits); err != nil {
		return Spec{}, err
	}
	var rest []string
	if len(f) > 2 {
		rest = f[2:]
	}
	if len(rest) > 0 && rest[0] != "" && isDigit(rest[0][0]) {
		// COMPAT §6.1: a digit-leading field 3 is the broadcast, no interface.
		if len(rest) > 1 {
			return Spec{}, bad("field 3 %q is a broadcast address, so field 4 %q has no meaning", rest[0], rest[1])
		}
		rest = []string{"", rest[0]}
	}
	if len(rest) > 0 && rest[0] != "" {
		ifc, lbl, hasLabel := strings.Cut(rest[0], ":")
		if ifc == "" {
			return Spec{}, bad("interface %q has an empty name", rest[0])
		}
		if len(ifc) > MaxLabel {
			return Spec{}, bad("interface name %q is longer than %d bytes", ifc, MaxLabel)
		}
		s.Iface = ifc
		if hasLabel && kind == IPaddr2 {
			if lbl == "" {
				return Spec{}, bad("label of %q is empty", rest[0])
			}
			s.Label = ifc + ":" + lbl
			if len(s.Label) > MaxLabel {
				return Spec{}, &agent.ArgError{Agent: kind.String(),
					What: fmt.Sprintf("label %q is %d bytes, the kernel allows %d", s.Label, len(s.Label), MaxLabel),
					Hint: "use a shorter label after the \":\""}
			}
		}
		// IPaddr: "eth0:x" is reduced to eth0, aliases are auto-numbered.
	}
	if len(rest) > 1 && rest[1] != "" {
		bc, err := netip.ParseAddr(rest[1])
		if err != nil || !bc.Is4() {
			return Spec{}, bad("broadcast %q is not an IPv4 address", rest[1])
		}
		s.Broadcast = bc
	}
	return s, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParseBits reads a netmask written as a bit count or, as findif accepts, a dotted quad.
func ParseBits(s string) (int, error) {
	if strings.Contains(s, ".") {
		m, err := netip.ParseAddr(s)
		if err != nil || !m.Is4() {
			return 0, fmt.Errorf("not a bit count or dotted netmask")
		}
		b := m.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n := 0
		for v&(1<<31) != 0 {
			n++
			v <<= 1
		}
		if v != 0 {
			return 0, fmt.Errorf("dotted netmask has non-contiguous bits")
		}
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 32 {
		return 0, fmt.Errorf("bit count must be 0..32")
	}
	return n, nil
}

// Route is the part of an IPv4 main-table route findif looks at.
type Route struct {
	Dst    netip.Prefix // invalid or /0 = default route
	Dev    string
	Metric int
}

// ErrNoRoute is returned when no non-default route contains the address.
type ErrNoRoute struct{ IP netip.Addr }

func (e *ErrNoRoute) Error() string { return "No route to " + e.IP.String() }

// FindIf picks the route for ip as heartbeat's findif did (COMPAT §6.1): the
// non-default route whose network contains ip, lowest metric first, then
// longest prefix. With iface given only routes on it are considered. Default
// routes never match: stock would pick the default route's interface with a
// /32 mask, COMPAT §12.2 recommends failing with "No route to <ip>" instead.
func FindIf(routes []Route, ip netip.Addr, iface string) (Route, error) {
	var cands []Route
	for _, r := range routes {
		if !r.Dst.IsValid() || r.Dst.Bits() == 0 || !r.Dst.Contains(ip) {
			continue
		}
		if iface != "" && r.Dev != iface {
			continue
		}
		cands = append(cands, r)
	}
	if len(cands) == 0 {
		return Route{}, &ErrNoRoute{IP: ip}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Metric != cands[j].Metric {
			return cands[i].Metric < cands[j].Metric
		}
		return cands[i].Dst.Bits() > cands[j].Dst.Bits()
	})
	return cands[0], nil
}

// Broadcast returns the highest address of ip's /bits subnet.
func Broadcast(ip netip.Addr, bits int) netip.Addr {
	b := ip.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if bits < 32 {
		v |= ^uint32(0) >> bits
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Netmask renders a prefix length as a dotted quad.
func Netmask(bits int) string {
	var v uint32
	if bits > 0 {
		v = ^uint32(0) << (32 - bits)
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// MaxAlias is the highest alias number IPaddr uses (COMPAT §6.1: 0…511).
const MaxAlias = 511

// NextLabel returns the lowest free "<iface>:<n>" among the labels already on
// iface. Stock reserved numbers with lock files; we derive them from the
// kernel's labels, so numbers do not skip after a crash.
func NextLabel(iface string, existing []string) (string, error) {
	used := map[int]bool{}
	for _, l := range existing {
		rest, ok := strings.CutPrefix(l, iface+":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil {
			used[n] = true
		}
	}
	for n := 0; n <= MaxAlias; n++ {
		l := fmt.Sprintf("%s:%d", iface, n)
		if !used[n] && len(l) <= MaxLabel {
			return l, nil
		}
	}
	return "", fmt.Errorf("no free alias label %s:0…%d", iface, MaxAlias)
}
