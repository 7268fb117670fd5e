package daemon

import (
	"context"
	"os"
	"syscall"
	"time"

	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/hblog"
)

// run is the daemon's one loop: it turns what arrives (packets, timers,
// op results, requests) into the node machine's events, in the order they
// arrive, and carries out the machine's actions (act).
func (n *node) run(ctx context.Context) int {
	defer n.close()
	execCtx, cancel := context.WithCancel(context.Background())
	n.cancelExec = cancel
	go n.executor(execCtx)
	go n.hooks.loop(execCtx)
	if !n.o.Isolated {
		n.watchConfig(execCtx)
	}
	n.startFencing(execCtx)
	n.startMachine(execCtx)

	// Give start-up's memory back once it has settled, and again after
	// each resource operation (scripts, agents): see memTrim.
	trimAt := n.now().Add(trimDelay)
	mt := memTrim{uffd: -1}
	defer mt.close()
	timer := n.newTimer()
	defer timer.Stop()
	for {
		if n.stop.done {
			return n.finish()
		}
		if n.ing.dropped {
			// Dropped datagrams (a flood?): give the memory back once
			// they have stopped for trimDelay.
			n.ing.dropped = false
			trimAt = n.now().Add(trimDelay)
		}
		timer.Reset(n.untilNext(trimAt))
		select {
		case <-n.inbox.Ready():
			n.drainRx()
		case <-timer.C():
			// A wake-up may come early (a stale expiry): the machine acts
			// only on deadlines that are due, so an early tick is harmless.
			// Packets already queued arrived before this deadline: handle
			// them first, or a loaded machine could declare a peer dead whose
			// heartbeat is waiting in the queue (and then see it "return
			// after partition").
			n.drainRx()
			now := n.now()
			n.stepTick(now)
			if n.stop.requested && !n.stop.at.IsZero() && !now.Before(n.stop.at) {
				n.stop.done = true
			}
			if !trimAt.IsZero() && !now.Before(trimAt) {
				trimAt = time.Time{}
				first := !mt.tried
				// memReport's line is built only for a debug log: the
				// logger formats before it looks at the level.
				if kb := mt.trim(); kb >= 0 && n.log.DebugLevel() > 0 {
					n.log.Debugf("hbgo: memory trimmed: heap returned, %d KiB of the executable unmapped; runtime KiB:%s", kb, memReport())
				}
				if first && mt.err != nil {
					n.log.Debugf("hbgo: executable pages fault around (64 KiB a fault) as before: %v", mt.err)
				}
			}
		// Heartbeats heard wait for the next deadline (Inbox.DeferRoutine):
		// any other input reads them first, so the machine's clock never
		// passes a packet still queued (a late-heartbeat interval is
		// measured to when the packet arrived, not to when it was read).
		case f := <-n.fifo:
			n.drainRx()
			n.onFIFO(f)
		case c := <-n.ctl:
			n.drainRx()
			c.reply <- n.onControl(c)
		case f := <-n.later:
			n.drainRx()
			f()
		case d := <-n.opDone:
			n.drainRx()
			n.statDone(d)
			n.step(hbnode.OpDone{Done: d, At: n.now()})
			trimAt = n.now().Add(trimDelay)
		case s := <-n.o.Signals:
			n.drainRx()
			n.onSignal(s)
		case <-ctx.Done():
			n.requestShutdown()
		}
	}
}

// startMachine scans what this node still holds, creates the node machine and feeds it its Start and first Tick.
func (n *node) startMachine(execCtx context.Context) {
	// hbgo: find out what this node still holds before joining (a crashed
	// predecessor may have left a group running); the planner stops it.
	// The machine starts after this scan, so membership's clock (and our
	// first status) does not count the time the status scripts took.
	for _, tok := range n.exec.Prepare() {
		n.log.Warnf("hbgo: resource %s cannot be run here (no native agent, no script)", tok)
	}
	var held []string
	if !n.o.NoResources { // -M: never run a resource script
		held = n.exec.Held(execCtx)
	}
	// Realtime from here on, for the cluster's work; the scan's status
	// scripts, like every child, run normal either way (sched.Start).
	n.goRealtime()
	// issue 15: watches after start (nothing runs with vip_watch off and no
	// monitor line); before the first op, which the executor runs beside us.
	n.monCtx = execCtx
	cfg := n.nodeConfig()
	cfg.Monitor = n.startMonitor(execCtx)
	n.m = hbnode.New(cfg, n.now())
	start := hbnode.Start{Held: held, At: n.now()}
	if n.o.Restart {
		a := n.adoptEvent(held)
		start.Adopt = &a
	} else if a, ok := n.crashAdopt(held); ok { // issue 15: systemd restarted it after a crash
		start.Adopt = &a
	}
	// With the monitor's blocks from the failure counts on disk, before comm up.
	n.step(start)
	n.notify("READY=1") // media open, PID file written; before the first keepalive's WATCHDOG=1
	n.step(hbnode.Tick{At: n.now()})
	if n.o.Ready != nil {
		n.o.Ready()
	}
}

// untilNext is how long the loop may sleep: until the machine's next deadline, the memory trim at trimAt, or the shutdown deadline.
func (n *node) untilNext(trimAt time.Time) time.Duration {
	next := hbnode.Earliest(n.m.NextDeadline(), trimAt)
	if n.stop.requested && !n.stop.at.IsZero() && (next.IsZero() || n.stop.at.Before(next)) {
		next = n.stop.at
	}
	d := time.Hour
	if !next.IsZero() {
		d = max(next.Sub(n.now()), 0)
	}
	return d
}

// rxBudget is how many packets the loop handles before it looks at its
// timers and other inputs again.
const rxBudget = 256

// drainRx handles the packets already queued, one medium after the other
// (media.Inbox), and at most rxBudget of them, so a flood can neither keep
// the loop from its timers nor crowd out another medium's keepalives.
//
// The lazy media's routine datagrams are read here first (Inbox.Poll): a
// deadline, or any other input, finds every datagram that came before it.
func (n *node) drainRx() {
	more := n.inbox.Poll()
	for i := 0; i < rxBudget; i++ {
		p, ok := n.inbox.Next()
		if !ok && more { // a flood on a lazy socket: read on
			more = n.inbox.Poll()
			p, ok = n.inbox.Next()
		}
		if !ok {
			return
		}
		n.onPacket(p)
		n.inbox.Recycle(p) // onPacket keeps nothing of p.Data (its decoder copies)
	}
	n.inbox.Signal() // more left: come back after the other inputs
}

func (n *node) onSignal(s os.Signal) {
	switch s {
	case syscall.SIGTERM:
		n.requestShutdown()
	case syscall.SIGHUP:
		n.reload()
	case syscall.SIGUSR1:
		n.log.SetDebugLevel(n.log.DebugLevel() + 1)
		n.log.Debugf("debug now set to %d [pid %d]", n.log.DebugLevel(), n.pid)
	case syscall.SIGUSR2:
		if l := n.log.DebugLevel(); l > 0 {
			n.log.SetDebugLevel(l - 1)
		}
		n.log.Debugf("debug now set to %d [pid %d]", n.log.DebugLevel(), n.pid)
	}
}

// requestShutdown starts a graceful stop (COMPAT §5.7): the planner gives
// every group up, sends shutdone, and the loop ends a moment later.
func (n *node) requestShutdown() {
	if n.stop.requested {
		return
	}
	n.stop.requested = true
	n.notify("STOPPING=1")
	n.step(hbnode.Shutdown{At: n.now()})
}

// finish ends the process after a graceful stop.
func (n *node) finish() int {
	for peer, mk := range n.m.PeerMarks() {
		n.savePeerSeen(peer, mk)
	}
	n.flushPeerSeen(2 * time.Second)
	n.step(hbnode.StopClients{At: n.now()})
	n.cancelExec()
	if n.stop.quick {
		n.closeForRestart()
	}
	n.log.Infof("%s Heartbeat shutdown complete.", n.conf.Node)
	n.journalEv("stopped", "", nil)
	if n.stop.quick {
		return n.restartExec()
	}
	if n.stop.restart {
		return n.reexec()
	}
	return ExitOK
}

func (n *node) notify(state string) {
	if n.o.Notify != nil {
		n.o.Notify(state)
	}
}

// executor runs ops one at a time, in order, off the loop goroutine.
func (n *node) executor(ctx context.Context) {
	for {
		op, ok := n.ops.next(ctx)
		if !ok {
			return
		}
		n.resMu.beginOp()
		done := n.exec.Run(ctx, op)
		n.resMu.Unlock()
		select {
		case n.opDone <- done:
		case <-ctx.Done():
			return
		}
	}
}

func (n *node) journalEv(kind, nodeName string, f map[string]string) {
	if n.journal != nil {
		n.journal.Append(hblog.Event{Time: n.now(), Kind: kind, Node: nodeName, Fields: f})
	}
}
