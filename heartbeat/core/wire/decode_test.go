package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/authkeys"
)

func zlibBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// compressedPacket builds what stock sends with traditional compression
// (PROTOCOL §3.4): the message classic-encoded with a NUL, zlib'd, in a
// signed netstring envelope.
func compressedPacket(t *testing.T, keys *authkeys.Keys, inner []byte, alg string) []byte {
	outer := &Message{}
	outer.AddBinary("_compressed_payload", zlibBytes(t, inner))
	outer.Add("_compression_algorithm", alg)
	b, err := Seal(outer, keys)
	if err != nil {
		t.Fatal(err)
	}
	// Stock's envelope has no inner auth field; strip ours and re-sign.
	m, _, _ := Parse(b)
	m.Del(FAuth)
	body := MarshalNetstring(m)
	a := keys.Sign(body)
	return append(body, []byte(itoa(int64(len(a)))+":"+a+",")...)
}

func TestDecodeCompressed(t *testing.T) {
	keys := appendixAKeys(t, 1)
	want := appendixA()
	classic, err := SealClassic(want, keys)
	if err != nil {
		t.Fatal(err)
	}
	pkt := compressedPacket(t, keys, append(classic, 0), "zlib")
	got, err := Decode(pkt, keys)
	if err != nil {
		t.Fatal(err)
	}
	inner, _, _ := Parse(classic)
	if diff := cmp.Diff(inner, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The inner message is not authenticated again: a bogus inner auth passes.
	bogus := bytes.Replace(classic, []byte("auth=1 3d"), []byte("auth=1 00"), 1)
	if _, err := Decode(compressedPacket(t, keys, bogus, "zlib"), keys); err != nil {
		t.Errorf("bogus inner auth: %v", err)
	}

	for _, tc := range []struct {
		name, reason string
		pkt          []byte
	}{
		{"bz2", "unsupported compression", compressedPacket(t, keys, classic, "bz2")},
		{"garbage inner", "compressed payload: unknown format", compressedPacket(t, keys, []byte("hello"), "zlib")},
		{"too big", "compressed payload larger than maxmsg", compressedPacket(t, keys, make([]byte, MaxMsg+1), "zlib")},
	} {
		if _, err := Decode(tc.pkt, keys); !isMalformed(err, tc.reason) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.reason)
		}
	}
	// Not zlib at all.
	outer := &Message{}
	outer.AddBinary("_compressed_payload", []byte("not zlib"))
	outer.Add("_compression_algorithm", "zlib")
	b, _ := Seal(outer, keys)
	if _, err := Decode(b, keys); !isMalformed(err, "bad compressed payload") {
		t.Errorf("not zlib: %v", err)
	}
	// The envelope itself is still authenticated.
	pkt[10] ^= 1
	if _, err := Decode(pkt, keys); err == nil {
		t.Error("corrupted envelope decodes")
	}
}

func TestSealAuthInPlace(t *testing.T) {
	keys := appendixAKeys(t, 1)
	m := appendixA()
	m.Fields = append([]Field{{Name: FAuth, Type: String, Value: []byte("old")}}, m.Fields...)
	before := MarshalNetstring(m)
	b, err := Seal(m, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(MarshalNetstring(m), before) {
		t.Error("Seal changed its argument")
	}
	got, _, _ := Parse(b)
	if got.Fields[0].Name != FAuth || string(got.Fields[0].Value) != "1 3d1766008e84388b306cdb8fa27a88478bbf31d0" {
		t.Errorf("first field = %s=%q, want the auth replaced in place", got.Fields[0].Name, got.Fields[0].Value)
	}
	if err := Verify(b, keys); err != nil {
		t.Error(err)
	}
}

func TestSealRefuses(t *testing.T) {
	keys := appendixAKeys(t, 1)
	for _, tc := range []struct {
		name    string
		m       *Message
		classic bool
	}{
		{"empty name", msg("", "x"), false},
		{"name with =", msg("a=b", "x"), false},
		{"name (", msg("(a", "x"), false},
		{"name >>>", msg(">>>a", "x"), false},
		{"name <<<", msg("<<<a", "x"), true},
		{"name newline", msg("a\nb", "x"), false},
		{"nul in classic string", msg("a", "x\x00"), true},
		{"0x13 in classic string", msg("a", "x\x13"), true},
		{"nil struct", &Message{Fields: []Field{{Name: "s", Type: Struct}}}, false},
		{"type 9", &Message{Fields: []Field{{Name: "s", Type: 9}}}, false},
		{"empty list", &Message{Fields: []Field{{Name: "l", Type: List}}}, false},
		{"empty list element", &Message{Fields: []Field{{Name: "l", Type: List, List: []string{"a", ""}}}}, false},
		{"newline in classic list element", &Message{Fields: []Field{{Name: "l", Type: List, List: []string{"a\nb"}}}}, true},
		{"too deep", nest(MaxDepth + 1), false},
		{"too big", msg("a", string(make([]byte, MaxMsg))), false},
		{"too big classic", msg("a", string(bytes.Repeat([]byte{'x'}, MaxMsg))), true},
	} {
		var err error
		if tc.classic {
			_, err = SealClassic(tc.m, keys)
		} else {
			_, err = Seal(tc.m, keys)
		}
		if err == nil {
			t.Errorf("%s: sealed", tc.name)
		}
	}
	// A NUL in a string value is fine in netstring (values are raw there).
	if _, err := Seal(msg("a", "x\x00\x13"), keys); err != nil {
		t.Errorf("netstring NUL: %v", err)
	}
	if _, err := Seal(msg("a", "x"), nil); err == nil {
		t.Error("sealed without keys")
	}
	var me *MalformedError
	if _, err := Decode([]byte("junk"), keys); !errors.As(err, &me) {
		t.Errorf("Decode(junk) = %v", err)
	}
}
