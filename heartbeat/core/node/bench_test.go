package node_test

import (
	"math/rand"
	"testing"
	"time"

	"hbgo/authkeys"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
)

// BenchmarkIdleKeepalive is one keepalive of an idle pair: the Go work of
// its four idle events. Each node's Tick sends its status (sealed with
// sha1), and each node decodes and steps the other's; whatever a step
// sends is delivered too. Per event, divide by 4
// (bench/results/idle-2026-12-06.md).
func BenchmarkIdleKeepalive(b *testing.B) {
	keys, err := authkeys.New(1, authkeys.SHA1, "testkey-sha1")
	if err != nil {
		b.Fatal(err)
	}
	at := time.Unix(1795393426, 0)
	names := []string{"node1", "node2"}
	ms := make([]*node.Machine, 2)
	var wires [2][][]byte // sealed packets on their way to node i
	out := func(from int, acts []node.Action) {
		for _, a := range acts {
			if s, ok := a.(node.Send); ok {
				pkt, err := wire.Seal(s.Msg, keys)
				if err != nil {
					b.Fatal(err)
				}
				wires[1-from] = append(wires[1-from], pkt)
			}
		}
	}
	for i, name := range names {
		p := membership.Params{Node: name, Nodes: names, Links: []string{"eth1"}, Generation: uint64(5 + i),
			Keepalive: 200 * time.Millisecond, Deadtime: time.Second, Warntime: 500 * time.Millisecond,
			Initdead: 5 * time.Second, MaxRexmitDelay: 250 * time.Millisecond, HopFudge: 1,
			Load: func() string { return "0.00 0.00 0.00 1/100 1000" }}
		ms[i] = node.New(node.Config{Membership: p, PID: 1000 + i, Rand: rand.New(rand.NewSource(int64(i))),
			Planner: planner.Config{Us: name, Peer: names[1-i], AutoFailback: planner.On}}, at)
		out(i, ms[i].Step(node.Start{At: at}))
	}
	sent := 0
	keepalive := func() {
		for i, m := range ms {
			out(i, m.Step(node.Tick{At: at}))
		}
		for len(wires[0])+len(wires[1]) > 0 {
			for i, m := range ms {
				in := wires[i]
				wires[i] = nil
				for _, pkt := range in {
					sent++
					msg, err := wire.Decode(pkt, keys)
					if err != nil {
						b.Fatal(err)
					}
					out(i, m.Step(node.Recv{Msg: msg, Link: "eth1", At: at}))
				}
			}
		}
		at = at.Add(200 * time.Millisecond)
	}
	for range 100 { // both up and settled
		keepalive()
	}
	sent = 0
	b.ReportAllocs()
	for b.Loop() {
		keepalive()
	}
	b.ReportMetric(float64(sent)/float64(b.N), "packets/op")
}
