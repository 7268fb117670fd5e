package membership

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"hbgo/authkeys"
	"hbgo/heartbeat/core/wire"
)

// pairParams are the timings of node name in a node1/node2 pair on one link.
func pairParams(name string) Params {
	return Params{Node: name, Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 5}
}

// TestSentMessageReusedOnlyAfterRelease: the storage of a message the
// machine no longer needs (acknowledged, overwritten in the history, an
// ACK sent) is reused only once the step that returned its Send has been
// carried out: after that step returned and the caller called Release.
// A reuse before would rewrite a message a pending Send still names.
func TestSentMessageReusedOnlyAfterRelease(t *testing.T) {
	now := time.Unix(1795393426, 0)
	m := New(pairParams("node1"), now, rand.New(rand.NewSource(1)))
	m.Step(Tick{Now: now})
	m.Release()

	o, _ := m.newOutMsg()
	m.free(o)
	if got, _ := m.newOutMsg(); got == o {
		t.Fatal("a message freed in this step was reused in the same step")
	}
	m.Release() // no step returned since the free: its Send may still be pending
	if got, _ := m.newOutMsg(); got == o {
		t.Fatal("a message was reused before the step that freed it returned")
	}
	m.Step(Tick{Now: now})
	if got, _ := m.newOutMsg(); got == o {
		t.Fatal("a message was reused before the caller's Release")
	}
	m.Release()
	got, vals := m.newOutMsg()
	if got != o {
		t.Fatal("a message freed before a returned step and a Release was not reused")
	}
	if len(got.msg.Fields) != 0 || len(vals) != 0 {
		t.Errorf("reused message not empty: %d fields, %d bytes of values", len(got.msg.Fields), len(vals))
	}
}

// TestIdleMachineReusesMessages: two machines exchanging keepalives, each
// step's actions carried out (sealed) before the next and Release called
// as node does, keep acknowledged messages' storage for reuse. (That no
// message is rewritten between its step and its seal is what the golden
// scenario files of heartbeat/core/node check, byte for byte.)
func TestIdleMachineReusesMessages(t *testing.T) {
	now := time.Unix(1795393426, 0)
	keys, probs := authkeys.Parse(strings.NewReader("auth 1\n1 sha1 reuse-test\n"), "authkeys")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	a := New(pairParams("node1"), now, rand.New(rand.NewSource(1)))
	b := New(pairParams("node2"), now, rand.New(rand.NewSource(2)))
	var queue [][2]any
	run := func(m *Machine, ev Event) {
		for _, act := range m.Step(ev) {
			if s, ok := act.(Send); ok {
				buf, err := wire.Seal(s.Msg, keys)
				if err != nil {
					t.Fatal(err)
				}
				queue = append(queue, [2]any{m, buf})
			}
		}
		m.Release()
	}
	made := 0
	for i := 0; i < 200; i++ {
		now = now.Add(time.Second)
		run(a, Tick{Now: now})
		run(b, Tick{Now: now})
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			to := a
			if q[0].(*Machine) == a {
				to = b
			}
			msg, err := wire.Decode(q[1].([]byte), keys)
			if err != nil {
				t.Fatal(err)
			}
			run(to, Recv{Msg: msg, Link: "eth1", At: now})
		}
		if i == 100 {
			made = len(a.spare) + len(a.handed) + len(a.freed)
		}
	}
	if made == 0 {
		t.Error("no acknowledged message's storage was kept for reuse")
	}
}
