package agent

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"syscall"

	"hbgo/internal/sched"
)

// ExecRunner runs commands with os/exec, stdin empty, in their own process group.
type ExecRunner struct {
	Stderr io.Writer // where the commands' stderr goes (the debugfile); nil = discarded
}

// Run runs name with args and returns its stdout and exit code; err only when
// it could not run or ctx ended (the process group is then killed).
func (r ExecRunner) Run(ctx context.Context, name string, args ...string) (string, int, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = r.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := sched.Run(cmd)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ctx.Err() != nil {
			return buf.String(), ee.ExitCode(), ctx.Err()
		}
		return buf.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return buf.String(), -1, err
	}
	return buf.String(), 0, nil
}

// Run returns deps.Runner or ExecRunner.
func (d Deps) Run() Runner {
	if d.Runner != nil {
		return d.Runner
	}
	return ExecRunner{}
}
