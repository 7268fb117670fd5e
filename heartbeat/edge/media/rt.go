package media

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// LockRealtime wires the calling goroutine to its OS thread and schedules
// that thread SCHED_RR at prio (ha.cf realtime/rtprio); the goroutine keeps
// the thread until it returns. It locks no memory: hbgo deliberately skips
// stock's mlockall(MCL_FUTURE), which a Go heap would turn into pinned RAM.
func LockRealtime(prio int) error {
	runtime.LockOSThread()
	attr := unix.SchedAttr{Policy: unix.SCHED_RR, Priority: uint32(prio)}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		return fmt.Errorf("SCHED_RR priority %d: %w", prio, err)
	}
	return nil
}

// ThreadPolicy reports the scheduling policy and priority of the calling thread.
func ThreadPolicy() (policy string, prio int, err error) {
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return "", 0, err
	}
	switch a.Policy {
	case unix.SCHED_RR:
		policy = "SCHED_RR"
	case unix.SCHED_FIFO:
		policy = "SCHED_FIFO"
	case 0: // SCHED_OTHER
		policy = "SCHED_OTHER"
	default:
		policy = fmt.Sprint(a.Policy)
	}
	return policy, int(a.Priority), nil
}
