package sched

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary run realtimeHelper instead of the tests:
// Realtime changes the whole process, so it runs in a process of its own.
const helperEnv = "HBGO_SCHED_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		if err := realtimeHelper(); err != nil {
			fmt.Println("FAIL:", err)
			os.Exit(1)
		}
		fmt.Println("ok")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRealtimeEveryThreadChildrenNormal (root) checks in a process of its
// own that Realtime makes every thread SCHED_RR, threads the runtime makes
// afterwards included, and that a child started through the door, and a
// program exec'd through it, run SCHED_OTHER.
func TestRealtimeEveryThreadChildrenNormal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SCHED_RR needs root")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("helper: %v\n%s", err, out)
	}
}

const helperPrio = 3

func realtimeHelper() error {
	if err := Realtime(helperPrio); err != nil {
		return err
	}
	if err := allRR("after Realtime"); err != nil {
		return err
	}
	before, _ := Threads(os.Getpid())
	// Make the runtime add threads: goroutines blocked in syscalls each
	// hold an M, so the others need new ones.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := unix.Timespec{Nsec: int64(50 * time.Millisecond)}
			unix.Nanosleep(&ts, nil)
		}()
	}
	// A child through the door: it reports its own policy (field 41 of
	// /proc/self/stat, 0 = SCHED_OTHER, 2 = SCHED_RR).
	out, err := CombinedOutput(exec.Command("/bin/cat", "/proc/self/stat"))
	if err != nil {
		return fmt.Errorf("child: %v", err)
	}
	s := string(out)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 39 || f[38] != "0" {
		return fmt.Errorf("child's policy field %q, want 0 (SCHED_OTHER): %s", f[38], s)
	}
	wg.Wait()
	after, _ := Threads(os.Getpid())
	added := 0
	for tid := range after {
		if _, ok := before[tid]; !ok {
			added++
		}
	}
	if added == 0 {
		return fmt.Errorf("no thread was added (before %v, after %v): the test proves nothing", before, after)
	}
	if err := allRR("after a child and new threads"); err != nil {
		return err
	}
	// The exec'ing thread is SCHED_OTHER; a failed exec leaves the process as it was.
	var seen Policy
	errExec := errors.New("exec stand-in")
	err = Exec(func(string, []string, []string) error {
		seen, _ = ThreadPolicy(0)
		return errExec
	}, "/bin/true", []string{"true"}, nil)
	if !errors.Is(err, errExec) || seen.Name != "SCHED_OTHER" {
		return fmt.Errorf("exec: %v, thread %v; want the stand-in's error on a SCHED_OTHER thread", err, seen)
	}
	return allRR("after a failed exec")
}

func allRR(when string) error {
	ths, err := Threads(os.Getpid())
	if err != nil {
		return err
	}
	for tid, p := range ths {
		if p != (Policy{"SCHED_RR", helperPrio}) {
			return fmt.Errorf("%s: thread %d runs %v, want SCHED_RR %d (all: %v)", when, tid, p, helperPrio, ths)
		}
	}
	return nil
}

// TestDoorWithoutRealtime checks the door as an unprivileged daemon with
// realtime off uses it: the child runs, its output and exit status come
// back, and the thread is left as it was.
func TestDoorWithoutRealtime(t *testing.T) {
	out, err := CombinedOutput(exec.Command("/bin/sh", "-c", "echo out; echo err >&2; exit 3"))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("err %v, want exit status 3", err)
	}
	if string(out) != "out\nerr\n" {
		t.Errorf("output %q", out)
	}
	if err := Run(exec.Command("/bin/true")); err != nil {
		t.Error(err)
	}
	if err := Start(exec.Command("/nonexistent/x")); err == nil {
		t.Error("starting a missing program: no error")
	}
	runtime.LockOSThread()
	mine, _ := ThreadPolicy(0)
	runtime.UnlockOSThread()
	var seen Policy
	err = Exec(func(argv0 string, argv, envv []string) error {
		seen, _ = ThreadPolicy(0)
		return fmt.Errorf("no exec of %s", argv0)
	}, "/bin/true", nil, nil)
	if err == nil || seen.Name != mine.Name {
		t.Errorf("exec: %v on a %v thread; want the stand-in's error on a %v thread", err, seen, mine)
	}
}
