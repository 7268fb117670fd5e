package membership

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/core/wire"
)

func fieldOrder(m *wire.Message) []string {
	var out []string
	for _, f := range m.Fields {
		if f.Name == wire.FAuth {
			continue
		}
		out = append(out, string(rune('0'+f.Type))+":"+f.Name)
	}
	return out
}

// TestFieldOrder checks that originated messages carry stock's control fields in
// stock's order (PROTOCOL §5, Appendix B) against packets captured from stock
// node1; order matters for the signatures.
func TestFieldOrder(t *testing.T) {
	dir := "testdata/ucast-sha1/payloads"
	load := func(name string) *wire.Message {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return parseNetstring(t, b)
	}
	now := time.Unix(1795393430, 0)
	p := Params{Node: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 9, UUID: [16]byte{1}}
	m := New(p, now, rand.New(rand.NewSource(1)))
	sent := map[string]*wire.Message{}
	keep := func(acts []Action) {
		for _, a := range acts {
			if s, ok := a.(Send); ok {
				sent[s.Msg.Type()+"/"+s.Msg.Str(wire.FDest)] = s.Msg
			}
		}
	}
	keep(m.Step(Tick{Now: now}))
	// node2's first status teaches us its UUID, so dest=node2 gets a destuuid.
	st2 := load("0007-status.bin")
	keep(m.Step(Recv{Msg: st2, Link: "eth1", At: now}))
	req := &wire.Message{}
	req.Add(wire.FType, "reqnodes")
	req.Add(wire.FDest, "node2")
	keep(m.Step(Recv{Msg: req.Clone(), Link: "eth1", At: now})) // bad: no src; dropped
	req.Add(wire.FSrc, "node2")
	req.Add(wire.FSeq, "4")
	req.Add(wire.FGen, st2.Str(wire.FGen))
	req.Add(wire.FTime, "6af3c5a6")
	req.Fields[1].Value = []byte("node1")
	keep(m.Step(Recv{Msg: req, Link: "eth1", At: now}))
	st := &wire.Message{}
	st.Add(wire.FType, "starting")
	keep(m.Step(Originate{Msg: st, At: now}))
	ack := &wire.Message{}
	ack.Add(wire.FType, "NS_ackmsg")
	ack.Add(wire.FDest, "node1")
	ack.Add("ackseq", "1")
	keep(m.Step(Originate{Msg: ack, At: now}))
	keep(m.Step(SetStatus{St: StActive, At: now}))

	for key, file := range map[string]string{
		"reqnodes/node2":  "0010-reqnodes.bin",
		"NS_ackmsg/node1": "0016-NS_ackmsg.bin",
		"status/":         "0017-status.bin",
		"starting/":       "0018-starting.bin",
		"repnodes/node2":  "0019-repnodes.bin",
	} {
		got, ok := sent[key]
		if !ok {
			t.Errorf("%s: not sent (sent: %v)", key, keys(sent))
			continue
		}
		want := load(file)
		if diff := cmp.Diff(fieldOrder(want), fieldOrder(got)); diff != "" {
			t.Errorf("%s field order (-stock +ours):\n%s", key, diff)
		}
		for _, f := range []string{"nodelist", "delnodelist", wire.FTTL} {
			if w, ok := want.Get(f); ok && got.Str(f) != w {
				t.Errorf("%s: %s = %q, stock sends %q", key, f, got.Str(f), w)
			}
		}
	}
}

func keys(m map[string]*wire.Message) string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return strings.Join(k, " ")
}

// TestRexmitIdentical checks a retransmission is the very message first sent
// (same seq and ts), even when the request arrives seconds later (PROTOCOL §5.1).
func TestRexmitIdentical(t *testing.T) {
	now := time.Unix(1795393430, 0)
	p := Params{Node: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 9}
	m := New(p, now, rand.New(rand.NewSource(1)))
	m.Step(Tick{Now: now})
	// node2 must be live, else the history is freed at once (PROTOCOL §9.4).
	st := &wire.Message{}
	for _, kv := range [][2]string{{"t", "status"}, {"st", "up"}, {"protocol", "1"}, {"src", "node2"}, {"seq", "1"}, {"hg", "1"}, {"ts", "1"}} {
		st.Add(kv[0], kv[1])
	}
	m.Step(Recv{Msg: st, Link: "eth1", At: now})
	o := &wire.Message{}
	o.Add(wire.FType, "starting")
	var first *wire.Message
	var seq string
	for _, a := range m.Step(Originate{Msg: o, At: now}) {
		if s, ok := a.(Send); ok && s.Msg.Type() == "starting" {
			first, seq = s.Msg.Clone(), s.Msg.Str(wire.FSeq)
		}
	}
	later := now.Add(3 * time.Second)
	for _, a := range []Event{Tick{Now: later}} {
		m.Step(a)
	}
	r := &wire.Message{}
	for _, kv := range [][2]string{{"t", "NS_rexmit"}, {"dest", "node1"}, {"firstseq", seqDec(t, seq)}, {"lastseq", seqDec(t, seq)}, {"src", "node2"}, {"hg", "1"}, {"ts", "1"}} {
		r.Add(kv[0], kv[1])
	}
	var got *wire.Message
	for _, a := range m.Step(Recv{Msg: r, Link: "eth1", At: later}) {
		if s, ok := a.(Send); ok && s.Rexmit {
			got = s.Msg
		}
	}
	if got == nil {
		t.Fatal("no retransmission")
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("retransmission differs (-original +rexmit):\n%s", diff)
	}
}

// TestHistoryFilling checks the hist-queue warnings when a live peer advertises
// protocol=1 but never ACKs (PROTOCOL §9.4 [verified]).
func TestHistoryFilling(t *testing.T) {
	now := time.Unix(1795393430, 0)
	p := Params{Node: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 9}
	m := New(p, now, rand.New(rand.NewSource(1)))
	m.Step(Tick{Now: now})
	st := &wire.Message{}
	for _, kv := range [][2]string{{"t", "status"}, {"st", "active"}, {"dt", "1388"}, {"protocol", "1"}, {"src", "node2"}, {"seq", "1"}, {"hg", "1"}, {"ts", "1"}} {
		st.Add(kv[0], kv[1])
	}
	m.Step(Recv{Msg: st, Link: "eth1", At: now})
	var warn, errs int
	var firstWarn string
	for i := 0; i < 460; i++ {
		o := &wire.Message{}
		o.Add(wire.FType, "hbapi-clstat")
		for _, a := range m.Step(Originate{Msg: o, At: now}) {
			if l, ok := a.(Log); ok && strings.HasPrefix(l.Text, "Message hist queue is filling up") {
				if l.Level == Warn {
					warn++
					if firstWarn == "" {
						firstWarn = l.Text
					}
				} else if l.Level == Error {
					errs++
				}
			}
		}
	}
	if warn == 0 || errs == 0 {
		t.Fatalf("warnings %d errors %d", warn, errs)
	}
	if firstWarn != "Message hist queue is filling up (376 messages in queue)" {
		t.Errorf("first warning %q", firstWarn)
	}
}

func seqDec(t *testing.T, hex string) string {
	v, ok := parseHex([]byte(hex))
	if !ok {
		t.Fatalf("bad seq %q", hex)
	}
	return strconv.FormatUint(v, 10)
}

// TestParseHexAsStrconv: the byte parser of seq, hg, ts, dt and ackseq
// accepts and refuses what strconv.ParseUint(s, 16, 64) does.
func TestParseHexAsStrconv(t *testing.T) {
	for _, s := range []string{"", "0", "1", "a", "F", "ff", "0x1", "-1", "+1", "1_0", " 1", "1 ", "g",
		"ffffffffffffffff", "10000000000000000", "0000000000000000001", "00000000000000000000ffffffffffffffff",
		"FfFf", "693a1b2c", "12\n"} {
		want, err := strconv.ParseUint(s, 16, 64)
		got, ok := parseHex([]byte(s))
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("parseHex(%q) = %d, %v; strconv: %d, %v", s, got, ok, want, err)
		}
	}
}
