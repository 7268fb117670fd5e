package testnet

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"hbgo/internal/harness/budget"
)

func TestMain(m *testing.M) { Main(m) }

func TestHostIsolation(t *testing.T) {
	lab := New(t, "hbgotn")
	h1 := lab.Host("n1", nil)
	h2 := lab.Host("n2", nil)
	lab.Veth("n1", "eth1", "10.232.0.1/24", "n2", "eth1", "10.232.0.2/24")

	if got := strings.TrimSpace(h1.Run("hostname")); got != "n1" {
		t.Errorf("hostname %q, want n1", got)
	}
	h1.Run("sh", "-c", "echo hello >/var/log/probe")
	if b, err := os.ReadFile(h1.Path("/var/log/probe")); err != nil || string(b) != "hello\n" {
		t.Errorf("private /var/log: %q %v", b, err)
	}
	if _, err := os.Stat(h2.Path("/var/log/probe")); err == nil {
		t.Error("n2 sees n1's /var/log")
	}
	if _, err := os.Stat("/var/log/probe"); err == nil {
		t.Error("host sees n1's /var/log")
	}
	h1.Run("ping", "-c1", "-W2", "10.232.0.2") // fails the test unless a reply came
	// The node has its own PID namespace: its sleep is the only one it sees.
	h1.Start("", "sleep", "60")
	out := h1.Run("sh", "-c", "ls /proc | grep -c '^[0-9]'")
	if n := strings.TrimSpace(out); n == "" || len(n) > 2 {
		t.Errorf("node sees %s processes; its PID namespace leaks", n)
	}
	if len(h1.Pids("sleep")) != 1 || len(h2.Pids("sleep")) != 0 {
		t.Errorf("Pids: n1 %v n2 %v", h1.Pids("sleep"), h2.Pids("sleep"))
	}
	lab.Cut("n2", "eth1")
	if _, err := h1.Try("ping", "-c1", "-W1", "10.232.0.2"); err == nil {
		t.Error("ping went through a cut link")
	}
	lab.Heal("n2", "eth1")
	h1.Run("ping", "-c1", "-W2", "10.232.0.2")
}

// TestHostDiesAlone kills a node's PID 1 as a reboot inside the node does:
// Alive turns false and the cleanup signals nothing else.
func TestHostDiesAlone(t *testing.T) {
	lab := New(t, "hbgotd")
	h := lab.Host("n1", nil)
	if !h.Alive() {
		t.Fatal("a fresh node is not alive")
	}
	h.Start("", "sleep", "3600") // outlives any bound below: only the kernel ends it
	if _, ok := h.initState(); !ok {
		t.Fatal("initState does not recognise the node's own init")
	}
	if err := syscall.Kill(h.initPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// How soon the kernel ends the node is the machine's business, not the
	// test's: the bound is the run's own -timeout (budget), not seconds.
	if !budget.Poll(t, func() bool { return !h.Alive() }) {
		t.Fatal("node still alive after its init was killed")
	}
	// The kernel kills the rest of the PID namespace after its init is
	// gone, not with it: give that the same bound.
	if !budget.Poll(t, func() bool { return len(h.Pids("sleep")) == 0 }) {
		t.Fatalf("%d processes of the node outlived its init", len(h.Pids("sleep")))
	}
}
