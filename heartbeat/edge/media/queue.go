package media

import "bytes"

// Queue is one medium's bounded receive queue. A reader that finds it full
// drops the packet (the medium counts it), so it never blocks; and since
// every medium has its own, a flood on one medium fills only that one:
// the others' keepalives still get through (issue 13 item 10).
type Queue struct {
	c     chan Packet
	ready chan struct{} // the Inbox's: a packet waits in one of its queues
	lazy  bool          // the Inbox's DeferRoutine
	free  chan []byte   // the Inbox's recycled packet buffers; nil: none
	poll  func() bool   // a lazy medium's (lazyRx.poll); nil: none
}

// deferMax is how many packets a queue may hold for a routine one not to
// signal (Inbox.DeferRoutine): a peer sends its ACK and its status back to
// back, so two a peer, for two peers on one medium. A non-routine packet
// signals when it is queued, so a routine one behind it changes nothing.
const deferMax = 4

// NewQueue returns a lone queue of size packets, outside any Inbox.
func NewQueue(size int) *Queue {
	return &Queue{c: make(chan Packet, size), ready: make(chan struct{}, 1)}
}

// C is the queue's channel, for reading a lone queue.
func (q *Queue) C() <-chan Packet { return q.c }

// Len is the number of packets waiting.
func (q *Queue) Len() int { return len(q.c) }

// copyOf returns a copy of a reader's packet b, in a recycled buffer
// (Inbox.Recycle) when one with room is free.
func (q *Queue) copyOf(b []byte) []byte {
	select {
	case c := <-q.free: // nil channel (a lone queue): never ready
		if cap(c) >= len(b) {
			return append(c[:0], b...)
		}
	default:
	}
	return append([]byte(nil), b...)
}

// put queues p without blocking; false when the queue is full.
func (q *Queue) put(p Packet) bool {
	// Classified before it is queued: once queued, the loop may handle p
	// and recycle its Data for a later packet (Inbox.Recycle).
	routine := q.lazy && Routine(p)
	select {
	case q.c <- p:
	default:
		return false
	}
	if routine && len(q.c) <= deferMax {
		return true // read at the loop's next deadline (Inbox.DeferRoutine)
	}
	select {
	case q.ready <- struct{}{}:
	default: // already signalled
	}
	return true
}

// Inbox holds the receive queues of all of a daemon's media and hands out
// their packets in turn, one queue after the other: a medium with a
// thousand packets waiting gets one turn per round like one with a single
// keepalive. All queues are made before the first Next; only one
// goroutine (the daemon loop) reads.
type Inbox struct {
	qs    []*Queue
	ready chan struct{}
	free  chan []byte // packet buffers handed back (Recycle) for the readers
	next  int
	// DeferRoutine: a routine packet (Routine: a status, an ACK) queued
	// behind no more than a few others (deferMax) does not make Ready
	// fire; it waits for the reader's next look at the queues. Only for a
	// reader that looks at them before each of its deadlines, and whose
	// deadlines are never more than a keepalive apart (the daemon loop).
	// An idle daemon then wakes once per keepalive for its own status, not
	// once more for each one heard (bench/results/idle-2026-12-06.md).
	// Anything else, and a status behind more than deferMax packets (a
	// flood), signals as before. Set it before the first NewQueue.
	DeferRoutine bool
}

// NewInbox returns an Inbox without queues.
func NewInbox() *Inbox {
	return &Inbox{ready: make(chan struct{}, 1), free: make(chan []byte, recycled)}
}

// recycled is how many packet buffers an Inbox keeps for its readers:
// enough for the packets of a keepalive or two, so an idle daemon's
// readers take every buffer from the loop's last ones.
const recycled = 8

// Recycle hands p's Data back for a reader to copy a later packet into.
// Call it once p is handled and nothing holds its Data; the loop is the
// only caller.
func (b *Inbox) Recycle(p Packet) {
	if cap(p.Data) == 0 || cap(p.Data) > MaxMessage {
		return
	}
	select {
	case b.free <- p.Data:
	default: // enough kept
	}
}

// NewQueue adds a queue of size packets for one medium.
func (b *Inbox) NewQueue(size int) *Queue {
	q := &Queue{c: make(chan Packet, size), ready: b.ready, lazy: b.DeferRoutine, free: b.free}
	b.qs = append(b.qs, q)
	return q
}

// Ready receives a value when a packet may be waiting: call Next until it
// reports false.
func (b *Inbox) Ready() <-chan struct{} { return b.ready }

// Signal makes Ready fire again (a reader that stopped early, with packets left).
func (b *Inbox) Signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// Poll has the lazy media read their waiting datagrams into their queues
// (lazyRx), as far as the queues have room; more: one stopped at a full
// queue, so call Poll again once the queues have been read. The loop
// calls it before it looks at the queues.
func (b *Inbox) Poll() (more bool) {
	for _, q := range b.qs {
		if q.poll != nil && q.poll() {
			more = true
		}
	}
	return more
}

// Next returns the next waiting packet, round-robin over the queues
// starting after the one served last; false when all are empty.
func (b *Inbox) Next() (Packet, bool) {
	n := len(b.qs)
	for i := 0; i < n; i++ {
		q := b.qs[b.next]
		b.next = (b.next + 1) % n
		select {
		case p := <-q.c:
			return p, true
		default:
		}
	}
	return Packet{}, false
}

// Len is the number of packets waiting in all queues.
func (b *Inbox) Len() int {
	n := 0
	for _, q := range b.qs {
		n += len(q.c)
	}
	return n
}

// Routine reports whether p looks like a heartbeat, a status message, or
// a flow-control acknowledgement (its first field t=status or t=NS_ackmsg,
// netstring or classic): only a hint for when to wake the reader, read
// before any check of the packet. Each node acknowledges about one in ten
// of every node's packets, its own included (PROTOCOL §9.3), so an idle
// peer sends one every ten keepalives; read at the next deadline it frees
// the history at most a keepalive later, which nothing waits for.
func Routine(p Packet) bool {
	if p.Ping != "" {
		return false
	}
	for _, r := range routine {
		if bytes.HasPrefix(p.Data, r) {
			return true
		}
	}
	return false
}

var routine = [][]byte{
	[]byte("###\n11:(0)t=status,"), []byte(">>>\nt=status\n"),
	[]byte("###\n14:(0)t=NS_ackmsg,"), []byte(">>>\nt=NS_ackmsg\n"),
}
