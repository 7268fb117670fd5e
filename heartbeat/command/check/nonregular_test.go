package check

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// TestCheckNonRegularFiles: `heartbeat check` on ha.cf linked to /dev/zero
// and an authkeys that is a FIFO answers at once with both refused, as
// `file:0: error: what; hint` (issue 13 item 9). Before, it read /dev/zero
// until out of memory, or waited on the FIFO forever.
func TestCheckNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	os.Symlink("/dev/zero", filepath.Join(dir, "ha.cf"))
	if err := syscall.Mkfifo(filepath.Join(dir, "authkeys"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "haresources"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "hbgo.cf"), nil, 0o644)
	done := make(chan *Report, 1)
	go func() {
		done <- Check(Options{Dir: dir, Node: "node1", InitDir: dir, DpkgInfoDir: dir, DpkgStatus: filepath.Join(dir, "status")})
	}()
	var r *Report
	select {
	case r = <-done:
	case <-time.After(budget.Left(t)):
		t.Fatal("heartbeat check does not return")
	}
	var text []string
	for _, p := range r.Problems {
		text = append(text, p.Error())
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"ha.cf:0: error: cannot read the main configuration file: not a regular file (a device); make ",
		"authkeys:0: error: reading: not a regular file (a FIFO); make "} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
}
