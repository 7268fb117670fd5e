// Package agent defines what every native resource agent and the script runner implement, and what they are given.
package agent

import (
	"context"
	"fmt"
	"time"
)

// Wrapper status texts printed by the packaged legacy wrappers (COMPAT §6: two
// spaces, an empty variable in the wrapper).
const (
	TextRunning = "INFO:  Running OK"
	TextStopped = "INFO:  Resource is stopped"
)

// Status is the outcome of a status operation.
type Status struct {
	Running bool   // what the agent itself concluded
	Text    string // the exact text the packaged script would print on stdout
}

// Agent is one configured resource: start, stop and status of it.
type Agent interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Status(ctx context.Context) (Status, error)
}

// Logger receives the script-style log lines an agent writes.
type Logger interface {
	// Script logs one line as a script would, tag like "IPaddr(IPaddr_10.0.0.5)";
	// the logger adds the [pid] part and the date.
	Script(tag, text string)
}

// Factory builds an agent from the haresources "::" arguments.
type Factory func(args []string) (Agent, error)

// Validator checks haresources arguments without side effects.
type Validator func(args []string) error

// Deps is what the native agents need from the daemon.
type Deps struct {
	Log      Logger                                           // script-style lines
	Sleep    func(ctx context.Context, d time.Duration) error // waits d or until ctx is done; nil = real sleep
	StateDir string                                           // pseudo-resource state files (e.g. /var/run/resource-agents); "" = in memory only
	Runner   Runner                                           // runs external tools (drbdadm, fsck, mount); nil = os/exec
}

// Runner runs an external command and returns its stdout and its exit code.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (out string, code int, err error)
}

// ArgError is an argument problem found while building or validating an agent;
// the caller adds file:line (diag.Problem What/Hint).
type ArgError struct {
	Agent string // e.g. "IPaddr"
	What  string // what is wrong
	Hint  string // what to write instead
}

// Problem returns what is wrong and what to write instead, the two parts of
// a config problem line.
func (e *ArgError) Problem() (what, hint string) { return e.What, e.Hint }

func (e *ArgError) Error() string {
	if e.Hint == "" {
		return fmt.Sprintf("%s: %s", e.Agent, e.What)
	}
	return fmt.Sprintf("%s: %s; %s", e.Agent, e.What, e.Hint)
}

// SleepCtx waits d or until ctx is done, returning ctx.Err() in the latter case.
func SleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Sleeper returns deps.Sleep, or SleepCtx when none was injected.
func (d Deps) Sleeper() func(ctx context.Context, d time.Duration) error {
	if d.Sleep != nil {
		return d.Sleep
	}
	return SleepCtx
}

// Logf is a convenience: it logs through l when l is not nil.
func Logf(l Logger, tag, format string, args ...any) {
	if l == nil {
		return
	}
	l.Script(tag, fmt.Sprintf(format, args...))
}
