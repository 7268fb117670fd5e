package failcount

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/haresources/monitor"
)

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if c, err := Load(dir); err != nil || len(c) != 0 {
		t.Fatalf("missing file: %v %v", c, err)
	}
	t0 := time.UnixMilli(1765000000123).UTC()
	want := monitor.Counts{
		"IPaddr::10.0.0.5/24/eth0": {t0},
		"mysql":                    {t0, t0.Add(time.Minute)},
	}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	b, _ := os.ReadFile(filepath.Join(dir, File))
	if !strings.Contains(string(b), "mysql\t1765000000123,1765000060123\n") {
		t.Errorf("file:\n%s", b)
	}
	fi, _ := os.Stat(filepath.Join(dir, File))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	// cleanup of everything: an empty file, no temporaries left
	if err := Save(dir, monitor.Counts{}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, File)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("fifo: %v", err)
	}
	os.Remove(p)
	for _, in := range []string{"mysql 12\n", "mysql\tx\n", "\t12\n", "mysql\t-1\n"} {
		if _, err := Parse(strings.NewReader(in), "f"); err == nil || !strings.HasPrefix(err.Error(), "f:1: ") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("# c\nmysql\t1,2,3\nIPaddr::10.0.0.5\t1765000000123\n")
	f.Add("x\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(strings.NewReader(in), "f")
		if err != nil {
			return
		}
		c2, err := Parse(strings.NewReader(string(Format(c))), "f")
		if err != nil {
			t.Fatalf("Format output rejected: %v", err)
		}
		if d := cmp.Diff(c, c2); d != "" {
			t.Fatalf("(-c +c2):\n%s", d)
		}
	})
}
