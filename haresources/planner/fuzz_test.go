package planner

import (
	"testing"
	"time"
)

// fuzzWords are the values the fuzzer picks message fields from: the valid
// protocol words plus a few a broken or hostile peer might send.
var fuzzWords = []string{"none", "local", "foreign", "all", "failback", "me", "other", "done",
	"full", "1", "0", "", "bogus", "node1", "node2", "node3", "A", "B", "C", "OK", "yes", "no"}

var fuzzTypes = []string{"starting", "resource", "ask_resources", "ip-request", "ip-request-resp",
	"hb_takeover", "shutdone", "stonith", "status"}

var fuzzFields = []string{"rsc_hold", "rtype", "isstable", "info", "ipaddr", "dest", "ok", "weown", "st", "src"}

// FuzzStep feeds arbitrary event sequences, including malformed resource
// messages from the network, and checks the planner's invariants. A
// message is built as wire fields and read as heartbeat/core/node/rscwire
// reads it (parseMsg; rscwire's FuzzFromWire covers that reading itself).
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 0, 20, 0, 0, 3, 3, 7, 9, 9, 9})
	f.Add([]byte{0, 2, 0x31, 0x12, 0x40, 0x80, 0xff, 0x10, 9, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		mode := Mode(data[0] % 3)
		cfg := Config{Us: "node1", Peer: "node2", AutoFailback: mode, Groups: parseGroups(t, fileGroups),
			Stonith: data[0]&4 != 0, FastStart: data[0]&8 != 0}
		p := New(cfg, epoch)
		now := epoch
		next := func(i *int) byte {
			if *i >= len(data) {
				return 0
			}
			b := data[*i]
			*i++
			return b
		}
		for i := 1; i < len(data); {
			var ev Event
			switch op := next(&i); op % 12 {
			case 0:
				ev = CommUp{}
			case 1:
				ev = PeerStatus{"node2", []string{"active", "up", "init", "dead"}[next(&i)%4]}
			case 2, 3, 4:
				kv := []string{"t", fuzzTypes[int(next(&i))%len(fuzzTypes)]}
				for n := int(next(&i) % 5); n > 0; n-- {
					kv = append(kv, fuzzFields[int(next(&i))%len(fuzzFields)], fuzzWords[int(next(&i))%len(fuzzWords)])
				}
				from := "node1"
				if next(&i)%2 == 0 {
					from = "node2"
				}
				kv = append(kv, "src", from)
				m, ok := parseMsg(kv...)
				if !ok || firstSrc(kv) != from {
					continue // not the planner's, or refused by the translation (src names another node)
				}
				ev = Msg{M: m, From: from}
			case 5:
				ev = Standby{fuzzWords[int(next(&i))%len(fuzzWords)]}
			case 6:
				ev = Takeover{fuzzWords[int(next(&i))%len(fuzzWords)]}
			case 7:
				ev = Shutdown{}
			case 8:
				id := int(next(&i) % 8)
				var rs []GroupResult
				if info := p.exec.ops[id]; info != nil {
					for _, k := range info.groups {
						rs = append(rs, GroupResult{Key: k, Outcome: Outcome(next(&i) % 4), FailedAt: int(next(&i) % 4), StillRunning: next(&i)%7 == 0})
					}
				}
				ev = OpDone{OpID: id, Results: rs}
			case 9:
				now = now.Add(time.Duration(next(&i)) * 250 * time.Millisecond)
				ev = Tick{now}
			case 10:
				ev = Held{Keys: []string{fuzzWords[int(next(&i))%len(fuzzWords)]}}
				if b := next(&i); b%2 == 1 { // the restart form (-R -C)
					ev = Adopt{Hold: Hold(b / 2 % 4), Keys: ev.(Held).Keys}
				}
			case 11:
				ev = []Event{PartitionHealed{"node2"}, StonithDone{"node2", "OK"}, StonithDone{"node2", "bad"}, PeerRestarted{"node2"}}[next(&i)%4]
			}
			for _, a := range p.Step(ev) {
				switch a := a.(type) {
				case Op:
					for _, k := range a.Groups {
						if p.byKey[k] == nil {
							t.Fatalf("op %d names unknown group %q", a.ID, k)
						}
					}
				case StatusWord:
					if _, ok := ParseHold(a.Word); !ok && a.Word != "transition" {
						t.Fatalf("bad status word %q", a.Word)
					}
				case Send:
					if a.M == nil || a.M.Type() == "" {
						t.Fatalf("message without type: %v", a.M)
					}
				}
			}
			for k, n := range p.groups.pending {
				if n <= 0 {
					t.Fatalf("pending[%s] = %d", k, n)
				}
			}
			if d := p.NextDeadline(); !d.IsZero() && d.Before(epoch) {
				t.Fatalf("deadline %v before start", d)
			}
		}
	})
}

// firstSrc is the first src field of kv, the one the translation compares with the sender.
func firstSrc(kv []string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "src" {
			return kv[i+1]
		}
	}
	return ""
}
