// Package rscwire translates between heartbeat's wire messages and the resource planner's typed messages, for the node machine.
//
// The planner (haresources/planner) speaks its own messages and never sees
// the wire format; this is the one place that knows how each is spelled:
//
//	planner message   wire fields, in the order stock 3.0.6 sends them
//	Starting          t=starting                                   (PROTOCOL §7.6)
//	Resource          t=resource rsc_hold [rtype=full] [isstable] [info]  (§7.6, §11.2–11.3)
//	AskResources      t=ask_resources rsc_hold info                (§7.7, §11.5)
//	HbTakeover        t=hb_takeover rsc_hold                       (§7.8)
//	IPRequest         t=ip-request ipaddr                          (§7.9, §11.8)
//	IPRequestResp     t=ip-request-resp dest ipaddr weown ok       (§7.9, §11.3)
//	Shutdone          t=shutdone st=dead                           (§7.5, §11.7)
//	StonithResult     t=stonith node result                        (§7.10)
//
// ToWire writes only these message-specific fields; membership adds the
// control fields (src, seq, hg, ts, …) when it originates the message
// (PROTOCOL §6). The order is part of the contract: a stock 3.0.6 peer
// reads the fields by name, but hbgo's messages are byte-identical to
// stock's (the planner's golden captures, haresources/planner/testdata),
// and the tests here pin each shape.
//
// It is a package of its own, not a file of heartbeat/core/node, only
// because membership's pair tests (package membership, which node imports)
// use the same translation.
package rscwire

import (
	"fmt"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/wire"
)

// Field names of the resource messages (PROTOCOL §7.5–7.10).
const (
	fRscHold  = "rsc_hold"
	fRtype    = "rtype"
	fIsStable = "isstable"
	fInfo     = "info"
	fIPAddr   = "ipaddr"
	fWeOwn    = "weown"
	fOK       = "ok"
	fNode     = "node"
	fResult   = "result"
	fSt       = "st"
)

// FromWire returns the planner's message for m, received from the node
// membership authenticated (from). ok is false for a message the planner
// does not take: a type outside the resource layer's (PROTOCOL §7.5–7.10),
// or one whose src field names another node than from, for which refusal
// is the ha-log line to write (ERROR level).
//
// hbgo: stock's resource handlers read the sender from the src field
// (PROTOCOL §7.6–7.9); here the sender is who membership authenticated, and
// a message claiming another is not acted on (docs/DESIGN.md, Threat model).
func FromWire(m *wire.Message, from string) (msg planner.Msg, ok bool, refusal string) {
	pm := toPlanner(m)
	if pm == nil {
		return planner.Msg{}, false, ""
	}
	if src := m.Str(wire.FSrc); src != from {
		return planner.Msg{}, false, fmt.Sprintf("hbgo: %s message from %s claims to be from [%s]; ignored", m.Type(), from, src)
	}
	return planner.Msg{M: pm, From: from}, true, ""
}

// toPlanner reads m's resource-layer fields; nil for another type.
func toPlanner(m *wire.Message) planner.Message {
	switch m.Type() {
	case "starting":
		return planner.Starting{}
	case "resource":
		r := planner.Resource{Full: m.Str(fRtype) == "full", Info: m.Str(fInfo)}
		r.Set, r.NoSet = m.Get(fRscHold)
		r.NoSet = !r.NoSet
		if st, ok := m.Get(fIsStable); ok {
			r.Stable = planner.StableNo
			if st == "1" {
				r.Stable = planner.StableYes
			}
		}
		return r
	case "ask_resources":
		a := planner.AskResources{Set: "all"} // PROTOCOL §7.7: all when absent
		if s, ok := m.Get(fRscHold); ok {
			a.Set = s
		}
		a.Info, a.NoInfo = m.Get(fInfo)
		a.NoInfo = !a.NoInfo
		return a
	case "hb_takeover":
		return planner.HbTakeover{Set: m.Str(fRscHold)}
	case "ip-request":
		return planner.IPRequest{Key: m.Str(fIPAddr)}
	case "ip-request-resp":
		return planner.IPRequestResp{Dest: m.Str(wire.FDest), Key: m.Str(fIPAddr), WeOwn: m.Str(fWeOwn), OK: m.Str(fOK) == "OK"}
	case "shutdone":
		return planner.Shutdone{}
	case "stonith":
		return planner.StonithResult{Node: m.Str(fNode), Result: m.Str(fResult)}
	}
	return nil
}

// ToWire returns the wire message for a planner message: its type and its
// own fields in stock's order, without membership's control fields.
func ToWire(pm planner.Message) *wire.Message {
	m := &wire.Message{}
	m.Add(wire.FType, pm.Type())
	switch pm := pm.(type) {
	case planner.Resource:
		if !pm.NoSet {
			m.Add(fRscHold, pm.Set)
		}
		if pm.Full {
			m.Add(fRtype, "full")
		}
		switch pm.Stable {
		case planner.StableNo:
			m.Add(fIsStable, "0")
		case planner.StableYes:
			m.Add(fIsStable, "1")
		}
		if pm.Info != "" {
			m.Add(fInfo, pm.Info)
		}
	case planner.AskResources:
		m.Add(fRscHold, pm.Set)
		if !pm.NoInfo {
			m.Add(fInfo, pm.Info)
		}
	case planner.HbTakeover:
		m.Add(fRscHold, pm.Set)
	case planner.IPRequest:
		m.Add(fIPAddr, pm.Key)
	case planner.IPRequestResp:
		ok := ""
		if pm.OK {
			ok = "OK"
		}
		m.Add(wire.FDest, pm.Dest)
		m.Add(fIPAddr, pm.Key)
		m.Add(fWeOwn, pm.WeOwn)
		m.Add(fOK, ok)
	case planner.Shutdone:
		m.Add(fSt, "dead")
	case planner.StonithResult:
		m.Add(fNode, pm.Node)
		m.Add(fResult, pm.Result)
	}
	return m
}
