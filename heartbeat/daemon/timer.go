package daemon

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// wakeTimer wakes the loop at its next deadline. On Linux it is a timerfd
// read on Go's network poller, not a Go timer: the runtime's sysmon thread
// sleeps until the next Go timer, so a Go timer re-armed every keepalive
// woke sysmon (and through it the scheduler) several times per keepalive
// for nothing (bench/results/idle-2026-11-23.md). With no Go timer
// pending, an idle daemon's sysmon sleeps. A tick may come early, never
// late.
type wakeTimer struct {
	ch    chan struct{}
	f     *os.File        // the timerfd; nil: t is the fallback
	rc    syscall.RawConn // f's descriptor
	t     *time.Timer     // fallback when timerfd is unavailable
	armed unix.ItimerSpec // reused by Reset
}

func newWakeTimer() *wakeTimer {
	w := &wakeTimer{ch: make(chan struct{}, 1)}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err == nil {
		f := os.NewFile(uintptr(fd), "timerfd")
		if rc, err := f.SyscallConn(); err == nil {
			w.f, w.rc = f, rc
			go w.read(rc)
			return w
		}
		f.Close()
	}
	w.t = time.AfterFunc(time.Hour, w.fire)
	return w
}

func (w *wakeTimer) fire() {
	select {
	case w.ch <- struct{}{}:
	default: // a tick is already waiting
	}
}

// read forwards each expiry of the timerfd to C, until the file is closed.
func (w *wakeTimer) read(rc syscall.RawConn) {
	var buf [8]byte
	for {
		err := rc.Read(func(fd uintptr) bool {
			_, _, errno := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), 8)
			return errno != unix.EAGAIN && errno != unix.EINTR
		})
		if err != nil {
			return
		}
		w.fire()
	}
}

// C delivers the expiries.
func (w *wakeTimer) C() <-chan struct{} { return w.ch }

// Reset arms the timer to tick once after d (at once when d <= 0).
func (w *wakeTimer) Reset(d time.Duration) {
	if w.f == nil {
		w.t.Reset(d)
		return
	}
	d = max(d, time.Nanosecond) // an all-zero value would disarm it
	w.armed.Value = unix.NsecToTimespec(int64(d))
	_ = w.rc.Control(func(fd uintptr) {
		_, _, errno := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&w.armed)), 0, 0, 0)
		if errno != 0 { // cannot happen with a valid fd; never leave the loop asleep
			w.fire()
		}
	}) // Control fails only once Stop closed the file
}

// Stop disarms the timer and ends its reader.
func (w *wakeTimer) Stop() {
	if w.f == nil {
		w.t.Stop()
		return
	}
	w.f.Close()
}

// loopTimer is what the loop waits on for its next deadline.
type loopTimer interface {
	C() <-chan struct{}
	Reset(d time.Duration)
	Stop()
}

// newTimer is the loop's wake-up: a timerfd on the system clock, Go
// timers with a clock of the caller's (Options.Now).
func (n *node) newTimer() loopTimer {
	if n.o.Now != nil {
		return newGoTimer()
	}
	return newWakeTimer()
}

// goTimer is a wakeTimer on a Go timer only.
type goTimer struct{ w *wakeTimer }

func newGoTimer() *goTimer {
	w := &wakeTimer{ch: make(chan struct{}, 1)}
	w.t = time.AfterFunc(time.Hour, w.fire)
	return &goTimer{w}
}

func (g *goTimer) C() <-chan struct{}    { return g.w.ch }
func (g *goTimer) Reset(d time.Duration) { g.w.Reset(d) }
func (g *goTimer) Stop()                 { g.w.Stop() }
