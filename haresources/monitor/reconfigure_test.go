package monitor

import (
	"strings"
	"testing"
	"time"
)

// TestReconfigure: a reload's new threshold, window and on-fail take effect
// at the next failure; the failures already counted stay counted.
func TestReconfigure(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	m := New(Config{Groups: []Group{{Key: "10.0.0.5", Resources: []Resource{{Name: "10.0.0.5"}, {Name: "demo"}}}}})
	m.Step(now, Peer{State: "active"})
	m.Step(now, Held{Group: "10.0.0.5", On: true})
	texts := func(as []Action) string {
		var b strings.Builder
		for _, a := range as {
			switch a := a.(type) {
			case Log:
				b.WriteString(a.Level + ": " + a.Text + "\n")
			case HandOver:
				b.WriteString("handover " + a.Group + "\n")
			}
		}
		return b.String()
	}
	// No monitor line yet: a failure is logged, nothing more.
	if got := texts(m.Step(now, Failed{Resource: "demo", Cause: "status exit 3"})); !strings.Contains(got, "no monitor line names it") {
		t.Fatalf("before the reload: %q", got)
	}
	// The reload adds `monitor demo` and failover_threshold 2.
	m.Reconfigure(map[string]OnFail{"demo": Restart}, 2, 5*time.Minute)
	got := texts(m.Step(now, Failed{Resource: "demo", Cause: "status exit 3"}))
	if !strings.Contains(got, "failure 1 of 2 in 5 min: restarting group 10.0.0.5") {
		t.Fatalf("after the reload, first failure: %q", got)
	}
	m.Step(now, OpDone{Op: "restart", Group: "10.0.0.5"})
	now = now.Add(time.Minute)
	if got := texts(m.Step(now, Failed{Resource: "demo", Cause: "status exit 3"})); !strings.Contains(got, "failure 2 of 2 in 5 min: handing group 10.0.0.5 over") ||
		!strings.Contains(got, "handover 10.0.0.5") {
		t.Fatalf("second failure reaches the new threshold: %q", got)
	}
	// A line removed again: back to repair only.
	m.Reconfigure(map[string]OnFail{}, 0, 0)
	if m.cfg.Threshold != DefaultThreshold || m.cfg.Window != DefaultWindow || m.onFail["demo"] != Repair {
		t.Errorf("defaults not restored: %+v %v", m.cfg, m.onFail)
	}
}
