package watch

import (
	"context"
	"strconv"
	"strings"

	"hbgo/resource.d/agent"
	"hbgo/resource.d/script"
)

// AgentCheck checks a native agent by its Status: not running is a failure
// (for drbddisk, the role leaving Primary).
func AgentCheck(a agent.Agent) CheckFunc {
	return func(ctx context.Context) (bool, string) {
		st, err := a.Status(ctx)
		if err != nil {
			return false, "status: " + err.Error()
		}
		if !st.Running {
			return false, "status: " + oneLine(st.Text)
		}
		return true, ""
	}
}

// ScriptCheck checks a script resource: an LSB init script by its exit
// code (0 running, 3 stopped, anything else failed), a resource.d script by
// heartbeat's status text rule, the one the group start uses (COMPAT §4.5).
func ScriptCheck(s *script.Script, lsb bool) CheckFunc {
	return func(ctx context.Context) (bool, string) {
		code, text, err := s.StatusCode(ctx)
		if err != nil {
			return false, err.Error()
		}
		if !lsb {
			if agent.StatusRunning(text) {
				return true, ""
			}
			return false, "status says " + strconv.Quote(oneLine(text))
		}
		switch code {
		case 0:
			return true, ""
		case 3:
			return false, "status exit 3 (stopped)"
		}
		return false, "status exit " + strconv.Itoa(code) + " (failed)"
	}
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
