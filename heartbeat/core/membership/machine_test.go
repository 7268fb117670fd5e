package membership

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"hbgo/heartbeat/core/wire"
)

var epoch = time.Unix(1795393426, 0)

// env is the scenario harness: machines on a shared fake clock, optionally wired
// together through an in-memory exchange with per-link drop switches.
type env struct {
	now      time.Time
	ms       map[string]*Machine
	order    []string
	links    map[string][]string
	paired   map[string][]string // node -> peers receiving its sends
	loop     map[string]bool     // bcast-style: a node hears its own datagrams
	dropped  map[string]bool     // "link" or "node/link" (sender side)
	verbose  bool
	peerSeen bool       // print PeerSeen actions (they follow every new generation and death)
	loss     float64    // probability a delivery is lost (soak test)
	lossRand *rand.Rand // source for loss
	out      *strings.Builder
	queue    []delivery
	// hook, when set, sees every action of every machine as it is reported
	// (pair_test.go feeds the planners from it).
	hook func(name string, a Action)
}

type delivery struct {
	to, link string
	msg      *wire.Message
}

func newEnv() *env {
	return &env{now: epoch, ms: map[string]*Machine{}, links: map[string][]string{},
		paired: map[string][]string{}, loop: map[string]bool{}, dropped: map[string]bool{}}
}

func (e *env) stamp() string { return fmt.Sprintf("%dms", e.now.Sub(epoch).Milliseconds()) }

func fmtMsg(m *wire.Message) string {
	var b []string
	for _, f := range m.Fields {
		switch f.Name {
		case wire.FSrcUUID, wire.FTime, wire.FLoad, wire.FTTL, wire.FGen:
			continue
		case wire.FDestUUID:
			b = append(b, "destuuid")
			continue
		}
		if f.Type == wire.String {
			b = append(b, fmt.Sprintf("%s=%q", f.Name, f.Value))
		}
	}
	return strings.Join(b, " ")
}

// report prints the actions of machine name and routes its sends.
func (e *env) report(name string, acts []Action) {
	for _, a := range acts {
		if e.hook != nil {
			e.hook(name, a)
		}
		switch a := a.(type) {
		case Log:
			fmt.Fprintf(e.out, "%s %s: %s: %s\n", e.stamp(), name, a.Level, a.Text)
		case Send:
			t := a.Msg.Type()
			if e.verbose || t != "status" || a.Rexmit {
				rx := ""
				if a.Rexmit {
					rx = " (rexmit)"
				}
				fmt.Fprintf(e.out, "%s %s: send%s %s\n", e.stamp(), name, rx, fmtMsg(a.Msg))
			}
			var to []string
			if e.loop[name] {
				to = append(to, name)
			}
			to = append(to, e.paired[name]...)
			for _, peer := range to {
				for _, l := range e.links[name] {
					if e.dropped[l] || e.dropped[name+"/"+l] {
						continue
					}
					if e.loss > 0 && peer != name && e.lossRand.Float64() < e.loss {
						continue
					}
					e.queue = append(e.queue, delivery{to: peer, link: l, msg: a.Msg.Clone()})
				}
			}
		case Deliver:
			fmt.Fprintf(e.out, "%s %s: deliver from=%s %s\n", e.stamp(), name, a.From, fmtMsg(a.Msg))
		case PeerSeen:
			if e.peerSeen {
				fmt.Fprintf(e.out, "%s %s: PeerSeen %+v\n", e.stamp(), name, a)
			}
		default:
			fmt.Fprintf(e.out, "%s %s: %s %+v\n", e.stamp(), name, strings.TrimPrefix(fmt.Sprintf("%T", a), "membership."), a)
		}
	}
	for len(e.queue) > 0 {
		d := e.queue[0]
		e.queue = e.queue[1:]
		e.report(d.to, e.ms[d.to].Step(Recv{Msg: d.msg, Link: d.link, At: e.now}))
	}
}

func (e *env) advance(d time.Duration) {
	target := e.now.Add(d)
	for i := 0; i < 1e6; i++ {
		next := target.Add(time.Nanosecond)
		for _, n := range e.order {
			if t := e.ms[n].NextDeadline(); t.Before(next) {
				next = t
			}
		}
		if next.After(target) {
			break
		}
		if next.After(e.now) {
			e.now = next
		}
		for _, n := range e.order {
			if !e.ms[n].NextDeadline().After(e.now) {
				e.report(n, e.ms[n].Step(Tick{Now: e.now}))
			}
		}
	}
	e.now = target
}

func dur(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) handle(t *testing.T, d *datadriven.TestData) string {
	e.out = &strings.Builder{}
	args := map[string]string{}
	var keys []string
	for _, a := range d.CmdArgs {
		v := ""
		if len(a.Vals) > 0 {
			v = strings.Join(a.Vals, ",")
		}
		args[a.Key] = v
		keys = append(keys, a.Key)
	}
	get := func(k, def string) string {
		if v, ok := args[k]; ok {
			return v
		}
		return def
	}
	switch d.Cmd {
	case "start":
		name := get("name", "node1")
		p := Params{Node: name, Nodes: strings.Split(get("nodes", "node1,node2"), ","),
			Links:     strings.Split(get("links", "eth1"), ","),
			Keepalive: dur(t, get("keepalive", "1s")), Deadtime: dur(t, get("deadtime", "5s")),
			Initdead: dur(t, get("initdead", "10s")), HopFudge: 1,
			Load: func(b []byte) []byte { return append(b, "0.00 0.00 0.00 1/1 1"...) }}
		p.Warntime = dur(t, get("warntime", (p.Deadtime/2).String()))
		if v := get("ping", ""); v != "" {
			p.PingNodes = strings.Split(v, ",")
		}
		g, _ := strconv.ParseUint(get("gen", "100"), 10, 64)
		p.Generation = g
		p.UUID[0], p.UUID[15] = name[len(name)-1], byte(g)
		_, p.NoFlowControl = args["noflow"]
		if v := get("seen", ""); v != "" {
			// seen=node2:7:30 is a peer-generation file entry: node, generation, seq (hex).
			p.PeerSeen = map[string]PeerMark{}
			for _, e := range strings.Split(v, ",") {
				f := strings.Split(e, ":")
				g, _ := parseHex([]byte(f[1]))
				s, _ := parseHex([]byte(f[2]))
				p.PeerSeen[f[0]] = PeerMark{Gen: g, Seq: s}
			}
		}
		seed, _ := strconv.ParseInt(get("seed", "1"), 10, 64)
		if _, ok := e.ms[name]; !ok {
			e.order = append(e.order, name)
		}
		e.ms[name] = New(p, e.now, rand.New(rand.NewSource(seed)))
		e.links[name] = p.Links
		e.report(name, e.ms[name].Step(Tick{Now: e.now}))
	case "stop":
		name := get("name", "")
		delete(e.ms, name)
		for i, n := range e.order {
			if n == name {
				e.order = append(e.order[:i], e.order[i+1:]...)
				break
			}
		}
		for k, v := range e.paired {
			var keep []string
			for _, p := range v {
				if p != name {
					keep = append(keep, p)
				}
			}
			e.paired[k] = keep
		}
		delete(e.paired, name)
	case "pair":
		a, b := d.CmdArgs[0].Key, d.CmdArgs[1].Key
		e.paired[a] = append(e.paired[a], b)
		e.paired[b] = append(e.paired[b], a)
		if _, ok := args["loop"]; ok {
			e.loop[a], e.loop[b] = true, true
		}
	case "drop", "restore":
		k := get("link", "")
		if n := get("from", ""); n != "" {
			k = n + "/" + k
		}
		e.dropped[k] = d.Cmd == "drop"
	case "verbose":
		e.verbose = get("on", "true") == "true"
	case "peerseen":
		e.peerSeen = get("on", "true") == "true"
	case "advance":
		e.advance(dur(t, d.CmdArgs[0].Key))
	case "recv", "originate":
		on := get("on", "node1")
		msg := &wire.Message{}
		for _, k := range keys {
			if k == "on" || k == "link" {
				continue
			}
			if k == wire.FSrcUUID || k == wire.FDestUUID {
				msg.AddBinary(k, []byte(args[k]))
				continue
			}
			msg.Add(k, args[k])
		}
		if d.Cmd == "originate" {
			e.report(on, e.ms[on].Step(Originate{Msg: msg, At: e.now}))
			break
		}
		if !msg.Has(wire.FTime) {
			msg.Add(wire.FTime, strconv.FormatInt(e.now.Unix(), 16))
		}
		e.report(on, e.ms[on].Step(Recv{Msg: msg, Link: get("link", "eth1"), At: e.now}))
	case "setstatus":
		on := get("on", "node1")
		var extra time.Duration
		if v := get("extra", ""); v != "" {
			extra = dur(t, v)
		}
		e.report(on, e.ms[on].Step(SetStatus{St: get("st", ""), Extra: extra, At: e.now}))
	case "ping":
		on := get("on", "node1")
		ts, _ := strconv.ParseInt(get("ts", strconv.FormatInt(e.now.Unix(), 10)), 10, 64)
		if v := get("age", ""); v != "" {
			ts = e.now.Add(-dur(t, v)).Unix()
		}
		e.report(on, e.ms[on].Step(PingReply{Node: get("node", ""), At: e.now, TS: uint64(ts)}))
	case "deadline":
		on := get("on", "node1")
		fmt.Fprintf(e.out, "%dms\n", e.ms[on].NextDeadline().Sub(epoch).Milliseconds())
	case "status":
		on := get("on", "node1")
		s := e.ms[on].Snapshot()
		fmt.Fprintf(e.out, "%s status=%s seq=%d flow=%v commup=%v\n", s.Local, s.Status, s.Seq, s.FlowControl, s.CommUp)
		c := s.Counters
		fmt.Fprintf(e.out, "  received=%d kept=%d dup=%d dropped=%d sent=%d rexmit-req=%d rexmit-served=%d\n",
			c.Received, c.Kept, c.Duplicates, c.Dropped, c.Sent, c.RexmitRequested, c.RexmitServed)
		for _, n := range s.Nodes {
			var ls []string
			for _, l := range n.Links {
				ls = append(ls, l.Name+"="+l.Status)
			}
			fmt.Fprintf(e.out, "  %s %s %s [%s]\n", n.Name, n.Type, n.Status, strings.Join(ls, " "))
		}
	case "drops":
		on := get("on", "node1")
		c := e.ms[on].Snapshot().Counters
		var ks []string
		for k, v := range c.Drops {
			ks = append(ks, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(ks)
		fmt.Fprintf(e.out, "dropped=%d %s\n", c.Dropped, strings.Join(ks, " "))
	default:
		t.Fatalf("unknown command %q", d.Cmd)
	}
	return e.out.String()
}

func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		e := newEnv()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return e.handle(t, d)
		})
	})
}
