package daemon

import (
	"context"
	"strings"
	"time"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/stonith"
	"hbgo/heartbeat/watchdog"
	"hbgo/heartbeat/wire"
)

// stonithCheckEvery is how often stock checks the STONITH device
// (hb_resource.c StonithStatProcessDied: every hour after the last check).
const stonithCheckEvery = time.Hour

// startFencing opens the watchdog device and starts the STONITH device
// checks, for the life of ctx.
func (n *node) startFencing(ctx context.Context) {
	n.fenceCtx = ctx
	cf := n.conf.HaCf
	if cf.Watchdog != "" {
		// stock opens it once at start and runs without it if it cannot
		// (heartbeat.c hb_init_watchdog); Open logs either way.
		if wd, err := watchdog.Open(cf.Watchdog, cf.Deadtime, n.log); err == nil {
			n.wd = wd
			n.closers = append(n.closers, func() {
				c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := wd.Close(c); err != nil {
					n.log.Errorf("hbgo: %v", err)
				}
			})
		}
	}
	if n.stonith != nil {
		go n.checkStonith(ctx)
	}
}

// tickleWatchdog feeds the watchdog when our own heartbeat comes back to us
// (heartbeat.c: a status message from curnode tickles it).
func (n *node) tickleWatchdog(m *wire.Message) {
	if n.wd != nil && m.Type() == "status" && strings.EqualFold(m.Str(wire.FSrc), n.conf.Node) {
		n.wd.Tickle()
	}
}

// resetPeer runs the STONITH device against node off the loop and hands
// the result to the planner, which logs, sends t=stonith and retries.
func (n *node) resetPeer(node string) {
	if n.stonith == nil {
		n.planStep(planner.StonithDone{Node: node, Result: stonith.ResultBad})
		return
	}
	r := n.stonith
	go func() {
		result, msgs := r.Reset(context.Background(), node)
		for _, m := range msgs {
			m.To(n.log)
		}
		n.onLoop(func() { n.planStep(planner.StonithDone{Node: node, Result: result}) })
	}()
}

// checkStonith checks the device now and every hour after, as stock does
// from its first resource decisions on.
func (n *node) checkStonith(ctx context.Context) {
	for {
		_, msgs := n.stonith.Status(ctx)
		if ctx.Err() != nil {
			return
		}
		for _, m := range msgs {
			m.To(n.log)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(stonithCheckEvery):
		}
	}
}

// onLoop runs f on the loop goroutine, unless the daemon is stopping.
func (n *node) onLoop(f func()) {
	select {
	case n.later <- f:
	case <-n.fenceCtx.Done():
	}
}
