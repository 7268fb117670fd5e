// Package media holds heartbeat's communication media (bcast, ucast, mcast, serial) behind one seam, and an in-memory network that lets daemons talk without sockets.
package media

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Packet is one datagram or serial frame received on a medium.
type Packet struct {
	Data []byte    // the raw message bytes (netstring or classic)
	Link string    // local medium name: interface or device path (COMPAT §2.5)
	At   time.Time // when the reader got it
	From string    // sender address "ip:port", or the device for serial
	Err  error     // set (and Data nil) for a damaged serial frame, to be counted as malformed
	Ping string    // for an ICMP echo reply: the ping node it came from ("" otherwise)
}

// Outgoing is one sealed message in both encodings a medium may need:
// UDP media send Netstring, serial sends Classic (PROTOCOL §3.1, §12.5).
// Netstring is the sender's only until Send returns (the daemon reuses
// the buffer): a medium that keeps it keeps a copy. Classic may be kept.
type Outgoing struct {
	Netstring []byte
	Classic   []byte
}

// Medium is one configured heartbeat link; received packets go to the
// channel given when it was opened.
type Medium interface {
	// Link is the name heartbeat uses for this medium in link status lines.
	Link() string
	// Kind is the ha.cf directive: "bcast", "ucast", "mcast" or "serial".
	Kind() string
	// Started is the ha-log line stock writes when this medium comes up.
	Started() string
	// Send writes one message; it never blocks for long.
	Send(out Outgoing) error
	// Stats returns the medium's counters.
	Stats() Stats
	// Close stops the reader and releases the sockets or device.
	Close() error
}

// Stats counts what a medium moved and dropped.
type Stats struct {
	Sent, SendErrors  uint64
	Received          uint64
	DroppedQueueFull  uint64 // received but the daemon's queue was full
	DroppedOversize   uint64 // larger than MaxMessage
	LastSendError     string
	LastSendErrorTime time.Time
}

// MaxMessage is heartbeat's MAXMSG: the largest message a medium accepts (PROTOCOL §3.5).
const MaxMessage = 262144

// ErrClosed is returned by Send on a closed medium.
var ErrClosed = errors.New("media: medium closed")

// counters is the concurrency-safe form of Stats kept by each medium.
type counters struct {
	sent, sendErrors, received, droppedFull, droppedOversize atomic.Uint64

	mu      sync.Mutex
	lastErr string
	lastAt  time.Time
}

func (c *counters) sendFailed(err error, now time.Time) {
	c.sendErrors.Add(1)
	c.mu.Lock()
	c.lastErr, c.lastAt = err.Error(), now
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Sent: c.sent.Load(), SendErrors: c.sendErrors.Load(), Received: c.received.Load(),
		DroppedQueueFull: c.droppedFull.Load(), DroppedOversize: c.droppedOversize.Load(),
		LastSendError: c.lastErr, LastSendErrorTime: c.lastAt,
	}
}

// deliver hands a packet to this medium's queue without blocking the
// reader: a full queue drops the packet and counts it, so a flood cannot
// stall a socket reader (the daemon loop drains the queues in turn).
func (c *counters) deliver(rx *Queue, p Packet) {
	c.received.Add(1)
	if !rx.put(p) {
		c.droppedFull.Add(1)
	}
}
