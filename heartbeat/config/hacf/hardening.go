package hacf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"hbgo/internal/diag"
)

// controlByte returns the first byte of s below 0x20 or DEL, and whether
// there is one.
func controlByte(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return s[i], true
		}
	}
	return 0, false
}

// checkHardening refuses what stock accepts but no working cluster can use
// (docs/CONFIG.md, "What hbgo refuses beyond stock heartbeat"):
//   - a node name with a NUL or control byte: node names travel in every
//     message, and the classic format and the serial link are
//     line-oriented (PROTOCOL §3.3), so a newline in a name would start a
//     field of the sender's choosing;
//   - a ucast peer that is the unspecified, limited broadcast or a
//     multicast address: ucast is one peer, and those are none or every
//     host (PROTOCOL §12.2).
func (p *parser) checkHardening() {
	c := p.cfg
	for _, d := range c.Directives {
		if d.Name != "node" {
			continue
		}
		if b, bad := controlByte(d.Value); bad {
			p.probs = append(p.probs, diag.Problem{File: p.file, Line: d.Line, Severity: diag.Error,
				What: fmt.Sprintf("node name %s holds the control byte %s", strconv.Quote(d.Value), strconv.QuoteRune(rune(b))),
				Hint: "write the node's name as uname -n prints it (letters, digits, '-', '.')"})
		}
		if p.nulOn(d.Line) {
			p.probs = append(p.probs, diag.Problem{File: p.file, Line: d.Line, Severity: diag.Error,
				What: fmt.Sprintf("node line holds a NUL byte; the name would be cut to %s", strconv.Quote(d.Value)),
				Hint: "write the node's name as uname -n prints it, in plain text"})
		}
	}
	for _, m := range c.Media {
		if m.Type != MediumUcast && m.Type != MediumUcast6 {
			continue
		}
		a, err := netip.ParseAddr(m.Peer)
		if err != nil {
			continue // a host name, resolved at start
		}
		why := ""
		switch {
		case a.IsUnspecified():
			why = "the unspecified address"
		case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			why = "the limited broadcast address"
		case a.IsMulticast():
			why = "a multicast address"
		}
		if why == "" {
			continue
		}
		other := "bcast " + m.Iface
		if a.IsMulticast() {
			other = fmt.Sprintf("mcast %s %s %d 1 0", m.Iface, m.Peer, m.Port)
		}
		p.probs = append(p.probs, diag.Problem{File: p.file, Line: m.Line, Severity: diag.Error,
			What: fmt.Sprintf("%s peer %s is %s, not one node", m.Type, m.Peer, why),
			Hint: fmt.Sprintf("write %s %s <the peer's own address>, or %s for a link to every node", m.Type, m.Iface, other)})
	}
}

// nulOn reports whether the lexer cut line n at a NUL byte.
func (p *parser) nulOn(n int) bool {
	for _, pr := range p.probs {
		if pr.Line == n && pr.Severity == diag.Warning && strings.HasPrefix(pr.What, "text after a NUL byte") {
			return true
		}
	}
	return false
}
