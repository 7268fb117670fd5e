package wire

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// AllocPerByte bounds what Parse and Verify allocate: at most AllocPerByte
// bytes per packet byte plus allocFixed (a Field is 80 bytes and the
// smallest classic field line, "a=\n", is 3).
const (
	AllocPerByte = 32
	allocFixed   = 4096
)

// allocated returns the bytes allocated by one call of f (averaged).
func allocated(f func()) uint64 {
	const runs = 2
	f()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&b)
	return (b.TotalAlloc - a.TotalAlloc) / runs
}

func TestAllocationBound(t *testing.T) {
	const n = 12000
	deepClassic := MarshalClassic(nest(MaxDepth))
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"netstring minimal fields", []byte("###\n" + strings.Repeat("5:(0)a=,", n) + "%%%\n")},
		{"netstring small list elements", []byte("###\n" + itoa(5+4*n) + ":(3)l=" + strings.Repeat("1:a,", n) + ",%%%\n")},
		{"netstring huge claimed length", []byte("###\n999999:(0)t=status,%%%\n")},
		{"netstring empty structs", []byte("###\n" + strings.Repeat("13:(2)s=###\n%%%\n,", n) + "%%%\n")},
		{"classic minimal lines", []byte(">>>\n" + strings.Repeat("a=\n", n) + "auth=1 00\n<<<\n")},
		{"classic blank lines", []byte(">>>\n" + strings.Repeat("\n", n) + "a=\n<<<\n")},
		{"classic escaped newlines", []byte(">>>\n" + strings.Repeat("a=\x13\n", n) + "auth=1 00\n<<<\n")},
		{"classic small binaries", []byte(">>>\n" + strings.Repeat("(1)a=AA==\n", n) + "<<<\n")},
		{"classic deep struct", bytes.Repeat(deepClassic, 1)},
		{"classic deep struct padded", append(deepClassic[:len(deepClassic)-4:len(deepClassic)-4],
			[]byte(strings.Repeat("a=\n", n)+"auth=1 00\n<<<\n")...)},
		{"classic small list elements", []byte(">>>\n(3)l=" + strings.Repeat("1:a,", n) + "\n<<<\n")},
		{"max size", []byte("###\n" + strings.Repeat("5:(0)a=,", (MaxMsg-8)/8) + "%%%\n")},
	} {
		if len(tc.in) > MaxMsg {
			t.Fatalf("%s: %d bytes", tc.name, len(tc.in))
		}
		keys := appendixAKeys(t, 1)
		for _, f := range []struct {
			what string
			call func()
		}{
			{"Parse", func() { Parse(tc.in) }},
			{"Verify", func() { Verify(tc.in, keys) }},
		} {
			got := allocated(f.call)
			limit := uint64(AllocPerByte*len(tc.in) + allocFixed)
			if got > limit {
				t.Errorf("%s %s: %d bytes allocated for %d input bytes (%.1f/byte), limit %d",
					f.what, tc.name, got, len(tc.in), float64(got)/float64(len(tc.in)), limit)
			}
		}
	}
}
