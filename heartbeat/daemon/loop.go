package daemon

import (
	"context"
	"fmt"
	mathrand "math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/hblog"
	"hbgo/heartbeat/media"
	"hbgo/heartbeat/membership"
	"hbgo/heartbeat/wire"

	"golang.org/x/sys/unix"
)

// run is the daemon's one loop: every state change of membership and of the
// resource planner happens here, in the order events arrive.
func (n *node) run(ctx context.Context) int {
	defer n.close()
	execCtx, cancel := context.WithCancel(context.Background())
	n.cancelExec = cancel
	go n.executor(execCtx)
	go n.hooks.loop(execCtx)
	n.watchConfig(execCtx)
	n.startFencing(execCtx)

	// hbgo: find out what this node still holds before joining (a crashed
	// predecessor may have left a group running); the planner stops it.
	// Membership starts after this scan, so its clock (and our first
	// status) does not count the time the status scripts took.
	for _, tok := range n.exec.Prepare() {
		n.log.Warnf("hbgo: resource %s cannot be run here (no native agent, no script)", tok)
	}
	var held []string
	if !n.o.NoResources { // -M: never run a resource script
		held = n.exec.Held(execCtx)
	}
	// Only now: a child forked from this thread would inherit SCHED_RR,
	// and the scan above runs the status scripts from here.
	n.goRealtime()
	n.mem = membership.New(n.memParams, n.now(), mathrand.New(mathrand.NewSource(seed())))
	n.journalEv("start", "", map[string]string{"pid": strconv.Itoa(n.pid)})
	// issue 15: watches after start (nothing runs with vip_watch off and no
	// monitor line); before the first op, which the executor runs beside us.
	n.startMonitor(execCtx)
	if n.o.Restart {
		n.planStep(n.adoptEvent(held))
	} else if a, ok := n.crashAdopt(held); ok { // issue 15: systemd restarted it after a crash
		n.planStep(a)
	} else if len(held) > 0 {
		n.planStep(planner.Held{Keys: held})
	}
	n.monSync()
	n.notify("READY=1") // media open, PID file written; before the first keepalive's WATCHDOG=1
	n.memStep(membership.Tick{Now: n.now()})
	if n.o.Ready != nil {
		n.o.Ready()
	}

	// Give start-up's memory back once it has settled, and again after
	// each resource operation (scripts, agents): see trimMemory.
	trimAt := n.now().Add(trimDelay)
	timer := newWakeTimer()
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
		next := earliest(earliest(n.mem.NextDeadline(), n.plan.NextDeadline()), trimAt)
		if n.ipf != nil {
			next = earliest(next, n.ipf.NextDeadline())
		}
		if n.stop.requested && n.stop.at.IsZero() == false && (next.IsZero() || n.stop.at.Before(next)) {
			next = n.stop.at
		}
		d := time.Hour
		if !next.IsZero() {
			d = max(time.Until(next), 0)
		}
		timer.Reset(d)
		select {
		case <-n.inbox.Ready():
			n.drainRx()
		case <-timer.C:
			// A wake-up may come early (a stale expiry): the state machines
			// act only on deadlines that are due, so an early tick is harmless.
			// Packets already queued arrived before this deadline: handle
			// them first, or a loaded machine could declare a peer dead whose
			// heartbeat is waiting in the queue (and then see it "return
			// after partition").
			n.drainRx()
			now := n.now()
			n.memStep(membership.Tick{Now: now})
			n.planStep(planner.Tick{Now: now})
			n.ipfStep(ipfailTick)
			if n.stop.requested && !n.stop.at.IsZero() && !now.Before(n.stop.at) {
				n.stop.done = true
			}
			if !trimAt.IsZero() && !now.Before(trimAt) {
				trimAt = time.Time{}
				if kb := trimMemory(); kb >= 0 {
					n.log.Debugf("hbgo: memory trimmed: heap returned, %d KiB of the executable unmapped", kb)
				}
			}
		case f := <-n.fifo:
			n.onFIFO(f)
		case c := <-n.ctl:
			c.reply <- n.onControl(c)
		case f := <-n.later:
			f()
		case d := <-n.opDone:
			n.journalEv("op_done", "", map[string]string{"op": strconv.Itoa(d.OpID), "result": opSummary(d)})
			n.statDone(d)
			n.planStep(d)
			n.monSync()
			trimAt = n.now().Add(trimDelay)
		case s := <-n.o.Signals:
			n.onSignal(s)
		case <-ctx.Done():
			n.requestShutdown()
		}
	}
}

// rxBudget is how many packets the loop handles before it looks at its
// timers and other inputs again.
const rxBudget = 256

// drainRx handles the packets already queued, one medium after the other
// (media.Inbox), and at most rxBudget of them, so a flood can neither keep
// the loop from its timers nor crowd out another medium's keepalives.
func (n *node) drainRx() {
	for i := 0; i < rxBudget; i++ {
		p, ok := n.inbox.Next()
		if !ok {
			return
		}
		n.onPacket(p)
	}
	n.inbox.Signal() // more left: come back after the other inputs
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case a.Before(b):
		return a
	}
	return b
}

func opSummary(d planner.OpDone) string {
	s := ""
	for i, r := range d.Results {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%s=%d", r.Key, r.Outcome)
	}
	return s
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
	if !n.o.NoResources { // stock -M never logs it (interop testdata/stock-M.node2.txt)
		n.log.Infof("Heartbeat shutdown in progress. (%d)", n.pid)
	}
	n.journalEv("shutdown", "", nil)
	n.planStep(planner.Shutdown{})
}

// finish ends the process after a graceful stop.
func (n *node) finish() int {
	for peer, mk := range n.mem.PeerMarks() {
		n.savePeerSeen(peer, mk)
	}
	n.flushPeerSeen(2 * time.Second)
	n.stopClients()
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

// memStep feeds membership and carries out its actions.
func (n *node) memStep(ev membership.Event) {
	n.memDepth++
	for _, a := range n.mem.Step(ev) {
		n.memAction(a)
	}
	n.memDepth--
	if n.memDepth == 0 && len(n.deferred) > 0 {
		d := n.deferred
		n.deferred = nil
		for _, a := range d {
			n.runPlanAction(a)
		}
	}
}

func (n *node) memAction(a membership.Action) {
	defer n.ipfailMem(a)
	n.statMem(a)
	switch a := a.(type) {
	case membership.Send:
		n.send(a.Msg)
		if !a.Rexmit && a.Msg.Type() == "status" {
			n.notify("WATCHDOG=1") // the loop that owns membership is alive
			// The kernel watchdog too, for each status we send. Stock
			// feeds it when it processes a status of its own, which it
			// does for each one it sends (locally) as well as for a copy
			// heard back (COMPAT §5.8). Feeding it only on a copy heard
			// back starved it wherever no copy comes back (mcast loop 0,
			// serial-only, ucast to the peer alone): a reboot at deadtime.
			n.wd.Tickle()
		}
	case membership.Log:
		if a.Drop != "" {
			// A dropped packet: at most one line per reason a minute, as
			// ingest's own drops (a replay flood must not fill the disk).
			lvl, err := hblog.ParseLevel(string(a.Level))
			if err != nil {
				lvl = hblog.Error
			}
			n.ing.limited(a.Drop, lvl, a.Text)
			break
		}
		n.logLevel(string(a.Level), a.Text)
	case membership.NodeStatus:
		n.journalEv("status", a.Node, map[string]string{"old": a.Old, "new": a.New})
		if a.Node != n.conf.Node {
			if a.New == "dead" {
				n.deferChild++ // see NodeDead
			}
			n.planStep(planner.PeerStatus{Node: a.Node, Status: a.New})
			if a.New == "dead" {
				n.deferChild--
			}
		}
		// rc.d/status gets the status message's fields (COMPAT §5.9); the
		// planner writes harc's line for it.
		st := &wire.Message{}
		st.Add(wire.FType, "status")
		st.Add("st", a.New)
		st.Add(wire.FSrc, a.Node)
		n.hooks.fire("status", st, a.Old, true)
	case membership.NodeDead:
		n.journalEv("node_dead", a.Node, nil)
		if !n.isPing(a.Node) {
			// Stock's main loop logs the rest of this dead-time scan (the
			// dead node's links) before its takeover children write a
			// line: their work waits for the end of this membership pass.
			n.deferChild++
			n.planStep(planner.PeerStatus{Node: a.Node, Status: "dead"})
			n.deferChild--
		}
	case membership.LinkStatus:
		ev := "link_dead"
		if a.Up {
			ev = "link_up"
		}
		n.journalEv(ev, a.Node, map[string]string{"link": a.Link})
	case membership.CommUp:
		n.journalEv("comm_up", "", nil)
		n.planStep(planner.CommUp{})
		n.startClients()
	case membership.Deliver:
		n.deliver(a.From, a.Msg)
		// The planner writes harc's line for the types it handles.
		t := a.Msg.Type()
		n.hooks.fire(t, a.Msg, "", t == "ip-request" || t == "ip-request-resp" || t == "hb_takeover")
	case membership.PeerRestarted:
		n.journalEv("peer_restart", a.Node, nil)
		n.planStep(planner.PeerRestarted{Node: a.Node})
	case membership.PartitionHealed:
		n.journalEv("partition_healed", a.Node, nil)
		n.planStep(planner.PartitionHealed{Node: a.Node})
	case membership.PeerSeen:
		n.savePeerSeen(a.Node, a.Mark)
	}
}

func (n *node) notify(state string) {
	if n.o.Notify != nil {
		n.o.Notify(state)
	}
}

func (n *node) isPing(name string) bool {
	for _, m := range n.conf.HaCf.PingNodes() {
		if m.Name == name {
			return true
		}
	}
	return false
}

// resourceTypes are the message types the resource layer handles (PROTOCOL §7.5–7.10).
var resourceTypes = map[string]bool{"starting": true, "resource": true, "ask_resources": true,
	"hb_takeover": true, "ip-request": true, "ip-request-resp": true, "shutdone": true, "stonith": true}

func (n *node) deliver(from string, m *wire.Message) {
	if resourceTypes[m.Type()] {
		n.planStep(planner.Msg{M: m, From: from})
	}
}

// planStep feeds the planner and carries out its actions.
func (n *node) planStep(ev planner.Event) {
	if n.o.NoResources || n.stop.quick {
		n.unmanagedStep(ev) // -M, or restarting in place: resources stay as they are
		return
	}
	for _, a := range n.plan.Step(ev) {
		n.planAction(a)
	}
}

// planAction carries out a planner action. On a peer's death, what stock
// does in a child process (script lines, a child's own log lines, resource
// operations) waits until membership has finished the scan that declared
// it: stock's main loop logs "Link node1:eth1 dead." in the same pass as
// "node node1: is dead", before its children write a line (compared with a
// captured stock log in heartbeat/interop TestFailoverLogMatchesStock).
// Elsewhere a child's line comes before its effects (harc, then the standby
// that rc.d/hb_takeover asks for), so nothing waits.
func (n *node) planAction(a planner.Action) {
	if n.deferChild > 0 {
		switch a := a.(type) {
		case planner.ScriptLog, planner.Op:
			n.deferred = append(n.deferred, a)
			return
		case planner.Log:
			if a.Child != "" {
				n.deferred = append(n.deferred, a)
				return
			}
		}
	}
	n.runPlanAction(a)
}

func (n *node) runPlanAction(a planner.Action) {
	defer n.ipfailPlan(a)
	n.statPlan(a)
	switch a := a.(type) {
	case planner.Send:
		n.memStep(membership.Originate{Msg: a.M, At: n.now()})
	case planner.Op:
		n.journalEv("op", "", map[string]string{"op": strconv.Itoa(a.ID), "kind": a.Kind.String(), "why": a.Why, "groups": fmt.Sprint(a.Groups)})
		if len(a.Groups) == 0 {
			// Nothing to run (e.g. req_our_resources on a node without
			// groups of its own): stock's child ends at once, in parallel
			// with any other, so it need not wait behind a running group.
			n.planStep(planner.OpDone{OpID: a.ID})
			return
		}
		if q := n.ops.push(a); q > 1 {
			n.log.Debugf("hbgo: operation %d queued behind %d others", a.ID, q-1)
		}
	case planner.Log:
		n.logLevel(a.Level.String(), a.Text)
	case planner.ScriptLog:
		n.scriptLog().Script(a.Tag, a.Text)
	case planner.ShutdownDone:
		n.stopClients()
		// shutdone is on the wire; keep sending status a little while so
		// the peer hears it (stock: ~1–3 s), then exit.
		n.stop.requested = true
		n.stop.at = n.now().Add(min(n.conf.HaCf.Keepalive*2, time.Second))
	case planner.Restart:
		n.stop.requested, n.stop.restart = true, true
		n.stop.at = n.now().Add(time.Second)
	case planner.Fence:
		n.fence(a)
	case planner.Stonith:
		n.resetPeer(a.Node)
	case planner.StatusWord:
		n.rsc = a.Word
	}
}

func (n *node) logLevel(level, text string) {
	switch level {
	case "WARN":
		n.log.Warnf("%s", text)
	case "ERROR":
		n.log.Errorf("%s", text)
	case "CRIT":
		n.log.Critf("%s", text)
	case "debug":
		n.log.Debugf("%s", text)
	default:
		n.log.Infof("%s", text)
	}
}

// send seals a message once and writes it to every medium: netstring with
// the inner auth field on UDP, classic on serial (PROTOCOL §3.1).
func (n *node) send(m *wire.Message) {
	b, err := wire.Seal(m, n.conf.Keys)
	if err != nil {
		n.log.Errorf("hbgo: cannot encode a %s message: %v", m.Type(), err)
		return
	}
	out := media.Outgoing{Netstring: b}
	if n.serial {
		if c, err := wire.SealClassic(m, n.conf.Keys); err == nil {
			out.Classic = c
		}
	}
	ok := false
	for _, md := range n.media {
		if err := md.Send(out); err == nil {
			ok = true
		}
	}
	if n.pinger != nil && m.Type() == "status" {
		n.sendPings()
	}
	if !ok {
		n.ing.limited("no-comm", hblog.Crit, "send_to_all_media: No working comm channels to write to.")
	}
}

// sendPings sends every ping node its echo request: an authenticated
// `t=NS_st st=ping info=ping src=<ping node>` it is to echo back (PROTOCOL
// §12.7), once per status we send, i.e. every keepalive.
func (n *node) sendPings() {
	ts := strconv.FormatInt(n.now().Unix(), 16)
	for _, pn := range n.conf.HaCf.PingNodes() {
		m := &wire.Message{}
		m.Add(wire.FType, "NS_st")
		m.Add("st", "ping")
		m.Add("info", "ping")
		m.Add(wire.FSrc, pn.Name)
		m.Add(wire.FTime, ts)
		b, err := wire.Seal(m, n.conf.Keys)
		if err != nil {
			continue
		}
		if err := n.pinger.Send(pn.Name, b); err != nil {
			n.ing.limited("ping-send", hblog.Warn, fmt.Sprintf("hbgo: ping %s: %v", pn.Name, err))
		}
	}
}

// onEcho checks an echoed ping payload and tells membership the node answered.
func (n *node) onEcho(p media.Packet, m *wire.Message) {
	if m.Type() != "NS_st" || m.Str("st") != "ping" || m.Str(wire.FSrc) != p.Ping {
		n.ing.drop(DropBadPing, hblog.Warn, fmt.Sprintf("hbgo: echo reply from %s is not the ping we sent; dropped", p.From))
		return
	}
	ts, _ := strconv.ParseUint(m.Str(wire.FTime), 16, 64)
	n.memStep(membership.PingReply{Node: p.Ping, At: p.At, TS: ts})
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

// reexec restarts the daemon after a healed partition: stock sleeps
// ceil(deadtime)+1 s so the peer sees it die, then starts anew with a new
// generation (PROTOCOL §6.4).
func (n *node) reexec() int {
	secs := int((n.conf.HaCf.Deadtime+time.Second-1)/time.Second) + 1
	n.log.Infof("hbgo: restarting in %d s after the partition healed", secs)
	n.close()
	time.Sleep(time.Duration(secs) * time.Second)
	// exec keeps the thread's policy: drop SCHED_RR, or every thread of the
	// new process (and the scripts it forks) would inherit it.
	_ = unix.SchedSetAttr(0, &unix.SchedAttr{Policy: 0}, 0)
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, coldArgs(os.Args), os.Environ())
	}
	fmt.Fprintf(n.o.Stderr, "heartbeat: re-exec failed: %v\n", err)
	return ExitFailure
}

func mtime(dir, name string) time.Time {
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// newLoadavg returns the ld field's provider: /proc/loadavg without its
// newline, "n/a" if unreadable (PROTOCOL §5). It is read on every status we
// send, so the file stays open and is re-read with one raw pread: opening it
// each time cost five system calls, each of which woke the Go runtime's
// sysmon thread (bench/results/idle-2026-11-23.md).
func newLoadavg() func() string {
	fd, err := unix.Open("/proc/loadavg", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	var buf [128]byte
	return func() string {
		if err != nil {
			return "n/a"
		}
		n, _, errno := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
		if errno != 0 || n == 0 {
			return "n/a"
		}
		return strings.TrimSpace(string(buf[:n]))
	}
}

// trimDelay is how long after start-up or a resource operation the daemon
// gives memory back: long enough for the burst to be over, short against
// the hours a node idles.
const trimDelay = 3 * time.Second

// trimMemory returns what an idle daemon does not use to the kernel: the
// heap's free pages (start-up parses configurations and scans resources),
// and the pages of its own executable that start-up touched but the loop
// no longer reads (flag parsing, config checks, agents' code). Those are
// clean file pages: dropping them from this process's page tables loses
// nothing, a later use faults them back in from the page cache. Mappings
// holding any private (copied-on-write) page are left alone. It returns
// the KiB unmapped, -1 if the mappings could not be read.
func trimMemory() int {
	debug.FreeOSMemory()
	exe, err := os.Executable()
	if err != nil {
		return -1
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return -1
	}
	dropped := 0
	for _, m := range cleanFileMappings(string(smaps), exe) {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m[0], m[1]-m[0], unix.MADV_DONTNEED); errno == 0 {
			dropped += int(m[1] - m[0])
		}
	}
	return dropped / 1024
}

// cleanFileMappings picks, from /proc/self/smaps text, the read-only
// mappings of file path (text, rodata) that hold no anonymous page, as
// [start, end) address pairs.
func cleanFileMappings(smaps, path string) [][2]uintptr {
	const pageSize = 4096 // the smallest page Linux maps; larger pages are multiples
	var out [][2]uintptr
	var cur [2]uintptr
	ok := false
	for _, line := range strings.Split(smaps, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && len(f) >= 5 {
			if ok {
				out = append(out, cur)
			}
			ok = false
			lo, hi, dash := strings.Cut(f[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			// The kernel writes page-aligned, non-empty ranges; anything
			// else is not a mapping and must never reach madvise.
			if !dash || err1 != nil || err2 != nil || len(f) < 6 || f[5] != path ||
				a >= b || a%pageSize != 0 || b%pageSize != 0 {
				continue
			}
			if perm := f[1]; len(perm) == 4 && perm[1] == '-' && perm[3] == 'p' {
				cur, ok = [2]uintptr{uintptr(a), uintptr(b)}, true
			}
			continue
		}
		if ok && f[0] == "Anonymous:" && len(f) >= 2 && f[1] != "0" {
			ok = false
		}
	}
	if ok {
		out = append(out, cur)
	}
	return out
}

// wakeTimer wakes the loop at its next deadline. On Linux it is a timerfd
// read on Go's network poller, not a Go timer: the runtime's sysmon thread
// sleeps until the next Go timer, so a Go timer re-armed every keepalive
// woke sysmon (and through it the scheduler) several times per keepalive
// for nothing (bench/results/idle-2026-11-23.md). With no Go timer
// pending, an idle daemon's sysmon sleeps. A tick may come early, never
// late.
type wakeTimer struct {
	C     chan struct{}
	f     *os.File        // the timerfd; nil: t is the fallback
	rc    syscall.RawConn // f's descriptor
	t     *time.Timer     // fallback when timerfd is unavailable
	armed unix.ItimerSpec // reused by Reset
}

func newWakeTimer() *wakeTimer {
	w := &wakeTimer{C: make(chan struct{}, 1)}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err == nil {
		f := os.NewFile(uintptr(fd), "timerfd")
		if rc, err := f.SyscallConn(); err == nil {
			w.f, w.rc = f, rc
			go w.read(rc)
			return w
		}
		f.Close()
	}
	w.t = time.AfterFunc(time.Hour, w.fire)
	return w
}

func (w *wakeTimer) fire() {
	select {
	case w.C <- struct{}{}:
	default: // a tick is already waiting
	}
}

// read forwards each expiry of the timerfd to C, until the file is closed.
func (w *wakeTimer) read(rc syscall.RawConn) {
	var buf [8]byte
	for {
		err := rc.Read(func(fd uintptr) bool {
			_, _, errno := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), 8)
			return errno != unix.EAGAIN && errno != unix.EINTR
		})
		if err != nil {
			return
		}
		w.fire()
	}
}

// Reset arms the timer to tick once after d (at once when d <= 0).
func (w *wakeTimer) Reset(d time.Duration) {
	if w.f == nil {
		w.t.Reset(d)
		return
	}
	d = max(d, time.Nanosecond) // an all-zero value would disarm it
	w.armed.Value = unix.NsecToTimespec(int64(d))
	_ = w.rc.Control(func(fd uintptr) {
		_, _, errno := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&w.armed)), 0, 0, 0)
		if errno != 0 { // cannot happen with a valid fd; never leave the loop asleep
			w.fire()
		}
	}) // Control fails only once Stop closed the file
}

// Stop disarms the timer and ends its reader.
func (w *wakeTimer) Stop() {
	if w.f == nil {
		w.t.Stop()
		return
	}
	w.f.Close()
}
