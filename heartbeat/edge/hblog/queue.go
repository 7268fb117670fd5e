package hblog

import "sync"

// queue is a bounded FIFO between one producer side and one writer
// goroutine that holds memory only for what is queued. A buffered channel
// of the same bound (1024 journal events, the sink queues' lines) is
// allocated whole and zeroed up front: 64 KiB for the journal and 40 KiB
// for the two sink queues stayed resident in an idle daemon, and the GC
// scanned them every cycle (bench/results/idle-2026-12-06b/anon).
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	spare  []T // the writer's last batch, emptied, for the next one
	limit  int
	n      int // queued, taken or not, and not yet started by the writer
	closed bool
	wake   chan struct{} // one pending wake-up for the writer
}

func newQueue[T any](limit int) *queue[T] {
	return &queue[T]{limit: limit, wake: make(chan struct{}, 1)}
}

// spareMax is the largest batch kept for reuse: a burst's larger backing
// array goes back to the GC.
const spareMax = 64

// put queues it; false (nothing queued) when the queue holds limit items
// and force is not set, or when it is closed.
func (q *queue[T]) put(it T, force bool) bool {
	q.mu.Lock()
	if q.closed || (!force && q.n >= q.limit) {
		q.mu.Unlock()
		return false
	}
	if q.items == nil {
		q.items, q.spare = q.spare, nil
	}
	q.items = append(q.items, it)
	q.n++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// close ends the queue: take returns what is left, then false.
func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take waits for queued items and returns them in order; the writer calls
// start before each item (until then it counts toward the bound, as an
// item still in a channel's buffer does) and gives the batch back with
// done. False once the queue is closed and empty.
func (q *queue[T]) take() ([]T, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			b := q.items
			q.items = nil
			q.mu.Unlock()
			return b, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		<-q.wake
	}
}

// start takes one item of a batch off the bound: the writer begins it.
func (q *queue[T]) start() {
	q.mu.Lock()
	q.n--
	q.mu.Unlock()
}

// done hands a batch from take back for reuse.
func (q *queue[T]) done(b []T) {
	clear(b)
	if cap(b) > spareMax {
		return
	}
	q.mu.Lock()
	if q.spare == nil {
		q.spare = b[:0]
	}
	q.mu.Unlock()
}
