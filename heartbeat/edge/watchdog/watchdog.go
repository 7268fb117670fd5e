// Package watchdog feeds a kernel watchdog device each time the daemon sends
// its own heartbeat, as stock's ha.cf `watchdog` directive (COMPAT §5.8).
package watchdog

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"hbgo/heartbeat/edge/hblog"
)

// Dog writes to an open watchdog device from its own goroutine, so a
// blocked write never holds up the caller.
type Dog struct {
	path   string
	w      io.WriteCloser
	log    hblog.Logger
	kick   chan struct{} // one pending tickle at most
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// Timeout returns the device timeout stock sets: deadtime plus 10 ms,
// rounded up to whole seconds (heartbeat.c hb_init_watchdog_interval).
func Timeout(deadtime time.Duration) int {
	ms := deadtime.Milliseconds() + 10
	return int((ms + 999) / 1000)
}

// Open opens the device write-only, sets a character device's timeout to
// Timeout(deadtime) and feeds it once, logging as stock does.
func Open(path string, deadtime time.Duration, log hblog.Logger) (*Dog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		log.Log(hblog.Error, "Cannot open watchdog device: %s", path)
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	log.Log(hblog.Notice, "Using watchdog device: %s", path)
	if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		secs := Timeout(deadtime)
		log.Log(hblog.Debug, "Set watchdog timer to %d seconds.", secs)
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.WDIOC_SETTIMEOUT, secs); err != nil {
			log.Log(hblog.Error, "WDIOC_SETTIMEOUT: Failed to set watchdog timer to %d seconds.: %v", secs, err)
		}
	}
	d := New(path, f, log)
	d.Tickle()
	return d, nil
}

// New feeds w (an open device, or a stand-in in tests) from a new goroutine.
func New(path string, w io.WriteCloser, log hblog.Logger) *Dog {
	d := &Dog{path: path, w: w, log: log, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go d.loop()
	return d
}

func (d *Dog) loop() {
	defer close(d.done)
	for {
		select {
		case <-d.kick:
			if _, err := d.w.Write([]byte{0}); err != nil {
				// stock closes the device (with the magic 'V') and stops feeding it
				d.log.Log(hblog.Error, "Watchdog write failure: closing %s!: %v", d.path, err)
				d.release()
				return
			}
		case <-d.stop:
			select {
			case <-d.kick: // a tickle asked for before Close is still written
				if _, err := d.w.Write([]byte{0}); err != nil {
					d.log.Log(hblog.Error, "Watchdog write failure: closing %s!: %v", d.path, err)
				}
			default:
			}
			d.release()
			return
		}
	}
}

// release writes the magic close character, so the kernel disarms the
// timer, and closes the device (heartbeat.c hb_close_watchdog).
func (d *Dog) release() {
	if _, err := d.w.Write([]byte("V")); err != nil {
		d.log.Log(hblog.Error, "Watchdog write magic character failure: closing %s!: %v", d.path, err)
	} else {
		d.log.Log(hblog.Debug, "Successful watchdog 'V' write")
	}
	if err := d.w.Close(); err != nil {
		d.log.Log(hblog.Error, "Watchdog close(2) failed.: %v", err)
	} else {
		d.log.Log(hblog.Debug, "Successful watchdog close")
	}
}

// Tickle asks for one write to the device and returns at once; tickles
// that arrive while one is pending are merged.
func (d *Dog) Tickle() {
	if d == nil {
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Close disarms and closes the device, waiting for that until ctx ends; a
// write that never returns is left behind.
func (d *Dog) Close(ctx context.Context) error {
	if d == nil || d.closed {
		return nil
	}
	d.closed = true
	close(d.stop)
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("watchdog: closing %s: %w", d.path, ctx.Err())
	}
}
