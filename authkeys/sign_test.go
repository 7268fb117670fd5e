package authkeys

import (
	"errors"
	"testing"
)

// PROTOCOL §4.3 and Appendix A.
func TestCRC32Vectors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"123456789", "765e7680"},
		{"", "ffffffff"},
		{"a", "579b24df"},
	} {
		k, _ := New(3, CRC, "")
		got, err := k.Token(3, []byte(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("crc(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCRCNoLeadingZeros(t *testing.T) {
	// Find an input whose crc has a leading zero nibble and check %lx form.
	k, _ := New(1, CRC, "")
	for i := range 1000 {
		data := []byte{byte(i), byte(i >> 8)}
		c := CRC32(data)
		tok, _ := k.Token(1, data)
		if c < 0x10000000 {
			if len(tok) == 8 || tok[0] == '0' {
				t.Fatalf("crc %08x printed as %q, want no leading zeros", c, tok)
			}
			return
		}
	}
	t.Fatal("no crc below 0x10000000 found in 1000 tries")
}

// PROTOCOL §4.4: the inner auth of the Appendix A message.
const innerCovered = "t=status\nst=active\ndt=2710\nprotocol=1\nsrc=alpha\n(1)srcuuid=ABEiM0RVZneImaq7zN3u/w==\nseq=2a\nhg=4b8f3c1d\nts=5f5e1000\nld=0.00 0.01 0.05 1/123 4567\nttl=3\n"

func TestAppendixAInner(t *testing.T) {
	for _, tc := range []struct {
		idx    int
		m      Method
		secret string
		want   string
	}{
		{1, SHA1, "secret", "1 3d1766008e84388b306cdb8fa27a88478bbf31d0"},
		{2, MD5, "secret", "2 ef2f154149220801fe34e0bcb216e2d6"},
		{3, CRC, "", "3 1bfcfd69"},
	} {
		k, err := New(tc.idx, tc.m, tc.secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Sign([]byte(innerCovered)); got != tc.want {
			t.Errorf("%s: Sign = %q, want %q", tc.m, got, tc.want)
		}
		if err := k.Verify(tc.want, []byte(innerCovered)); err != nil {
			t.Errorf("%s: Verify: %v", tc.m, err)
		}
	}
}

func TestHMACLongKey(t *testing.T) {
	// RFC 2202 test case 6: key of 80 bytes 0xaa is hashed first.
	key := string(make([]byte, 0))
	for range 80 {
		key += "\xaa"
	}
	data := []byte("Test Using Larger Than Block-Size Key - Hash Key First")
	for _, tc := range []struct {
		m    Method
		want string
	}{
		{MD5, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
		{SHA1, "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
	} {
		k, _ := New(1, tc.m, key)
		if got, _ := k.Token(1, data); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.m, got, tc.want)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	k, _ := New(1, SHA1, "secret")
	k, _ = k.With(3, CRC, "")
	data := []byte(innerCovered)
	var unk *UnknownKeyError
	var bad *BadAuthStringError
	for _, tc := range []struct {
		name, auth string
		check      func(error) bool
	}{
		{"ok", "1 3d1766008e84388b306cdb8fa27a88478bbf31d0", func(e error) bool { return e == nil }},
		{"crc ok", "3 1bfcfd69", func(e error) bool { return e == nil }},
		{"bad digest", "1 3d1766008e84388b306cdb8fa27a88478bbf31d1", func(e error) bool { return errors.Is(e, ErrBadDigest) }},
		{"short digest", "1 3d1766008e84", func(e error) bool { return errors.Is(e, ErrBadDigest) }},
		{"unknown index", "2 ef2f154149220801fe34e0bcb216e2d6", func(e error) bool { return errors.As(e, &unk) && unk.Index == 2 }},
		{"index 16", "16 ef2f154149220801fe34e0bcb216e2d6", func(e error) bool { return errors.As(e, &unk) && unk.Index == 16 }},
		{"uppercase", "1 3D1766008E84388B306CDB8FA27A88478BBF31D0", func(e error) bool { return errors.As(e, &bad) }},
		{"no space", "13d17", func(e error) bool { return errors.As(e, &bad) }},
		{"empty", "", func(e error) bool { return errors.As(e, &bad) }},
		{"no token", "1 ", func(e error) bool { return errors.As(e, &bad) }},
		{"two spaces", "1  3d17", func(e error) bool { return errors.As(e, &bad) }},
		{"negative", "-1 3d17", func(e error) bool { return errors.As(e, &bad) }},
		{"trailing", "1 3d1766008e84388b306cdb8fa27a88478bbf31d0 x", func(e error) bool { return errors.As(e, &bad) }},
	} {
		if err := k.Verify(tc.auth, data); !tc.check(err) {
			t.Errorf("%s: Verify(%q) = %v", tc.name, tc.auth, err)
		}
	}
}
