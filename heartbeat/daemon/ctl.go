package daemon

import (
	"context"
	"time"

	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/control"
)

// ctlCall is a control request handed to the loop, which alone touches state.
type ctlCall struct {
	req   control.Request
	reply chan control.Reply
}

// listenControl opens the control socket; without it cl_status,
// hb_standby and hb_takeover use the FIFO.
func (n *node) listenControl(path string) {
	srv, err := control.Listen(path, n.handleControl)
	if err != nil {
		n.log.Warnf("hbgo: control socket %s: %v (cl_status, hb_standby and hb_takeover will use the FIFO)", path, err)
		return
	}
	n.ctlSrv = srv
}

// handleControl runs on the control server's goroutine and waits for the loop.
func (n *node) handleControl(ctx context.Context, c control.Cred, r control.Request) control.Reply {
	call := ctlCall{req: r, reply: make(chan control.Reply, 1)}
	select {
	case n.ctl <- call:
	case <-ctx.Done():
		return control.Reply{Error: "daemon shutting down"}
	case <-time.After(5 * time.Second):
		return control.Reply{Error: "daemon busy"}
	}
	select {
	case rep := <-call.reply:
		return rep
	case <-time.After(5 * time.Second):
		return control.Reply{Error: "daemon busy"}
	}
}

func (n *node) onControl(c ctlCall) control.Reply {
	r := c.req
	switch r.Op {
	case control.OpStatus:
		return control.Reply{OK: true, Status: n.snapshot()}
	case control.OpHealth:
		return n.healthReply()
	case control.OpStandby:
		n.step(hbnode.Standby{Set: argOr(r.Args, "all"), At: n.now()})
		return control.Reply{OK: true}
	case control.OpTakeover:
		n.step(hbnode.Takeover{Set: argOr(r.Args, "all"), At: n.now()})
		return control.Reply{OK: true}
	case control.OpMessage:
		m := &wire.Message{}
		for _, k := range r.Order {
			m.Add(k, r.Fields[k])
		}
		if m.Type() == "" {
			return control.Reply{Error: "message has no t field"}
		}
		n.inject(m)
		return control.Reply{OK: true}
	case control.OpReload:
		n.reload()
		return control.Reply{OK: true}
	case control.OpCleanup:
		rep := n.monCleanup(argOr(r.Args, ""))
		if rep.OK {
			n.statCleanup(argOr(r.Args, ""))
		}
		return rep
	}
	return control.Reply{Error: "unknown request " + string(r.Op)}
}

func argOr(a []string, def string) string {
	if len(a) > 0 && a[0] != "" {
		return a[0]
	}
	return def
}

// rscStatus is cl_status rscstatus's word (node.Machine.Word).
func (n *node) rscStatus() string { return n.m.Word() }

// snapshot is what cl_status sees.
func (n *node) snapshot() *control.Snapshot {
	ms := n.m.Snapshot()
	cf := n.conf.HaCf
	s := &control.Snapshot{Version: Version + " (node: hbgo)", Node: n.conf.Node, PID: n.pid, Status: ms.Status,
		RscStatus: n.rscStatus(), Params: map[string]string{}, Deadtime: cf.Deadtime, Keepalive: cf.Keepalive,
		Counters: n.counters(), Managed: "haresources"}
	s.Hostname = n.conf.Node
	for k, v := range cf.Params {
		s.Params[k] = v
	}
	for _, nd := range ms.Nodes {
		cn := control.Node{Name: nd.Name, Type: nd.Type, Status: nd.Status, Weight: 100}
		for _, l := range nd.Links {
			st := l.Status
			if st == "init" {
				st = "dead" // stock reports a link never heard as dead
			}
			cn.Links = append(cn.Links, control.Link{Name: l.Name, Status: st})
		}
		s.Nodes = append(s.Nodes, cn)
	}
	return s
}
