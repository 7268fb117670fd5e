package daemon

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/heartbeat/edge/pidfile"
	"hbgo/internal/sched"
)

// ReloadKind is what a SIGHUP makes the daemon do (COMPAT §2.8).
type ReloadKind int

// What a SIGHUP does.
const (
	ReloadNone    ReloadKind = iota // "Configuration unchanged."
	ReloadAuth                      // authkeys changed: reread the keys live
	ReloadRestart                   // ha.cf changed: quick in-place restart keeping resources
	ReloadHbgo                      // only hbgo.cf changed: apply its watch settings live (hbgo only)
)

// String names the decision for logs and tests.
func (k ReloadKind) String() string {
	switch k {
	case ReloadAuth:
		return "reread-authkeys"
	case ReloadRestart:
		return "restart"
	case ReloadHbgo:
		return "reread-hbgo.cf"
	}
	return "unchanged"
}

// ConfigTimes are the mtimes of the files a SIGHUP looks at: stock's ha.cf
// and authkeys, and hbgo's own hbgo.cf.
type ConfigTimes struct{ HaCf, Authkeys, HbgoCf time.Time }

// ReadConfigTimes stats DIR/ha.cf, DIR/authkeys and DIR/hbgo.cf (zero for a missing file).
func ReadConfigTimes(dir string) ConfigTimes {
	return ConfigTimes{HaCf: mtime(dir, "ha.cf"), Authkeys: mtime(dir, "authkeys"), HbgoCf: mtime(dir, hacf.HbgoFile)}
}

// DecideReload compares the mtimes read at start with the current ones:
// ha.cf first, then authkeys, as stock's hb_signal_reread_config_action.
// Stock compares whole seconds; hbgo compares the full mtime, so an edit
// within the second of the start is not missed. A changed hbgo.cf alone
// (stock has none) is reread live; with authkeys it is reread after the
// keys (applyReload), and a restart rereads it anyway.
func DecideReload(loaded, now ConfigTimes) ReloadKind {
	switch {
	case !now.HaCf.Equal(loaded.HaCf):
		return ReloadRestart
	case !now.Authkeys.Equal(loaded.Authkeys):
		return ReloadAuth
	case !now.HbgoCf.Equal(loaded.HbgoCf):
		return ReloadHbgo
	}
	return ReloadNone
}

// programReplaced says whether the running program's file was replaced or
// removed since it started (link is /proc/self/exe): the kernel then shows
// the old file as deleted. dpkg installs a new version by rename.
func programReplaced(link string) bool {
	target, err := os.Readlink(link)
	return err == nil && strings.HasSuffix(target, " (deleted)")
}

// restartExtraDeadtime is added to the advertised deadtime while the node
// restarts in place, so the peer does not declare it dead (PROTOCOL §10.3:
// stock's hb_add_deadtime(30000) in shutdown phase 1).
const restartExtraDeadtime = 30 * time.Second

// restartPhase is stock's shutdown phase 1→2 delay: the status carrying the
// raised dt gets out before the media close.
const restartPhase = time.Second

// reload handles SIGHUP / heartbeat -r (COMPAT §2.8). Unlike stock, nothing
// invalid is ever applied: a bad ha.cf leaves the daemon running on the
// configuration it has, a bad authkeys keeps the keys it has. The files
// are stat'ed and parsed in a goroutine of their own and the verdict comes
// back to the loop (applyReload): a configuration on slow or hung storage
// must not hold up keepalives (issue 13 item 9). Stock rereads in its
// main process (COMPAT §2.8), so an authkeys that is a FIFO hangs its
// heartbeats; hbgo does better here.
func (n *node) reload() {
	if n.stop.requested {
		n.log.Infof("hbgo: shutdown in progress; reload ignored")
		return
	}
	if n.reloading {
		n.log.Infof("hbgo: a reload is already in progress; this one is folded into it")
		return
	}
	n.reloading = true
	loaded := ConfigTimes{HaCf: n.mtimes[0], Authkeys: n.mtimes[1], HbgoCf: n.mtimes[2]}
	opts := hadir.Options{Dir: n.conf.Dir, Node: n.conf.Node, Validators: n.o.Validators}
	go func() {
		now := ReadConfigTimes(opts.Dir)
		kind := DecideReload(loaded, now)
		// hbgo's package upgrade (dist/deb/postinst runs heartbeat -r):
		// the same in-place restart as for a changed ha.cf, on the new
		// program, keeping the resources. Stock has no such case.
		replaced := kind != ReloadRestart && programReplaced("/proc/self/exe")
		if replaced {
			kind = ReloadRestart
		}
		var c *hadir.Conf
		if kind != ReloadNone {
			c = hadir.Load(opts)
		}
		n.onLoop(func() {
			n.reloading = false
			if replaced {
				n.log.Infof("hbgo: the heartbeat program was replaced (upgrade): restarting in place")
			}
			n.applyReload(kind, now, c)
		})
	}()
}

// applyReload carries out a reload's verdict on the loop; c is the
// configuration read (nil when nothing changed).
func (n *node) applyReload(kind ReloadKind, now ConfigTimes, c *hadir.Conf) {
	if n.stop.requested {
		n.log.Infof("hbgo: shutdown in progress; reload ignored")
		return
	}
	n.journalEv("reload", "", map[string]string{"decision": kind.String()})
	switch kind {
	case ReloadNone:
		n.log.Infof("Configuration unchanged.")
	case ReloadAuth:
		n.log.Infof("Rereading authentication file.")
		n.rereadAuth(now.Authkeys, c)
		if !now.HbgoCf.Equal(n.mtimes[2]) {
			n.rereadHbgo(now.HbgoCf, c)
		}
	case ReloadHbgo:
		n.rereadHbgo(now.HbgoCf, c)
	case ReloadRestart:
		if !c.Ok() {
			for _, p := range c.Problems.Errors() {
				n.log.Errorf("%s", p.Error())
			}
			n.log.Errorf("hbgo: configuration errors: heartbeat not restarted; still running on the configuration read at start")
			return
		}
		if n.m.Busy() {
			n.log.Warnf("hbgo: resource activity in progress: heartbeat not restarted; run heartbeat -r again when it has finished")
			return
		}
		n.quickRestart()
	}
}

// rereadAuth swaps the keys live; a file that does not parse keeps the old
// keys (stock logs "Authentication reparsing error, exiting." and stops).
func (n *node) rereadAuth(at time.Time, c *hadir.Conf) {
	bad := false
	for _, p := range c.Problems.Errors() {
		if filepath.Base(p.File) == "authkeys" {
			n.log.Errorf("%s", p.Error())
			bad = true
		}
	}
	if bad || c.Keys == nil {
		n.log.Errorf("hbgo: Authentication reparsing error: kept the keys in use (stock would exit here)")
		return
	}
	n.conf.Keys = c.Keys
	n.mtimes[1] = at
}

// quickRestart starts stock's quick restart (shutdown without giving up
// resources, restart_after_shutdown): raise the advertised deadtime now,
// close the media a moment later and exec ourselves with -R -C.
func (n *node) quickRestart() {
	n.stop.requested, n.stop.restart, n.stop.quick = true, true, true
	now := n.now()
	n.step(hbnode.QuickRestart{Extra: restartExtraDeadtime, At: now})
	n.stop.at = now.Add(restartPhase)
}

// restartArgs is the command line of the re-exec: stock's `heartbeat -R -C
// <state>` (-C only with nice_failback, heartbeat.c restart_heartbeat), plus
// the -d, -l and -M the daemon was started with (stock drops them).
func restartArgs(argv0 string, nice bool, hold planner.Hold, debug int, noRT, noRsc bool) []string {
	args := []string{argv0, "-R"}
	if nice {
		args = append(args, "-C", hold.String())
	}
	for i := 0; i < debug; i++ {
		args = append(args, "-d")
	}
	if noRT {
		args = append(args, "-l")
	}
	if noRsc {
		args = append(args, "-M")
	}
	return args
}

// restartExec ends the quick restart: the lines stock writes around its
// re-exec, then syscall.Exec with the same PID. Only returns on failure.
func (n *node) restartExec() int {
	nice := n.conf.HaCf.AutoFailback != hacf.FailbackLegacy
	hold := n.m.Holds()
	args := restartArgs(os.Args[0], nice, hold, n.o.Debug, n.o.NoRealtime, n.o.NoResources)
	n.log.Infof("Heartbeat restart triggered.")
	n.log.Infof("Restarting heartbeat.")
	n.log.Infof("Performing heartbeat restart exec.")
	if nice {
		// Stock's source logs this after closing every descriptor; it
		// never reaches ha-log (testdata of heartbeat/e2e/interop): debug only.
		n.log.Debugf("Current resources: -R -C %s", hold)
	}
	n.journalEv("restart_exec", "", map[string]string{"args": strings.Join(args[1:], " ")})
	n.close()
	n.closers = nil // closed: the deferred close after a failed exec must not close them again
	// The new program keeps the exec'ing thread's policy: it starts
	// normal, as every child does (sched.Exec), and applies realtime itself.
	exe, err := os.Executable()
	if err == nil {
		err = sched.Exec(n.o.Exec, exe, args, os.Environ())
	}
	fmt.Fprintf(n.o.Stderr, "%s\n", stderrLine(n.conf, "ERROR", fmt.Sprintf("Could not exec %s: %v", exe, err)))
	return ExitFailure
}

// closeForRestart closes what stock's core children held (media readers and
// writers, the FIFO reader, the control socket), logging it as stock logs
// killing them.
func (n *node) closeForRestart() {
	for _, m := range n.media {
		n.log.Infof("hbgo: closing %s for the restart", m.Link())
		m.Close()
	}
	n.media = nil
	if n.pinger != nil {
		n.pinger.Close()
		n.pinger = nil
	}
	if n.ctlSrv != nil {
		n.ctlSrv.Close()
		n.ctlSrv = nil
	}
	n.log.Infof("hbgo: FIFO and control socket closed for the restart")
}

// adoptEvent is the planner's view of -R -C: the held set and what the status scan found running.
func (n *node) adoptEvent(held []string) planner.Adopt {
	h, ok := planner.ParseHold(n.o.RestartHold)
	if n.o.RestartHold != "" && !ok {
		n.log.Warnf("hbgo: -C %s is not none, local, foreign or all; taken as none", n.o.RestartHold)
	}
	return planner.Adopt{Hold: h, Keys: held}
}

// checkRestart is stock's -R start-up check: the configuration must load
// and the PID file must name this very process (heartbeat.c main).
func checkRestart(conf *hadir.Conf, o Options) (int, bool) {
	if !conf.Ok() {
		// -R turns stderr logging off (cl_log_enable_stderr(FALSE)): the
		// line goes to ha.cf's log destinations only, when they are known
		// (cmd/heartbeat testdata/stock-flags.txt: no output, exit 1).
		quiet := o
		quiet.Stderr = io.Discard
		logf, done := invokerLog(conf, quiet)
		for _, p := range conf.Problems.Errors() {
			logf("ERROR", p.Error())
		}
		logf("info", "Config errors: Heartbeat NOT restarted")
		done()
		return ExitFailure, false
	}
	st, pid, _ := pidfile.Check(o.PIDFile, "/proc", selfExe())
	switch {
	case st != pidfile.Running:
		fmt.Fprintf(o.Stderr, "ERROR: heartbeat is not running.\n")
		return ExitNotConfigured, false
	case pid != os.Getpid():
		fmt.Fprintf(o.Stderr, "ERROR: Heartbeat already running [pid %d].\n", pid)
		return ExitFailure, false
	}
	return ExitOK, true
}

// ExitNotConfigured is LSB's 6, stock's exit for -R without a running daemon.
const ExitNotConfigured = 6

// invokerLog is how heartbeat -r reports: like stock's invoking process,
// to ha.cf's log destinations and to stderr (recorded in
// heartbeat/e2e/interop/testdata/stock-restart.node1.txt); to stderr alone
// when ha.cf is too broken to name them.
func invokerLog(c *hadir.Conf, o Options) (logf func(level, text string), done func()) {
	plain := func(level, text string) { fmt.Fprintln(o.Stderr, stderrLine(c, level, text)) }
	if c.HaCf == nil {
		return plain, func() {}
	}
	cf := c.HaCf
	host, _ := os.Hostname()
	lg, err := hblog.New(hblog.Options{Logfile: cf.Logfile, Debugfile: cf.Debugfile, Facility: cf.Logfacility,
		SyslogMsgFmt: cf.SyslogMsgFmt, Nodename: host, PID: os.Getpid(), Stderr: o.Stderr, Format: c.Hbgo.LogFormat})
	if err != nil {
		return plain, func() {}
	}
	return func(level, text string) {
		switch level {
		case "ERROR":
			lg.Errorf("%s", text)
		case "WARN":
			lg.Warnf("%s", text)
		default:
			lg.Infof("%s", text)
		}
	}, func() { lg.Close() }
}

// coldArgs is the command line of the cold restart after a healed
// partition (PROTOCOL §6.4): stock execs plain `heartbeat`, so a previous
// in-place restart's -R -C must not come back (the new process would
// claim resources it gave up); -f keeps the already detached process in
// the foreground, with its PID.
func coldArgs(args []string) []string {
	out := []string{args[0]}
	fg := false
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-R":
			continue
		case a == "-C":
			i++
			continue
		case strings.HasPrefix(a, "-C"):
			continue
		case a == "-f":
			fg = true
		}
		out = append(out, a)
	}
	if !fg {
		out = append(out, "-f")
	}
	return out
}

// reexec restarts the daemon after a healed partition: stock sleeps
// ceil(deadtime)+1 s so the peer sees it die, then starts anew with a new
// generation (PROTOCOL §6.4).
func (n *node) reexec() int {
	secs := int((n.conf.HaCf.Deadtime+time.Second-1)/time.Second) + 1
	n.log.Infof("hbgo: restarting in %d s after the partition healed", secs)
	n.close()
	time.Sleep(time.Duration(secs) * time.Second) // on Options.Now's clock under synctest too
	// exec keeps the thread's policy: sched.Exec execs from a SCHED_OTHER
	// thread, or the new process would start SCHED_RR before its held scan.
	exe, err := os.Executable()
	if err == nil {
		err = sched.Exec(n.o.Exec, exe, coldArgs(os.Args), os.Environ())
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
