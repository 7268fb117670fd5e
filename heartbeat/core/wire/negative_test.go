package wire

import (
	"errors"
	"strings"
	"testing"

	"hbgo/authkeys"
)

// someGolden picks n captured packets of each scenario, and n serial frames.
func someGolden(t *testing.T, n int) []golden {
	var out []golden
	seen := map[string]int{}
	for _, g := range udpGolden(t) {
		scen := strings.SplitN(g.name, "/", 2)[0]
		if seen[scen] < n {
			seen[scen]++
			out = append(out, g)
		}
	}
	s := serialGolden(t)
	return append(out, s[:n]...)
}

func TestFlipAnyByteFails(t *testing.T) {
	for _, g := range someGolden(t, 3) {
		b := append([]byte(nil), g.data...)
		for i := range b {
			for _, x := range []byte{0x01, 0x20, 0x80} {
				b[i] ^= x
				if err := Verify(b, g.keys); err == nil {
					t.Errorf("%s: byte %d ^%#x still verifies", g.name, i, x)
				}
				if _, err := Decode(b, g.keys); err == nil {
					t.Errorf("%s: byte %d ^%#x still decodes", g.name, i, x)
				}
				b[i] ^= x
			}
		}
	}
}

func TestTruncationFails(t *testing.T) {
	for _, g := range someGolden(t, 2) {
		for i := range len(g.data) {
			if err := Verify(g.data[:i], g.keys); err == nil {
				t.Errorf("%s: truncated to %d bytes still verifies", g.name, i)
			}
		}
	}
}

func TestWrongKeys(t *testing.T) {
	var unk *authkeys.UnknownKeyError
	for _, g := range someGolden(t, 1) {
		idx := g.keys.Active()
		m, _ := g.keys.Method(idx)
		// Same index, other secret (or, for crc, other method).
		wrong, err := authkeys.New(idx, authkeys.SHA1, "not-the-key")
		if m == authkeys.SHA1 {
			wrong, err = authkeys.New(idx, authkeys.SHA1, "testkey-sha1x")
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(g.data, wrong); !errors.Is(err, authkeys.ErrBadDigest) {
			t.Errorf("%s: wrong key: %v, want bad digest", g.name, err)
		}
		// Keys lacking the packet's index.
		other, _ := authkeys.New((idx+1)%16, authkeys.CRC, "")
		if err := Verify(g.data, other); !errors.As(err, &unk) || unk.Index != idx {
			t.Errorf("%s: missing index: %v, want unknown key %d", g.name, err, idx)
		}
	}
}

// TestVerifyUsesIndexKey: hbgo checks a trailer with the key of the index
// it names, whatever the local active index (stock would use its own active
// key, PROTOCOL §4.6, and reject this).
func TestVerifyUsesIndexKey(t *testing.T) {
	for _, g := range udpGolden(t) {
		if !strings.HasPrefix(g.name, "ucast-multikey-sha1-idx3/") {
			continue
		}
		k, err := authkeys.New(1, authkeys.CRC, "")
		if err == nil {
			k, err = k.With(3, authkeys.SHA1, "testkey-sha1")
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(g.data, k); err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		return
	}
	t.Fatal("no multikey capture")
}

func TestUnsigned(t *testing.T) {
	keys, _ := authkeys.New(1, authkeys.CRC, "")
	for _, in := range []string{
		"###\n6:(0)t=a,%%%\n",
		">>>\nt=a\n<<<\n",
		">>>\nt=a\n(1)auth=AAAA\n<<<\n", // only string auth fields count
	} {
		if err := Verify([]byte(in), keys); !errors.Is(err, ErrUnsigned) {
			t.Errorf("Verify(%q) = %v, want ErrUnsigned", in, err)
		}
	}
}

// TestClassicLastAuthCounts: with several auth fields all are excluded from
// the covered bytes and the last one is checked (PROTOCOL §4.4).
func TestClassicLastAuthCounts(t *testing.T) {
	keys, _ := authkeys.New(1, authkeys.SHA1, "secret")
	sealed, err := SealClassic(appendixA(), keys)
	if err != nil {
		t.Fatal(err)
	}
	two := strings.Replace(string(sealed), ">>>\n", ">>>\nauth=1 0000\n", 1)
	if err := Verify([]byte(two), keys); err != nil {
		t.Errorf("first auth bogus, last good: %v", err)
	}
	two = strings.Replace(string(sealed), "<<<\n", "auth=1 0000\n<<<\n", 1)
	if err := Verify([]byte(two), keys); !errors.Is(err, authkeys.ErrBadDigest) {
		t.Errorf("last auth bogus: %v, want bad digest", err)
	}
}

func TestAuthString(t *testing.T) {
	keys := appendixAKeys(t, 2)
	b, _ := Seal(appendixA(), keys)
	c, _ := SealClassic(appendixA(), keys)
	for _, tc := range []struct {
		in   []byte
		want string
		err  error
	}{
		{b, "2 333c64638d4edde4aea1df5a32da13d7", nil},
		{c, "2 ef2f154149220801fe34e0bcb216e2d6", nil},
		{[]byte("###\n%%%\n"), "", ErrUnsigned},
		{[]byte(">>>\n<<<\n"), "", ErrUnsigned},
	} {
		got, err := AuthString(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("AuthString(%.20q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if _, err := AuthString([]byte("x")); !isMalformed(err, "unknown format") {
		t.Errorf("AuthString(x) = %v", err)
	}
	if err := Verify(b, nil); err == nil {
		t.Error("Verify with nil keys succeeded")
	}
}
