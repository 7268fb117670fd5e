// Package node is one heartbeat node's logic as a pure machine: membership, the resource planner, the emulated ipfail and the resource monitor composed, taking one timed event at a time and returning the ordered actions to carry out.
package node

import (
	"math/rand"
	"time"

	"hbgo/haresources/monitor"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/ipfail"
	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/core/wire"
)

// Config is what the machine needs, already read from ha.cf and haresources.
type Config struct {
	Membership membership.Params
	Planner    planner.Config
	// Ipfail, when set, is the emulated ipfail's configuration: ha.cf
	// respawns ipfail (IpfailCmd is that line's command), and the machine
	// signs it on at comm up.
	Ipfail    *ipfail.Config
	IpfailCmd string
	// NoResources is heartbeat -M: membership only (see unmanaged).
	NoResources bool
	PID         int        // the daemon's pid, in the lines stock writes with it
	Rand        *rand.Rand // membership's ack triggers and rexmit delays
	// Monitor, when set, is the resource monitor's configuration (hbgo.cf
	// asks for a watch): its groups, threshold, window and the failure
	// counts loaded from disk.
	Monitor *monitor.Config
	// UnmanagedStop is how long -M keeps sending status after a shutdown
	// request before it exits.
	UnmanagedStop time.Duration
}

// Event is one input to Step; every event carries the time it happened.
type Event interface{ at() time.Time }

// Start follows the daemon's start-up scan: Held are the groups found
// running here; with Adopt (heartbeat -R -C) they are adopted, else the
// planner stops them before joining.
type Start struct {
	Held  []string
	Adopt *planner.Adopt
	At    time.Time
}

// Recv is an authenticated message received on medium Link. Msg is the
// machine's only during the step (the daemon's is its reused
// wire.Decoder's): what the machine keeps of it, it copies.
type Recv struct {
	Msg  *wire.Message
	Link string
	At   time.Time
}

// Tick says the clock reached At: every timer due by then runs.
type Tick struct{ At time.Time }

// OpDone is the executor's result for an Op.
type OpDone struct {
	Done planner.OpDone
	At   time.Time
}

// StonithDone is the result of a Stonith action.
type StonithDone struct {
	Node, Result string
	At           time.Time
}

// PingEcho is a ping node's checked echo reply; TS is its echoed ts field
// (when we sent the request, Unix seconds).
type PingEcho struct {
	Node string
	TS   uint64
	At   time.Time
}

// Standby is hb_standby's request (Set: all, local or foreign).
type Standby struct {
	Set string
	At  time.Time
}

// Takeover is hb_takeover's request (Set: all, local or foreign).
type Takeover struct {
	Set string
	At  time.Time
}

// Inject is a cluster message a local client asked to send (FIFO, control socket).
type Inject struct {
	Msg *wire.Message
	At  time.Time
}

// Shutdown starts a graceful stop (COMPAT §5.7).
type Shutdown struct{ At time.Time }

// QuickRestart starts stock's quick restart: resources stay as they are
// and the advertised deadtime grows by Extra (PROTOCOL §10.3).
type QuickRestart struct {
	Extra time.Duration
	At    time.Time
}

// StopClients signs the emulated ipfail off (the daemon is ending).
type StopClients struct{ At time.Time }

func (e Start) at() time.Time        { return e.At }
func (e Recv) at() time.Time         { return e.At }
func (e Tick) at() time.Time         { return e.At }
func (e OpDone) at() time.Time       { return e.At }
func (e StonithDone) at() time.Time  { return e.At }
func (e PingEcho) at() time.Time     { return e.At }
func (e Standby) at() time.Time      { return e.At }
func (e Takeover) at() time.Time     { return e.At }
func (e Inject) at() time.Time       { return e.At }
func (e Shutdown) at() time.Time     { return e.At }
func (e QuickRestart) at() time.Time { return e.At }
func (e StopClients) at() time.Time  { return e.At }

// Action is one output of Step, to be carried out in the order returned.
type Action interface{ action() }

// Send is a message membership has stamped, to seal and write to every
// medium; a non-retransmitted status is also the daemon's sign of life
// (watchdog, pings).
type Send struct {
	Msg    *wire.Message
	Rexmit bool
}

// Log is one ha-log line. Level is heartbeat's word (debug, info, WARN,
// ERROR, CRIT). Drop, when set, is the key of a dropped packet's line,
// which the daemon rate-limits. Proc "ipfail" logs under ipfail's name.
type Log struct {
	Level, Text string
	Drop        string
	Proc        string
}

// ScriptLog is a line stock's shell scripts would have written (COMPAT §8.3).
type ScriptLog struct{ Tag, Text string }

// Journal is one event-journal record.
type Journal struct {
	Kind, Node string
	Fields     map[string]string
}

// Hook runs the rc.d scripts for a message type (COMPAT §5.9); HarcDone
// says the planner already wrote harc's line for it.
type Hook struct {
	Type     string
	Msg      *wire.Message
	Old      string
	HarcDone bool
}

// Op is a resource operation for the executor, which answers with OpDone.
type Op struct{ planner.Op }

// PeerSeen is a state write: persist what was last seen from Node (a new
// generation, the seq at its death), so a restarted daemon refuses its
// replays (membership.Params.PeerSeen).
type PeerSeen struct {
	Node string
	Mark membership.PeerMark
}

// PeerDead says a normal peer was just declared dead (not a ping node); it
// comes before what the death sets off (status: the transition's cause).
type PeerDead struct{ Node string }

// StartClients starts ha.cf's respawn clients (comm is up).
type StartClients struct{}

// StopClientsNow kills ha.cf's respawn clients (resources are released).
type StopClientsNow struct{}

// ShutdownDone says resources are released and shutdone sent: exit soon.
type ShutdownDone struct{}

// ExitAt says the daemon (heartbeat -M, or a quick restart) may exit at At.
type ExitAt struct{ At time.Time }

// Restart says resources are released after a healed partition: re-exec.
type Restart struct{}

// Fence says a stop failed with the resource still running: reboot now (COMPAT §4.8).
type Fence struct{ Key, Token string }

// Stonith asks for Node to be reset; the result comes back as StonithDone.
type Stonith struct{ Node string }

func (Send) action()           {}
func (Log) action()            {}
func (ScriptLog) action()      {}
func (Journal) action()        {}
func (Hook) action()           {}
func (Op) action()             {}
func (PeerSeen) action()       {}
func (PeerDead) action()       {}
func (StartClients) action()   {}
func (StopClientsNow) action() {}
func (ShutdownDone) action()   {}
func (ExitAt) action()         {}
func (Restart) action()        {}
func (Fence) action()          {}
func (Stonith) action()        {}
