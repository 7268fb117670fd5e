package budget

import (
	"testing"
	"time"
)

type fixed struct {
	end time.Time
	ok  bool
}

func (f fixed) Deadline() (time.Time, bool) { return f.end, f.ok }

// TestLeft: nine tenths of the time to the deadline, never negative, and
// Default for a caller without one.
func TestLeft(t *testing.T) {
	if got := Left(struct{}{}); got != Default {
		t.Errorf("no Deadline method: %v, want %v", got, Default)
	}
	if got := Left(fixed{}); got != Default {
		t.Errorf("no deadline: %v, want %v", got, Default)
	}
	if got := Left(fixed{end: time.Now().Add(-time.Second), ok: true}); got != 0 {
		t.Errorf("past deadline: %v, want 0", got)
	}
	got := Left(fixed{end: time.Now().Add(100 * time.Second), ok: true})
	if got > 90*time.Second || got < 80*time.Second {
		t.Errorf("100 s to the deadline: %v, want about 90 s", got)
	}
	if end, ok := t.Deadline(); ok && Left(t) > time.Until(end) {
		t.Errorf("Left(t) %v outlasts the test's deadline", Left(t))
	}
}

// TestPoll: true once the condition holds; false at once past the deadline.
func TestPoll(t *testing.T) {
	n := 0
	if !Poll(t, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll returned before the condition held (n=%d)", n)
	}
	if Poll(fixed{end: time.Now().Add(-time.Second), ok: true}, func() bool { return false }) {
		t.Error("Poll held past the deadline")
	}
}
