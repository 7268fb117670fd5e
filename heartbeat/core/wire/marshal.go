package wire

import (
	"encoding/base64"
	"strconv"
)

// MarshalNetstring encodes m as a netstring message without trailer:
// "###\n" then "N:(t)name=value," per field, then "%%%\n" (PROTOCOL §3.2).
func MarshalNetstring(m *Message) []byte {
	return appendNet(make([]byte, 0, netSize(m)), m)
}

// MarshalClassic encodes m in the classic format ">>>\n" … "<<<\n", with no
// trailing NUL and no auth computation (PROTOCOL §3.3).
func MarshalClassic(m *Message) []byte {
	b := make([]byte, 0, classicSize(m, 0, false)+len(classicStart)+len(classicEnd))
	return appendClassic(b, m, 0)
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// netPayloadLen is the length counted by a field's netstring prefix.
func netPayloadLen(f *Field) int {
	n := 3 + len(f.Name) + 1
	switch f.Type {
	case Struct, Uncompressed:
		n += netSize(f.Sub)
	case List:
		for _, e := range f.List {
			n += digits(len(e)) + 1 + len(e) + 1
		}
	default:
		n += len(f.Value)
	}
	return n
}

// netSize is len(MarshalNetstring(m)).
func netSize(m *Message) int {
	n := len(netStart) + len(netEnd)
	if m == nil {
		return n
	}
	for i := range m.Fields {
		p := netPayloadLen(&m.Fields[i])
		n += digits(p) + 1 + p + 1
	}
	return n
}

func appendNet(b []byte, m *Message) []byte {
	b = append(b, netStart...)
	if m != nil {
		for i := range m.Fields {
			b = appendNetField(b, &m.Fields[i])
		}
	}
	return append(b, netEnd...)
}

// appendNetField appends one field's "N:(t)name=value,".
func appendNetField(b []byte, f *Field) []byte {
	b = strconv.AppendInt(b, int64(netPayloadLen(f)), 10)
	b = append(b, ':', '(', '0'+byte(f.Type)%10, ')')
	b = append(b, f.Name...)
	b = append(b, '=')
	switch f.Type {
	case Struct, Uncompressed:
		b = appendNet(b, f.Sub)
	case List:
		b = appendList(b, f.List)
	default:
		b = append(b, f.Value...)
	}
	return append(b, ',')
}

func appendList(b []byte, l []string) []byte {
	for _, e := range l {
		b = strconv.AppendInt(b, int64(len(e)), 10)
		b = append(b, ':')
		b = append(b, e...)
		b = append(b, ',')
	}
	return b
}

// classicSize is the length of m's classic field lines (no frame), auth
// fields skipped when noAuth.
func classicSize(m *Message, depth int, noAuth bool) int {
	if m == nil {
		return 0
	}
	n := 0
	for i := range m.Fields {
		f := &m.Fields[i]
		if noAuth && f.Name == FAuth {
			continue
		}
		if f.Type != String {
			n += 3
		}
		n += len(f.Name) + 1 + 1
		switch f.Type {
		case String:
			n += len(f.Value)
		case Binary, Compressed:
			n += base64.StdEncoding.EncodedLen(len(f.Value))
		case List:
			for _, e := range f.List {
				n += digits(len(e)) + 1 + len(e) + 1
			}
		case Struct, Uncompressed:
			n += len(classicStart) + classicSize(f.Sub, depth+1, false) + len(classicEnd)
		}
	}
	return n
}

func appendClassic(b []byte, m *Message, depth int) []byte {
	b = append(b, classicStart...)
	b = appendClassicFields(b, m, depth, false)
	return append(b, classicEnd...)
}

// appendClassicFields appends one classic line per field; with noAuth it
// skips fields named auth, giving the bytes the auth field covers (PROTOCOL §4.4).
func appendClassicFields(b []byte, m *Message, depth int, noAuth bool) []byte {
	if m == nil {
		return b
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if noAuth && f.Name == FAuth {
			continue
		}
		if f.Type != String {
			b = append(b, '(', '0'+byte(f.Type)%10, ')')
		}
		b = append(b, f.Name...)
		b = append(b, '=')
		switch f.Type {
		case String:
			for _, c := range f.Value {
				if c == '\n' {
					c = 0x13
				}
				b = append(b, c)
			}
		case Binary, Compressed:
			b = base64.StdEncoding.AppendEncode(b, f.Value)
		case List:
			b = appendList(b, f.List)
		case Struct, Uncompressed:
			start := len(b)
			b = appendClassic(b, f.Sub, depth+1)
			sep := structSep(depth)
			for j := start; j < len(b); j++ {
				if b[j] == '\n' {
					b[j] = sep
				}
			}
		}
		b = append(b, '\n')
	}
	return b
}
