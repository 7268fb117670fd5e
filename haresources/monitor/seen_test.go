package monitor

import (
	"testing"
	"time"
)

// TestSeenNeverGoesBack: Seen counts the failures this machine counted
// toward the threshold, not the ones loaded from disk; heartbeat cleanup and
// failure_window take Count back to 0 and leave Seen where it was (it feeds
// a Prometheus counter, which must never decrease).
func TestSeenNeverGoesBack(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	m := New(Config{Threshold: 5, Window: 10 * time.Minute,
		Groups: []Group{{Key: "10.0.0.5", Resources: []Resource{{Name: "10.0.0.5"}, {Name: "svc", OnFail: Restart}}}},
		Counts: Counts{"svc": {now.Add(-time.Minute)}}})
	m.Step(now, Peer{State: "active"})
	m.Step(now, Held{Group: "10.0.0.5", On: true})
	if c, s := m.Count(now, "svc"), m.Seen("svc"); c != 1 || s != 0 {
		t.Fatalf("loaded from disk: Count %d Seen %d, want 1 0", c, s)
	}
	for i := range 2 {
		m.Step(now, Failed{Resource: "svc", Cause: "status exit 7"})
		m.Step(now, OpDone{Op: "restart", Group: "10.0.0.5"})
		if c, s := m.Count(now, "svc"), m.Seen("svc"); c != 2+i || s != uint64(1+i) {
			t.Fatalf("failure %d: Count %d Seen %d, want %d %d", i+1, c, s, 2+i, 1+i)
		}
	}
	// Not monitored: logged, not counted.
	m.Step(now, Failed{Resource: "10.0.0.5", Cause: "restore failed"})
	if s := m.Seen("10.0.0.5"); s != 0 {
		t.Errorf("a failure of an unmonitored resource was counted: Seen %d", s)
	}
	m.Step(now, Cleanup{})
	if c, s := m.Count(now, "svc"), m.Seen("svc"); c != 0 || s != 2 {
		t.Errorf("after cleanup: Count %d Seen %d, want 0 2", c, s)
	}
	m.Step(now, Failed{Resource: "svc", Cause: "status exit 7"})
	m.Step(now, OpDone{Op: "restart", Group: "10.0.0.5"})
	now = now.Add(11 * time.Minute)
	m.Step(now, Tick{})
	if c, s := m.Count(now, "svc"), m.Seen("svc"); c != 0 || s != 3 {
		t.Errorf("after failure_window: Count %d Seen %d, want 0 3", c, s)
	}
}
