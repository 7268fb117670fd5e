package membership

import (
	"math/rand"
	"strconv"
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
)

// BenchmarkStepStatus measures one Recv of a status from a live peer.
func BenchmarkStepStatus(b *testing.B) {
	now := time.Unix(1795393426, 0)
	p := Params{Node: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 5, NoFlowControl: true}
	m := New(p, now, rand.New(rand.NewSource(1)))
	m.Step(Tick{Now: now})
	msgs := make([]*wire.Message, b.N+1)
	for i := range msgs {
		msg := &wire.Message{}
		msg.Add(wire.FType, "status")
		msg.Add("st", "active")
		msg.Add("dt", "1388")
		msg.Add(wire.FSrc, "node2")
		msg.Add(wire.FSeq, strconv.FormatUint(uint64(i+1), 16))
		msg.Add(wire.FGen, "7")
		msg.Add(wire.FTime, "6af3c5a2")
		msgs[i] = msg
	}
	m.Step(Recv{Msg: msgs[0], Link: "eth1", At: now})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		// 1 µs apart: no keepalive falls due, so only the status path is measured.
		m.Step(Recv{Msg: msgs[i], Link: "eth1", At: now.Add(time.Duration(i) * time.Microsecond)})
	}
}
