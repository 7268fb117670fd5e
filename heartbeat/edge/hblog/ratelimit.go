package hblog

import (
	"fmt"
	"sync"
	"time"
)

// RateLimiter lets through at most one log line per key per interval, for lines a peer or the network can trigger at will.
//
// The first line of a burst is logged unchanged, so stock's exact text (and the logcheck rules
// matching it) still fires; the next line let through carries SuppressedSuffix.
type RateLimiter struct {
	interval time.Duration
	maxKeys  int

	mu   sync.Mutex
	keys map[string]*rlState
}

type rlState struct {
	last       time.Time // when the last line for this key was let through
	suppressed int
}

// NewRateLimiter returns a limiter allowing one line per key per interval, remembering at most maxKeys keys (least recently logged forgotten first).
func NewRateLimiter(interval time.Duration, maxKeys int) *RateLimiter {
	if maxKeys < 1 {
		maxKeys = 1
	}
	return &RateLimiter{interval: interval, maxKeys: maxKeys, keys: make(map[string]*rlState)}
}

// Allow reports whether a line for key may be logged at now; when it may, suppressed is how many were held back since `since` (the previous line's time).
func (r *RateLimiter) Allow(key string, now time.Time) (ok bool, suppressed int, since time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, found := r.keys[key]
	if !found {
		if len(r.keys) >= r.maxKeys {
			r.evict()
		}
		r.keys[key] = &rlState{last: now}
		return true, 0, time.Time{}
	}
	if now.Sub(st.last) < r.interval {
		st.suppressed++
		return false, 0, time.Time{}
	}
	suppressed, since = st.suppressed, st.last
	st.last, st.suppressed = now, 0
	return true, suppressed, since
}

// evict forgets the key logged longest ago.
func (r *RateLimiter) evict() {
	var oldest string
	var t time.Time
	first := true
	for k, st := range r.keys {
		if first || st.last.Before(t) {
			oldest, t, first = k, st.last, false
		}
	}
	delete(r.keys, oldest)
}

// SuppressedSuffix returns ` (and 4711 more since 03:12:07)`, or "" when nothing was suppressed.
func SuppressedSuffix(suppressed int, since time.Time) string {
	if suppressed == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %d more since %02d:%02d:%02d)", suppressed, since.Hour(), since.Minute(), since.Second())
}

// Log writes m through l unless key is over its rate, appending SuppressedSuffix when lines were held back.
func (r *RateLimiter) Log(l Logger, key string, now time.Time, m Msg) {
	ok, n, since := r.Allow(key, now)
	if !ok {
		return
	}
	l.Log(m.Level, "%s%s", m.Text, SuppressedSuffix(n, since))
}
