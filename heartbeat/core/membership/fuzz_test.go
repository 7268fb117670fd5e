package membership

import (
	"bytes"
	"math/rand"
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
)

// FuzzRecv feeds arbitrary field lists (one name=value per line) to a machine
// that already knows a live peer: it must neither panic nor flood actions.
func FuzzRecv(f *testing.F) {
	f.Add([]byte("t=status\nst=active\ndt=1388\nprotocol=1\nsrc=node2\nseq=2\nhg=7\nts=1"))
	f.Add([]byte("t=NS_rexmit\ndest=node1\nfirstseq=1\nlastseq=2147483647\nsrc=node2\nhg=7\nts=1"))
	f.Add([]byte("t=NS_ackmsg\ndest=node1\nackseq=ffffffffffffffff\nsrc=node2\nhg=7\nts=1"))
	f.Add([]byte("t=status\nst=up\nsrc=node2\nseq=ffffffffffffffff\nhg=7\nts=1"))
	f.Add([]byte("t=NS_nak_rexmit\nfirstseq=3\nsrc=node2\nts=1"))
	f.Add([]byte("t=reqnodes\ndest=node1\nsrc=NODE2\nseq=3\nhg=8\nts=1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		now := time.Unix(1795393430, 0)
		p := Params{Node: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
			Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
			Initdead: 10 * time.Second, HopFudge: 1, Generation: 9}
		m := New(p, now, rand.New(rand.NewSource(1)))
		m.Step(Tick{Now: now})
		seed := &wire.Message{}
		for _, kv := range [][2]string{{"t", "status"}, {"st", "active"}, {"protocol", "1"}, {"src", "node2"}, {"seq", "1"}, {"hg", "7"}, {"ts", "1"}} {
			seed.Add(kv[0], kv[1])
		}
		m.Step(Recv{Msg: seed, Link: "eth1", At: now})
		msg := &wire.Message{}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if k, v, ok := bytes.Cut(line, []byte("=")); ok {
				msg.Add(string(k), string(v))
			}
		}
		for i := 0; i < 2; i++ {
			if n := len(m.Step(Recv{Msg: msg, Link: "eth1", At: now})); n > 200 {
				t.Fatalf("%d actions for one message", n)
			}
			// Every timer due at now has run, so the next one is later.
			if d := m.NextDeadline(); !d.After(now) {
				t.Fatalf("NextDeadline %v is not after now %v", d, now)
			}
		}
		later := now.Add(time.Minute)
		m.Step(Tick{Now: later})
		if d := m.NextDeadline(); !d.After(later) {
			t.Fatalf("NextDeadline %v is not after %v", d, later)
		}
		_ = m.Snapshot()
	})
}
