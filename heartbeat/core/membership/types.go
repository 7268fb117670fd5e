// Package membership is heartbeat 3.0.6's membership and reliable-delivery layer as a pure state machine driven by events with an injected clock.
package membership

import (
	"time"

	"hbgo/heartbeat/core/wire"
)

// Params is what the machine needs from ha.cf, already parsed and defaulted.
type Params struct {
	// StatusExtra, when set, adds fields to each status message we send
	// (hbgo's configuration hash; stock ignores fields it does not know).
	StatusExtra func(*wire.Message)

	Node           string                  // local node name, lower-case
	Nodes          []string                // normal nodes in ha.cf order, lower-case, including Node
	PingNodes      []string                // ping and ping_group pseudo-node names
	Links          []string                // local medium names (interface or device), ha.cf order
	Keepalive      time.Duration           // status period
	Deadtime       time.Duration           // our deadtime (also the initial dead interval of every peer)
	Warntime       time.Duration           // late-heartbeat warning threshold
	Initdead       time.Duration           // dead interval before comm is linked
	Deadping       time.Duration           // dead interval of ping nodes
	MaxRexmitDelay time.Duration           // ha.cf max_rexmit_delay (default 250ms)
	HopFudge       int                     // ha.cf hopfudge (ttl = hopfudge + node count)
	UUID           [16]byte                // our node UUID (hb_uuid)
	Generation     uint64                  // our generation (hb_generation, already incremented)
	NoFlowControl  bool                    // true: never advertise protocol=1 (stock always does)
	Load           func(dst []byte) []byte // appends the ld field's value to dst; nil sends "n/a"
	// PeerSeen is what an earlier run of this daemon last saw from each peer
	// (the peer-generation file): older generations, and that generation's
	// seqs up to the mark, are refused as replays.
	PeerSeen map[string]PeerMark
}

// PeerMark is the generation and the highest seq seen from one peer.
type PeerMark struct{ Gen, Seq uint64 }

// Event is an input to Step.
type Event interface{ isEvent() }

// Tick tells the machine the clock advanced to Now.
type Tick struct{ Now time.Time }

// Recv is an authenticated message read from medium Link at time At. Msg
// is the machine's only during the Step: what it keeps (Deliver), it clones.
type Recv struct {
	Msg  *wire.Message
	Link string
	At   time.Time
}

// Originate asks the machine to send a message built by the caller (resource layer, FIFO, commands).
type Originate struct {
	Msg *wire.Message
	At  time.Time // zero: the time of the last event
}

// SetStatus changes the local node status (e.g. "active"); Extra is added to the advertised deadtime.
type SetStatus struct {
	St    string        // new status; "" keeps the current one
	Extra time.Duration // temporary dt bump (PROTOCOL §10.3: +30000 ms before a restart)
	At    time.Time
}

// PingReply reports an ICMP echo reply from ping node Node.
type PingReply struct {
	Node string
	At   time.Time
	TS   uint64 // the echoed ts field: when we sent the request (Unix seconds)
}

func (Tick) isEvent()      {}
func (Recv) isEvent()      {}
func (Originate) isEvent() {}
func (SetStatus) isEvent() {}
func (PingReply) isEvent() {}

// Action is an output of Step for the daemon to carry out.
type Action interface{ isAction() }

// Level is heartbeat's log level word.
type Level string

// Heartbeat's log level words as they appear in ha-log.
const (
	Info  Level = "info"
	Warn  Level = "WARN"
	Error Level = "ERROR"
	Crit  Level = "CRIT"
)

// Send asks the daemon to encode Msg and write it to every medium; Msg must not be modified.
type Send struct {
	Msg    *wire.Message
	Rexmit bool // a retransmission of a message from the history
}

// Log is one daemon log line with heartbeat's exact text.
type Log struct {
	Level Level
	Text  string
	Drop  string // the Drop* reason when the line reports a dropped packet, else ""
}

// NodeStatus reports a peer's status change.
type NodeStatus struct{ Node, Old, New string }

// NodeDead reports that a peer was declared dead (the resource layer takes over).
type NodeDead struct{ Node string }

// LinkStatus reports a (node, medium) link going up or dead.
type LinkStatus struct {
	Node, Link string
	Up         bool
}

// CommUp reports that cluster communication is up (local status is now active).
type CommUp struct{}

// Deliver hands a kept message of a non-membership type to the resource layer and hooks.
type Deliver struct {
	From string
	Msg  *wire.Message
}

// PeerRestarted reports that a peer came back with a higher generation.
type PeerRestarted struct{ Node string }

// PartitionHealed reports a dead peer returning with the same generation (PROTOCOL §6.4).
type PartitionHealed struct{ Node string }

// PeerSeen asks the daemon to persist what was last seen from Node (a new
// generation, or the seq at its death) so that a restarted daemon refuses
// replays of it (Params.PeerSeen).
type PeerSeen struct {
	Node string
	Mark PeerMark
}

func (Send) isAction()            {}
func (Log) isAction()             {}
func (NodeStatus) isAction()      {}
func (NodeDead) isAction()        {}
func (LinkStatus) isAction()      {}
func (CommUp) isAction()          {}
func (Deliver) isAction()         {}
func (PeerRestarted) isAction()   {}
func (PartitionHealed) isAction() {}
func (PeerSeen) isAction()        {}
