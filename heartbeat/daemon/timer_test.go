package daemon

import (
	"testing"
	"time"
)

// TestWakeTimer checks the loop's timer ticks after Reset, re-arms, and
// does not tick when re-armed far away. No duration is asserted.
func TestWakeTimer(t *testing.T) {
	w := newWakeTimer()
	defer w.Stop()
	if w.f == nil {
		t.Log("no timerfd here: testing the time.Timer fallback")
	}
	for i := 0; i < 3; i++ {
		w.Reset(time.Millisecond)
		select {
		case <-w.C():
		case <-time.After(10 * testDeadtime):
			t.Fatalf("round %d: no tick", i)
		}
	}
	w.Reset(0) // due now: ticks
	select {
	case <-w.C():
	case <-time.After(10 * testDeadtime):
		t.Fatal("Reset(0): no tick")
	}
	w.Reset(time.Hour)
	select {
	case <-w.C():
		t.Fatal("ticked though armed an hour away")
	case <-time.After(50 * time.Millisecond):
	}
}
