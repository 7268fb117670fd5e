package ipfail

import (
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
)

// BenchmarkAnswer is one num_ping_nodes question answered (the work on the
// daemon's loop per peer question).
func BenchmarkAnswer(b *testing.B) {
	m := New(Config{Node: "node2", Keepalive: 2 * time.Second, AutoFailback: "on"})
	now := epoch
	m.Step(now, Start{Nodes: []Node{{pingNode, "ping", "ping"}, {"node2", "normal", "active"}, {"node1", "normal", "active"}}, Word: "all"})
	q := &wire.Message{}
	for _, kv := range [][2]string{{"t", TypeNumPing}, {"src", "node1"}, {"num_ping", "1"}, {"dest", "node2"}, {"from_id", ClientID}, {"to_id", ClientID}} {
		q.Add(kv[0], kv[1])
	}
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		if len(m.Step(now, Msg{M: q})) == 0 {
			b.Fatal("no answer")
		}
	}
}
