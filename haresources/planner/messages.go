package planner

import "strings"

// Message is one resource-layer message (PROTOCOL §7.5–7.10), as the
// planner receives it in Msg and sends it in Send. The planner never sees
// the wire format: heartbeat/core/node/rscwire translates for the node. Type
// is the message's name, its t field; String renders its fields as
// name=value words in wire order, as the scenario files print them.
type Message interface {
	Type() string
	String() string
	message()
}

// Starting is t=starting: the sender's resource layer began (PROTOCOL §7.6, §11.3).
type Starting struct{}

// Resource is t=resource: what the sender holds, in its own terms (PROTOCOL §7.6, §11.2–11.3).
type Resource struct {
	Set    string    // rsc_hold: none, local, foreign or all; anything else is logged and read as none
	NoSet  bool      // received without rsc_hold: refused
	Full   bool      // rtype=full: Set replaces what was known instead of adding to it
	Stable Stability // isstable
	Info   string    // the stock child that sent it: req_our_resources(), mach_down, shutdown, standby; "" none
}

// Stability is a resource message's isstable field.
type Stability int

// isstable values.
const (
	StableUnsaid Stability = iota // absent: the receiver keeps what it knew
	StableNo                      // 0 (any value but 1 when received): in transition
	StableYes                     // 1: the sender finished its transitions
)

// AskResources is t=ask_resources, the standby exchange (PROTOCOL §7.7, §11.5).
type AskResources struct {
	Set    string // rsc_hold: the set going standby, in the terms of the node going standby (all when the field is absent)
	Info   string // me, other or done
	NoInfo bool   // received without info: refused
}

// IPRequest is t=ip-request: the sender asks the owner to release group Key (PROTOCOL §7.9, §11.8).
type IPRequest struct {
	Key string // ipaddr: the group key
}

// IPRequestResp is t=ip-request-resp: Dest may take group Key (PROTOCOL §7.9, §11.3, §11.8).
type IPRequestResp struct {
	Dest  string // the node that may take the group
	Key   string // ipaddr: the group key
	WeOwn string // weown: yes or no, whether the sender held it
	OK    bool   // ok=OK
}

// HbTakeover is t=hb_takeover, sent by the hb_takeover command (PROTOCOL §7.8).
type HbTakeover struct {
	Set string // rsc_hold: all, local, foreign or failback
}

// Shutdone is t=shutdone st=dead: the sender released everything and stops (PROTOCOL §7.5, §11.7).
type Shutdone struct{}

// StonithResult is t=stonith: the outcome of fencing a dead peer (PROTOCOL §7.10); receivers only log it.
type StonithResult struct {
	Node   string // the node declared dead
	Result string // n_stnth, unneeded, OK, badhost or bad
}

func (Starting) message()      {}
func (Resource) message()      {}
func (AskResources) message()  {}
func (IPRequest) message()     {}
func (IPRequestResp) message() {}
func (HbTakeover) message()    {}
func (Shutdone) message()      {}
func (StonithResult) message() {}

// Type returns "starting".
func (Starting) Type() string { return "starting" }

// Type returns "resource".
func (Resource) Type() string { return "resource" }

// Type returns "ask_resources".
func (AskResources) Type() string { return "ask_resources" }

// Type returns "ip-request".
func (IPRequest) Type() string { return "ip-request" }

// Type returns "ip-request-resp".
func (IPRequestResp) Type() string { return "ip-request-resp" }

// Type returns "hb_takeover".
func (HbTakeover) Type() string { return "hb_takeover" }

// Type returns "shutdone".
func (Shutdone) Type() string { return "shutdone" }

// Type returns "stonith".
func (StonithResult) Type() string { return "stonith" }

// String renders the message as name=value words in wire order.
func (m Starting) String() string { return words(m) }

// String renders the message as name=value words in wire order.
func (m Resource) String() string {
	var kv []string
	if !m.NoSet {
		kv = append(kv, "rsc_hold", m.Set)
	}
	if m.Full {
		kv = append(kv, "rtype", "full")
	}
	switch m.Stable {
	case StableNo:
		kv = append(kv, "isstable", "0")
	case StableYes:
		kv = append(kv, "isstable", "1")
	}
	if m.Info != "" {
		kv = append(kv, "info", m.Info)
	}
	return words(m, kv...)
}

// String renders the message as name=value words in wire order.
func (m AskResources) String() string {
	if m.NoInfo {
		return words(m, "rsc_hold", m.Set)
	}
	return words(m, "rsc_hold", m.Set, "info", m.Info)
}

// String renders the message as name=value words in wire order.
func (m IPRequest) String() string { return words(m, "ipaddr", m.Key) }

// String renders the message as name=value words in wire order.
func (m IPRequestResp) String() string {
	ok := ""
	if m.OK {
		ok = "OK"
	}
	return words(m, "dest", m.Dest, "ipaddr", m.Key, "weown", m.WeOwn, "ok", ok)
}

// String renders the message as name=value words in wire order.
func (m HbTakeover) String() string { return words(m, "rsc_hold", m.Set) }

// String renders the message as name=value words in wire order.
func (m Shutdone) String() string { return words(m, "st", "dead") }

// String renders the message as name=value words in wire order.
func (m StonithResult) String() string { return words(m, "node", m.Node, "result", m.Result) }

// words renders t=<type> and the name, value pairs kv.
func words(m Message, kv ...string) string {
	var b strings.Builder
	b.WriteString("t=" + m.Type())
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(" " + kv[i] + "=" + kv[i+1])
	}
	return b.String()
}
