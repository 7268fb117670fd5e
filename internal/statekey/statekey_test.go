package statekey

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
)

// TestIsFNV1a: String is FNV-1a of the string and an end byte, Uint of the
// value's eight bytes, low first: the key is the standard hash, folded.
func TestIsFNV1a(t *testing.T) {
	for _, s := range []string{"", "a", "active", "IPaddr::10.0.0.1"} {
		f := fnv.New64a()
		f.Write([]byte(s + "\xff"))
		if got, want := String(Offset, s), f.Sum64(); got != want {
			t.Errorf("String(%q) = %x, want %x", s, got, want)
		}
	}
	for _, x := range []uint64{0, 1, 0xdeadbeef, 1<<64 - 1} {
		f := fnv.New64a()
		f.Write(binary.LittleEndian.AppendUint64(nil, x))
		if got, want := Uint(Offset, x), f.Sum64(); got != want {
			t.Errorf("Uint(%d) = %x, want %x", x, got, want)
		}
	}
}

// TestBoundaries: where one string ends and the next begins changes the key.
func TestBoundaries(t *testing.T) {
	if String(String(Offset, "ab"), "c") == String(String(Offset, "a"), "bc") {
		t.Error(`"ab","c" and "a","bc" give the same key`)
	}
	if String(Offset, "") == Offset {
		t.Error("an empty string changes nothing")
	}
}

// TestAllocatesNothing: the daemon folds its state at each keepalive.
func TestAllocatesNothing(t *testing.T) {
	s := "active"
	if n := testing.AllocsPerRun(100, func() { _ = Uint(String(Offset, s), 42) }); n != 0 {
		t.Errorf("%v allocations per key", n)
	}
}
