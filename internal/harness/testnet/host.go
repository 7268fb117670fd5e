package testnet

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// initEnv tells a test binary re-executed by Host to act as a node's PID 1.
const initEnv = "HBGO_TESTNET_INIT"

// Main must be called from TestMain of every package that uses Host:
// `func TestMain(m *testing.M) { testnet.Main(m) }`. In a re-executed test
// binary it becomes the node's PID 1 and never returns. In the test binary
// it tears every Lab down on SIGINT or SIGTERM (Ctrl-C in `make test`)
// before exiting, as t.Cleanup would have.
func Main(m *testing.M) {
	InitChild()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "testnet: %v: removing the namespaces, nodes and devices of the running tests\n", sig)
		tearDownAll()
		os.Exit(1)
	}()
	os.Exit(m.Run())
}

// InitChild must be called first thing by a program (not a test) that uses
// Host: in the re-executed copy it becomes the node's PID 1 and never returns.
func InitChild() {
	if spec := os.Getenv(initEnv); spec != "" {
		if err := runInit(spec); err != nil {
			fmt.Fprintln(os.Stderr, "testnet init:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// Host is a node of a Lab with its own network, mount, UTS, IPC and PID
// namespaces, like a separate machine: private /etc/ha.d, /run (= /var/run),
// /var/lib/heartbeat, /var/log and /mnt, its own hostname, and a PID 1 that
// reaps orphans. A reboot(2) inside it (heartbeat's fencing after a failed
// stop) kills only this node. Its directories are readable from the host
// under Dir while it runs.
type Host struct {
	lab      *Lab
	Name     string // node (namespace suffix and hostname)
	Dir      string // host-side state: etc-ha.d, run, varlib, log, mnt
	initPID  int
	initCmd  *exec.Cmd
	extraBin map[string]string // path inside the node → host file bind-mounted over it
}

// privateDirs are bind-mounted from Dir/<key> over the node's path.
var privateDirs = [][2]string{
	{"etc-ha.d", "/etc/ha.d"},
	{"varlib", "/var/lib/heartbeat"},
	{"log", "/var/log"},
	{"mnt", "/mnt"},
	{"run", "/run"}, // last: the paths above do not live under /run
}

// Host creates node's namespace (if Node was not called) and starts its PID
// 1. /etc/ha.d starts as a copy of the host's /etc/ha.d (resource.d, rc.d,
// harc, shellfuncs of the installed packages) without ha.cf, haresources and
// authkeys. overlays maps a path inside the node to a host file mounted over
// it (e.g. a recording stand-in for /usr/sbin/drbdadm).
func (l *Lab) Host(node string, overlays map[string]string) *Host {
	l.t.Helper()
	if _, err := os.Stat("/run/netns/" + l.NS(node)); err != nil {
		l.Node(node)
	}
	dir, err := os.MkdirTemp("", "hbgo-"+l.NS(node)+"-")
	if err != nil {
		l.t.Fatalf("%v", err)
	}
	os.Chmod(dir, 0o755)
	for _, d := range privateDirs {
		if err := os.MkdirAll(filepath.Join(dir, d[0]), 0o755); err != nil {
			l.t.Fatalf("%v", err)
		}
	}
	if _, err := os.Stat("/etc/ha.d"); err == nil {
		if out, err := exec.Command("cp", "-a", "/etc/ha.d/.", filepath.Join(dir, "etc-ha.d")).CombinedOutput(); err != nil {
			l.t.Fatalf("testnet: copy /etc/ha.d: %v %s", err, out)
		}
		for _, f := range []string{"ha.cf", "haresources", "authkeys", "hbgo.cf"} {
			os.Remove(filepath.Join(dir, "etc-ha.d", f))
		}
	}
	h := &Host{lab: l, Name: node, Dir: dir, extraBin: overlays}
	l.Cleanup(h.destroy)
	var ov []string
	for in, host := range overlays {
		ov = append(ov, in+"="+host)
	}
	spec := strings.Join(append([]string{dir, node}, ov...), "\x1f")
	self, err := os.Executable()
	if err != nil {
		l.t.Fatalf("%v", err)
	}
	cmd := exec.Command("ip", "netns", "exec", l.NS(node),
		"unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--mount-proc", "--propagation", "private", self)
	cmd.Env = append(os.Environ(), initEnv+"="+spec)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, _ := os.Create(filepath.Join(dir, "init.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("testnet: start %s init: %v", node, err)
	}
	h.initCmd = cmd
	// How long the node's init takes to start is the machine's business: the
	// bound is the run's own -timeout (budget), not seconds.
	ready := filepath.Join(dir, "ready")
	if !budget.Poll(l.t, func() bool { b, err := os.ReadFile(ready); return err == nil && len(b) > 0 }) {
		b, _ := os.ReadFile(filepath.Join(dir, "init.out"))
		l.t.Fatalf("testnet: %s init not ready: %s", node, b)
	}
	// The node's PID 1 is the child of unshare (ip netns exec execs unshare).
	h.initPID = findInitPID(l.t, cmd.Process.Pid)
	if h.initPID == 0 {
		l.t.Fatalf("testnet: %s: cannot find init pid", node)
	}
	return h
}

// findInitPID returns the child of unshare (the node's PID 1, seen from the
// host), or 0 if none appears within t's budget.
func findInitPID(t T, unsharePID int) int {
	pid := 0
	budget.Poll(t, func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", unsharePID, unsharePID))
		if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
			pid, _ = strconv.Atoi(f[0])
			return true
		}
		return false
	})
	return pid
}

// Path returns the host-side path of a path inside the node that lives in
// one of its private directories (e.g. /var/log/ha-log).
func (h *Host) Path(inside string) string {
	for _, d := range privateDirs {
		if inside == d[1] || strings.HasPrefix(inside, d[1]+"/") {
			return filepath.Join(h.Dir, d[0], strings.TrimPrefix(inside, d[1]))
		}
	}
	panic("testnet: " + inside + " is not in a private directory of the node")
}

// WriteFile writes a file inside the node's private directories.
func (h *Host) WriteFile(inside string, data []byte, mode os.FileMode) {
	h.lab.t.Helper()
	p := h.Path(inside)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.lab.t.Fatalf("%v", err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		h.lab.t.Fatalf("%v", err)
	}
	if err := os.Chmod(p, mode); err != nil {
		h.lab.t.Fatalf("%v", err)
	}
}

// Command returns a command that runs inside every namespace of the node.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	a := append([]string{"-t", strconv.Itoa(h.initPID), "-n", "-m", "-u", "-i", "-p", "--",
		"env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "HOME=/root", name}, args...)
	cmd := exec.Command("nsenter", a...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// Run runs a command inside the node and returns its combined output; it
// fails the test on error.
func (h *Host) Run(name string, args ...string) string {
	h.lab.t.Helper()
	out, err := h.Command(name, args...).CombinedOutput()
	if err != nil {
		h.lab.t.Fatalf("testnet: %s: %s %s: %v\n%s", h.Name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Try runs a command inside the node and returns its output and error.
func (h *Host) Try(name string, args ...string) (string, error) {
	out, err := h.Command(name, args...).CombinedOutput()
	return string(out), err
}

// Start starts a long-running command inside the node, output appended to
// the host-side file logPath ("" discards); it dies with the node.
func (h *Host) Start(logPath string, name string, args ...string) *exec.Cmd {
	h.lab.t.Helper()
	cmd := h.Command(name, args...)
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			h.lab.t.Fatalf("%v", err)
		}
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		h.lab.t.Fatalf("testnet: %s: start %s: %v", h.Name, name, err)
	}
	go func() { _ = cmd.Wait() }()
	return cmd
}

// Pids returns the host PIDs of the node's processes whose executable's base
// name is exe.
func (h *Host) Pids(exe string) []int {
	var out []int
	myNS, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", h.initPID))
	if err != nil {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == h.initPID {
			continue
		}
		if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); ns != myNS {
			continue
		}
		t, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue
		}
		if filepath.Base(strings.TrimSuffix(t, " (deleted)")) == filepath.Base(exe) {
			out = append(out, pid)
		}
	}
	return out
}

// Kill sends sig to every process of the node whose executable is exe.
func (h *Host) Kill(exe string, sig syscall.Signal) int {
	n := 0
	for _, p := range h.Pids(exe) {
		if syscall.Kill(p, sig) == nil {
			n++
		}
	}
	return n
}

// Alive reports whether the node's PID 1 still runs (a reboot inside the
// node kills it; a dead init not yet reaped by unshare counts as gone).
func (h *Host) Alive() bool {
	state, ok := h.initState()
	return ok && state != 'Z' && state != 'X'
}

// initState returns the state letter of the node's PID 1 from
// /proc/PID/stat, and false when that PID is no longer the node's init: its
// parent must still be the unshare this Host started (unshare is not reaped
// before destroy, so its PID cannot have been reused), which keeps a signal
// from reaching an unrelated process that reused a dead init's PID.
func (h *Host) initState() (byte, bool) {
	if h.initPID <= 0 || h.initCmd == nil || h.initCmd.Process == nil {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.initPID))
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 || f[1] != strconv.Itoa(h.initCmd.Process.Pid) {
		return 0, false
	}
	return f[0][0], true
}

func (h *Host) destroy() {
	if _, ok := h.initState(); ok {
		_ = syscall.Kill(h.initPID, syscall.SIGTERM)
	}
	if h.initCmd != nil && h.initCmd.Process != nil {
		done := make(chan struct{})
		go func() { _ = h.initCmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			if _, ok := h.initState(); ok {
				_ = syscall.Kill(h.initPID, syscall.SIGKILL)
			}
			_ = h.initCmd.Process.Kill()
		}
	}
	if os.Getenv("HBGO_KEEP_LAB") == "" {
		os.RemoveAll(h.Dir)
	}
}

// runInit is the node's PID 1: hostname, private mounts, then reap orphans
// until SIGTERM, which kills everything in the node.
func runInit(spec string) error {
	parts := strings.Split(spec, "\x1f")
	if len(parts) < 2 {
		return errors.New("bad init spec")
	}
	dir, name := parts[0], parts[1]
	if err := syscall.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	// ip netns exec already mounted a /sys for this network namespace;
	// EBUSY means it is there.
	if err := syscall.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil && !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("mount /sys: %w", err)
	}
	for _, ov := range parts[2:] {
		in, host, _ := strings.Cut(ov, "=")
		if err := syscall.Mount(host, in, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s over %s: %w", host, in, err)
		}
	}
	for _, d := range privateDirs {
		if err := os.MkdirAll(d[1], 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(filepath.Join(dir, d[0]), d[1], "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", d[1], err)
		}
	}
	for _, d := range []string{"/run/lock", "/run/heartbeat", "/run/resource-agents", "/var/lib/heartbeat/cores/root"} {
		_ = os.MkdirAll(d, 0o755)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		_ = syscall.Kill(-1, syscall.SIGKILL)
		time.Sleep(50 * time.Millisecond)
		os.Exit(0)
	}()
	if err := os.WriteFile(filepath.Join(dir, "ready"), []byte(name+"\n"), 0o644); err != nil {
		return err
	}
	for {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(-1, &ws, 0, nil); err != nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
}
