package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"hbgo/authkeys"
)

// ErrUnsigned means the packet carries no signature: a netstring message
// without trailer or a classic message without auth field.
var ErrUnsigned = errors.New("wire: message is not signed")

// Verify checks the signature of a raw packet: the netstring trailer over
// "###\n"…"%%%\n" (PROTOCOL §4.5), or the last auth field of a classic
// message over its canonical re-serialisation without auth fields (§4.4).
// It returns nil, a *MalformedError, ErrUnsigned, *authkeys.UnknownKeyError,
// authkeys.ErrBadDigest or *authkeys.BadAuthStringError.
func Verify(b []byte, keys *authkeys.Keys) error {
	m, f, p, err := parse(b)
	if err != nil {
		return err
	}
	return verifyParsed(b, m, f, p, keys)
}

func verifyParsed(b []byte, m *Message, f Format, p parsed, keys *authkeys.Keys) error {
	if keys == nil {
		return errors.New("wire: no keys to verify with")
	}
	if f == Netstring {
		if p.trailer == nil {
			return ErrUnsigned
		}
		// hbgo verifies with the key configured for the index in the
		// trailer. Stock (PROTOCOL §4.6) uses that index's algorithm but
		// the key of its own active index; with identical authkeys on both
		// nodes the two agree. The inner auth field is not checked (§3.1).
		return keys.VerifyBytes(p.trailer, b[:p.bodyEnd])
	}
	auth := -1
	for i := range m.Fields {
		if m.Fields[i].Name == FAuth && m.Fields[i].Type == String {
			auth = i
		}
	}
	if auth < 0 {
		return ErrUnsigned
	}
	var cov [1024]byte
	return keys.VerifyBytes(m.Fields[auth].Value, classicCovered(cov[:0], m))
}

// AuthString returns the auth string Verify checks ("<index> <token>"): the
// netstring trailer, or the last auth field of a classic message; it
// returns ErrUnsigned or a *MalformedError when there is none.
func AuthString(b []byte) (string, error) {
	m, f, p, err := parse(b)
	if err != nil {
		return "", err
	}
	if f == Netstring {
		if p.trailer == nil {
			return "", ErrUnsigned
		}
		return string(p.trailer), nil
	}
	auth := ""
	found := false
	for i := range m.Fields {
		if m.Fields[i].Name == FAuth && m.Fields[i].Type == String {
			auth, found = string(m.Fields[i].Value), true
		}
	}
	if !found {
		return "", ErrUnsigned
	}
	return auth, nil
}

// Decode parses and authenticates a packet, then, when it carries a binary
// _compressed_payload field, inflates it (zlib, at most MaxMsg bytes) and
// returns the message inside, which stock does not authenticate again (PROTOCOL §3.4).
func Decode(b []byte, keys *authkeys.Keys) (*Message, error) {
	return decode(b, keys, nil, nil)
}

// Decoder decodes packets as Decode does into memory it reuses: the
// message one Decode returns, its fields and their bytes are valid until
// the next Decode. A caller that keeps any of it keeps a Clone. The zero
// value is ready; not safe for concurrent use.
type Decoder struct {
	buf []byte
	msg Message
}

// Decode is Decode into d's memory; once d has grown to the traffic's
// packets, a netstring packet costs no allocation.
func (d *Decoder) Decode(b []byte, keys *authkeys.Keys) (*Message, error) {
	return decode(b, keys, &d.buf, &d.msg)
}

func decode(b []byte, keys *authkeys.Keys, buf *[]byte, into *Message) (*Message, error) {
	m, f, p, err := parseInto(b, buf, into)
	if err != nil {
		return nil, err
	}
	if err := verifyParsed(b, m, f, p, keys); err != nil {
		return nil, err
	}
	payload, ok := m.Bytes("_compressed_payload")
	if !ok {
		return m, nil
	}
	if alg := m.Str("_compression_algorithm"); alg != "zlib" {
		return nil, malformed(0, "unsupported compression")
	}
	inner, err := inflate(payload)
	if err != nil {
		return nil, err
	}
	im, _, err := Parse(inner)
	if err != nil {
		var me *MalformedError
		if errors.As(err, &me) {
			return nil, malformed(0, "compressed payload: "+me.Reason)
		}
		return nil, err
	}
	return im, nil
}

func inflate(payload []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(payload))
	if err != nil {
		return nil, malformed(0, "bad compressed payload")
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, MaxMsg+1))
	if err != nil {
		return nil, malformed(0, "bad compressed payload")
	}
	if len(out) > MaxMsg {
		return nil, malformed(0, "compressed payload larger than maxmsg")
	}
	return out, nil
}

// Check reports why m cannot be sent: a bad field name, an unknown type, a
// nil nested message or nesting deeper than MaxDepth; with classic also
// bytes the classic encoding cannot carry back unchanged (NUL and 0x13 in
// strings, newline or NUL in list elements, and inside structs the newline
// bytes of the enclosing levels, PROTOCOL §3.3).
func Check(m *Message, classic bool) error { return check(m, 0, classic) }

func check(m *Message, depth int, classic bool) error {
	if depth > MaxDepth {
		return fmt.Errorf("wire: nesting deeper than %d", MaxDepth)
	}
	// bad reports a byte the classic encoding at this depth would change.
	bad := func(v []byte, str bool) bool {
		for _, c := range v {
			if c == 0 || (str && c == 0x13) || (!str && c == '\n') {
				return true
			}
			for d := range depth {
				if c == structSep(d) {
					return true
				}
			}
		}
		return false
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if r := badName([]byte(f.Name)); r != "" {
			return fmt.Errorf("wire: field %d %q: %s", i, f.Name, r)
		}
		if classic && bad([]byte(f.Name), false) {
			return fmt.Errorf("wire: field %d %q: name not representable in classic", i, f.Name)
		}
		switch f.Type {
		case String:
			if classic && bad(f.Value, true) {
				return fmt.Errorf("wire: field %q: string value not representable in classic", f.Name)
			}
		case Binary, Compressed:
		case List:
			if len(f.List) == 0 {
				return fmt.Errorf("wire: field %q: empty list", f.Name)
			}
			for _, e := range f.List {
				if e == "" || strings.IndexByte(e, 0) >= 0 {
					return fmt.Errorf("wire: field %q: empty list element or NUL in one", f.Name)
				}
				if classic && bad([]byte(e), false) {
					return fmt.Errorf("wire: field %q: list element not representable in classic", f.Name)
				}
			}
		case Struct, Uncompressed:
			if f.Sub == nil {
				return fmt.Errorf("wire: field %q: nil nested message", f.Name)
			}
			if depth >= MaxDepth {
				return fmt.Errorf("wire: nesting deeper than %d", MaxDepth)
			}
			if err := check(f.Sub, depth+1, classic); err != nil {
				return err
			}
		default:
			return fmt.Errorf("wire: field %q: unknown type %d", f.Name, f.Type)
		}
	}
	return nil
}

// withAuth returns a shallow copy of m whose first string auth field (or a
// new last one) holds the auth string over m's non-auth fields (PROTOCOL §4.4).
func withAuth(m *Message, keys *authkeys.Keys, classic bool) (*Message, error) {
	if err := Check(m, classic); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("wire: no keys to sign with")
	}
	var cov [1024]byte
	covered := classicCovered(cov[:0], m)
	auth := Field{Name: FAuth, Type: String, Value: keys.AppendSign(nil, covered)}
	c := &Message{Fields: make([]Field, len(m.Fields), len(m.Fields)+1)}
	copy(c.Fields, m.Fields)
	for i := range c.Fields {
		if c.Fields[i].Name == FAuth && c.Fields[i].Type == String {
			c.Fields[i] = auth
			return c, nil
		}
	}
	c.Fields = append(c.Fields, auth)
	return c, nil
}

// Seal encodes m as stock sends it on UDP: the inner auth field computed
// over the other fields (replacing the first auth field in place, else
// appended last), netstring encoding, then the auth trailer. Never compresses.
func Seal(m *Message, keys *authkeys.Keys) ([]byte, error) {
	return AppendSeal(nil, m, keys)
}

// AppendSeal appends Seal's packet to dst. It neither copies nor changes m
// and, when dst has room, allocates nothing: the daemon seals every
// message it sends into one reused buffer.
func AppendSeal(dst []byte, m *Message, keys *authkeys.Keys) ([]byte, error) {
	if err := Check(m, false); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("wire: no keys to sign with")
	}
	// The bytes the inner auth field covers go in dst's spare room, which
	// the packet overwrites afterwards (the hash takes them through an
	// interface, so a stack array would move to the heap).
	start := len(dst)
	dst = slices.Grow(dst, classicSize(m, 0, true))
	var ab [80]byte
	auth := Field{Name: FAuth, Type: String, Value: keys.AppendSign(ab[:0], appendClassicFields(dst[start:], m, 0, true))}
	at := len(m.Fields) // where auth goes: the first string auth field, else a new last field
	for i := range m.Fields {
		if m.Fields[i].Name == FAuth && m.Fields[i].Type == String {
			at = i
			break
		}
	}
	n := len(netStart) + len(netEnd)
	field := func(i int) *Field {
		if i == at {
			return &auth
		}
		return &m.Fields[i]
	}
	nf := max(len(m.Fields), at+1)
	for i := range nf {
		p := netPayloadLen(field(i))
		n += digits(p) + 1 + p + 1
	}
	if n+80 > MaxMsg {
		return nil, fmt.Errorf("wire: message of %d bytes is larger than MAXMSG", n)
	}
	dst = slices.Grow(dst, n+80)
	dst = append(dst, netStart...)
	for i := range nf {
		dst = appendNetField(dst, field(i))
	}
	dst = append(dst, netEnd...)
	var sb [80]byte
	trailer := keys.AppendSign(sb[:0], dst[start:])
	dst = strconv.AppendInt(dst, int64(len(trailer)), 10)
	dst = append(dst, ':')
	dst = append(dst, trailer...)
	return append(dst, ','), nil
}

// SealClassic encodes m as stock writes it on a serial link: classic, with
// the auth field computed over the other fields, no trailing NUL.
func SealClassic(m *Message, keys *authkeys.Keys) ([]byte, error) {
	c, err := withAuth(m, keys, true)
	if err != nil {
		return nil, err
	}
	b := MarshalClassic(c)
	if len(b) > MaxMsg {
		return nil, fmt.Errorf("wire: message of %d bytes is larger than MAXMSG", len(b))
	}
	return b, nil
}

// classicCovered appends to buf the bytes an inner auth field covers
// (PROTOCOL §4.4); a caller's stack array as buf saves an allocation.
func classicCovered(buf []byte, m *Message) []byte {
	buf = slices.Grow(buf, classicSize(m, 0, true))
	return appendClassicFields(buf, m, 0, true)
}
