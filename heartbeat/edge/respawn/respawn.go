// Package respawn runs ha.cf's respawn and failfast clients as stock heartbeat does: started once, restarted when they exit, throttled when they die too fast, killed on shutdown.
package respawn

import (
	"sync"
	"syscall"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// Stock's respawn limits (heartbeat.c ManagedChildDied): a run shorter than
// ShortRun counts as short; after more than MaxShort short runs in a row the
// client is not started again.
const (
	ShortRun = 30 * time.Second
	MaxShort = 10
	// NoRespawn is the exit code after which stock never restarts a client
	// (also what its forked child exits with when it cannot exec).
	NoRespawn = 100
)

// Client is one respawn (or failfast) line, resolved.
type Client struct {
	Command  string // the command line as written in ha.cf
	Path     string // its first word
	User     string // the user it runs as
	UID, GID int
	Respawn  bool // restart when it exits (respawn lines; failfast lines do not)
	Failfast bool // reboot the node when it dies abnormally
}

// Throttle is stock's respawn decision for one client.
type Throttle struct {
	short int // consecutive short runs
}

// Decision is what to do after a client exited.
type Decision int

// Decisions after an exit.
const (
	Stay      Decision = iota // do not start it again (exit 100, not a respawn client, shutting down)
	Again                     // start it again
	Throttled                 // "respawning too fast": not started again
)

// Exited decides, for a respawn client that started at started and exited
// at now with code, whether it is started again.
func (t *Throttle) Exited(started, now time.Time, code int) Decision {
	if code == NoRespawn {
		return Stay
	}
	if now.Sub(started) < ShortRun {
		t.short++
	} else {
		t.short = 0
	}
	if t.short > MaxShort {
		t.short = 0
		return Throttled
	}
	return Again
}

// Short says whether the last run was short (stock then waits 1 s before the exec).
func (t *Throttle) Short() bool { return t.short > 0 }

// Exit is how a client process ended.
type Exit struct {
	Code   int // exit code; 0 when killed by a signal
	Signal int // the signal that killed it, or 0
}

// Process is a started client.
type Process interface {
	Pid() int
	// Wait blocks until the process ends.
	Wait() Exit
	// Kill sends sig to the process group.
	Kill(sig syscall.Signal) error
}

// Starter starts a client; delay asks for stock's 1 s pause before the exec.
type Starter func(c Client, delay bool) (Process, error)

// Logger is where the supervisor writes heartbeat's lines.
type Logger interface {
	Log(level hblog.Level, format string, args ...any)
	LogPID(pid int, level hblog.Level, format string, args ...any)
}

// Supervisor runs clients until Stop.
type Supervisor struct {
	Log    Logger
	Now    func() time.Time
	Start  Starter
	Reboot func(cmd string) // a failfast client died abnormally; nil: log only

	mu       sync.Mutex
	stopping bool
	running  []*child
	wg       sync.WaitGroup
}

type child struct {
	c    Client
	t    Throttle
	p    Process
	done chan struct{}
}

// Launch starts every client in order (stock: at comm up, in ha.cf order).
func (s *Supervisor) Launch(cs []Client) {
	for _, c := range cs {
		ch := &child{c: c}
		s.mu.Lock()
		s.running = append(s.running, ch)
		s.mu.Unlock()
		s.startOne(ch)
	}
}

// startOne starts ch and watches it; it returns once the process is started.
func (s *Supervisor) startOne(ch *child) {
	c := ch.c
	s.Log.Log(hblog.Info, "Starting child client \"%s\" (%d,%d)", c.Command, c.UID, c.GID)
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return
	}
	p, err := s.Start(c, ch.t.Short())
	if err != nil {
		s.mu.Unlock()
		s.Log.Log(hblog.Error, "Cannot exec %s: %v", c.Command, err)
		return
	}
	ch.p = p
	ch.done = make(chan struct{})
	s.wg.Add(1)
	s.mu.Unlock()
	// Stock's forked child logs this line itself, under its own pid.
	s.Log.LogPID(p.Pid(), hblog.Info, "Starting \"%s\" as uid %d  gid %d (pid %d)", c.Command, c.UID, c.GID, p.Pid())
	started := s.Now()
	go s.watch(ch, p, started)
}

func (s *Supervisor) watch(ch *child, p Process, started time.Time) {
	defer s.wg.Done()
	ex := p.Wait()
	now := s.Now()
	s.mu.Lock()
	stopping := s.stopping
	ch.p = nil
	close(ch.done)
	s.mu.Unlock()
	c := ch.c
	if stopping {
		return // stock does not log deaths it caused at shutdown
	}
	// cluster-glue's process tracker reports every death of a verbose
	// tracked child, so heartbeat's own "Client ... exited" line (written
	// only when the death was not logged) never appears (seen with stock
	// 3.0.6: testdata/respawn-stock.golden in heartbeat/e2e/ipfail).
	switch {
	case ex.Signal != 0:
		s.Log.Log(hblog.Warn, "Managed %s process %d killed by signal %d%s.", c.Command, p.Pid(), ex.Signal, signalWords(ex.Signal))
	case ex.Code != 0:
		s.Log.Log(hblog.Warn, "Managed %s process %d exited with return code %d.", c.Command, p.Pid(), ex.Code)
	default:
		s.Log.Log(hblog.Info, "Managed %s process %d exited with return code %d.", c.Command, p.Pid(), ex.Code)
	}
	if c.Failfast && (ex.Signal != 0 || ex.Code != 0) {
		s.Log.Log(hblog.Crit, "hbgo: failfast client %s died; rebooting", c.Command)
		if s.Reboot != nil {
			s.Reboot(c.Command)
		}
	}
	if !c.Respawn {
		return
	}
	switch ch.t.Exited(started, now, ex.Code) {
	case Throttled:
		s.Log.Log(hblog.Error, "Client %s \"%s\"", c.Command, "respawning too fast")
	case Again:
		s.Log.Log(hblog.Error, "Respawning client \"%s\":", c.Command)
		s.startOne(ch)
	}
}

// Stop kills the clients one at a time, last first, as stock does after its
// resources are released: SIGTERM to the process group, SIGKILL after
// grace. It returns when all have ended.
func (s *Supervisor) Stop(grace time.Duration) {
	s.mu.Lock()
	s.stopping = true
	list := append([]*child(nil), s.running...)
	s.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		ch := list[i]
		s.mu.Lock()
		p, done := ch.p, ch.done
		s.mu.Unlock()
		if p == nil {
			continue
		}
		s.Log.Log(hblog.Info, "killing %s process group %d with signal %d", ch.c.Command, p.Pid(), int(syscall.SIGTERM))
		_ = p.Kill(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(grace):
			_ = p.Kill(syscall.SIGKILL)
			<-done
		}
	}
	s.wg.Wait()
}

// signalNames are the names and words cluster-glue's process tracker puts
// after a signal number (" [SIGTERM - Termination (ANSI)]").
var signalNames = map[int][2]string{
	1: {"SIGHUP", "Hangup"}, 2: {"SIGINT", "Interrupt"}, 3: {"SIGQUIT", "Quit"},
	4: {"SIGILL", "Illegal instruction"}, 5: {"SIGTRAP", "Trace"}, 6: {"SIGABRT", "Abort"},
	7: {"SIGBUS", "BUS error"}, 8: {"SIGFPE", "Floating-point exception"}, 9: {"SIGKILL", "Kill, unblockable"},
	10: {"SIGUSR1", "User-defined signal 1"}, 11: {"SIGSEGV", "Segmentation violation"},
	12: {"SIGUSR2", "User-defined signal 2"}, 13: {"SIGPIPE", "Broken pipe (POSIX)"},
	14: {"SIGALRM", "Alarm clock (POSIX)"}, 15: {"SIGTERM", "Termination (ANSI)"},
	24: {"SIGXCPU", "CPU limit exceeded"}, 25: {"SIGXFSZ", "File size limit exceeded"},
	26: {"SIGVTALRM", "Virtual alarm clock"}, 27: {"SIGPROF", "Profiling alarm clock"},
	30: {"SIGPWR", "Power failure restart"}, 31: {"SIGSYS", "Bad system call"},
}

func signalWords(sig int) string {
	if n, ok := signalNames[sig]; ok {
		return " [" + n[0] + " - " + n[1] + "]"
	}
	return ""
}
