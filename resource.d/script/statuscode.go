package script

import (
	"context"
	"errors"
	"fmt"
)

// StatusCode runs `<script> [args] status` for the monitor and returns its
// exit code and its stdout (capped); ctx ending kills the process group.
// An LSB init script answers by code (0 running, 3 stopped, other failed),
// a resource.d script by its text (agent.StatusRunning), the rule the
// group start uses (COMPAT §4.5).
func (s *Script) StatusCode(ctx context.Context) (code int, text string, err error) {
	var out capped
	code, err = s.run(ctx, "status", &out)
	var ee *ExitError
	if errors.As(err, &ee) {
		err = nil
	}
	if err != nil && ctx.Err() != nil {
		return -1, out.b.String(), fmt.Errorf("%s status: %w", s.Path, ctx.Err())
	}
	return code, out.b.String(), err
}
