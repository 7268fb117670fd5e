// Package sched holds the daemon's scheduling: SCHED_RR for every thread of the process, as stock runs, and the one door through which a child process starts at normal scheduling.
package sched

// Stock heartbeat makes its whole process realtime (cluster-glue's
// cl_make_realtime: sched_setscheduler(0, SCHED_RR, …) and mlockall), while
// the resource scripts and clients it runs are normal (COMPAT §2.3
// realtime, §4.4). A Go process is many threads, and Linux sets a policy
// per thread, so Realtime sets every thread the process has and relies on
// the kernel for the ones the runtime makes later. The facts, from Go
// 1.26's runtime/proc.go and the kernel's sched_fork:
//
//   - The runtime makes a thread in newm -> newm1 -> newosproc, which calls
//     clone(2) on the thread that wants the new M. The kernel copies the
//     cloning thread's policy and priority to the new thread. So once every
//     thread is SCHED_RR, the threads made from them are too.
//   - Except from a thread locked with runtime.LockOSThread (m.lockedExt)
//     or running cgo: newm then queues the M for the template thread
//     (newmHandoff), which clones it. The template thread is started by the
//     first LockOSThread of the process, from the locking thread before it
//     counts as locked (startTemplateThread), so it has that thread's policy;
//     if it is older than Realtime, Realtime sets it as any other thread.
//     So the door's thread below, which is SCHED_OTHER while it is locked,
//     never clones a runtime thread.
//   - SCHED_RESET_ON_FORK cannot keep the children normal instead: the
//     kernel applies it to every clone, threads included, so the runtime's
//     later threads would come up SCHED_OTHER.
//   - fork and exec (os/exec, syscall.Exec) run on the calling goroutine's
//     thread, and the child (or the new program) keeps that thread's policy.
//     Hence the door: a goroutine locked to its thread, set to SCHED_OTHER,
//     starts the child there.
//   - A goroutine that ends locked takes its thread with it (mexit), but not
//     on the main thread, which the runtime wedges instead. So the door puts
//     its thread back to the process's policy and unlocks it; only when that
//     fails does it end locked.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The process's threads are process state in the kernel; this is the
// process's record of them, shared by Realtime and the door.
var (
	mu     sync.Mutex
	target *unix.SchedAttr  // the policy Realtime gave the process; nil before
	normal = map[int]bool{} // threads the door holds at SCHED_OTHER: Realtime skips them
)

// Realtime schedules every thread of the process SCHED_RR at prio, as stock
// heartbeat's whole process is. It passes over /proc/self/task until a pass
// finds no thread it has not set, since the runtime may add threads
// meanwhile (and one more a millisecond later); threads made later inherit
// the policy from the thread that clones them. It locks no memory: a Go heap would turn mlockall into
// pinned RAM.
func Realtime(prio int) error {
	attr := unix.SchedAttr{Policy: unix.SCHED_RR, Priority: uint32(prio)}
	mu.Lock()
	defer mu.Unlock()
	prev, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return fmt.Errorf("scheduling policy: %w", err)
	}
	// The calling thread first: without the privilege nothing has changed.
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		return fmt.Errorf("SCHED_RR priority %d: %w", prio, err)
	}
	target = &attr
	set := map[int]bool{} // the calling thread too: the goroutine may have moved meanwhile
	// A failure after the first thread puts back every thread set so far,
	// so that the process is either realtime or as it was, never mixed.
	undo := func(err error) error {
		target = nil
		for tid := range set {
			_ = unix.SchedSetAttr(tid, prev, 0)
		}
		_ = unix.SchedSetAttr(0, prev, 0)
		return err
	}
	quiet := 0 // passes in a row that found no new thread
	for {
		tids, err := tasks(os.Getpid())
		if err != nil {
			return undo(err)
		}
		fresh := false
		for _, tid := range tids {
			if set[tid] || normal[tid] {
				continue
			}
			fresh = true
			set[tid] = true
			if err := unix.SchedSetAttr(tid, &attr, 0); err != nil && err != unix.ESRCH {
				return undo(fmt.Errorf("SCHED_RR priority %d for thread %d: %w", prio, tid, err))
			}
		}
		if fresh {
			quiet = 0
			continue
		}
		// A clone begun by a thread before it was set copies the old
		// policy and joins /proc/self/task a few microseconds later: one
		// more pass, a millisecond on, must find nothing new either.
		if quiet++; quiet == 2 {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
}

// Policy is a thread's scheduling policy and its realtime priority.
type Policy struct {
	Name string // SCHED_OTHER, SCHED_RR, SCHED_FIFO, …
	Prio int
}

func (p Policy) String() string { return fmt.Sprintf("%s %d", p.Name, p.Prio) }

// ThreadPolicy reports the policy of thread tid (0: the calling thread).
func ThreadPolicy(tid int) (Policy, error) {
	a, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return Policy{}, err
	}
	return Policy{Name: policyName(a.Policy), Prio: int(a.Priority)}, nil
}

// Threads reports the policy of every thread of process pid, by thread id.
func Threads(pid int) (map[int]Policy, error) {
	tids, err := tasks(pid)
	if err != nil {
		return nil, err
	}
	out := make(map[int]Policy, len(tids))
	for _, tid := range tids {
		p, err := ThreadPolicy(tid)
		if err == unix.ESRCH {
			continue // ended meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("thread %d of %d: %w", tid, pid, err)
		}
		out[tid] = p
	}
	return out, nil
}

func policyName(p uint32) string {
	switch p {
	case unix.SCHED_NORMAL:
		return "SCHED_OTHER"
	case unix.SCHED_FIFO:
		return "SCHED_FIFO"
	case unix.SCHED_RR:
		return "SCHED_RR"
	case unix.SCHED_BATCH:
		return "SCHED_BATCH"
	case unix.SCHED_IDLE:
		return "SCHED_IDLE"
	case unix.SCHED_DEADLINE:
		return "SCHED_DEADLINE"
	}
	return strconv.Itoa(int(p))
}

func tasks(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("threads of %d: %w", pid, err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// Start starts cmd at normal scheduling (SCHED_OTHER), whatever the
// daemon's threads run at. Every child the daemon starts goes through
// Start, Run, CombinedOutput or Exec (internal/archtest checks it).
func Start(cmd *exec.Cmd) error { return normalThread(cmd.Start) }

// Run is Start, then cmd.Wait.
func Run(cmd *exec.Cmd) error {
	if err := Start(cmd); err != nil {
		return err
	}
	return cmd.Wait()
}

// CombinedOutput is Run with stdout and stderr collected, as exec.Cmd's.
func CombinedOutput(cmd *exec.Cmd) ([]byte, error) {
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b // one writer: os/exec copies both through one pipe
	err := Run(cmd)
	return b.Bytes(), err
}

// Exec replaces the process through exec (nil: syscall.Exec; a stand-in
// under test) from a SCHED_OTHER thread, so the new program starts normal
// as any child does. It returns only when exec fails.
func Exec(exec func(argv0 string, argv, envv []string) error, argv0 string, argv, envv []string) error {
	if exec == nil {
		exec = syscall.Exec
	}
	return normalThread(func() error { return exec(argv0, argv, envv) })
}

// normalThread runs fn on a goroutine locked to a thread that is
// SCHED_OTHER meanwhile, then gives the thread back at the process's policy.
func normalThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		tid := unix.Gettid()
		mu.Lock()
		normal[tid] = true // Realtime running meanwhile must leave it alone
		prev, err := unix.SchedGetAttr(0, 0)
		if err == nil && prev.Policy != unix.SCHED_NORMAL {
			// Policy only: the nice value stays (a niced test run must
			// not need the privilege to raise it back to 0).
			err = unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_NORMAL, Nice: prev.Nice}, 0)
		}
		if err != nil {
			delete(normal, tid)
		}
		mu.Unlock()
		if err != nil {
			runtime.UnlockOSThread() // the thread is as it was
			errc <- fmt.Errorf("normal scheduling for a child: %w", err)
			return
		}
		res := fn()
		// Back to the process's policy (Realtime's, or what the thread had
		// when Realtime never ran) before the caller goes on.
		mu.Lock()
		delete(normal, tid)
		back := target
		if back == nil && prev.Policy != unix.SCHED_NORMAL {
			back = prev
		}
		if back != nil {
			err = unix.SchedSetAttr(0, back, 0)
		}
		mu.Unlock()
		errc <- res
		if err == nil {
			runtime.UnlockOSThread()
		} // else still locked: the thread ends with this goroutine
	}()
	return <-errc
}
