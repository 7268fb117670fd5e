package membership

import (
	"maps"

	"hbgo/internal/statekey"
)

// LinkSnapshot is one (node, medium) link as cl_status reports it.
type LinkSnapshot struct {
	Name   string
	Status string // "up" or "dead" (stock starts every link dead)
}

// NodeSnapshot is one configured node as cl_status reports it.
type NodeSnapshot struct {
	Name   string
	Type   string // "normal" or "ping"
	Status string
	Links  []LinkSnapshot
}

// Snapshot is the machine's state for cl_status and debugging.
type Snapshot struct {
	Local       string
	Status      string
	Generation  uint64
	Seq         uint64 // highest seq sent
	FlowControl bool
	CommUp      bool
	Nodes       []NodeSnapshot
	Counters    Counters
}

// PeerMarks returns, for each peer heard in this run or an earlier one, its
// generation and the highest seq seen (what the daemon persists at exit).
func (m *Machine) PeerMarks() map[string]PeerMark {
	out := map[string]PeerMark{}
	for _, n := range m.nodes {
		if n != m.self && !n.ping && n.gen > 0 {
			out[n.name] = PeerMark{Gen: n.gen, Seq: max(n.lastSeq, n.seqFloor)}
		}
	}
	return out
}

// Snapshot returns a copy of the machine's observable state.
func (m *Machine) Snapshot() Snapshot {
	s := Snapshot{Local: m.self.name, Status: m.st, Generation: m.p.Generation, Seq: m.seq,
		FlowControl: m.flowControl, CommUp: m.commUp, Counters: m.counters}
	s.Counters.Drops = maps.Clone(m.counters.Drops)
	for _, n := range m.nodes {
		ns := NodeSnapshot{Name: n.name, Type: "normal", Status: n.st}
		if n.ping {
			ns.Type = "ping"
		}
		for _, l := range n.links {
			ns.Links = append(ns.Links, LinkSnapshot{Name: l.name, Status: l.st})
		}
		s.Nodes = append(s.Nodes, ns)
	}
	return s
}

// StateKey is a hash of what Snapshot shows that an idle cluster's
// packets do not change: this node's, each node's and each link's status,
// and the count of dropped packets but those not to us (each peer's
// self-acknowledgements, PROTOCOL §9.3, are). The daemon compares it to
// tell when the metrics changed without building a Snapshot; it allocates
// nothing.
func (m *Machine) StateKey() uint64 {
	h := statekey.String(statekey.Offset, m.st)
	h = statekey.Uint(h, m.counters.Dropped-m.counters.Drops[DropNotToUs])
	for _, n := range m.nodes {
		h = statekey.String(h, n.st)
		for _, l := range n.links {
			h = statekey.String(h, l.st)
		}
	}
	return h
}
