package install

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
)

// oneNode is a node on loopback whose peer never shows up: after initdead
// it holds its (empty) resources and is stable.
const oneNode = `logfile /var/log/ha-log
debugfile /var/log/ha-debug
use_logd no
keepalive 200ms
deadtime 1
warntime 500ms
initdead 2
udpport 694
ucast lo 127.0.0.1
auto_failback on
crm no
node @NODE@
node ghost
`

// installedNode builds hbgo, installs it into a DESTDIR and starts a
// namespace node whose stock paths are the DESTDIR's files (bind mounts in
// the node only: the host's /usr keeps stock heartbeat).
func installedNode(t *testing.T, prefix, name string) (*testnet.Host, string) {
	t.Helper()
	if !isRoot() {
		t.Skip("needs root for namespace nodes")
	}
	if testing.Short() {
		t.Skip("-short: runs the daemon in a namespace node")
	}
	bin := twonode.BuildHbgo(t)
	d := t.TempDir()
	os.Chmod(d, 0o755) // the node's nobody must reach cl_status
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin)
	ov := map[string]string{}
	for _, p := range []string{exe, "/etc/init.d/heartbeat", "/usr/bin/cl_status", "/usr/share/heartbeat/hb_standby"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing on this host: nothing to mount the installed file over", p)
		}
		ov[p] = d + p
	}
	lab := testnet.New(t, prefix)
	h := lab.Host(name, ov)
	return h, d
}

// waitStable waits until the node's resource layer is stable (not
// "transition", COMPAT §7.3), as an admin would before stopping it.
func waitStable(t *testing.T, h *testnet.Host) {
	t.Helper()
	deadline := time.Now().Add(budget.Left(t))
	for {
		out, _ := h.Try("/usr/bin/cl_status", "rscstatus")
		if out != "" && out != "transition\n" && !strings.Contains(out, "ERROR") {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(h.Path("/var/log/ha-log"))
			t.Fatalf("node never stable (cl_status rscstatus %q); ha-log:\n%s", out, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeConf(t *testing.T, h *testnet.Host, hacf string) {
	t.Helper()
	h.WriteFile("/etc/ha.d/ha.cf", []byte(strings.ReplaceAll(hacf, "@NODE@", h.Name)), 0o644)
	h.WriteFile("/etc/ha.d/authkeys", []byte("auth 1\n1 sha1 installtest\n"), 0o600)
	h.WriteFile("/etc/ha.d/haresources", nil, 0o644)
}

// initScript runs the installed /etc/init.d/heartbeat inside the node.
func initScript(t *testing.T, h *testnet.Host, action string) (stdout, stderr string, exit int) {
	t.Helper()
	cmd := h.Command("/etc/init.d/heartbeat", action)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("init.d %s: %v", action, err)
	}
	return o.String(), e.String(), exit
}

func TestInitScriptAgainstDaemon(t *testing.T) {
	h, _ := installedNode(t, "hbinst", "n1")
	type step struct {
		action       string
		stdout       string         // exact, unless stdoutRE is set
		stdoutRE     *regexp.Regexp // or a pattern
		stderrRE     *regexp.Regexp // pattern stderr must match (nil: anything)
		exit         int
		setup, check func(t *testing.T)
	}
	lock := h.Path("/run/lock/subsys/heartbeat")
	steps := []step{
		// COMPAT §7.4: without ha.cf every action says so and exits 0.
		{action: "status", stdout: "Heartbeat not configured: /etc/ha.d/ha.cf not found. Heartbeat failure [rc=1]. Failed.\n"},
		{action: "status", setup: func(t *testing.T) { writeConf(t, h, oneNode) },
			stdoutRE: regexp.MustCompile(`^heartbeat is stopped. No process\n$`), exit: 3},
		{action: "start", stdout: "Starting High-Availability services: Done.\n\n",
			check: func(t *testing.T) {
				if _, err := os.Stat(lock); err != nil {
					t.Errorf("no lock file after start: %v", err)
				}
				st, err := os.Stat(h.Path("/run/heartbeat"))
				if err != nil || st.Mode().Perm() != 0o750 {
					t.Errorf("/run/heartbeat: %v %v, want mode 0750", st.Mode(), err)
				}
			}},
		{action: "status", stdoutRE: regexp.MustCompile(`^heartbeat OK \[pid (\d+) et al\] is running on n1 \[n1\]\.\.\.\n$`),
			check: func(t *testing.T) {
				// cl_status is setgid haclient: an unprivileged user can ask.
				out, err := h.Try("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/cl_status", "hbstatus")
				if err != nil || out != "Heartbeat is running on this machine.\n" {
					t.Errorf("cl_status hbstatus as nobody: %v %q", err, out)
				}
			}},
		{action: "standby", setup: func(t *testing.T) { waitStable(t, h) },
			stdoutRE: regexp.MustCompile(`^auto_failback: on\nAttempting to enter standby modeDone\.\n$`),
			check:    func(t *testing.T) { waitStable(t, h) }},
		{action: "reload", stdout: "Reloading High-Availability services: Done.\n\n"},
		{action: "stop", stdout: "Stopping High-Availability services: Done.\n\n",
			check: func(t *testing.T) {
				if pids := h.Pids("heartbeat"); len(pids) > 0 {
					t.Errorf("daemon still running after stop: %v", pids)
				}
				if _, err := os.Stat(lock); err == nil {
					t.Error("lock file left after stop")
				}
			}},
		// COMPAT §7.6: the PID file stays after a clean stop: status 1.
		{action: "status", stdoutRE: regexp.MustCompile(`^heartbeat is stopped. No process\n$`), exit: 1},
		{action: "standby", stdout: "auto_failback: on\nHeartbeat is not currently running.\n", exit: 1},
		{action: "bogus", stdout: "Usage: /etc/init.d/heartbeat {start|stop|status|restart|reload|force-reload}\n", exit: 1},
		// A configuration error: the daemon's exit code and its complaint.
		{action: "start", setup: func(t *testing.T) { writeConf(t, h, oneNode+"keepalive 1s\n") },
			stdoutRE: regexp.MustCompile(`^Starting High-Availability services:  Heartbeat failure \[rc=6\]\. Failed\.\n\n(?s:.*)ha\.cf:\d+: error: keepalive 1s (?s:.*)Configuration error, heartbeat not started\.\n\n$`), exit: 6},
		{action: "standby", setup: func(t *testing.T) {
			writeConf(t, h, strings.Replace(oneNode, "auto_failback on", "auto_failback legacy", 1))
		},
			stdout: "auto_failback is set to legacy.  Cannot enter standby.\n", exit: 1},
	}
	for i, s := range steps {
		if s.setup != nil {
			s.setup(t)
		}
		t.Logf("step %d: %s", i, s.action)
		out, errOut, exit := initScript(t, h, s.action)
		name := strconv.Itoa(i) + " " + s.action
		if exit != s.exit {
			t.Errorf("%s: exit %d, want %d\nstdout %q\nstderr %q", name, exit, s.exit, out, errOut)
		}
		if s.stdoutRE != nil {
			if !s.stdoutRE.MatchString(out) {
				t.Errorf("%s: stdout %q does not match %s", name, out, s.stdoutRE)
			}
		} else if out != s.stdout {
			t.Errorf("%s: stdout %q, want %q (stderr %q)", name, out, s.stdout, errOut)
		}
		if s.stderrRE != nil && !s.stderrRE.MatchString(errOut) {
			t.Errorf("%s: stderr %q does not match %s", name, errOut, s.stderrRE)
		}
		if s.check != nil {
			s.check(t)
		}
		if t.Failed() {
			b, _ := os.ReadFile(h.Path("/var/log/ha-log"))
			t.Fatalf("stopping at step %s; ha-log:\n%s", name, b)
		}
	}
}

// TestNotifyWatchdog runs the installed daemon in the foreground the way
// the unit does, with a stand-in for systemd's notify socket.
func TestNotifyWatchdog(t *testing.T) {
	h, _ := installedNode(t, "hbinsn", "n2")
	writeConf(t, h, oneNode)
	sock := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	logf := filepath.Join(t.TempDir(), "daemon.out")
	h.Start(logf, "env", "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=5000000", exe, "-f")

	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func(what string) string {
		t.Helper()
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("notify socket closed while waiting for %s", what)
			}
			return m
		case <-time.After(budget.Left(t)):
			b, _ := os.ReadFile(logf)
			t.Fatalf("no %s from the daemon; its output:\n%s", what, b)
		}
		return ""
	}
	if m := next("READY=1"); m != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", m)
	}
	// keepalive 200ms, WATCHDOG_USEC 5 s: a WATCHDOG=1 with a status packet
	// at most every 1.25 s (cmd/heartbeat watchdogThrottle).
	for i := 0; i < 3; i++ {
		if m := next("WATCHDOG=1"); m != "WATCHDOG=1" {
			t.Fatalf("notification %q, want WATCHDOG=1", m)
		}
	}
	if n := h.Kill("heartbeat", syscall.SIGTERM); n != 1 {
		t.Fatalf("SIGTERM reached %d heartbeat processes, want 1", n)
	}
	for {
		m := next("STOPPING=1")
		if m == "STOPPING=1" {
			break
		}
		if m != "WATCHDOG=1" {
			t.Fatalf("notification %q while stopping", m)
		}
	}
	// The daemon goes on pinging while it stops: stopping may take as long
	// as the resources' stop scripts (here stock's wait for the resource
	// transition after the takeover from ghost), and systemd must not kill
	// it meanwhile.
	if m := next("WATCHDOG=1 after STOPPING=1"); m != "WATCHDOG=1" {
		t.Fatalf("notification %q after STOPPING=1, want WATCHDOG=1", m)
	}
}
