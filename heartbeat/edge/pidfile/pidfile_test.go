package pidfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFormatIsStocks(t *testing.T) {
	if got := string(Format(1091)); got != "      1091\n" {
		t.Fatalf("Format(1091) = %q, want stock's %q", got, "      1091\n")
	}
	for _, in := range []string{"      1091\n", "1091", " 1091 \n"} {
		if pid, err := Parse([]byte(in)); err != nil || pid != 1091 {
			t.Errorf("Parse(%q) = %d, %v", in, pid, err)
		}
	}
	for _, in := range []string{"", "x", "-5", "0"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "heartbeat.pid")
	if st, _, err := Check(p, "/proc", ""); st != NoFile || err != nil {
		t.Fatalf("missing file: %v %v", st, err)
	}
	self, _ := os.Executable()
	if err := Write(p, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if st, pid, _ := Check(p, "/proc", self); st != Running || pid != os.Getpid() {
		t.Fatalf("own pid: %v %d", st, pid)
	}
	if st, _, _ := Check(p, "/proc", "/usr/sbin/not-this-program"); st != Stale {
		t.Fatalf("other program's pid: %v, want Stale", st)
	}
	if err := Write(p, 0x3ffffff0); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := Check(p, "/proc", self); st != Stale {
		t.Fatalf("dead pid: %v, want Stale", st)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "1073741808\n" {
		t.Fatalf("content %q", b)
	}
}
