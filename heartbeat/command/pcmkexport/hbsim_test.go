package pcmkexport

import (
	"testing"
	"time"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/core/ipfail"
	"hbgo/heartbeat/core/node/rscwire"
	"hbgo/heartbeat/core/wire"
)

// hbCluster is hbgo's answer to the placement questions: two pure planners
// (and, with ipfail configured, two ipfail machines) wired back to back as
// on a link, every Op completing at once. It holds no I/O.
type hbCluster struct {
	t       testing.TB
	names   [2]string
	cfg     map[string]planner.Config
	ipfCfg  map[string]ipfail.Config
	pingIP  string
	now     time.Time
	p       map[string]*planner.Planner
	f       map[string]*ipfail.Machine
	down    map[string]bool
	queue   []hbQueued
	holder  map[string]string // group key -> node running it
	pending map[string][]planner.Op
}

type hbQueued struct {
	from string
	m    *wire.Message
}

var simEpoch = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func newHBCluster(t testing.TB, src Source) *hbCluster {
	cf := src.HaCf
	mode := planner.Legacy
	switch cf.AutoFailback {
	case hacf.FailbackOn:
		mode = planner.On
	case hacf.FailbackOff:
		mode = planner.Off
	}
	c := &hbCluster{t: t, names: [2]string{cf.Nodes[0], cf.Nodes[1]}, now: simEpoch,
		cfg: map[string]planner.Config{}, ipfCfg: map[string]ipfail.Config{},
		p: map[string]*planner.Planner{}, f: map[string]*ipfail.Machine{}, down: map[string]bool{},
		holder: map[string]string{}, pending: map[string][]planner.Op{}}
	useIpfail := false
	for _, ch := range cf.Respawn {
		if len(ch.Path) >= 6 && ch.Path[len(ch.Path)-6:] == "ipfail" {
			useIpfail = true
		}
	}
	if pn := cf.PingNodes(); useIpfail && len(pn) > 0 {
		c.pingIP = pn[0].Name
	}
	for i, n := range c.names {
		c.cfg[n] = planner.Config{Us: n, Peer: c.names[1-i], AutoFailback: mode, Groups: src.Groups, Stonith: len(cf.Stonith) > 0}
		if c.pingIP != "" {
			c.ipfCfg[n] = ipfail.Config{Node: n, Keepalive: cf.Keepalive, AutoFailback: mode.String()}
		}
	}
	return c
}

func (c *hbCluster) peer(n string) string {
	if n == c.names[0] {
		return c.names[1]
	}
	return c.names[0]
}

// boot starts node n's planner (and ipfail) from nothing.
func (c *hbCluster) boot(n string) {
	c.down[n] = false
	c.p[n] = planner.New(c.cfg[n], c.now)
	if c.pingIP != "" {
		c.f[n] = ipfail.New(c.ipfCfg[n])
	}
}

func (c *hbCluster) stepP(n string, ev planner.Event) {
	if c.down[n] {
		return
	}
	for _, a := range c.p[n].Step(ev) {
		switch a := a.(type) {
		case planner.Send:
			c.queue = append(c.queue, hbQueued{n, rscwire.ToWire(a.M)})
		case planner.Op:
			c.pending[n] = append(c.pending[n], a)
		case planner.Stonith:
			defer c.stepP(n, planner.StonithDone{Node: a.Node, Result: "OK"})
		case planner.StatusWord:
			if f := c.f[n]; f != nil {
				defer c.stepF(n, ipfail.Resources{Word: a.Word})
			}
		case planner.Fence:
			c.t.Fatalf("hbgo planner on %s fenced itself: %v", n, a)
		}
	}
	for len(c.pending[n]) > 0 && !c.down[n] {
		op := c.pending[n][0]
		c.pending[n] = c.pending[n][1:]
		var rs []planner.GroupResult
		for _, k := range op.Groups {
			o := planner.Started
			if op.Kind == planner.Give {
				o = planner.Stopped
				if c.holder[k] == n {
					delete(c.holder, k)
				}
			} else {
				if h, ok := c.holder[k]; ok && h != n {
					c.t.Fatalf("hbgo planner starts %s on %s while %s runs it", k, n, h)
				}
				c.holder[k] = n
			}
			rs = append(rs, planner.GroupResult{Key: k, Outcome: o})
		}
		c.stepP(n, planner.OpDone{OpID: op.ID, Results: rs})
	}
}

func (c *hbCluster) stepF(n string, ev ipfail.Event) {
	f := c.f[n]
	if f == nil || c.down[n] {
		return
	}
	for _, a := range f.Step(c.now, ev) {
		if s, ok := a.(ipfail.Send); ok {
			m := s.M.Clone()
			c.queue = append(c.queue, hbQueued{n, m})
		}
	}
}

// deliver empties the queue: each message reaches its sender's planner
// first (loopback), then the peer's; ipfail gets what is not addressed
// to the other node.
func (c *hbCluster) deliver() {
	for i := 0; len(c.queue) > 0; i++ {
		if i > 5000 {
			c.t.Fatal("hbgo simulation: message storm")
		}
		q := c.queue[0]
		c.queue = c.queue[1:]
		if c.down[q.from] {
			continue
		}
		for _, n := range []string{q.from, c.peer(q.from)} {
			if c.down[n] {
				continue
			}
			m := q.m.Clone()
			if !m.Has(wire.FSrc) {
				m.Add(wire.FSrc, q.from)
			}
			if dest, ok := m.Get(wire.FDest); ok && dest != n {
				continue
			}
			if pm, ok, _ := rscwire.FromWire(m, q.from); ok {
				c.stepP(n, pm)
			}
			c.stepF(n, ipfail.Msg{M: m})
		}
	}
}

// settle lets timers run for d, delivering after every tick.
func (c *hbCluster) settle(d time.Duration) {
	end := c.now.Add(d)
	for c.now.Before(end) {
		c.now = c.now.Add(500 * time.Millisecond)
		for _, n := range c.names {
			c.stepP(n, planner.Tick{Now: c.now})
			c.stepF(n, ipfail.Tick{})
		}
		c.deliver()
	}
}

func (c *hbCluster) walk(n string) []ipfail.Node {
	var w []ipfail.Node
	w = append(w, ipfail.Node{Name: c.pingIP, Type: "ping", Status: "ping"})
	for i := len(c.names) - 1; i >= 0; i-- {
		st := "active"
		if c.down[c.names[i]] {
			st = "dead"
		}
		w = append(w, ipfail.Node{Name: c.names[i], Type: "normal", Status: st})
	}
	return w
}

// coldStart brings both nodes up together.
func (c *hbCluster) coldStart() {
	for _, n := range c.names {
		c.boot(n)
	}
	for _, n := range c.names {
		c.stepP(n, planner.Tick{Now: c.now})
		c.stepP(n, planner.PeerStatus{Node: c.peer(n), Status: "active"})
	}
	for _, n := range c.names {
		c.stepP(n, planner.CommUp{})
	}
	c.deliver()
	c.settle(20 * time.Second)
	for _, n := range c.names {
		c.stepF(n, ipfail.Start{Nodes: c.walk(n), Word: c.p[n].Word()})
	}
	c.deliver()
	c.settle(20 * time.Second)
}

// kill crashes node n; its peer declares it dead.
func (c *hbCluster) kill(n string) {
	c.down[n] = true
	for k, h := range c.holder {
		if h == n {
			delete(c.holder, k)
		}
	}
	c.queue = nil
	p := c.peer(n)
	c.stepP(p, planner.PeerStatus{Node: n, Status: "dead"})
	c.stepF(p, ipfail.NodeStatus{Node: n, Status: "dead"})
	c.deliver()
	c.settle(20 * time.Second)
}

// rejoin restarts node n after a crash.
func (c *hbCluster) rejoin(n string) {
	c.boot(n)
	p := c.peer(n)
	c.stepP(n, planner.Tick{Now: c.now})
	c.stepP(p, planner.PeerRestarted{Node: n})
	c.stepP(p, planner.PeerStatus{Node: n, Status: "up"})
	c.stepP(p, planner.PeerStatus{Node: n, Status: "active"})
	c.stepF(p, ipfail.NodeStatus{Node: n, Status: "active"})
	c.stepP(n, planner.PeerStatus{Node: p, Status: "active"})
	c.stepP(n, planner.CommUp{})
	c.deliver()
	c.settle(20 * time.Second)
	c.stepF(n, ipfail.Start{Nodes: c.walk(n), Word: c.p[n].Word()})
	c.deliver()
	c.settle(20 * time.Second)
}

// losePing makes node n's ping node unreachable.
func (c *hbCluster) losePing(n string) {
	c.stepF(n, ipfail.NodeStatus{Node: c.pingIP, Status: "dead"})
	c.stepF(n, ipfail.LinkStatus{Node: c.pingIP, Link: c.pingIP, Status: "dead"})
	c.deliver()
	c.settle(30 * time.Second)
}

// where returns the node running the group with key k, or "" for none.
func (c *hbCluster) where(k string) string { return c.holder[k] }
