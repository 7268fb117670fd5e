// Package script runs a resource script (LSB init script, legacy resource.d wrapper, an admin's own) with heartbeat's invocation contract.
package script

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"hbgo/internal/sched"
	"hbgo/resource.d/agent"
)

// Defaults of the invocation contract (COMPAT §4.4).
const (
	CoreDir       = "/var/lib/heartbeat/cores/root"
	MaxStatusText = 64 << 10 // bytes of status stdout kept; the rest is read and dropped
)

// Runner holds what every script invocation shares.
type Runner struct {
	Env       []string // the daemon's environment for scripts (COMPAT §4.4), built by the caller; nil = os.Environ()
	Debugfile string   // start/stop stdout+stderr and status stderr are appended here; "" = discarded
	Dir       string   // working directory; "" = CoreDir if it exists, else /
}

// Script is one resource run through a script: `<Path> [Args…] <op>`.
type Script struct {
	R    *Runner
	Path string
	Args []string
	// Env is added to R.Env for every invocation of this resource (a later
	// NAME=value replaces an earlier one), e.g. HA_DONTASK.
	Env []string
	// Message is the environment from a cluster message (MessageEnv): its
	// names are added only where R.Env and Env set none, so nothing from
	// the wire replaces a variable hbgo set.
	Message []string
}

// New returns the agent running path with args.
func (r *Runner) New(path string, args []string) *Script {
	return &Script{R: r, Path: path, Args: args}
}

// ExitError is a script that exited non-zero (or was killed).
type ExitError struct {
	Path string
	Code int // exit status; -1 when killed by a signal
}

// Error renders ResourceManager's line text (COMPAT §4.6).
func (e *ExitError) Error() string { return fmt.Sprintf("Return code %d from %s", e.Code, e.Path) }

// ExitCode returns the script's exit status (-1 when killed by a signal).
func (e *ExitError) ExitCode() int { return e.Code }

// Start runs `<script> [args] start`; non-zero exit is an *ExitError.
func (s *Script) Start(ctx context.Context) error { _, err := s.run(ctx, "start", nil); return err }

// Run runs `<script> [args] <op>` for any op (an rc.d hook is run with its
// message type); output goes where start's does.
func (s *Script) Run(ctx context.Context, op string) error { _, err := s.run(ctx, op, nil); return err }

// Stop runs `<script> [args] stop`; non-zero exit is an *ExitError.
func (s *Script) Stop(ctx context.Context) error { _, err := s.run(ctx, "stop", nil); return err }

// Status runs `<script> [args] status`, keeps its stdout and decides running
// from the text alone; the exit code is ignored (COMPAT §4.5).
func (s *Script) Status(ctx context.Context) (agent.Status, error) {
	var out capped
	_, err := s.run(ctx, "status", &out)
	var ee *ExitError
	if errors.As(err, &ee) {
		err = nil
	}
	text := out.b.String()
	return agent.Status{Running: agent.StatusRunning(text), Text: text}, err
}

// capped keeps the first MaxStatusText bytes written to it and drops the rest.
type capped struct{ b bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := MaxStatusText - c.b.Len(); room > 0 {
		if len(p) > room {
			c.b.Write(p[:room])
		} else {
			c.b.Write(p)
		}
	}
	return len(p), nil
}

func (r *Runner) dir() string {
	if r.Dir != "" {
		return r.Dir
	}
	if fi, err := os.Stat(CoreDir); err == nil && fi.IsDir() {
		return CoreDir
	}
	return "/"
}

// MergeEnv returns base with extra added; a NAME=value in extra replaces base's NAME.
func MergeEnv(base, extra []string) []string {
	idx := map[string]int{}
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range append(append([]string(nil), base...), extra...) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[name]; ok {
			out[i] = kv
			continue
		}
		idx[name] = len(out)
		out = append(out, kv)
	}
	return out
}

func (s *Script) run(ctx context.Context, op string, stdout io.Writer) (int, error) {
	cmd := exec.Command(s.Path, append(append([]string(nil), s.Args...), op)...)
	base := s.R.Env
	if base == nil {
		base = os.Environ() // never an empty environment by accident
	}
	cmd.Env = AddEnv(MergeEnv(base, s.Env), s.Message)
	cmd.Dir = s.R.dir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// stdin: nil = /dev/null.
	// Always a real file, never a pipe: a daemon the script starts inherits
	// it, and with a pipe Wait would block until that daemon exits.
	name := s.R.Debugfile
	if name == "" {
		name = os.DevNull
	}
	dbg, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return -1, fmt.Errorf("open debugfile for %s %s: %w", s.Path, op, err)
	}
	defer dbg.Close()
	cmd.Stderr = dbg
	cmd.Stdout = dbg
	if stdout != nil {
		cmd.Stdout = stdout
		// status output goes through a pipe; do not wait for a stray
		// background child holding it once the script itself has exited.
		cmd.WaitDelay = 2 * time.Second
	}
	if err := sched.Start(cmd); err != nil {
		return -1, fmt.Errorf("run %s %s: %w", s.Path, op, err)
	}
	pgid := cmd.Process.Pid
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			// No default timeout (COMPAT §4.9); the caller's ctx is the
			// opt-in one. Kill the whole process group.
			syscall.Kill(-pgid, syscall.SIGKILL)
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	if ctx.Err() != nil {
		return -1, fmt.Errorf("%s %s: %w", s.Path, op, ctx.Err())
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		return xe.ExitCode(), &ExitError{Path: s.Path, Code: xe.ExitCode()}
	}
	if err != nil {
		return -1, fmt.Errorf("run %s %s: %w", s.Path, op, err)
	}
	return 0, nil
}
