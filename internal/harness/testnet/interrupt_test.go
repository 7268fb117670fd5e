package testnet

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// envSleeper makes TestSleeper build a lab and wait to be interrupted.
const envSleeper = "HBGO_TESTNET_SLEEPER"

// TestSleeper is TestInterruptTearsDown's child: a lab with a node running
// a process, a function registered with Lab.Cleanup, then a long sleep.
func TestSleeper(t *testing.T) {
	marker := os.Getenv(envSleeper)
	if marker == "" {
		t.Skip("the child of TestInterruptTearsDown")
	}
	lab := New(t, "hbgoti")
	h := lab.Host("n1", nil)
	h.Start("", "sleep", "600")
	lab.Cleanup(func() { _ = os.WriteFile(marker, []byte("cleaned\n"), 0o644) })
	fmt.Printf("READY %s %d\n", lab.NS("n1"), h.initPID)
	time.Sleep(10 * time.Minute)
}

// TestInterruptTearsDown interrupts a test binary (as Ctrl-C in make test
// does) while its lab runs: its namespace, its node and what it registered
// with Lab.Cleanup must be gone when it exits.
func TestInterruptTearsDown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("testnet: needs root")
	}
	marker := filepath.Join(t.TempDir(), "cleaned")
	// The child's own deadline and the wait for it to exit come from this
	// run's -timeout (budget), so a busy machine stretches them.
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSleeper$", "-test.timeout", budget.Left(t).String())
	cmd.Env = append(os.Environ(), envSleeper+"="+marker)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var ns string
	var initPID int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "READY" {
			ns = f[1]
			initPID, _ = strconv.Atoi(f[2])
			break
		}
	}
	if ns == "" || initPID == 0 {
		t.Fatal("the child never got its lab ready")
	}
	go func() { _, _ = bufio.NewReader(out).WriteTo(os.Stdout) }()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the interrupted child exited 0")
		}
	case <-time.After(budget.Left(t)):
		t.Fatal("the interrupted child did not exit")
	}
	if _, err := os.Stat("/run/netns/" + ns); err == nil {
		_ = exec.Command("ip", "netns", "del", ns).Run()
		t.Errorf("namespace %s left behind", ns)
	}
	if syscall.Kill(initPID, 0) == nil {
		_ = syscall.Kill(initPID, syscall.SIGKILL)
		t.Errorf("node init %d still running", initPID)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "cleaned\n" {
		t.Errorf("Lab.Cleanup's function did not run: %q %v", b, err)
	}
}
