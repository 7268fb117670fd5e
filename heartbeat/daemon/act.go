package daemon

import (
	"time"

	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/hblog"
)

// step feeds the node machine one event and carries out its actions, in
// the order the machine gave them. An event that arises while actions are
// carried out waits until they all are: nothing recurses into the machine.
func (n *node) step(ev hbnode.Event) {
	if n.acting {
		n.pending = append(n.pending, ev)
		return
	}
	n.acting = true
	n.actAll(n.m.StepInto(n.acts, ev))
	n.runPending()
}

// stepTick is step(hbnode.Tick{At: at}) and stepRecv step(r), for the
// events of an idle node: without boxing the event in an interface when
// the machine is free, they allocate nothing (issue 16 item 5).
func (n *node) stepTick(at time.Time) {
	if n.acting {
		n.step(hbnode.Tick{At: at})
		return
	}
	n.acting = true
	n.actAll(n.m.TickInto(n.acts, at))
	n.runPending()
}

// stepRecv: see stepTick.
func (n *node) stepRecv(r hbnode.Recv) {
	if n.acting {
		n.step(r)
		return
	}
	n.acting = true
	n.actAll(n.m.RecvInto(n.acts, r))
	n.runPending()
}

// actAll carries out one step's actions; acts becomes the reused slice.
func (n *node) actAll(acts []hbnode.Action) {
	n.acts = acts
	for _, a := range acts {
		n.act(a)
	}
	clear(acts) // keep nothing alive until the next step
}

// runPending steps the events that arose while actions were carried out,
// in order, and ends the acting.
func (n *node) runPending() {
	for len(n.pending) > 0 {
		ev := n.pending[0]
		n.pending = n.pending[1:]
		n.actAll(n.m.StepInto(n.acts, ev))
	}
	n.acting = false
}

// act carries out one of the machine's actions; none of them calls back
// into the machine (results come back as later events).
func (n *node) act(a hbnode.Action) {
	n.statAct(a)
	switch a := a.(type) {
	case hbnode.Send:
		n.send(a.Msg)
		if !a.Rexmit && a.Msg.TypeIs("status") {
			n.notify("WATCHDOG=1") // the loop that owns membership is alive
			// The kernel watchdog too, for each status we send. Stock
			// feeds it when it processes a status of its own, which it
			// does for each one it sends (locally) as well as for a copy
			// heard back (COMPAT §5.8). Feeding it only on a copy heard
			// back starved it wherever no copy comes back (mcast loop 0,
			// serial-only, ucast to the peer alone): a reboot at deadtime.
			n.wd.Tickle()
		}
	case hbnode.Log:
		n.logAction(a)
	case hbnode.ScriptLog:
		n.scriptLog().Script(a.Tag, a.Text)
	case hbnode.Journal:
		n.journalEv(a.Kind, a.Node, a.Fields)
	case hbnode.Hook:
		n.hooks.fire(a.Type, a.Msg, a.Old, a.HarcDone)
	case hbnode.Op:
		if q := n.ops.push(a.Op); q > 1 {
			n.log.Debugf("hbgo: operation %d queued behind %d others", a.ID, q-1)
		}
	case hbnode.PeerSeen:
		n.savePeerSeen(a.Node, a.Mark)
	case hbnode.StartClients:
		n.startClients()
	case hbnode.StopClientsNow:
		n.stopClients()
	case hbnode.ShutdownDone:
		// shutdone is on the wire; keep sending status a little while so
		// the peer hears it (stock: ~1–3 s), then exit.
		n.stop.requested = true
		n.stop.at = n.now().Add(min(n.conf.HaCf.Keepalive*2, time.Second))
	case hbnode.ExitAt:
		n.stop.at = a.At
	case hbnode.Restart:
		n.stop.requested, n.stop.restart = true, true
		n.stop.at = n.now().Add(time.Second)
	case hbnode.Fence:
		n.fence()
	case hbnode.Stonith:
		n.resetPeer(a.Node)
	case hbnode.Watch, hbnode.Restore, hbnode.Reannounce, hbnode.RestartFrom, hbnode.SaveCounts:
		n.monAct(a) // the resource monitor's (monitor.go)
	}
}

// logAction writes a machine's line: a dropped packet's at most once per
// reason a minute, as ingest's own drops (a replay flood must not fill
// the disk); ipfail's under ipfail's name.
func (n *node) logAction(a hbnode.Log) {
	lvl, err := hblog.ParseLevel(a.Level)
	switch {
	case a.Drop != "":
		if err != nil {
			lvl = hblog.Error
		}
		n.ing.limited(a.Drop, lvl, a.Text)
	case a.Proc != "":
		if err != nil {
			lvl = hblog.Info
		}
		n.log.LogAs(a.Proc, n.pid, lvl, "%s", a.Text)
	default:
		if err != nil {
			lvl = hblog.Info
		}
		n.log.Log(lvl, "%s", a.Text)
	}
}
