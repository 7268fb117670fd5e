package membership

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
)

// replayRig is node1's machine next to a node2 whose messages the test
// builds, with what node1 logged and sent since the last reset.
type replayRig struct {
	t       *testing.T
	m       *Machine
	now     time.Time
	seq2    uint64
	lines   []Log
	sends   []*wire.Message
	rexmits int
}

func newReplayRig(t *testing.T) *replayRig {
	p := Params{Node: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 100, UUID: [16]byte{1}}
	r := &replayRig{t: t, now: epoch}
	r.m = New(p, epoch, rand.New(rand.NewSource(1)))
	r.collect(r.m.Step(Tick{Now: epoch}))
	return r
}

func (r *replayRig) collect(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case Log:
			r.lines = append(r.lines, a)
		case Send:
			r.sends = append(r.sends, a.Msg)
			if a.Rexmit {
				r.rexmits++
			}
		}
	}
}

func (r *replayRig) reset() { r.lines, r.sends, r.rexmits = nil, nil, 0 }

func (r *replayRig) recv(msg *wire.Message) {
	r.collect(r.m.Step(Recv{Msg: msg, Link: "eth1", At: r.now}))
}

// peer builds a message from node2 (generation 7) stamped with the current time.
func (r *replayRig) peer(kv ...string) *wire.Message {
	m := &wire.Message{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	m.Add(wire.FSrc, "node2")
	m.AddBinary(wire.FSrcUUID, []byte{2, 15: 0})
	if !isNS(m.Type()) {
		r.seq2++
		m.Add(wire.FSeq, strconv.FormatUint(r.seq2, 16))
	}
	m.Add(wire.FGen, "7")
	m.Add(wire.FTime, strconv.FormatInt(r.now.Unix(), 16))
	return m
}

// run advances d in keepalive steps; node2 sends a status st each second.
func (r *replayRig) run(d time.Duration, st string) {
	for end := r.now.Add(d); r.now.Before(end); {
		r.now = r.now.Add(time.Second)
		r.collect(r.m.Step(Tick{Now: r.now}))
		r.recv(r.peer(wire.FType, "status", "st", st, "dt", "1388", "protocol", "1"))
	}
}

// unlimited is the log lines the daemon would write unthrottled: those
// not tagged with a drop reason (the daemon logs each reason once a minute).
func (r *replayRig) unlimited() []string {
	var out []string
	for _, l := range r.lines {
		if l.Drop == "" {
			out = append(out, string(l.Level)+": "+l.Text)
		}
	}
	return out
}

func (r *replayRig) sent(t string) int {
	n := 0
	for _, m := range r.sends {
		if m.Type() == t {
			n++
		}
	}
	return n
}

// TestReplayedRexmitDoesNotAmplify replays captured NS_rexmit requests a
// thousand times. Stock (and hbgo before) served, refused and logged every
// copy: a request for seqs 1–40 that left the history gave 160 lines and
// 40 NS_nak_rexmit per replay (PROTOCOL §6.1, §9.2).
func TestReplayedRexmitDoesNotAmplify(t *testing.T) {
	r := newReplayRig(t)
	// node2 stays "init" (not live) so node1's history moves on by itself
	// past 250 unacknowledged messages: seqs 1–40 are gone.
	r.run(300*time.Second, "init")
	if r.m.histLow < 40 {
		t.Fatalf("history still holds seq 40 (lowseq %d)", r.m.histLow)
	}
	low := r.peer(wire.FType, "NS_rexmit", wire.FDest, "node1", "firstseq", "1", "lastseq", "40")
	top := strconv.FormatUint(r.m.seq, 10)
	recent := r.peer(wire.FType, "NS_rexmit", wire.FDest, "node1", "firstseq", top, "lastseq", top)
	bad := r.peer(wire.FType, "NS_rexmit", wire.FDest, "node1", "firstseq", "1", "lastseq", "x")
	max := r.peer(wire.FType, "NS_rexmit", wire.FDest, "node1", "firstseq", "99999", "lastseq", "99999")
	ack := r.peer(wire.FType, "NS_ackmsg", wire.FDest, "node1", "ackseq", "ffffff")

	r.reset()
	for _, m := range []*wire.Message{low, recent, bad, max, ack} {
		r.recv(m.Clone())
	}
	first := len(r.unlimited())
	if n := r.sent("NS_nak_rexmit"); n == 0 || n > naksPerEvery {
		t.Errorf("the request for seqs 1–40 sent %d NS_nak_rexmit, want 1..%d", n, naksPerEvery)
	}
	if r.rexmits != 1 {
		t.Errorf("the request for the newest seq sent %d retransmissions, want 1", r.rexmits)
	}
	t.Logf("first delivery: %d lines, %d sends", first, len(r.sends))

	// The same five datagrams a thousand times each, at once and spread
	// over the next 2.5 s (past the 240 ms re-send guard).
	r.reset()
	for i := 0; i < 1000; i++ {
		if i%400 == 399 {
			r.now = r.now.Add(time.Second)
			r.collect(r.m.Step(Tick{Now: r.now}))
		}
		for _, m := range []*wire.Message{low, recent, bad, max, ack} {
			r.recv(m.Clone())
		}
	}
	if got := r.unlimited(); len(got) > 0 {
		t.Errorf("5000 replays logged %d unthrottled lines, want none; first: %q", len(got), got[0])
	}
	if n := r.sent("NS_nak_rexmit"); n > 0 {
		t.Errorf("5000 replays sent %d NS_nak_rexmit, want none", n)
	}
	if r.rexmits > 0 {
		t.Errorf("5000 replays sent %d retransmissions, want none", r.rexmits)
	}

	// A minute later the captured datagrams are stale: dropped, tagged.
	r.run(time.Minute, "init")
	r.reset()
	for _, m := range []*wire.Message{low, recent, bad, max, ack} {
		r.recv(m.Clone())
	}
	if len(r.sends) > 0 || len(r.unlimited()) > 0 {
		t.Errorf("stale replays: %d sends, lines %q", len(r.sends), r.unlimited())
	}
	for _, l := range r.lines {
		if l.Drop != DropStale {
			t.Errorf("stale replay logged %q under %q, want %q", l.Text, l.Drop, DropStale)
		}
	}
}

// TestNSGenerationChecked: NS_ messages of an older generation are replays
// (stock checks hg only on sequenced messages, PROTOCOL §6.1), and one of a
// generation whose status has not been seen is not acted on.
func TestNSGenerationChecked(t *testing.T) {
	r := newReplayRig(t)
	r.run(3*time.Second, "active")
	old := r.peer(wire.FType, "NS_rexmit", wire.FDest, "node1", "firstseq", "1", "lastseq", "1")
	old.Set(wire.FGen, "6")
	newer := r.peer(wire.FType, "NS_rexmit", wire.FDest, "node1", "firstseq", "1", "lastseq", "1")
	newer.Set(wire.FGen, "8")
	r.reset()
	r.recv(old)
	r.recv(newer)
	if len(r.sends) > 0 {
		t.Errorf("sent %d messages for NS_rexmit of other generations", len(r.sends))
	}
	var why []string
	for _, l := range r.lines {
		why = append(why, l.Drop)
	}
	if strings.Join(why, ",") != DropReplay+","+DropStale {
		t.Errorf("drop reasons %v, want replay then stale", why)
	}
}
