package watch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		deadline := time.Now().Add(wait)
		for {
			m.mu.Lock()
			back := !m.gone[point]
			m.mu.Unlock()
			if back {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the mount again was not seen within %s", round, wait)
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
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
}
