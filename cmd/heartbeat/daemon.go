package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/daemon"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/edge/pidfile"
	"hbgo/heartbeat/edge/sdnotify"
	"hbgo/internal/sched"
)

// daemonEnv marks the re-executed child that becomes the daemon.
const daemonEnv = "HBGO_DAEMON_CHILD"

const usage = "\nUsage: heartbeat [-dDkMrRsvWlVf] [-C Current-resource-state]\n\t-C only valid with -R\n\t-r is mutually exclusive with -R\n"

// heartbeat is the daemon binary: stock's flags (COMPAT §7.6) plus hbgo's
// own sub-commands (help.go) and -h/--help/help.
func heartbeat(args []string) int {
	if isHelp(args) {
		writeHelp(os.Stdout)
		return 0
	}
	if len(args) > 0 {
		if c := findSubcommand(args[0]); c != nil {
			return c.run(args[1:])
		}
	}
	f, ok := parseDaemonFlags(args)
	if !ok {
		return 2
	}
	switch {
	case f.version:
		fmt.Println(versionLine())
		return 0
	case f.defaults:
		// COMPAT §7.6: the table needs no ha.cf and wins over -k/-s/-r.
		if f.wiki {
			fmt.Print(hacf.FormatDefaultsWiki(daemon.Version))
		} else {
			fmt.Print(hacf.FormatDefaults())
		}
		return 0
	case f.kill:
		return stopDaemon()
	case f.status:
		return statusDaemon()
	case f.reload && !f.restart:
		// Stock checks -R before -r: "-r -R" is a restart attempt.
		return reloadDaemon()
	}
	if f.restart {
		// -R is the in-place restart: this process already is the daemon
		// (same PID, COMPAT §2.8); the fd-3 handshake belongs to the first
		// start only.
		os.Unsetenv(daemonEnv)
		return runDaemon(f.debug, f.noRT, daemon.Options{Restart: true, RestartHold: f.hold, NoResources: f.noRsc})
	}
	if os.Getenv(daemonEnv) == "" && !f.fg {
		return daemonize()
	}
	return runDaemon(f.debug, f.noRT, daemon.Options{NoResources: f.noRsc})
}

// daemonFlags are the daemon's getopt flags (COMPAT §7.6).
type daemonFlags struct {
	fg, kill, status, reload, version, noRT, restart, haveC, defaults, wiki, noRsc bool
	hold                                                                           string // -C: the resource state held across -R
	debug                                                                          int    // one per -d
}

// parseDaemonFlags reads the flags as stock's getopt does; false means the usage was printed and the exit code is 2.
func parseDaemonFlags(args []string) (daemonFlags, bool) {
	var f daemonFlags
	bad := func(c rune) (daemonFlags, bool) {
		// getopt's complaint, then the usage text (COMPAT §7.6; recorded in
		// testdata/stock-flags.txt).
		if c != 0 {
			fmt.Fprintf(os.Stderr, "%s: invalid option -- '%c'\n", os.Args[0], c)
		}
		io.WriteString(os.Stderr, usage)
		return f, false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			return bad(0)
		}
		for j, c := range a[1:] {
			switch c {
			case 'f':
				f.fg = true
			case 'k':
				f.kill = true
			case 's':
				f.status = true
			case 'r':
				f.reload = true
			case 'V':
				f.version = true
			case 'd':
				f.debug++
			case 'l':
				f.noRT = true
			case 'R':
				f.restart = true
			case 'C':
				// -C takes the resource state, attached or as the next word.
				f.haveC = true
				if j+2 == len(a) {
					i++
					if i == len(args) {
						fmt.Fprintf(os.Stderr, "%s: option requires an argument -- 'C'\n", os.Args[0])
						return bad(0)
					}
					f.hold = args[i]
				} else {
					f.hold = a[j+2:]
				}
			case 'D':
				f.defaults = true
			case 'W':
				// alone, -W changes nothing: stock goes on to start
				f.wiki = true
			case 'M':
				f.noRsc = true
			case 'v':
				// accepted: -v (dump the parsed config) is not done
			default:
				return bad(c)
			}
			if c == 'C' {
				break
			}
		}
	}
	if f.haveC && !f.restart {
		return bad(0)
	}
	return f, true
}

func runDaemon(debug int, noRT bool, o daemon.Options) int {
	idleRuntime()
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	signal.Ignore(syscall.SIGINT, syscall.SIGPIPE)
	var ready func()
	if os.Getenv(daemonEnv) != "" {
		// Only this process has the handshake on fd 3: a re-exec of it
		// (restart, heartbeat -R) must not write to whatever fd 3 is then.
		os.Unsetenv(daemonEnv)
		// Tell the waiting parent through fd 3 that we are up.
		pipe := os.NewFile(3, "ready")
		ready = func() {
			pipe.Write([]byte("ok\n"))
			pipe.Close()
			// Up: let go of the caller's stdout/stderr, as stock's daemon
			// does, or `ERROR=$(heartbeat 2>&1)` in init scripts never returns.
			if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
				syscall.Dup2(int(null.Fd()), 1)
				syscall.Dup2(int(null.Fd()), 2)
				null.Close()
			}
		}
	}
	o.Debug, o.Signals, o.Ready, o.Validators, o.NoRealtime = debug, sigs, ready, nativeValidators(), noRT
	o.Notify = watchdogThrottle(sdnotify.FromEnv(), time.Now)
	return daemon.Run(context.Background(), o)
}

// daemonize starts the daemon in a new session and returns once it is up
// (exit 0) or has failed (its exit code), as stock's fork does after
// validating the configuration.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		errf("heartbeat: %v", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		errf("heartbeat: %v", err)
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stderr = os.Stderr // configuration errors still reach the admin
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := sched.Start(cmd); err != nil {
		errf("heartbeat: %v", err)
		return 1
	}
	w.Close()
	buf := make([]byte, 8)
	n, _ := r.Read(buf)
	if n > 0 {
		return 0
	}
	// The pipe closed without "ok": the child failed; pass its exit code on.
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}

func selfExe() string { p, _ := os.Executable(); return p }

func hostname() string {
	h, _ := os.Hostname()
	return strings.ToLower(h)
}

// stopDaemon is heartbeat -k: SIGTERM the daemon and wait until it is gone.
func stopDaemon() int {
	st, pid, _ := pidfile.Check(pidfile.DefaultPath, "/proc", selfExe())
	if st != pidfile.Running {
		errf("INFO: Heartbeat already stopped.")
		return 0
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		errf("ERROR: Could not kill pid %d", pid)
		if err == syscall.EPERM {
			return 4
		}
		return 1
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(time.Second)
	}
	return 0
}

// statusDaemon is heartbeat -s (COMPAT §7.6).
func statusDaemon() int {
	st, pid, _ := pidfile.Check(pidfile.DefaultPath, "/proc", selfExe())
	switch st {
	case pidfile.Running:
		node := hostname()
		if rep, err := control.Do(hadir.ControlSocket(""), control.Request{Op: control.OpStatus}, 2*time.Second); err == nil && rep.Status != nil {
			node = rep.Status.Node
		}
		fmt.Printf("heartbeat OK [pid %d et al] is running on %s [%s]...\n", pid, hostname(), node)
		return 0
	case pidfile.Stale:
		fmt.Println("heartbeat is stopped. No process")
		return 1
	}
	fmt.Println("heartbeat is stopped. No process") // stock writes it on stdout
	return 3
}

// reloadDaemon is heartbeat -r (COMPAT §2.8).
func reloadDaemon() int {
	st, pid, _ := pidfile.Check(pidfile.DefaultPath, "/proc", selfExe())
	if st != pidfile.Running {
		return daemonize()
	}
	return daemon.Reload(daemon.Options{Validators: nativeValidators()}, pid)
}

// idleRuntime sets the Go runtime up for a daemon that idles for hours
// between keepalives (bench/results/idle-2026-11-23.md): one P, so a
// goroutine made runnable never wakes a second thread to spin looking for
// work (one thread fewer wakes per event). The loop does little work per
// event, and blocking system calls (scripts, agents) still hand the P on.
// GC percent 25: the live heap is about 1 MB, and the default (100, with
// Go's 4 MB minimum goal) let idle RSS grow 1.4 MB higher between
// collections at the same CPU (bench/results/idle-2026-11-23.md, GOGC
// section). GOMAXPROCS and GOGC in the environment win.
func idleRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
}

// watchdogThrottle passes sd_notify states on, but WATCHDOG=1 at most once a
// quarter of the unit's WatchdogSec: the loop pings at every keepalive it
// sends (5 a second at keepalive 200 ms), and each ping is a new datagram
// socket (socket, connect, write, close), which cost an idle daemon under
// systemd more than its heartbeats (bench/results/idle-2026-11-23.md).
// systemd asks for a ping within WatchdogSec; a quarter leaves room for a
// late keepalive. Called from the loop only.
func watchdogThrottle(n *sdnotify.Notifier, now func() time.Time) func(string) {
	every := n.Watchdog() / 4
	var last time.Time
	return func(state string) {
		if state == "WATCHDOG=1" {
			t := now()
			if !last.IsZero() && t.Sub(last) < every {
				return
			}
			last = t
		}
		n.Notify(state)
	}
}
