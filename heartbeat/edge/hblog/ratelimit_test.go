package hblog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRateLimiter(t *testing.T) {
	clk := newClock()
	r := NewRateLimiter(time.Minute, 2)
	rec := NewRecorder()
	m := InvalidAuth(1)
	r.Log(rec, "auth", clk.Now(), m) // first of a burst: stock's exact text
	for i := 0; i < 4711; i++ {
		clk.Add(10 * time.Millisecond)
		r.Log(rec, "auth", clk.Now(), m)
	}
	r.Log(rec, "bad", clk.Now(), BadNode("node9")) // other key: not limited
	clk.t = time.Date(2026, 11, 2, 23, 16, 10, 0, time.UTC)
	r.Log(rec, "auth", clk.Now(), m)
	clk.Add(2 * time.Minute)
	r.Log(rec, "auth", clk.Now(), m) // nothing suppressed in between: plain text again
	want := []string{
		"WARN: Invalid authentication [1] in message!",
		"ERROR: process_status_message: bad node [node9] in message",
		"WARN: Invalid authentication [1] in message! (and 4711 more since 23:15:09)",
		"WARN: Invalid authentication [1] in message!",
	}
	if diff := cmp.Diff(want, rec.Lines()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRateLimiterBoundedKeys(t *testing.T) {
	clk := newClock()
	r := NewRateLimiter(time.Minute, 2)
	for _, k := range []string{"a", "b", "c"} { // "a" is forgotten when "c" arrives
		clk.Add(time.Second)
		if ok, _, _ := r.Allow(k, clk.Now()); !ok {
			t.Fatalf("first %s refused", k)
		}
	}
	if len(r.keys) != 2 {
		t.Fatalf("%d keys kept, bound 2", len(r.keys))
	}
	if ok, _, _ := r.Allow("a", clk.Now()); !ok {
		t.Error("evicted key must start a new burst")
	}
	if ok, _, _ := r.Allow("c", clk.Now()); ok {
		t.Error("recent key must still be limited")
	}
}
