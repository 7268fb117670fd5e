package wire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/authkeys"
)

// golden is one captured packet with the keys of its scenario.
type golden struct {
	name string
	data []byte
	keys *authkeys.Keys
}

func loadKeys(t testing.TB, path string) *authkeys.Keys {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, ps := authkeys.Parse(f, path)
	if ps.HasErrors() {
		t.Fatalf("%s: %v", path, ps)
	}
	return k
}

// udpGolden returns every captured UDP payload of every scenario.
func udpGolden(t testing.TB) []golden {
	t.Helper()
	dirs, err := filepath.Glob("testdata/golden/*/payloads")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden payloads: %v", err)
	}
	var out []golden
	for _, d := range dirs {
		keys := loadKeys(t, filepath.Join(filepath.Dir(d), "authkeys"))
		files, _ := filepath.Glob(filepath.Join(d, "*.bin"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, golden{name: strings.TrimPrefix(f, "testdata/golden/"), data: b, keys: keys})
		}
	}
	return out
}

// serialGolden returns every frame of both captured serial streams.
func serialGolden(t testing.TB) []golden {
	t.Helper()
	keys := loadKeys(t, "testdata/golden/serial-sha1/authkeys")
	var out []golden
	for _, f := range []string{"node1-to-node2.bin", "node2-to-node1.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata/golden/serial-sha1", f))
		if err != nil {
			t.Fatal(err)
		}
		r := NewSerialReader(bytes.NewReader(b))
		for {
			frame, off, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, golden{name: f + "@" + itoa(off), data: frame, keys: keys})
		}
	}
	return out
}

func itoa(n int64) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int64) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestGoldenUDP(t *testing.T) {
	gs := udpGolden(t)
	if len(gs) < 800 {
		t.Fatalf("only %d golden payloads", len(gs))
	}
	for _, g := range gs {
		m, f, err := Parse(g.data)
		if err != nil || f != Netstring {
			t.Errorf("%s: Parse = %v, %v", g.name, f, err)
			continue
		}
		if err := Verify(g.data, g.keys); err != nil {
			t.Errorf("%s: Verify: %v", g.name, err)
		}
		body := MarshalNetstring(m)
		if !bytes.HasPrefix(g.data, body) {
			t.Errorf("%s: MarshalNetstring differs:\n got %q\nwant %q", g.name, body, g.data)
		}
		// Re-seal: the fields minus auth, signed with the same keys, must
		// give stock's bytes exactly (inner auth and trailer included).
		bare := m.Clone()
		bare.Del(FAuth)
		sealed, err := Seal(bare, g.keys)
		if err != nil {
			t.Errorf("%s: Seal: %v", g.name, err)
		} else if !bytes.Equal(sealed, g.data) {
			t.Errorf("%s: Seal differs:\n got %q\nwant %q", g.name, sealed, g.data)
		}
	}
}

func TestGoldenSerial(t *testing.T) {
	gs := serialGolden(t)
	if len(gs) < 100 {
		t.Fatalf("only %d serial frames", len(gs))
	}
	for _, g := range gs {
		m, f, err := Parse(g.data)
		if err != nil || f != Classic {
			t.Errorf("%s: Parse = %v, %v", g.name, f, err)
			continue
		}
		if err := Verify(g.data, g.keys); err != nil {
			t.Errorf("%s: Verify: %v", g.name, err)
		}
		if got := MarshalClassic(m); !bytes.Equal(got, g.data) {
			t.Errorf("%s: MarshalClassic differs:\n got %q\nwant %q", g.name, got, g.data)
		}
		bare := m.Clone()
		bare.Del(FAuth)
		sealed, err := SealClassic(bare, g.keys)
		if err != nil || !bytes.Equal(sealed, g.data) {
			t.Errorf("%s: SealClassic = %q, %v\nwant %q", g.name, sealed, err, g.data)
		}
		// The same message sent on UDP carries the same inner auth field.
		dm, err := Decode(g.data, g.keys)
		if err != nil {
			t.Errorf("%s: Decode: %v", g.name, err)
			continue
		}
		if diff := cmp.Diff(m, dm); diff != "" {
			t.Errorf("%s: Decode (-parse +decode):\n%s", g.name, diff)
		}
	}
}

// TestSerialStreamsWhole checks that the frames cover each stream: stock's
// writer puts messages back to back, so nothing is skipped.
func TestSerialStreamsWhole(t *testing.T) {
	for _, f := range []string{"node1-to-node2.bin", "node2-to-node1.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata/golden/serial-sha1", f))
		if err != nil {
			t.Fatal(err)
		}
		var joined []byte
		r := NewSerialReader(bytes.NewReader(b))
		for {
			frame, off, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if int(off) != len(joined) {
				t.Fatalf("%s: frame at %d, want %d", f, off, len(joined))
			}
			joined = append(joined, frame...)
		}
		if !bytes.Equal(joined, b) {
			t.Errorf("%s: frames join to %d bytes, stream has %d", f, len(joined), len(b))
		}
	}
}
