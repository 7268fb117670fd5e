package watch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMountUnmounted: an ext4 image loop-mounted, then unmounted behind the
// daemon's back: the watcher reports it (poll's wake-up, or the backstop
// rescan where the kernel raised none), once, and again after it was mounted
// and unmounted a second time.
func TestMountUnmounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: attaches a loop device and mounts ext4")
	}
	for _, tool := range []string{"mkfs.ext4", "losetup", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	dir := t.TempDir()
	img, point := filepath.Join(dir, "fs.img"), filepath.Join(dir, "data")
	if err := os.Mkdir(point, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("mkfs.ext4", "-q", "-F", img)
	out, err := exec.Command("losetup", "--find", "--show", img).Output()
	if err != nil {
		t.Skipf("no loop device available: %v", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	run("mount", "-t", "ext4", dev, point)
	t.Cleanup(func() { exec.Command("umount", point).Run() })

	events := make(chan Event, 8)
	m := &Mounts{Events: events}
	res := "Filesystem::" + dev + "::" + point + "::ext4"
	m.Hold(res, point)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx, ready) }()
	<-ready
	select {
	case ev := <-events:
		t.Fatalf("event while mounted: %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
	for round := 1; round <= 2; round++ {
		run("umount", point) // slow on a busy machine: ext4 flushes its journal
		done := time.Now()
		ev := next(t, events, Failed)
		if ev.Resource != res || ev.Cause != point+" unmounted (mountinfo)" {
			t.Errorf("event %+v", ev)
		}
		t.Logf("round %d: unmount seen %s after umount returned (negative: before)", round, ev.At.Sub(done))
		run("mount", "-t", "ext4", dev, point)
		// The watcher must see it mounted again before the next round.
		deadline := time.Now().Add(wait(t))
		for {
			m.mu.Lock()
			back := !m.gone[point]
			m.mu.Unlock()
			if back {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the mount again was not seen", round)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait(t)):
		t.Fatal("Run did not return after cancel")
	}
}

// TestMountBackstopOnlyWhileHeld: the backstop's rescans (for an unmount
// the kernel did not flag) run only while a point is held: a node holding
// no Filesystem wakes for nothing but changes of the table. Checked on the
// kernel's timer, not by timing; and a point held but not mounted is
// reported by the backstop alone (no table change follows the Hold).
func TestMountBackstopOnlyWhileHeld(t *testing.T) {
	events := make(chan Event, 8)
	m := &Mounts{Events: events, Backstop: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx, ready) }()
	<-ready
	armed := func() (bool, bool) { // the kernel's timer armed, and the watcher's view of it
		t.Helper()
		for deadline := time.Now().Add(wait(t)); ; time.Sleep(m.Backstop) {
			m.mu.Lock()
			tm := m.timer
			if tm == nil {
				m.mu.Unlock()
				if time.Now().After(deadline) {
					t.Fatal("Run set no backstop timer up")
				}
				continue
			}
			var cur unix.ItimerSpec
			if err := unix.TimerfdGettime(tm.fd, &cur); err != nil {
				m.mu.Unlock()
				t.Fatal(err)
			}
			m.mu.Unlock()
			return cur.Interval.Nano() != 0, tm.armed
		}
	}
	if k, w := armed(); k || w {
		t.Fatalf("nothing held: backstop armed (kernel %v, watcher %v)", k, w)
	}
	point := filepath.Join(t.TempDir(), "never-mounted")
	m.Hold("Filesystem::/dev/x::"+point+"::ext4", point)
	if k, w := armed(); !k || !w {
		t.Fatalf("a point held: backstop not armed (kernel %v, watcher %v)", k, w)
	}
	if ev := next(t, events, Failed); ev.Cause != point+" unmounted (mountinfo)" {
		t.Errorf("event %+v", ev)
	}
	m.Release(point)
	if k, w := armed(); k || w {
		t.Fatalf("released: backstop still armed (kernel %v, watcher %v)", k, w)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
