package daemon

import (
	"context"
	"sync"

	"hbgo/haresources/planner"
)

// opQueue hands resource operations from the loop to the executor. push
// never blocks: behind a stop that hangs (the agent waits on dead
// storage), operations pile up here, not in the loop, which goes on
// sending keepalives. Before, a 64-slot channel blocked the loop at the
// 65th (issue 13 item 9). The planner bounds what it asks for; the
// queue's length is in the debug line of each push.
type opQueue struct {
	mu    sync.Mutex
	q     []planner.Op
	ready chan struct{} // one pending wake-up at most
}

func newOpQueue() *opQueue { return &opQueue{ready: make(chan struct{}, 1)} }

// push appends op and wakes the executor; it returns the queue's length.
func (q *opQueue) push(op planner.Op) int {
	q.mu.Lock()
	q.q = append(q.q, op)
	n := len(q.q)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return n
}

// pop takes the oldest operation; false when there is none.
func (q *opQueue) pop() (planner.Op, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return planner.Op{}, false
	}
	op := q.q[0]
	q.q[0] = planner.Op{}
	q.q = q.q[1:]
	return op, true
}

// next waits for an operation until ctx ends.
func (q *opQueue) next(ctx context.Context) (planner.Op, bool) {
	for {
		if op, ok := q.pop(); ok {
			return op, true
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return planner.Op{}, false
		}
	}
}
