package wire

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
)

// Limits of PROTOCOL §3.5 and §3.3.
const (
	// MaxMsg is heartbeat's MAXMSG: the largest serialized message.
	MaxMsg = 262144
	// MaxDepth is the deepest struct nesting accepted (the classic
	// encoding has newline bytes for 16 levels, PROTOCOL §3.3).
	MaxDepth = 16
)

// Format is one of heartbeat's two message encodings (PROTOCOL §3).
type Format int

// The two encodings, told apart by the first four bytes.
const (
	Netstring Format = iota + 1 // "###\n" … "%%%\n" + auth trailer (UDP)
	Classic                     // ">>>\n" name=value lines "<<<\n" (serial, FIFO)
)

func (f Format) String() string {
	switch f {
	case Netstring:
		return "netstring"
	case Classic:
		return "classic"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// MalformedError is a packet that does not follow either grammar; Reason is
// a short lower-case phrase (for verdict=malformed:<reason>).
type MalformedError struct {
	Reason string
	Offset int // byte offset in the packet where parsing stopped
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed message: %s at byte %d", e.Reason, e.Offset)
}

func malformed(off int, reason string) error { return &MalformedError{Reason: reason, Offset: off} }

const (
	netStart     = "###\n"
	netEnd       = "%%%\n"
	classicStart = ">>>\n"
	classicEnd   = "<<<\n"
)

// Parse decodes a packet in either format without checking its signature.
// The message's byte values share one private copy of b. It never panics
// and allocates at most 32 bytes per packet byte (TestAllocationBound).
//
// hbgo is stricter than stock here, refusing what no stock sender emits:
// netstring lengths with leading zeros or junk before ':', field names that
// are empty or hold NUL, newline, '=' or start with '(', ">>>" or "<<<", a
// classic message without its "<<<" line, NUL inside a classic message,
// "(0)" prefixes in classic and empty lists or list elements (as stock does),
// non-canonical base64, and nesting deeper than MaxDepth.
func Parse(b []byte) (*Message, Format, error) {
	m, f, _, err := parse(b)
	return m, f, err
}

// parsed is where the signed parts of a packet are.
type parsed struct {
	bodyEnd int    // netstring: end of "%%%\n"
	trailer []byte // netstring: the auth string, nil when absent
}

func parse(b []byte) (*Message, Format, parsed, error) {
	return parseInto(b, nil, nil)
}

// parseInto is parse with the packet copied into *buf and a netstring
// message parsed into into, both reused when not nil (Decoder); a classic
// message is parsed into fresh memory.
func parseInto(b []byte, buf *[]byte, into *Message) (*Message, Format, parsed, error) {
	var p parsed
	if len(b) > MaxMsg {
		return nil, 0, p, malformed(MaxMsg, "packet larger than maxmsg")
	}
	net, classic := bytes.HasPrefix(b, []byte(netStart)), bytes.HasPrefix(b, []byte(classicStart))
	if !net && !classic {
		return nil, 0, p, malformed(0, "unknown format")
	}
	var c []byte // the message's private copy of b
	if buf != nil {
		*buf = append((*buf)[:0], b...)
		c = *buf
	} else {
		c = append([]byte(nil), b...)
	}
	if net {
		if into == nil {
			into = &Message{}
		}
		m, n, err := parseNet(into, c, 0, 0)
		if err != nil {
			return nil, Netstring, p, err
		}
		p.bodyEnd = n
		if rest := c[n:]; len(rest) > 0 {
			tr, _, ok := peelNetstring(rest)
			if !ok {
				return nil, Netstring, p, malformed(n, "bad trailer")
			}
			p.trailer = tr
		}
		return m, Netstring, p, nil
	}
	m, _, err := parseClassic(c, 0, 0)
	if err != nil {
		return nil, Classic, p, err
	}
	return m, Classic, p, nil
}

// parseLen reads a netstring length "N:" at b: decimal, no sign, no
// leading zeros (stricter than stock's cl_parse_int), at most 6 digits.
func parseLen(b []byte) (n, used int, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i == 6 {
			return 0, 0, false
		}
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || i == len(b) || b[i] != ':' || (b[0] == '0' && i > 1) {
		return 0, 0, false
	}
	return n, i + 1, true
}

// peelNetstring takes "N:data," off the front of b.
func peelNetstring(b []byte) (data []byte, used int, ok bool) {
	n, h, ok := parseLen(b)
	if !ok || n > len(b)-h-1 || b[h+n] != ',' {
		return nil, 0, false
	}
	return b[h : h+n], h + n + 1, true
}

// countNet counts the fields of the netstring body at b (b after "###\n"),
// stopping at the first problem; it sizes the field slice exactly.
func countNet(b []byte) int {
	n := 0
	for len(b) > 0 && !bytes.HasPrefix(b, []byte(netEnd)) {
		_, used, ok := peelNetstring(b)
		if !ok {
			break
		}
		n++
		b = b[used:]
	}
	return n
}

// parseNet parses a netstring message without trailer at the start of b
// into m, whose field slice it reuses; base is b's offset in the packet,
// for error offsets.
func parseNet(m *Message, b []byte, base, depth int) (*Message, int, error) {
	if depth > MaxDepth {
		return nil, 0, malformed(base, "nesting too deep")
	}
	if !bytes.HasPrefix(b, []byte(netStart)) {
		return nil, 0, malformed(base, "missing start marker")
	}
	pos := len(netStart)
	m.Fields = m.Fields[:0]
	if n := countNet(b[pos:]); n > cap(m.Fields) {
		m.Fields = make([]Field, 0, n)
	}
	for {
		if pos >= len(b) {
			return nil, 0, malformed(base+pos, "no end marker")
		}
		if bytes.HasPrefix(b[pos:], []byte(netEnd)) {
			return m, pos + len(netEnd), nil
		}
		payload, used, ok := peelNetstring(b[pos:])
		if !ok {
			if n, h, lok := parseLen(b[pos:]); lok {
				if n > len(b)-pos-h-1 {
					return nil, 0, malformed(base+pos+h, "length overflows packet")
				}
				return nil, 0, malformed(base+pos+h+n, "missing comma")
			}
			return nil, 0, malformed(base+pos, "bad length")
		}
		off := base + pos + used - len(payload) - 1
		if len(payload) < 3 || payload[0] != '(' || payload[2] != ')' {
			// Stock asserts here and its whole daemon dies (PROTOCOL §3.2).
			return nil, 0, malformed(off, "missing type prefix")
		}
		t := payload[1] - '0'
		if t > 5 {
			return nil, 0, malformed(off+1, "bad field type")
		}
		eq := bytes.IndexByte(payload[3:], '=')
		if eq < 0 {
			return nil, 0, malformed(off+3, "field without =")
		}
		name := payload[3 : 3+eq]
		if r := badName(name); r != "" {
			return nil, 0, malformed(off+3, r)
		}
		val := payload[3+eq+1:]
		voff := off + 3 + eq + 1
		f := Field{Name: intern(name), Type: FieldType(t)}
		switch f.Type {
		case String, Binary, Compressed:
			f.Value = val
		case Struct, Uncompressed:
			sub, n, err := parseNet(&Message{}, val, voff, depth+1)
			if err != nil {
				return nil, 0, err
			}
			if n != len(val) {
				return nil, 0, malformed(voff+n, "bytes after nested message")
			}
			f.Sub = sub
		case List:
			l, err := parseList(val, voff)
			if err != nil {
				return nil, 0, err
			}
			f.List = l
		}
		m.Fields = append(m.Fields, f)
		pos += used
	}
}

// parseList parses a list value "N:elem,N:elem," (PROTOCOL §3.2). Like
// stock's string_list_unpack it refuses an empty list and empty elements;
// it also refuses NUL, which stock's C strings would cut at.
func parseList(b []byte, base int) ([]string, error) {
	if len(b) == 0 {
		return nil, malformed(base, "empty list")
	}
	n := 0
	for rest := b; len(rest) > 0; n++ {
		e, used, ok := peelNetstring(rest)
		if !ok || len(e) == 0 || bytes.IndexByte(e, 0) >= 0 {
			return nil, malformed(base+len(b)-len(rest), "bad list element")
		}
		rest = rest[used:]
	}
	l := make([]string, 0, n)
	for len(b) > 0 {
		e, used, _ := peelNetstring(b)
		l = append(l, string(e))
		b = b[used:]
	}
	return l, nil
}

// badName says why a field name cannot be carried by both encodings, or "".
func badName(name []byte) string {
	switch {
	case len(name) == 0:
		return "empty field name"
	case bytes.IndexByte(name, 0) >= 0, bytes.IndexByte(name, '\n') >= 0, bytes.IndexByte(name, '=') >= 0:
		return "bad field name"
	case name[0] == '(', bytes.HasPrefix(name, []byte(">>>")), bytes.HasPrefix(name, []byte("<<<")):
		return "bad field name"
	}
	return ""
}

// structSep is the byte that replaces "\n" in a struct value nested in a
// message at depth d (PROTOCOL §3.3).
func structSep(d int) byte {
	if d < 12 {
		return byte(0x14 + d)
	}
	return byte(0x0f + d - 12)
}

// countClassic counts the non-blank lines before the end marker, to size
// the field slice exactly.
func countClassic(b []byte) int {
	n := 0
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		if i > 0 {
			if i == 3 && string(b[:3]) == "<<<" {
				break
			}
			n++
		}
		b = b[i+1:]
	}
	return n
}

// parseClassic parses a classic message at the start of b (PROTOCOL §3.3).
func parseClassic(b []byte, base, depth int) (*Message, int, error) {
	if depth > MaxDepth {
		return nil, 0, malformed(base, "nesting too deep")
	}
	if !bytes.HasPrefix(b, []byte(classicStart)) {
		return nil, 0, malformed(base, "missing start marker")
	}
	pos := len(classicStart)
	m := &Message{}
	if n := countClassic(b[pos:]); n > 0 {
		m.Fields = make([]Field, 0, n)
	}
	for {
		for pos < len(b) && b[pos] == '\n' {
			pos++
		}
		if pos >= len(b) {
			return nil, 0, malformed(base+pos, "no end marker")
		}
		nl := bytes.IndexByte(b[pos:], '\n')
		if nl < 0 {
			return nil, 0, malformed(base+pos, "no end marker")
		}
		line := b[pos : pos+nl]
		off := base + pos
		if string(line) == "<<<" {
			return m, pos + nl + 1, nil
		}
		f, err := parseClassicField(line, off, depth)
		if err != nil {
			return nil, 0, err
		}
		m.Fields = append(m.Fields, f)
		pos += nl + 1
	}
}

// parseClassicField parses one "[(t)]name=value" line of a classic message at byte offset off; nested messages are parsed at depth+1.
func parseClassicField(line []byte, off, depth int) (Field, error) {
	if bytes.IndexByte(line, 0) >= 0 {
		return Field{}, malformed(off+bytes.IndexByte(line, 0), "nul byte in message")
	}
	t := String
	if line[0] == '(' {
		// Stock refuses "(0)" here: strings carry no prefix in classic.
		if len(line) < 3 || line[1] < '1' || line[1] > '5' || line[2] != ')' {
			return Field{}, malformed(off, "bad type prefix")
		}
		t = FieldType(line[1] - '0')
		line = line[3:]
		off += 3
	}
	eq := bytes.IndexByte(line, '=')
	if eq < 0 {
		return Field{}, malformed(off, "line without =")
	}
	name := line[:eq]
	if r := badName(name); r != "" {
		return Field{}, malformed(off, r)
	}
	val := line[eq+1:]
	voff := off + eq + 1
	f := Field{Name: intern(name), Type: t}
	switch t {
	case String:
		if bytes.IndexByte(val, 0x13) >= 0 {
			val = bytes.ReplaceAll(val, []byte{0x13}, []byte{'\n'})
		}
		f.Value = val
	case Binary, Compressed:
		v, err := decodeBase64(val)
		if err != nil {
			return Field{}, malformed(voff, "bad base64")
		}
		f.Value = v
	case List:
		l, err := parseList(val, voff)
		if err != nil {
			return Field{}, err
		}
		f.List = l
	case Struct, Uncompressed:
		if depth >= MaxDepth {
			return Field{}, malformed(voff, "nesting too deep")
		}
		inner := bytes.ReplaceAll(val, []byte{structSep(depth)}, []byte{'\n'})
		sub, n, err := parseClassic(inner, voff, depth+1)
		if err != nil {
			return Field{}, err
		}
		if n != len(inner) {
			return Field{}, malformed(voff+n, "bytes after nested message")
		}
		f.Sub = sub
	}
	return f, nil
}

// decodeBase64 decodes standard padded base64 and refuses any other
// spelling of the same bytes, so that re-encoding gives the input back.
func decodeBase64(s []byte) ([]byte, error) {
	if len(s)%4 != 0 {
		return nil, base64.CorruptInputError(len(s))
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Strict().Decode(out, s)
	if err != nil {
		return nil, err
	}
	out = out[:n]
	if base64.StdEncoding.EncodedLen(n) != len(s) {
		return nil, base64.CorruptInputError(0)
	}
	return out, nil
}

// intern returns well-known field names without allocating.
func intern(b []byte) string {
	switch string(b) {
	case "t":
		return "t"
	case "st":
		return "st"
	case "dt":
		return "dt"
	case "protocol":
		return "protocol"
	case "src":
		return "src"
	case "srcuuid":
		return "srcuuid"
	case "dest":
		return "dest"
	case "destuuid":
		return "destuuid"
	case "seq":
		return "seq"
	case "hg":
		return "hg"
	case "ts":
		return "ts"
	case "ld":
		return "ld"
	case "ttl":
		return "ttl"
	case "auth":
		return "auth"
	case "ackseq":
		return "ackseq"
	case "rsc_hold":
		return "rsc_hold"
	case "rtype":
		return "rtype"
	case "info":
		return "info"
	case "firstseq":
		return "firstseq"
	case "lastseq":
		return "lastseq"
	case "nodelist":
		return "nodelist"
	case "hbgocf": // status.ConfigField
		return "hbgocf"
	case "hbgov": // status.VersionField
		return "hbgov"
	}
	return string(b)
}
