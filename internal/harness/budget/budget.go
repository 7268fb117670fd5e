// Package budget gives a test's waits for something that must happen their
// limit from the run's own configured timeout (go test -timeout), so a busy
// machine stretches them instead of failing them: never a bare constant.
package budget

import "time"

// Default is the limit when the caller has no deadline (go test -timeout 0,
// or the demo's own T): go test's default -timeout.
const Default = 10 * time.Minute

// step is how often Poll checks its condition.
const step = 10 * time.Millisecond

// deadliner is what *testing.T and *testing.B have and testnet.T lacks.
type deadliner interface {
	Deadline() (time.Time, bool)
}

// Left returns how long t may still wait for something that must happen
// before failing: nine tenths of the time to its deadline, the rest kept for
// its cleanups (namespaces, mounts, processes); Default without a deadline.
func Left(t any) time.Duration {
	d, ok := t.(deadliner)
	if !ok {
		return Default
	}
	end, ok := d.Deadline()
	if !ok {
		return Default
	}
	return max(0, time.Until(end)*9/10)
}

// Poll calls cond until it holds or Left(t) has passed, and reports whether
// it held; the wait is as long as the machine needs, bounded only by the run.
func Poll(t any, cond func() bool) bool {
	end := time.Now().Add(Left(t))
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(step)
	}
	return true
}
