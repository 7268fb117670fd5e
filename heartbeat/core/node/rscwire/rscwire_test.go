package rscwire

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/wire"
)

// fields renders m's fields as name=value words, in order.
func fields(m *wire.Message) string {
	var w []string
	for _, f := range m.Fields {
		w = append(w, f.Name+"="+string(f.Value))
	}
	return strings.Join(w, " ")
}

// wireMsg builds a message from name=value words.
func wireMsg(words string) *wire.Message {
	m := &wire.Message{}
	for _, w := range strings.Fields(words) {
		k, v, _ := strings.Cut(w, "=")
		m.Add(k, v)
	}
	return m
}

// sent is every shape the planner sends, with its wire fields as stock
// 3.0.6 sends them (haresources/planner/testdata/*-resource.txt are the
// captures; PROTOCOL §7.5–7.10).
var sent = []struct {
	m    planner.Message
	wire string
}{
	{planner.Starting{}, "t=starting"},
	{planner.Resource{Set: "local", Full: true, Stable: planner.StableYes}, "t=resource rsc_hold=local rtype=full isstable=1"},
	{planner.Resource{Set: "none", Full: true, Stable: planner.StableNo, Info: "shutdown"}, "t=resource rsc_hold=none rtype=full isstable=0 info=shutdown"},
	{planner.Resource{Set: "all", Full: true, Stable: planner.StableYes, Info: "req_our_resources()"}, "t=resource rsc_hold=all rtype=full isstable=1 info=req_our_resources()"},
	{planner.Resource{Set: "foreign", Info: "mach_down"}, "t=resource rsc_hold=foreign info=mach_down"},
	{planner.AskResources{Set: "foreign", Info: "me"}, "t=ask_resources rsc_hold=foreign info=me"},
	{planner.AskResources{Set: "all", Info: "other"}, "t=ask_resources rsc_hold=all info=other"},
	{planner.HbTakeover{Set: "failback"}, "t=hb_takeover rsc_hold=failback"},
	{planner.IPRequest{Key: "IPaddr::10.0.0.1"}, "t=ip-request ipaddr=IPaddr::10.0.0.1"},
	{planner.IPRequestResp{Dest: "node1", Key: "IPaddr::10.0.0.1", WeOwn: "yes", OK: true}, "t=ip-request-resp dest=node1 ipaddr=IPaddr::10.0.0.1 weown=yes ok=OK"},
	{planner.Shutdone{}, "t=shutdone st=dead"},
	{planner.StonithResult{Node: "node2", Result: "n_stnth"}, "t=stonith node=node2 result=n_stnth"},
}

// TestToWire pins each message's fields and their order, which the planner's
// String renders the same way (the scenario files print it), and checks
// that what is sent reads back as itself.
func TestToWire(t *testing.T) {
	for _, tt := range sent {
		w := ToWire(tt.m)
		if got := fields(w); got != tt.wire {
			t.Errorf("ToWire(%#v) = %q, want %q", tt.m, got, tt.wire)
		}
		if got := tt.m.String(); got != tt.wire {
			t.Errorf("%#v.String() = %q, want the wire's %q", tt.m, got, tt.wire)
		}
		w.Add(wire.FSrc, "node1")
		back, ok, refusal := FromWire(w, "node1")
		if !ok || refusal != "" {
			t.Errorf("FromWire(ToWire(%#v)) refused: %q", tt.m, refusal)
			continue
		}
		if d := cmp.Diff(planner.Msg{M: tt.m, From: "node1"}, back); d != "" {
			t.Errorf("round trip of %s (-sent +read):\n%s", tt.wire, d)
		}
	}
}

// TestFromWire pins how received fields read, malformed ones included: the
// planner tells a missing field from an empty one where stock does
// (PROTOCOL §7.6, §7.7).
func TestFromWire(t *testing.T) {
	for _, tt := range []struct {
		wire string
		want planner.Message // nil: not the planner's
	}{
		{"t=resource rsc_hold=local", planner.Resource{Set: "local"}},
		{"t=resource rtype=full isstable=1", planner.Resource{NoSet: true, Full: true, Stable: planner.StableYes}},
		{"t=resource rsc_hold= rtype=add isstable=yes", planner.Resource{Set: "", Stable: planner.StableNo}},
		{"t=resource rsc_hold=bogus rsc_hold=all info=standby", planner.Resource{Set: "bogus", Info: "standby"}},
		{"t=ask_resources info=me", planner.AskResources{Set: "all", Info: "me"}},
		{"t=ask_resources rsc_hold= info=", planner.AskResources{Set: "", Info: ""}},
		{"t=ask_resources rsc_hold=local", planner.AskResources{Set: "local", NoInfo: true}},
		{"t=ask_resources rsc_hold=all info=me from_id=ipfail to_id=ipfail client_gen=0", planner.AskResources{Set: "all", Info: "me"}},
		{"t=hb_takeover", planner.HbTakeover{}},
		{"t=ip-request-resp dest=node2 ipaddr=A weown=no ok=no", planner.IPRequestResp{Dest: "node2", Key: "A", WeOwn: "no"}},
		{"t=ip-request", planner.IPRequest{}},
		{"t=stonith node=node1 result=OK", planner.StonithResult{Node: "node1", Result: "OK"}},
		{"t=shutdone", planner.Shutdone{}},
		{"t=status st=active", nil},
		{"t=hbapi-clstat st=join from_id=ipfail", nil},
		{"st=active", nil},
	} {
		m := wireMsg(tt.wire + " src=node2")
		got, ok, refusal := FromWire(m, "node2")
		if refusal != "" {
			t.Errorf("%s: refused: %s", tt.wire, refusal)
		}
		if tt.want == nil {
			if ok {
				t.Errorf("%s: read as %#v, want not the planner's", tt.wire, got.M)
			}
			continue
		}
		if d := cmp.Diff(planner.Msg{M: tt.want, From: "node2"}, got); !ok || d != "" {
			t.Errorf("%s: ok %t (-want +got):\n%s", tt.wire, ok, d)
		}
	}
}

// TestFromWireRefusesForeignSrc: the planner acts on the sender membership
// authenticated, never on a src field naming another (DESIGN.md, Threat
// model); the refusal is the ha-log line the node writes.
func TestFromWireRefusesForeignSrc(t *testing.T) {
	for _, tt := range []struct{ wire, from, want string }{
		{"t=ip-request src=node2 ipaddr=IPaddr::10.0.0.1", "node1", "hbgo: ip-request message from node1 claims to be from [node2]; ignored"},
		{"t=ip-request src=node1 ipaddr=IPaddr::10.0.0.1", "node2", "hbgo: ip-request message from node2 claims to be from [node1]; ignored"},
		{"t=resource rsc_hold=all", "node2", "hbgo: resource message from node2 claims to be from []; ignored"},
		{"t=status src=node1", "node2", ""}, // not the planner's: no refusal either
	} {
		_, ok, refusal := FromWire(wireMsg(tt.wire), tt.from)
		if ok || refusal != tt.want {
			t.Errorf("%s from %s: ok %t refusal %q, want refused with %q", tt.wire, tt.from, ok, refusal, tt.want)
		}
	}
}
