package membership

import (
	"math/rand"
	"strconv"
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
)

// TestNoAckOfPeersFirstMessage: whatever its ack trigger, hbgo does not ACK
// a peer's seq 1, which a just-started stock peer would count towards comm up
// before it has our status (heartbeat/e2e/failover's legacy race); the ACK of
// seq 11 still comes, covering seq 1.
func TestNoAckOfPeersFirstMessage(t *testing.T) {
	now := time.Unix(1795393426, 0)
	m := New(pairParams("node1"), now, rand.New(rand.NewSource(1)))
	m.Step(Tick{Now: now})
	for _, n := range m.nodes {
		if n.name == "node2" {
			n.ackTrigger = 1
		}
	}
	acked := map[string]bool{}
	for seq := 1; seq <= 11; seq++ {
		msg := &wire.Message{}
		msg.Add(wire.FType, "status")
		msg.Add("st", "up")
		msg.Add("dt", "1388")
		msg.Add("protocol", "1")
		msg.Add(wire.FSrc, "node2")
		msg.Add(wire.FSeq, strconv.FormatUint(uint64(seq), 16))
		msg.Add(wire.FGen, "7")
		msg.Add(wire.FTime, "6af3c5a2")
		for _, a := range m.Step(Recv{Msg: msg, Link: "eth1", At: now.Add(time.Duration(seq) * time.Millisecond)}) {
			if s, ok := a.(Send); ok && s.Msg.Type() == "NS_ackmsg" && s.Msg.Str(wire.FDest) == "node2" {
				acked[s.Msg.Str("ackseq")] = true
			}
		}
	}
	if acked["1"] {
		t.Error("node2's seq 1 was acknowledged")
	}
	if !acked["b"] {
		t.Errorf("node2's seq 11 (0xb) was not acknowledged; acks: %v", acked)
	}
}
