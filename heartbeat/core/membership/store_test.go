package membership

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
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

// TestStoreRefusesDamage: stock starts at generation 1 from a file it
// cannot parse (PROTOCOL §5.2), and a crash can leave hb_generation full of
// NUL bytes; every peer would then drop this node as a replay. hbgo refuses
// to start instead, and never reads or writes through a symlink.
func TestStoreRefusesDamage(t *testing.T) {
	now := time.Unix(100, 0)
	for _, tc := range []struct {
		name    string
		content string
		want    string
	}{
		{"nul bytes", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "only NUL bytes"},
		{"garbage", "garbage\n", "not a generation number"},
	} {
		s := Store{Dir: t.TempDir()}
		os.WriteFile(filepath.Join(s.Dir, GenerationFile), []byte(tc.content), 0o644)
		if _, _, err := s.NextGeneration(now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
	s := Store{Dir: t.TempDir()}
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, []byte("     5\n"), 0o644)
	os.Symlink(target, filepath.Join(s.Dir, GenerationFile))
	if _, _, err := s.NextGeneration(now); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlinked hb_generation: err %v", err)
	}
	os.Symlink(target, filepath.Join(s.Dir, UUIDFile))
	if _, _, err := s.LoadUUID(); err == nil {
		t.Errorf("symlinked hb_uuid read")
	}
	// Writing replaces the link, never the file it points to.
	if err := s.SaveUUID([16]byte{1}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "     5\n" {
		t.Errorf("write went through the symlink: target now %q", b)
	}
	ents, _ := os.ReadDir(s.Dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestStoreCheckDir(t *testing.T) {
	d := t.TempDir()
	os.Chmod(d, 0o755)
	if err := (Store{Dir: d}).CheckDir(); err != nil {
		t.Errorf("0755 directory of ours: %v", err)
	}
	os.Chmod(d, 0o777)
	if err := (Store{Dir: d}).CheckDir(); err == nil || !strings.Contains(err.Error(), "chmod go-w") {
		t.Errorf("world-writable directory: %v", err)
	}
	os.Chmod(d, 0o755)
	l := filepath.Join(t.TempDir(), "link")
	os.Symlink(d, l)
	if err := (Store{Dir: l}).CheckDir(); err == nil {
		t.Errorf("symlinked directory accepted")
	}
	if os.Geteuid() == 0 {
		os.Chown(d, 1234, 1234)
		if err := (Store{Dir: d}).CheckDir(); err == nil || !strings.Contains(err.Error(), "chown root") {
			t.Errorf("directory owned by uid 1234: %v", err)
		}
	}
}

func TestStorePeers(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if m, err := s.LoadPeers(); err != nil || m != nil {
		t.Fatalf("missing file: %v %v", m, err)
	}
	want := map[string]PeerMark{"node2": {Gen: 1795393427, Seq: 4711}, "node3": {Gen: 9, Seq: 0}}
	if err := s.SavePeers(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadPeers()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	os.WriteFile(filepath.Join(s.Dir, PeersFile), []byte("node2 12\n"), 0o644)
	if _, err := s.LoadPeers(); err == nil || !strings.Contains(err.Error(), PeersFile+":1:") {
		t.Errorf("bad line: %v", err)
	}
}
