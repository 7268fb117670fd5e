package media

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// socatPair starts a pty null modem with stable link paths.
func socatPair(t *testing.T, a, b string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		t.Skip("socat not installed (make test installs it as root)")
	}
	cmd := exec.Command("socat", "pty,raw,echo=0,link="+a, "pty,raw,echo=0,link="+b)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	// Bounded by the run's -timeout: a busy machine can take longer than
	// the 2 s this once allowed, and the test then failed on a missing tty.
	if !budget.Poll(t, func() bool {
		_, e1 := os.Stat(a)
		_, e2 := os.Stat(b)
		return e1 == nil && e2 == nil
	}) {
		t.Fatal("socat did not create the pty links")
	}
	return cmd
}

func TestSerialNullModem(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "ttyA"), filepath.Join(dir, "ttyB")
	socat := socatPair(t, a, b)
	rxA, rxB := NewQueue(8), NewQueue(8)
	events := make(chan string, 16)
	ev := func(s string) {
		select {
		case events <- s:
		default:
		}
	}
	mA, err := OpenSerial(SerialSpec{Device: a, LockDir: dir}, rxA, ev)
	if err != nil {
		t.Fatal(err)
	}
	defer mA.Close()
	mB, err := OpenSerial(SerialSpec{Device: b, LockDir: dir}, rxB, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mB.Close()
	if _, err := OpenSerial(SerialSpec{Device: a, LockDir: dir}, rxA, nil); err == nil {
		t.Fatal("second open of a locked tty succeeded")
	}
	if got, want := mA.Started(), "glib: Starting serial heartbeat on tty "+a+" (19200 baud)"; got != want {
		t.Errorf("Started %q, want %q", got, want)
	}
	msg := []byte(">>>\nt=status\nst=up\n<<<\n")
	// Line noise before a frame is skipped, as stock's reader does.
	if err := mA.Send(Outgoing{Classic: append([]byte("noise\n"), msg...)}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-rxB.C():
		if !bytes.Equal(p.Data, msg) || p.Link != b || p.Err != nil {
			t.Fatalf("got %+v", p)
		}
	case <-time.After(budget.Left(t)):
		t.Fatal("nothing arrived over the null modem")
	}
	// A frame opened twice is damaged: it is reported, then reading goes on.
	_ = mB.Send(Outgoing{Classic: append([]byte(">>>\nt=x\n"), msg...)})
	var gotDamaged, gotGood bool
	for !(gotDamaged && gotGood) {
		select {
		case p := <-rxA.C():
			if p.Err != nil {
				gotDamaged = true
			} else if bytes.Equal(p.Data, msg) {
				gotGood = true
			}
		case <-time.After(budget.Left(t)):
			t.Fatalf("damaged=%v good=%v", gotDamaged, gotGood)
		}
	}
	// The cable is pulled (socat dies) and plugged back: the link reopens.
	_ = syscall.Kill(-socat.Process.Pid, syscall.SIGKILL)
	_ = socat.Wait()
	select {
	case e := <-events:
		if !bytes.Contains([]byte(e), []byte("failed; reopening")) {
			t.Fatalf("event %q", e)
		}
	case <-time.After(budget.Left(t)):
		t.Fatal("no reopen event after the tty vanished")
	}
	os.Remove(a)
	os.Remove(b)
	socatPair(t, a, b)
	deadline := time.Now().Add(budget.Left(t))
	for {
		_ = mA.Send(Outgoing{Classic: msg})
		select {
		case p := <-rxB.C():
			if bytes.Equal(p.Data, msg) {
				return
			}
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("link did not come back after the tty returned")
		}
	}
}

// TestUUCPLockStale takes over locks left by a dead process, a zombie, and a
// predecessor with our pid (a restart in a fresh pid namespace), and refuses
// one held by a live process or by ourselves.
func TestUUCPLockStale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pid   int
		old   bool
		taken bool
	}{
		{"own pid, older than us", os.Getpid(), true, true},
		{"own pid, ours (a second open)", os.Getpid(), false, false},
		{"dead pid", 0x3fffffff, false, true},
		{"live pid", os.Getppid(), false, false},
		{"zombie", zombie(t), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			lock := filepath.Join(dir, "LCK..ttyS9")
			if err := os.WriteFile(lock, []byte(fmt.Sprintf("%10d\n", tc.pid)), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.old {
				// Written by a predecessor that had our pid, before we started.
				old := time.Now().Add(-24 * time.Hour)
				os.Chtimes(lock, old, old)
			}
			got, err := uucpLock(dir, "/dev/ttyS9")
			if (err == nil) != tc.taken {
				t.Fatalf("uucpLock over a lock of pid %d: %v, want taken=%v", tc.pid, err, tc.taken)
			}
			if tc.taken && got != lock {
				t.Errorf("lock path %q, want %q", got, lock)
			}
		})
	}
}

// zombie returns the pid of an exited, not yet reaped child.
func zombie(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	for i := 0; i < 500; i++ {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if bytes.Contains(b, []byte(") Z ")) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Cleanup(func() { _ = cmd.Wait() })
	return pid
}
