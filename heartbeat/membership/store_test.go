package membership

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNextGeneration(t *testing.T) {
	now := time.Unix(1795393429, 0)
	for _, tc := range []struct {
		name    string
		content string
		missing bool
		want    uint64
	}{
		{"missing", "", true, 1795393430},
		{"empty", "", false, 1795393430},
		{"stock format", "     1795393427\n", false, 1795393428},
		{"unparsable", "garbage\n", false, 1},
	} {
		if got := NextGeneration([]byte(tc.content), tc.missing, now); got != tc.want {
			t.Errorf("%s: got %d want %d", tc.name, got, tc.want)
		}
	}
	if diff := cmp.Diff("     1795393427\n", string(FormatGeneration(1795393427))); diff != "" {
		t.Errorf("FormatGeneration (-want +got):\n%s", diff)
	}
}

func TestStore(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	now := time.Unix(100, 0)
	g, fresh, err := s.NextGeneration(now)
	if err != nil || g != 101 || !fresh {
		t.Fatalf("first start: %d %v %v", g, fresh, err)
	}
	g, fresh, err = s.NextGeneration(now)
	if err != nil || g != 102 || fresh {
		t.Fatalf("second start: %d %v %v", g, fresh, err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Dir, GenerationFile))
	if len(b) != 16 {
		t.Errorf("hb_generation is %d bytes, stock writes 16", len(b))
	}
	if _, ok, err := s.LoadUUID(); ok || err != nil {
		t.Fatalf("LoadUUID on empty dir: %v %v", ok, err)
	}
	u := [16]byte{1, 2, 3, 15: 9}
	if err := s.SaveUUID(u); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.LoadUUID(); !ok || err != nil || got != u {
		t.Fatalf("LoadUUID: %x %v %v", got, ok, err)
	}
}

func FuzzParseGeneration(f *testing.F) {
	f.Add([]byte("     1795393427\n"))
	f.Add([]byte(""))
	f.Add([]byte("-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseGeneration(b)
		if err != nil {
			return
		}
		if m, err := ParseGeneration(FormatGeneration(n)); err != nil || m != n {
			t.Fatalf("round trip %d -> %d, %v", n, m, err)
		}
	})
}

func TestUUIDHelpers(t *testing.T) {
	u, err := GenerateUUID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := FormatUUID(u), "ffffffff-ffff-4fff-bfff-ffffffffffff"; got != want {
		t.Errorf("FormatUUID = %s, want %s", got, want)
	}
	if _, err := GenerateUUID(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("short random source accepted")
	}
}
