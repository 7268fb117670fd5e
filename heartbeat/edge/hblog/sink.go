package hblog

import (
	"sync/atomic"
	"time"
)

// sinkQueue writes one destination's lines (the logfile, the debugfile,
// syslog, stderr) from a goroutine of its own, so the caller (the daemon
// loop) never waits for a disk, a syslog daemon or a pipe. A queue that is
// full drops the line and counts it: a destination that hangs loses lines,
// the loop loses nothing. Lines of one destination keep their order.
// Stock writes syslog(3) and its log files from whichever process logs,
// its main loop included (COMPAT §8.1): a stuck syslog daemon or log disk
// holds stock's heartbeats up the same way; hbgo does better here.
type sinkQueue struct {
	name    string
	q       *queue[sinkItem]
	dropped atomic.Uint64
	done    chan struct{}
}

// sinkItem is one queued write: a hook's formatted line, or a func (Flush's marks).
type sinkItem struct {
	h  *sinkHook
	b  []byte
	fn func()
}

func newSinkQueue(name string, size int) *sinkQueue {
	s := &sinkQueue{name: name, q: newQueue[sinkItem](size), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			b, ok := s.q.take()
			if !ok {
				return
			}
			for _, it := range b {
				s.q.start()
				if it.fn != nil {
					it.fn()
				} else {
					it.h.deliver(it.b)
				}
			}
			s.q.done(b)
		}
	}()
	return s
}

// put queues one write, or drops it when the queue is full.
func (s *sinkQueue) put(it sinkItem) {
	if !s.q.put(it, false) {
		s.dropped.Add(1)
	}
}

// stop ends the goroutine once the queued writes are done, waiting until
// deadline at most; false when the destination still hangs.
func (s *sinkQueue) stop(deadline time.Time) bool {
	s.q.close()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-s.done:
		return true
	case <-t.C:
		return false
	}
}

// Flush waits until every line logged so far is written, or d has passed;
// false when a destination did not keep up. A synchronous Log has nothing
// to wait for.
func (l *Log) Flush(d time.Duration) bool {
	deadline := time.Now().Add(d)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return true
	}
	var marks []chan struct{}
	for _, q := range []*sinkQueue{l.qLog, l.qDebug, l.qSys, l.qErr} {
		if q == nil || (q == l.qDebug && l.qDebug == l.qLog) {
			continue
		}
		m := make(chan struct{})
		marks = append(marks, m)
		// Behind every line queued before; past the bound if need be (a
		// mark is one per destination and Flush, under l.mu).
		q.q.put(sinkItem{fn: func() { close(m) }}, true)
	}
	l.mu.Unlock()
	for _, m := range marks {
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-m:
		case <-t.C:
			return false
		}
		t.Stop()
	}
	return true
}

// sinkCloseWait bounds how long Close waits for queued lines to be written.
const sinkCloseWait = 2 * time.Second

// Dropped returns, per destination ("logfile", "debugfile", "syslog",
// "stderr"), the lines dropped because it did not keep up; empty for a
// synchronous Log.
func (l *Log) Dropped() map[string]uint64 {
	out := map[string]uint64{}
	for _, q := range []*sinkQueue{l.qLog, l.qDebug, l.qSys, l.qErr} {
		if q != nil {
			out[q.name] = q.dropped.Load() // qDebug may be qLog: counted once
		}
	}
	return out
}
