package cfgfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// TestRead checks every kind of file Read meets: a regular file is read, a
// FIFO without a writer does not block, /dev/zero is refused before a byte
// is read, and a file over the cap is refused.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "ha.cf")
	os.WriteFile(reg, []byte("node a\n"), 0o644)
	fifo := filepath.Join(dir, "authkeys")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("#\n", MaxSize/2+1)), 0o644)
	for _, c := range []struct {
		path string
		want error
	}{{reg, nil}, {fifo, ErrNotRegular}, {zero, ErrNotRegular}, {dir, ErrNotRegular}, {big, ErrTooLarge}} {
		done := make(chan error, 1)
		go func() { _, _, err := Read(c.path); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("Read(%s) = %v, want %v", c.path, err, c.want)
			}
			if err != nil && Hint(c.path, err) == "" {
				t.Errorf("Read(%s): no hint for %v", c.path, err)
			}
		case <-time.After(budget.Left(t)):
			t.Fatalf("Read(%s) blocks", c.path)
		}
	}
	if b, _, _ := Read(reg); string(b) != "node a\n" {
		t.Errorf("Read(regular) = %q", b)
	}
}
