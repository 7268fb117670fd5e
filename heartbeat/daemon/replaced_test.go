package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestProgramReplaced: a process whose program file was replaced by rename
// (as dpkg upgrades) is seen as replaced; one whose file is in place is not.
func TestProgramReplaced(t *testing.T) {
	if programReplaced("/proc/self/exe") {
		t.Fatal("the test binary counts as replaced")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	d := t.TempDir()
	prog := filepath.Join(d, "heartbeat")
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	exe := "/proc/" + itoaPID(cmd.Process.Pid) + "/exe"
	if programReplaced(exe) {
		t.Error("a program in place counts as replaced")
	}
	if err := os.WriteFile(prog+".new", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(prog+".new", prog); err != nil {
		t.Fatal(err)
	}
	if !programReplaced(exe) {
		t.Error("a program replaced by rename is not seen as replaced")
	}
}

func itoaPID(n int) string {
	s := ""
	for n > 0 || s == "" {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
