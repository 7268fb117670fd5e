package rscwire

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/core/wire"
)

// FuzzFromWire reads arbitrary messages as they come off the network
// (wire.Parse: netstring or classic) and checks that the translation never
// panics, refuses a src naming another node, and that what it hands the
// planner, sent back out, reads as the same message.
func FuzzFromWire(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := wire.Parse(b)
		if err != nil {
			return
		}
		for _, from := range []string{"node1", "node2"} {
			pm, ok, refusal := FromWire(m, from)
			if !ok {
				continue
			}
			if refusal != "" || pm.From != from || m.Str(wire.FSrc) != from {
				t.Fatalf("accepted %v from %s (src %q) with refusal %q", pm.M, from, m.Str(wire.FSrc), refusal)
			}
			if pm.M.Type() != m.Type() {
				t.Fatalf("type %q read as %q", m.Type(), pm.M.Type())
			}
			out := ToWire(pm.M)
			out.Add(wire.FSrc, from)
			again, ok, _ := FromWire(out, from)
			if !ok {
				t.Fatalf("%v: sent back out, refused", pm.M)
			}
			if d := cmp.Diff(pm, again); d != "" {
				t.Fatalf("read, written and read again differs (-first +again):\n%s", d)
			}
		}
	})
}
