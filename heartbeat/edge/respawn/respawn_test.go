package respawn

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/hblog"
	"hbgo/internal/harness/budget"
)

var t0 = time.Date(2026, 11, 23, 18, 11, 0, 0, time.UTC)

func TestThrottle(t *testing.T) {
	tests := []struct {
		name string
		runs []time.Duration // how long each run lasted
		code int
		want []Decision
	}{
		{"long runs always respawn", []time.Duration{time.Minute, 31 * time.Second, 30 * time.Second}, 1, []Decision{Again, Again, Again}},
		{"exit 100 never respawns", []time.Duration{time.Second}, NoRespawn, []Decision{Stay}},
		{"eleventh short run in a row is too fast", repeat(time.Second, 12), 1,
			append(repeatD(Again, 10), Throttled, Again)},
		{"a long run resets the count", append(append(repeat(time.Second, 10), time.Minute), repeat(time.Second, 10)...), 0,
			repeatD(Again, 21)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var th Throttle
			var got []Decision
			for _, d := range tc.runs {
				got = append(got, th.Exited(t0, t0.Add(d), tc.code))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	var out []time.Duration
	for range n {
		out = append(out, d)
	}
	return out
}

func repeatD(d Decision, n int) []Decision {
	var out []Decision
	for range n {
		out = append(out, d)
	}
	return out
}

// fakeProc exits when told to (or when killed).
type fakeProc struct {
	pid  int
	exit chan Exit
}

func (p *fakeProc) Pid() int   { return p.pid }
func (p *fakeProc) Wait() Exit { return <-p.exit }
func (p *fakeProc) Kill(sig syscall.Signal) error {
	select {
	case p.exit <- Exit{Signal: int(sig)}:
	default:
	}
	return nil
}

// rig is a supervisor with a fake clock and fake processes.
type rig struct {
	mu      sync.Mutex
	now     time.Time
	procs   []*fakeProc
	delays  []bool
	started chan *fakeProc
	log     *recLog
	s       *Supervisor
}

func newRig() *rig {
	r := &rig{now: t0, started: make(chan *fakeProc, 100), log: &recLog{}}
	r.s = &Supervisor{Log: r.log, Now: func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now },
		Start: func(c Client, delay bool) (Process, error) {
			if c.Path == "/missing" {
				return nil, fmt.Errorf("no such file")
			}
			r.mu.Lock()
			p := &fakeProc{pid: 100 + len(r.procs), exit: make(chan Exit, 1)}
			r.procs = append(r.procs, p)
			r.delays = append(r.delays, delay)
			r.mu.Unlock()
			r.started <- p
			return p, nil
		}}
	return r
}

func (r *rig) advance(d time.Duration) { r.mu.Lock(); r.now = r.now.Add(d); r.mu.Unlock() }

func (r *rig) next(t *testing.T) *fakeProc {
	select {
	case p := <-r.started:
		return p
	case <-time.After(budget.Left(t)):
		t.Fatal("no client was started")
		return nil
	}
}

func (r *rig) lines() []string {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	return append([]string(nil), r.log.lines...)
}

// waitFor waits until a logged line contains sub (the watcher runs on its own goroutine).
func (r *rig) waitFor(t *testing.T, sub string) {
	if budget.Poll(t, func() bool { return strings.Contains(strings.Join(r.lines(), "\n"), sub) }) {
		return
	}
	t.Fatalf("no line containing %q in:\n%s", sub, strings.Join(r.lines(), "\n"))
}

// recLog keeps lines as `LEVEL: text`, with `[pid] ` in front of LogPID's.
type recLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLog) Log(level hblog.Level, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level.String()+": "+fmt.Sprintf(format, args...))
}

func (l *recLog) LogPID(pid int, level hblog.Level, format string, args ...any) {
	l.Log(level, "[%d] "+format, append([]any{pid}, args...)...)
}

var dopd = Client{Command: "/usr/lib/heartbeat/dopd -v", Path: "/usr/lib/heartbeat/dopd", User: "hacluster", UID: 102, GID: 105, Respawn: true}

func TestSupervisorRespawnAndStop(t *testing.T) {
	r := newRig()
	r.s.Launch([]Client{dopd})
	p := r.next(t)
	r.advance(time.Minute)
	p.exit <- Exit{Code: 2}
	p2 := r.next(t)
	// The respawn runs on the watcher's goroutine: Start has returned, the
	// child's own line may not be written yet (make race found the order).
	r.waitFor(t, "[101] Starting")
	r.s.Stop(5 * time.Second)
	want := []string{
		`info: Starting child client "/usr/lib/heartbeat/dopd -v" (102,105)`,
		`info: [100] Starting "/usr/lib/heartbeat/dopd -v" as uid 102  gid 105 (pid 100)`,
		`WARN: Managed /usr/lib/heartbeat/dopd -v process 100 exited with return code 2.`,
		`ERROR: Respawning client "/usr/lib/heartbeat/dopd -v":`,
		`info: Starting child client "/usr/lib/heartbeat/dopd -v" (102,105)`,
		`info: [101] Starting "/usr/lib/heartbeat/dopd -v" as uid 102  gid 105 (pid 101)`,
		`info: killing /usr/lib/heartbeat/dopd -v process group 101 with signal 15`,
	}
	if diff := cmp.Diff(want, r.lines()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if p2.pid != 101 {
		t.Errorf("second start pid %d", p2.pid)
	}
	if diff := cmp.Diff([]bool{false, false}, r.delays); diff != "" {
		t.Errorf("1 s delays (-want +got):\n%s", diff)
	}
}

func TestSupervisorTooFast(t *testing.T) {
	r := newRig()
	r.s.Launch([]Client{dopd})
	for i := 0; i < 11; i++ {
		p := r.next(t)
		r.advance(time.Second)
		p.exit <- Exit{Signal: 9}
	}
	// the eleventh short death is not followed by a start
	r.waitFor(t, "respawning too fast")
	r.s.Stop(time.Second)
	lines := r.lines()
	if got := lines[len(lines)-1]; got != `ERROR: Client /usr/lib/heartbeat/dopd -v "respawning too fast"` {
		t.Errorf("last line %q", got)
	}
	if n := strings.Count(strings.Join(lines, "\n"), "killed by signal 9 [SIGKILL - Kill, unblockable]."); n != 11 {
		t.Errorf("%d signal lines, want 11", n)
	}
	if !r.delays[1] || r.delays[0] {
		t.Errorf("delays %v: want none on the first start, 1 s after a short run", r.delays)
	}
}

func TestSupervisorFailfastAndMissing(t *testing.T) {
	r := newRig()
	var rebooted []string
	r.s.Reboot = func(cmd string) { rebooted = append(rebooted, cmd) }
	ff := Client{Command: "/usr/bin/watch", Path: "/usr/bin/watch", User: "root", Failfast: true}
	r.s.Launch([]Client{{Command: "/missing", Path: "/missing", User: "root", Respawn: true}, ff})
	p := r.next(t)
	p.exit <- Exit{Code: 1}
	r.waitFor(t, "rebooting")
	r.s.Stop(time.Second)
	if diff := cmp.Diff([]string{"/usr/bin/watch"}, rebooted); diff != "" {
		t.Errorf("reboots (-want +got):\n%s", diff)
	}
	if got := r.lines()[1]; got != "ERROR: Cannot exec /missing: no such file" {
		t.Errorf("line 2 = %q", got)
	}
}
