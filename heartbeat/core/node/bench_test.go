package node_test

import (
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/authkeys"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
)

// idlePair is two node machines joined by a lossless wire, each sealing
// what it sends and decoding what it receives as the daemon does: into
// reused buffers (wire.AppendSeal, wire.Decoder) with reused action
// slices (TickInto, RecvInto: the daemon's loop calls them).
type idlePair struct {
	tb   testing.TB
	keys *authkeys.Keys
	at   time.Time
	ms   [2]*node.Machine
	acts [2][]node.Action
	dec  [2]wire.Decoder
	bufs [2][][]byte // sealed packets on their way to node i (reused)
	n    [2]int      // how many of bufs[i] are in flight
	sent int         // packets delivered
}

func newIdlePair(tb testing.TB) *idlePair {
	keys, err := authkeys.New(1, authkeys.SHA1, "testkey-sha1")
	if err != nil {
		tb.Fatal(err)
	}
	p := &idlePair{tb: tb, keys: keys, at: time.Unix(1795393426, 0)}
	names := []string{"node1", "node2"}
	for i, name := range names {
		mp := membership.Params{Node: name, Nodes: names, Links: []string{"eth1"}, Generation: uint64(5 + i),
			Keepalive: 200 * time.Millisecond, Deadtime: time.Second, Warntime: 500 * time.Millisecond,
			Initdead: 5 * time.Second, MaxRexmitDelay: 250 * time.Millisecond, HopFudge: 1,
			Load: func(b []byte) []byte { return append(b, "0.00 0.00 0.00 1/100 1000"...) }}
		p.ms[i] = node.New(node.Config{Membership: mp, PID: 1000 + i, Rand: rand.New(rand.NewSource(int64(i))),
			Planner: planner.Config{Us: name, Peer: names[1-i], AutoFailback: planner.On}}, p.at)
		p.step(i, node.Start{At: p.at})
	}
	for range 100 { // both up and settled
		p.keepalive()
	}
	p.sent = 0
	return p
}

// step feeds machine i one event and puts what it sends on the wire.
func (p *idlePair) step(i int, ev node.Event) {
	p.acts[i] = p.ms[i].StepInto(p.acts[i], ev)
	p.send(i)
}

// send puts what machine i's last step sends on the wire.
func (p *idlePair) send(i int) {
	for _, a := range p.acts[i] {
		s, ok := a.(node.Send)
		if !ok {
			continue
		}
		to := 1 - i
		if p.n[to] == len(p.bufs[to]) {
			p.bufs[to] = append(p.bufs[to], nil)
		}
		b, err := wire.AppendSeal(p.bufs[to][p.n[to]][:0], s.Msg, p.keys)
		if err != nil {
			p.tb.Fatal(err)
		}
		p.bufs[to][p.n[to]] = b
		p.n[to]++
	}
}

// keepalive is one keepalive of the pair: each node's Tick, then every
// packet delivered until none is left.
func (p *idlePair) keepalive() {
	for i, m := range p.ms {
		p.acts[i] = m.TickInto(p.acts[i], p.at)
		p.send(i)
	}
	for p.n[0]+p.n[1] > 0 {
		for i := range p.ms {
			// What a step sends goes behind the packets being read: a
			// node never sends to itself here, so bufs[i] does not grow.
			k := p.n[i]
			p.n[i] = 0
			for _, pkt := range p.bufs[i][:k] {
				p.sent++
				msg, err := p.dec[i].Decode(pkt, p.keys)
				if err != nil {
					p.tb.Fatal(err)
				}
				p.acts[i] = p.ms[i].RecvInto(p.acts[i], node.Recv{Msg: msg, Link: "eth1", At: p.at})
				p.send(i)
			}
		}
	}
	p.at = p.at.Add(200 * time.Millisecond)
}

// BenchmarkIdleKeepalive is one keepalive of an idle pair: the Go work of
// its four idle events. Each node's Tick sends its status (sealed with
// sha1 into a reused buffer), and each node decodes (into its reused
// Decoder) and steps the other's; whatever a step sends is delivered too
// (an ACK every tenth status). Per event, divide by 4. The allocations
// left are pinned by TestIdleKeepaliveAllocs
// (bench/results/idle-2026-12-06b/alloc/README.txt; before:
// bench/results/idle-2026-12-06.md).
func BenchmarkIdleKeepalive(b *testing.B) {
	p := newIdlePair(b)
	b.ReportAllocs()
	for b.Loop() {
		p.keepalive()
	}
	b.ReportMetric(float64(p.sent)/float64(b.N), "packets/op")
}

// TestIdleKeepaliveAllocs pins what an idle keepalive of the pair
// allocates (issue 16 item 5), as a count, not a time. Per keepalive (2.4
// packets: both statuses and an ACK every tenth status of each node):
// each message's Send action is boxed in membership and again in node; a
// new NS_ackmsg's fingerprint is kept (filterNS); the messages themselves
// (membership.outMsg) reuse the storage of acknowledged ones.
// Sealing, decoding, authenticating, the events and the action slices
// allocate nothing.
func TestIdleKeepaliveAllocs(t *testing.T) {
	p := newIdlePair(t)
	const keepalives = 100 // ten ACKs of each node
	allocs := testing.AllocsPerRun(keepalives, p.keepalive)
	if runs := keepalives + 1; p.sent < runs*12/5 || p.sent > runs*12/5+2 { // AllocsPerRun runs it once more to warm up
		t.Fatalf("%d packets in %d keepalives, want 2.4 per keepalive", p.sent, runs)
	}
	t.Logf("%v allocations per keepalive", allocs)
	// The messages' storage is reused once acknowledged (membership.Release):
	// 2×2 for the statuses' Send boxes, 0.4×(2+1) for the ACKs' and their
	// fingerprints = 5.2.
	if allocs > 5.5 {
		t.Errorf("an idle keepalive allocates %v times, want at most 5.5", allocs)
	}
}

// TestRecvKeepsNoDecoderMemory: a received message the machine hands on
// (here a client message, delivered as a Hook) is its own copy, not the
// Decoder's memory, which the next packet overwrites.
func TestRecvKeepsNoDecoderMemory(t *testing.T) {
	p := newIdlePair(t)
	in := &wire.Message{}
	in.Add(wire.FType, "hbgo-alias-test")
	in.Add("info", "first-packet-payload")
	p.step(0, node.Inject{Msg: in, At: p.at.Add(-100 * time.Millisecond)}) // between keepalives
	if p.n[1] != 1 {
		t.Fatalf("node1 sent %d packets, want 1", p.n[1])
	}
	p.n[1] = 0
	msg, err := p.dec[1].Decode(p.bufs[1][0], p.keys)
	if err != nil {
		t.Fatal(err)
	}
	var kept *wire.Message
	for _, a := range p.ms[1].Step(node.Recv{Msg: msg, Link: "eth1", At: p.at.Add(-100 * time.Millisecond)}) {
		if h, ok := a.(node.Hook); ok && h.Type == "hbgo-alias-test" {
			kept = h.Msg
		}
	}
	if kept == nil {
		t.Fatal("node2 delivered no hook for the message")
	}
	want := kept.Clone()
	// The decoder's next packet, of the same size, overwrites its memory.
	other := &wire.Message{}
	other.Add(wire.FType, "hbgo-alias-test")
	other.Add("info", "other-packet-payload")
	other.Add(wire.FSrc, "node1")
	other.Add(wire.FSeq, "ffff")
	other.Add(wire.FGen, "5")
	other.Add(wire.FTime, "1")
	b, err := wire.Seal(other, p.keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.dec[1].Decode(b, p.keys); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, kept); d != "" {
		t.Fatalf("the delivered message changed with the decoder's next packet:\n%s", d)
	}
	if got := kept.Str("info"); got != "first-packet-payload" {
		t.Fatalf("delivered info = %q", got)
	}
}
