package hblog

import "testing"

// TestQueueBoundOrderClose: the queue that replaced the buffered channels
// keeps their behaviour: at most limit items (more are refused, so the
// caller counts a drop), FIFO order across batches, a forced item (Flush's
// mark) past the bound, and after close the rest is still taken, then
// take reports the end. An idle queue holds no backing array beyond one
// small reused batch.
func TestQueueBoundOrderClose(t *testing.T) {
	q := newQueue[int](3)
	for i := 0; i < 5; i++ {
		if ok := q.put(i, false); ok != (i < 3) {
			t.Fatalf("put %d: %v", i, ok)
		}
	}
	if !q.put(99, true) {
		t.Fatal("forced put refused")
	}
	b, ok := q.take()
	if !ok || len(b) != 4 || b[0] != 0 || b[1] != 1 || b[2] != 2 || b[3] != 99 {
		t.Fatalf("take = %v %v", b, ok)
	}
	if q.put(5, false) {
		t.Error("put accepted while the taken batch is not started")
	}
	for range b {
		q.start()
	}
	q.done(b)
	if q.items != nil || cap(q.spare) == 0 {
		t.Fatalf("after done: items %v spare cap %d", q.items, cap(q.spare))
	}
	q.put(7, false)
	q.close()
	if q.put(8, true) {
		t.Error("put after close accepted")
	}
	if b, ok := q.take(); !ok || len(b) != 1 || b[0] != 7 {
		t.Fatalf("after close: %v %v", b, ok)
	}
	if _, ok := q.take(); ok {
		t.Fatal("take after close and drain")
	}
	big := newQueue[int](1000)
	for i := 0; i < spareMax+1; i++ {
		big.put(i, false)
	}
	b, _ = big.take()
	big.done(b)
	if big.spare != nil {
		t.Errorf("a burst's %d-item batch kept", cap(b))
	}
}
