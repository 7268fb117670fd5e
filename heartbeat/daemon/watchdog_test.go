package daemon

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/edge/media"
	"hbgo/internal/harness/budget"
)

// TestWatchdogFedWithoutOwnEcho runs a node with a stand-in watchdog (a
// plain file: each feed is a NUL byte) over each media setup in which its
// own heartbeat never comes back to it. The watchdog must be fed every
// keepalive all the same (issue 13 item 4). Before, only a copy of our own
// status heard back fed it, so these setups got the one feed at open and
// the node rebooted about deadtime after each start. bcast, which hears
// itself, is the control.
func TestWatchdogFedWithoutOwnEcho(t *testing.T) {
	for _, c := range []struct {
		name, media string
		real        bool // a real serial line: a socat pty pair
	}{
		{name: "mcast loop 0", media: "mcast eth0 239.0.0.1 694 1 0\n"}, // ha.d-examples/mcast
		{name: "serial only", media: "serial /dev/ttyS0\n"},
		{name: "serial only on a real pty", real: true},
		{name: "ucast to the peer only", media: "ucast eth0 10.0.0.2\n"},
		{name: "bcast", media: "bcast eth0\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			net := media.NewMemNetwork(nil)
			dir := t.TempDir()
			wd := filepath.Join(dir, "watchdog")
			if err := os.WriteFile(wd, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			spec := nodeSpec{name: "node1", media: c.media, extra: "watchdog " + wd + "\n"}
			if c.real {
				a := ptyPair(t, dir)
				spec.media = "serial " + a + "\n"
				spec.open = func(m hacf.Medium, rx *media.Queue) (media.Medium, error) {
					return media.OpenSerial(media.SerialSpec{Device: m.Device, Baud: m.Baud, LockDir: dir}, rx, nil)
				}
			}
			tn := startNode(t, net, spec)
			// Within deadtime (the device's timeout) the loop sends
			// deadtime/keepalive statuses: ask for a few feeds besides the one at open.
			const want = 4
			deadline := time.Now().Add(2 * testDeadtime)
			var feeds int
			for time.Now().Before(deadline) {
				b, _ := os.ReadFile(wd)
				if feeds = bytes.Count(b, []byte{0}); feeds >= want {
					break
				}
				time.Sleep(testKeepalive / 2)
			}
			if feeds < want {
				t.Errorf("watchdog fed %d times in %v (%d statuses sent), want at least %d: the node would reboot",
					feeds, 2*testDeadtime, len(tn.keepalives()), want)
			}
		})
	}
}

// ptyPair starts a socat null modem in dir and returns one end; the other
// end is read and discarded, as a peer that is not running heartbeat.
func ptyPair(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		t.Skip("socat not installed (make test installs it as root)")
	}
	a, b := filepath.Join(dir, "ttyA"), filepath.Join(dir, "ttyB")
	cmd := exec.Command("socat", "pty,raw,echo=0,link="+a, "pty,raw,echo=0,link="+b)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	// socat is outside the daemon: its start is bounded by the run's own
	// -timeout (budget), not by a count of polls.
	if !budget.Poll(t, func() bool {
		_, e1 := os.Stat(a)
		_, e2 := os.Stat(b)
		return e1 == nil && e2 == nil
	}) {
		t.Fatal("socat did not create the pty links")
	}
	f, err := os.OpenFile(b, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	go io.Copy(io.Discard, f)
	return a
}
