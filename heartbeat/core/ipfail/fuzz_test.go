package ipfail

import (
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
)

// FuzzMsg feeds peer messages decoded from arbitrary name=value lines to a
// running machine: whatever a peer sends, Step must not panic, every Send
// must be one of ipfail's types, and a pending give-up must have a deadline.
func FuzzMsg(f *testing.F) {
	f.Add("t=num_ping_nodes\nnum_ping=0\ndest=node1\nfrom_id=ipfail\nto_id=ipfail\nsrc=node2")
	f.Add("t=you_are_dead\ndest=node1\nsrc=node2")
	f.Add("t=abort_giveup\nsrc=node2")
	f.Add("t=hbapi-clstat\nst=join\nfrom_id=ipfail\nsrc=node2")
	f.Add("t=resource\nisstable=1\nsrc=node2")
	f.Add("t=num_ping_nodes\nnum_ping=-99999999999999999999\nsrc=node2")
	f.Fuzz(func(t *testing.T, s string) {
		m := New(Config{Node: "node1", Keepalive: 2 * time.Second, AutoFailback: "on"})
		now := epoch
		m.Step(now, Start{Nodes: []Node{{pingNode, "ping", "ping"}, {"node2", "normal", "active"}, {"node1", "normal", "active"}}, Word: "local"})
		w := &wire.Message{}
		start := 0
		for i := 0; i <= len(s); i++ {
			if i < len(s) && s[i] != '\n' {
				continue
			}
			line := s[start:i]
			start = i + 1
			for j := 0; j < len(line); j++ {
				if line[j] == '=' {
					w.Add(line[:j], line[j+1:])
					break
				}
			}
		}
		ok := map[string]bool{TypeNumPing: true, TypeYouAreDead: true, TypeAbortGiveup: true, TypeAskResources: true, TypeClientStatus: true}
		for round := 0; round < 3; round++ {
			for _, a := range m.Step(now, Msg{M: w}) {
				if s, isSend := a.(Send); isSend && !ok[s.M.Type()] {
					t.Fatalf("sent a %q message", s.M.Type())
				}
			}
			if m.giveup != nil && m.NextDeadline().IsZero() {
				t.Fatal("give-up pending without a deadline")
			}
			now = now.Add(5 * time.Second)
			m.Step(now, Tick{})
		}
	})
}
