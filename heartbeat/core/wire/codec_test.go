package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMarshalGrammar(t *testing.T) {
	sub := &Message{}
	sub.Add("a", "x\ny")
	inner := &Message{}
	inner.Add("b", "1")
	sub.Fields = append(sub.Fields, Field{Name: "deep", Type: Struct, Sub: inner})
	m := &Message{}
	m.Add("t", "x\ny")
	m.AddBinary("bin", []byte{0, ',', ':', 0xff})
	m.Fields = append(m.Fields,
		Field{Name: "l", Type: List, List: []string{"ab", "e", "c,d"}},
		Field{Name: "s", Type: Struct, Sub: sub},
		Field{Name: "z", Type: Compressed, Value: []byte{1, 2, 3}},
	)
	m.Add("empty", "")

	wantNet := "###\n" +
		"8:(0)t=x\ny," +
		"11:(1)bin=\x00,:\xff," +
		"20:(3)l=2:ab,1:e,3:c,d,," +
		"53:(2)s=###\n8:(0)a=x\ny,25:(2)deep=###\n6:(0)b=1,%%%\n,%%%\n," +
		"8:(4)z=\x01\x02\x03," +
		"9:(0)empty=," +
		"%%%\n"
	if got := string(MarshalNetstring(m)); got != wantNet {
		t.Errorf("MarshalNetstring:\n got %q\nwant %q", got, wantNet)
	}
	// Struct values: nested classic with "\n" replaced by 0x14 at depth 0
	// and 0x15 one level down (PROTOCOL §3.3).
	wantClassic := ">>>\n" +
		"t=x\x13y\n" +
		"(1)bin=ACw6/w==\n" +
		"(3)l=2:ab,1:e,3:c,d,\n" +
		"(2)s=>>>\x14a=x\x13y\x14(2)deep=>>>\x15b=1\x15<<<\x15\x14<<<\x14\n" +
		"(4)z=AQID\n" +
		"empty=\n" +
		"<<<\n"
	if got := string(MarshalClassic(m)); got != wantClassic {
		t.Errorf("MarshalClassic:\n got %q\nwant %q", got, wantClassic)
	}
	for _, b := range []string{wantNet, wantClassic} {
		got, _, err := Parse([]byte(b))
		if err != nil {
			t.Fatalf("Parse(%q): %v", b, err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", b, diff)
		}
	}
}

func TestStructSepTable(t *testing.T) {
	want := []byte{0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x0f, 0x10, 0x11, 0x12}
	for d, w := range want {
		if got := structSep(d); got != w {
			t.Errorf("structSep(%d) = %#x, want %#x", d, got, w)
		}
	}
}

// nest builds a message with depth levels of struct nesting.
func nest(depth int) *Message {
	m := &Message{}
	m.Add("leaf", "1")
	for range depth {
		m = &Message{Fields: []Field{{Name: "s", Type: Struct, Sub: m}}}
	}
	return m
}

func TestNestingLimit(t *testing.T) {
	for _, marshal := range []func(*Message) []byte{MarshalNetstring, MarshalClassic} {
		ok := marshal(nest(MaxDepth))
		if m, _, err := Parse(ok); err != nil {
			t.Errorf("depth %d: %v", MaxDepth, err)
		} else if !sameMessage(nest(MaxDepth), m) {
			// (cmp.Diff is exponential on 16 nested slices.)
			t.Errorf("depth %d: got %q", MaxDepth, MarshalNetstring(m))
		}
		if err := Check(nest(MaxDepth), true); err != nil {
			t.Errorf("Check depth %d: %v", MaxDepth, err)
		}
	}
	// One level more cannot be written in classic (no newline byte left)
	// and is refused in netstring too.
	b := MarshalNetstring(nest(MaxDepth + 1))
	if _, _, err := Parse(b); !isMalformed(err, "nesting too deep") {
		t.Errorf("depth %d netstring: %v", MaxDepth+1, err)
	}
	if err := Check(nest(MaxDepth+1), false); err == nil {
		t.Errorf("Check depth %d: no error", MaxDepth+1)
	}
}

func isMalformed(err error, reason string) bool {
	var me *MalformedError
	return errors.As(err, &me) && me.Reason == reason
}

func TestParseErrors(t *testing.T) {
	const ok = "###\n11:(0)t=status,%%%\n"
	for _, tc := range []struct {
		name, in, reason string
	}{
		{"empty", "", "unknown format"},
		{"noise", "hello", "unknown format"},
		{"net no end", "###\n11:(0)t=status,", "no end marker"},
		{"net no type prefix", "###\n8:t=status,%%%\n", "missing type prefix"},
		{"net type 6", "###\n11:(6)t=status,%%%\n", "bad field type"},
		{"net type letter", "###\n11:(x)t=status,%%%\n", "bad field type"},
		{"net no equals", "###\n11:(0)txstatus,%%%\n", "field without ="},
		{"net empty name", "###\n10:(0)=status,%%%\n", "empty field name"},
		{"net name paren", "###\n6:(0)(=1,%%%\n", "bad field name"},
		{"net name >>>", "###\n8:(0)>>>=1,%%%\n", "bad field name"},
		{"net length overflows", "###\n99:(0)t=status,%%%\n", "length overflows packet"},
		{"net huge length", "###\n999999:(0)t=status,%%%\n", "length overflows packet"},
		{"net 7 digit length", "###\n1000000:(0)t=status,%%%\n", "bad length"},
		{"net leading zero", "###\n011:(0)t=status,%%%\n", "bad length"},
		{"net negative", "###\n-11:(0)t=status,%%%\n", "bad length"},
		{"net no comma", "###\n11:(0)t=status;%%%\n", "missing comma"},
		{"net short length", "###\n10:(0)t=status,%%%\n", "missing comma"},
		{"net bad trailer", ok + "42:1 abc,", "bad trailer"},
		{"net bad struct", "###\n9:(2)s=###\n,%%%\n", "no end marker"},
		{"net struct junk", "###\n15:(2)s=###\n%%%\nxx,%%%\n", "bytes after nested message"},
		{"net bad list", "###\n9:(3)l=1:ab,%%%\n", "bad list element"},
		{"classic no end", ">>>\nt=status\n", "no end marker"},
		{"classic no newline", ">>>\nt=status", "no end marker"},
		{"classic no equals", ">>>\nstatus\n<<<\n", "line without ="},
		{"classic nul", ">>>\nt=sta\x00tus\n<<<\n", "nul byte in message"},
		{"classic bad prefix", ">>>\n(9)t=x\n<<<\n", "bad type prefix"},
		{"classic (0) prefix", ">>>\n(0)t=x\n<<<\n", "bad type prefix"},
		{"net empty list", "###\n5:(3)l=,%%%\n", "empty list"},
		{"net empty list element", "###\n8:(3)l=0:,,%%%\n", "bad list element"},
		{"net nul in list element", "###\n9:(3)l=1:\x00,,%%%\n", "bad list element"},
		{"classic empty list", ">>>\n(3)l=\n<<<\n", "empty list"},
		{"classic bad base64", ">>>\n(1)u=AB\n<<<\n", "bad base64"},
		{"classic base64 junk", ">>>\n(1)u=A!==\n<<<\n", "bad base64"},
		{"classic base64 cr", ">>>\n(1)u=AB\r=\n<<<\n", "bad base64"},
		{"classic base64 bits", ">>>\n(1)u=AB==\n<<<\n", "bad base64"},
		{"classic name <<<", ">>>\n<<<x=1\n<<<\n", "bad field name"},
		{"classic struct unterminated", ">>>\n(2)s=>>>\x14a=1\n<<<\n", "no end marker"},
		{"too big", "###\n" + strings.Repeat("x", MaxMsg), "packet larger than maxmsg"},
	} {
		_, _, err := Parse([]byte(tc.in))
		if !isMalformed(err, tc.reason) {
			t.Errorf("%s: Parse(%.40q) = %v, want malformed %q", tc.name, tc.in, err, tc.reason)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     *Message
	}{
		{"classic blank lines", ">>>\n\n\nt=a\n\nb=\n<<<\n", msg("t", "a", "b", "")},
		{"classic trailing nul", ">>>\nt=a\n<<<\n\x00", msg("t", "a")},
		{"classic value with =", ">>>\nt=a=b\n<<<\n", msg("t", "a=b")},
		{"classic 0x13 is newline", ">>>\nt=a\x13b\n<<<\n", msg("t", "a\nb")},
		{"net no trailer", "###\n6:(0)t=a,%%%\n", msg("t", "a")},
		{"net bytes after trailer", "###\n6:(0)t=a,%%%\n3:1 0,junk", msg("t", "a")},
		{"net empty", "###\n%%%\n", &Message{}},
		{"net value with comma", "###\n8:(0)t=a,b,%%%\n", msg("t", "a,b")},
		{"duplicate names", "###\n6:(0)t=a,6:(0)t=b,%%%\n", msg("t", "a", "t", "b")},
	} {
		got, _, err := Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpEmpty); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// cmpEmpty treats nil and empty byte slices as equal.
var cmpEmpty = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

func msg(kv ...string) *Message {
	m := &Message{}
	for i := 0; i < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

func TestParseCopiesInput(t *testing.T) {
	b := []byte("###\n6:(0)t=a,%%%\n")
	m, _, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, bytes.Repeat([]byte{'z'}, len(b)))
	if m.Str("t") != "a" {
		t.Errorf("message changed with its input buffer: t=%q", m.Str("t"))
	}
}

// sameMessage compares two messages by their netstring encoding, which is
// injective (every field carries its type and length).
func sameMessage(a, b *Message) bool {
	return bytes.Equal(MarshalNetstring(a), MarshalNetstring(b))
}
