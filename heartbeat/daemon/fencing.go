package daemon

import (
	"context"
	"os/exec"
	"syscall"
	"time"

	"hbgo/heartbeat/config/hadir"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/heartbeat/edge/stonith"
	"hbgo/heartbeat/edge/watchdog"
	"hbgo/internal/sched"
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

// resetPeer runs the STONITH device against node off the loop and hands
// the result to the planner, which logs, sends t=stonith and retries.
func (n *node) resetPeer(node string) {
	if n.stonith == nil {
		// Queued by step behind the actions being carried out.
		n.step(hbnode.StonithDone{Node: node, Result: stonith.ResultBad, At: n.now()})
		return
	}
	r := n.stonith
	go func() {
		result, msgs := r.Reset(context.Background(), node)
		for _, m := range msgs {
			m.To(n.log)
		}
		n.onLoop(func() { n.step(hbnode.StonithDone{Node: node, Result: result, At: n.now()}) })
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

// fence reboots the node after a stop that failed with the resource still
// running: stock's last line of defence for shared disks (COMPAT §4.8).
func (n *node) fence() {
	if n.o.Reboot != nil && n.o.Reboot() == nil {
		return
	}
	Fence(n.conf, n.log)
}

// Fence reboots this node now: hbgo.cf's reboot_command when set (for
// tests), else reboot(2), as stock's `reboot -nf` after a failed stop
// (COMPAT §4.8). The daemon and ResourceManager both use it.
func Fence(c *hadir.Conf, log hblog.Logger) {
	var dt time.Duration
	if c.HaCf != nil {
		dt = c.HaCf.Deadtime
	}
	var cmd []string
	if c.Hbgo != nil {
		cmd = c.Hbgo.RebootCommand
	}
	f := fencer{sync: syscall.Sync, reboot: rebootNow, command: cmd, log: log, syncWait: syncWait(dt)}
	f.fence()
}

// syncWait is how long fencing waits for sync(2) before rebooting without
// it: a second, or a quarter of deadtime when that is shorter, so the node
// is gone well before the peer's takeover mounts the shared disk.
func syncWait(deadtime time.Duration) time.Duration {
	if deadtime > 0 {
		return min(time.Second, deadtime/4)
	}
	return time.Second
}

// fencer is the self-fencing path with its system calls as fields, so a
// test can hang sync and catch the reboot.
type fencer struct {
	sync     func()
	reboot   func() error
	command  []string
	log      hblog.Logger
	syncWait time.Duration
}

// fence flushes what it can and reboots. The storage whose stop failed may
// be hung: sync(2) would then sleep in D state forever, heartbeats would
// stop and a peer without STONITH would mount the disk this node still
// has mounted. So sync runs in its own goroutine and fencing goes on after
// syncWait whatever it did. Stock's `reboot -nf` does not sync at all
// (COMPAT §4.8); hbgo syncs when the disks answer and reboots when they
// do not.
func (f fencer) fence() {
	done := make(chan struct{})
	go func() {
		// The CRIT lines that explain the reboot first, then the disks.
		if fl, ok := f.log.(interface{ Flush(time.Duration) bool }); ok {
			fl.Flush(f.syncWait)
		}
		f.sync()
		close(done)
	}()
	t := time.NewTimer(f.syncWait)
	select {
	case <-done:
	case <-t.C: // nothing logged: the log file may sit on the hung storage
	}
	t.Stop()
	if cmd := f.command; len(cmd) > 0 {
		if err := sched.Run(exec.Command(cmd[0], cmd[1:]...)); err == nil {
			return
		}
		f.log.Critf("hbgo: reboot_command %v failed; rebooting with reboot(2)", cmd)
	}
	if err := f.reboot(); err != nil {
		f.log.Critf("Unable to force reboot.")
	}
}

// rebootNow is reboot(2) without sync: RB_AUTOBOOT.
func rebootNow() error { return syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART) }
