package planner

import (
	"fmt"
	"strings"
	"time"
)

// Mode is the ha.cf auto_failback setting (PROTOCOL §11.1).
type Mode int

// auto_failback modes.
const (
	Legacy Mode = iota // auto_failback legacy: ip-request protocol, no standby
	On                 // auto_failback on: nice_failback with automatic failback
	Off                // auto_failback off: nice_failback, no automatic failback
)

// String returns the ha.cf word for the mode.
func (m Mode) String() string {
	switch m {
	case On:
		return "on"
	case Off:
		return "off"
	}
	return "legacy"
}

// Hold is a resource set in heartbeat's encoding: bit 1 local, bit 2 foreign (PROTOCOL §7.6).
type Hold uint8

// Resource sets.
const (
	None    Hold = 0
	Local   Hold = 1
	Foreign Hold = 2
	All     Hold = 3
)

var holdWords = [...]string{"none", "local", "foreign", "all"}

// String returns the wire word for the set.
func (h Hold) String() string { return holdWords[h&All] }

// ParseHold decodes a wire word; unknown words decode as None like stock's encode_resources.
func ParseHold(s string) (Hold, bool) {
	for i, w := range holdWords {
		if w == s {
			return Hold(i), true
		}
	}
	return None, false
}

// mirror maps a set named from one node's perspective to the other's (local↔foreign).
func mirror(h Hold) Hold {
	switch h {
	case Local:
		return Foreign
	case Foreign:
		return Local
	}
	return h
}

// Event is an input to Planner.Step.
type Event interface{ event() }

// CommUp reports that membership declared communication up (PROTOCOL §8.2).
type CommUp struct{}

// PeerStatus reports a status change of a node: active, up, init or dead.
type PeerStatus struct{ Node, Status string }

// PeerRestarted reports that the peer came back with a new generation.
type PeerRestarted struct{ Node string }

// Msg delivers a resource-layer message, including our own loopback copies, from the node membership authenticated.
type Msg struct {
	M    Message
	From string // the sender as membership identified it (the daemon drops a message whose src names another node)
}

// Standby is a local hb_standby request (command, FIFO or ipfail); Set is all, local, foreign or failback.
type Standby struct{ Set string }

// Takeover is a local hb_takeover request; Set is all, local, foreign or failback.
type Takeover struct{ Set string }

// Shutdown asks for a graceful stop of the node.
type Shutdown struct{}

// Outcome is what happened to one group of an Op.
type Outcome int

// Group outcomes reported by the executor.
const (
	Started     Outcome = iota // every resource of the group runs
	Stopped                    // every resource of the group is stopped
	StartFailed                // resource FailedAt failed to start; the executor stopped the whole group in reverse
	StopFailed                 // resource FailedAt failed to stop after stop_retries; StillRunning says what status saw
)

var outcomeWords = [...]string{"started", "stopped", "start_failed", "stop_failed"}

// String returns the outcome's name (started, stopped, start_failed, stop_failed).
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeWords) {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
	return outcomeWords[o]
}

// GroupResult is the executor's report for one group of an Op.
type GroupResult struct {
	Key          string
	Outcome      Outcome
	FailedAt     int  // index of the failing resource (StartFailed, StopFailed)
	StillRunning bool // StopFailed: status still reports the resource running
}

// OpDone reports that the executor finished Op OpID.
type OpDone struct {
	OpID    int
	Results []GroupResult
}

// StonithDone reports the outcome of a Stonith action: OK, badhost or bad.
type StonithDone struct{ Node, Result string }

// Tick advances the planner's clock and fires due timers.
type Tick struct{ Now time.Time }

// PartitionHealed reports that a peer declared dead came back with the same generation (PROTOCOL §6.4).
type PartitionHealed struct{ Node string }

// Held reports, before comm up, the group keys the executor's status scan found running.
type Held struct{ Keys []string }

func (CommUp) event()          {}
func (PeerStatus) event()      {}
func (PeerRestarted) event()   {}
func (Msg) event()             {}
func (Standby) event()         {}
func (Takeover) event()        {}
func (Shutdown) event()        {}
func (OpDone) event()          {}
func (StonithDone) event()     {}
func (Tick) event()            {}
func (PartitionHealed) event() {}
func (Held) event()            {}

// Action is an output of Planner.Step.
type Action interface{ action() }

// Send asks the membership layer to send M to the cluster (the daemon adds the control fields).
type Send struct{ M Message }

// OpKind says whether an Op starts or stops groups.
type OpKind int

// Op kinds.
const (
	Take OpKind = iota // start the groups (takegroup)
	Give               // stop the groups (givegroup)
)

// String returns "take" or "give".
func (k OpKind) String() string {
	if k == Give {
		return "give"
	}
	return "take"
}

// Op asks the executor to start or stop groups one at a time in the given order; Ops run one at a time in emission order, and an Op without groups only marks its place in that order.
type Op struct {
	ID     int
	Kind   OpKind
	Groups []string // group keys
	Why    string   // which stock path ordered it, e.g. "req_our_resources", "mach_down", "standby", "shutdown"
	// InTurn: an Op whose groups another op starts (departure g) completes
	// in its turn like one that starts them, not at once, so what follows
	// it goes out in the order it did when it started them.
	InTurn bool
}

// Level is a log level word as heartbeat prints it.
type Level int

// Log levels.
const (
	Debug Level = iota
	Info
	Warn
	Error
	Crit
)

var levelWords = [...]string{"debug", "info", "WARN", "ERROR", "CRIT"}

// String returns heartbeat's level word (info, WARN, ERROR, CRIT).
func (l Level) String() string { return levelWords[l] }

// Log is a daemon log line (COMPAT §8.2 format, without prefix).
type Log struct {
	Level Level
	Text  string
	Child string // stock's child process that writes the line under its own pid ("" = the main process)
}

// ScriptLog is a line stock's shell scripts would have written (COMPAT §8.3); Tag is the script name, Text includes the level word if any.
type ScriptLog struct{ Tag, Text string }

// ShutdownDone says every resource is released and shutdone was sent: the daemon may exit.
type ShutdownDone struct{}

// Restart says resources are released after a healed partition: the daemon must re-exec.
type Restart struct{}

// Fence says a stop failed and the resource still runs: the node must reboot now (COMPAT §4.8).
type Fence struct{ Key, Token string }

// Stonith asks the executor to reset Node with the configured STONITH device and report StonithDone.
type Stonith struct{ Node string }

// StatusWord is the new `cl_status rscstatus` answer: none, local, foreign, all or transition.
type StatusWord struct{ Word string }

func (Send) action()         {}
func (Op) action()           {}
func (Log) action()          {}
func (ScriptLog) action()    {}
func (ShutdownDone) action() {}
func (Restart) action()      {}
func (Fence) action()        {}
func (Stonith) action()      {}
func (StatusWord) action()   {}

// Format renders an action on one line, as the scenario tests print it.
func Format(a Action) string {
	switch a := a.(type) {
	case Send:
		return "send " + a.M.String()
	case Op:
		return fmt.Sprintf("op %d %s [%s] (%s)", a.ID, a.Kind, strings.Join(a.Groups, " "), a.Why)
	case Log:
		return fmt.Sprintf("log %s: %s", a.Level, a.Text)
	case ScriptLog:
		return fmt.Sprintf("script %s: %s", a.Tag, a.Text)
	case ShutdownDone:
		return "shutdown-done"
	case Restart:
		return "restart"
	case Fence:
		return fmt.Sprintf("fence %s (%s)", a.Key, a.Token)
	case Stonith:
		return "stonith " + a.Node
	case StatusWord:
		return "rscstatus " + a.Word
	}
	return fmt.Sprintf("%T", a)
}
