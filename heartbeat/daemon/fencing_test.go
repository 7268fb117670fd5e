package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// TestFenceWithHungSync: sync(2) that never returns (the storage whose stop
// failed is hung) must not keep fencing from the reboot (issue 13 item 5).
// Before, sync ran inline on the daemon loop and the node hung instead of
// rebooting. Both ends are stand-ins: no real sync, no real reboot.
func TestFenceWithHungSync(t *testing.T) {
	var out bytes.Buffer
	lg, _ := hblog.New(hblog.Options{Stderr: &out, PID: 1})
	defer lg.Close()
	wait := syncWait(2 * time.Second) // deadtime 2 s: a 500 ms wait
	hung := make(chan struct{})
	defer close(hung)
	hang := func() { <-hung }

	t.Run("reboot(2)", func(t *testing.T) {
		rebooted := make(chan struct{})
		f := fencer{sync: hang, reboot: func() error { close(rebooted); return nil }, log: lg, syncWait: wait}
		go f.fence()
		select {
		case <-rebooted:
		case <-time.After(20 * wait):
			t.Fatal("fencing never reached reboot: it waits for a sync that never returns")
		}
	})
	t.Run("reboot_command", func(t *testing.T) {
		mark := filepath.Join(t.TempDir(), "rebooted")
		f := fencer{sync: hang, reboot: func() error { t.Error("reboot(2) though reboot_command worked"); return nil },
			command: []string{"touch", mark}, log: lg, syncWait: wait}
		done := make(chan struct{})
		go func() { f.fence(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * wait):
			t.Fatal("fencing never reached reboot_command")
		}
		if _, err := os.Stat(mark); err != nil {
			t.Errorf("reboot_command stand-in not run: %v", err)
		}
	})
	t.Run("sync that answers", func(t *testing.T) {
		synced, rebooted := false, false
		f := fencer{sync: func() { synced = true }, reboot: func() error { rebooted = true; return nil }, log: lg, syncWait: time.Hour}
		f.fence() // returns at once: the hour is never waited for
		if !synced || !rebooted {
			t.Errorf("synced %v, rebooted %v; want both", synced, rebooted)
		}
	})
}
