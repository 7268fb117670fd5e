// Package testnet holds throwaway network namespaces, veth links and bridges for tests that must cross a real kernel network stack.
package testnet

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/vishvananda/netns"
)

// T is the part of testing.TB a Lab needs; the demo program implements it
// too, so it can build the same cluster outside `go test`.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Cleanup(func())
	TempDir() string
}

// Lab is a set of network namespaces made by one test; everything it made is
// removed by t.Cleanup, also when the test fails, and by Main's handler when
// the test binary is interrupted.
type Lab struct {
	t        T
	prefix   string
	mu       sync.Mutex
	nodes    []string
	procs    []*exec.Cmd
	undo     []func() // Cleanup's functions (each runs once), newest first
	tornDown sync.Once
}

// labs are the Labs not torn down yet, for an interrupted test binary.
var labs = struct {
	sync.Mutex
	m map[*Lab]bool
}{m: map[*Lab]bool{}}

// tearDownAll removes what every live Lab made.
func tearDownAll() {
	labs.Lock()
	all := make([]*Lab, 0, len(labs.m))
	for l := range labs.m {
		all = append(all, l)
	}
	labs.Unlock()
	var wg sync.WaitGroup
	for _, l := range all {
		wg.Add(1)
		go func() { defer wg.Done(); l.cleanup() }()
	}
	wg.Wait()
}

// Cleanup registers fn with t.Cleanup and also to run, once, when the test
// binary is interrupted (newest first, before the lab's namespaces go): for
// what a test makes that outlives its process (node inits, loop devices).
func (l *Lab) Cleanup(fn func()) {
	var once sync.Once
	run := func() { once.Do(fn) }
	l.mu.Lock()
	l.undo = append(l.undo, run)
	l.mu.Unlock()
	l.t.Cleanup(run)
}

// New returns a Lab whose namespaces are named "<prefix><pid>-<node>". It skips the
// test when not root; the prefix must be unique per test package so packages
// can run in parallel.
func New(t T, prefix string) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("testnet: needs root to create network namespaces (run make test as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("testnet: iproute2 (ip) not installed")
	}
	// The pid in the name keeps two runs of the same package (two
	// developers, or a test and the demo) from deleting each other's
	// namespaces; leftovers of crashed runs (dead pid) are removed.
	l := &Lab{t: t, prefix: fmt.Sprintf("%s%d", prefix, os.Getpid())}
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		rest := strings.TrimPrefix(f[0], prefix)
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil {
			continue
		}
		if syscall.Kill(pid, 0) != nil {
			_ = exec.Command("ip", "netns", "del", f[0]).Run()
		}
	}
	labs.Lock()
	labs.m[l] = true
	labs.Unlock()
	t.Cleanup(l.cleanup)
	return l
}

// NS returns the namespace name of node.
func (l *Lab) NS(node string) string { return l.prefix + "-" + node }

// Node creates the namespace for node with loopback up.
func (l *Lab) Node(node string) {
	l.t.Helper()
	l.Run("ip", "netns", "add", l.NS(node))
	l.mu.Lock()
	l.nodes = append(l.nodes, node)
	l.mu.Unlock()
	l.In(node, "ip", "link", "set", "lo", "up")
	// No IPv6 noise (DAD, MLD) in captures and counters.
	_ = l.Try("ip", "netns", "exec", l.NS(node), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
}

// Veth links node a's interface ifA to node b's ifB, both up, with the given
// CIDR addresses ("" for none).
func (l *Lab) Veth(a, ifA, addrA, b, ifB, addrB string) {
	l.t.Helper()
	tmpA, tmpB := l.tmpName(), l.tmpName()
	l.Run("ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB)
	l.Run("ip", "link", "set", tmpA, "netns", l.NS(a), "name", ifA)
	l.Run("ip", "link", "set", tmpB, "netns", l.NS(b), "name", ifB)
	l.up(a, ifA, addrA)
	l.up(b, ifB, addrB)
}

// Bridge creates bridge br in node hub and plugs a new interface ifN of each
// listed node into it (addrs[i] is that interface's CIDR address).
func (l *Lab) Bridge(hub, br string, nodes, ifs, addrs []string) {
	l.t.Helper()
	l.In(hub, "ip", "link", "add", br, "type", "bridge")
	l.In(hub, "ip", "link", "set", br, "up")
	for i, n := range nodes {
		tmpA, tmpB := l.tmpName(), l.tmpName()
		l.Run("ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB)
		l.Run("ip", "link", "set", tmpA, "netns", l.NS(n), "name", ifs[i])
		l.Run("ip", "link", "set", tmpB, "netns", l.NS(hub))
		l.In(hub, "ip", "link", "set", tmpB, "master", br)
		l.In(hub, "ip", "link", "set", tmpB, "up")
		l.up(n, ifs[i], addrs[i])
	}
}

var tmpSeq struct {
	sync.Mutex
	n int
}

func (l *Lab) tmpName() string {
	tmpSeq.Lock()
	defer tmpSeq.Unlock()
	tmpSeq.n++
	// Interface names are at most 15 bytes; the pid keeps parallel test
	// binaries apart.
	return fmt.Sprintf("tv%d_%d", os.Getpid()%100000, tmpSeq.n)
}

func (l *Lab) up(node, ifName, addr string) {
	if addr != "" {
		// brd +: stock bcast sends to the configured broadcast address (SIOCGIFBRDADDR).
		l.In(node, "ip", "addr", "add", addr, "brd", "+", "dev", ifName)
	}
	l.In(node, "ip", "link", "set", ifName, "up")
}

// Run runs a command in the root namespace and fails the test on error.
func (l *Lab) Run(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("testnet: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Try runs a command in the root namespace and returns its error.
func (l *Lab) Try(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// In runs a command inside node's namespace and fails the test on error.
func (l *Lab) In(node string, name string, args ...string) string {
	l.t.Helper()
	return l.Run("ip", append([]string{"netns", "exec", l.NS(node), name}, args...)...)
}

// Command returns an exec.Cmd that runs inside node's namespace in its own
// process group (not started).
func (l *Lab) Command(node string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command("ip", append([]string{"netns", "exec", l.NS(node), name}, args...)...)
	cmd.SysProcAttr = procAttr()
	return cmd
}

// Do runs fn on an OS thread switched into node's namespace; sockets created
// inside fn stay in that namespace afterwards. The thread is discarded after
// fn, never reused by other goroutines.
func (l *Lab) Do(node string, fn func()) {
	l.t.Helper()
	ns, err := netns.GetFromName(l.NS(node))
	if err != nil {
		l.t.Fatalf("testnet: %s: %v", l.NS(node), err)
	}
	defer ns.Close()
	done := make(chan error, 1)
	go func() {
		// Never UnlockOSThread: the goroutine exits with the thread locked,
		// so the runtime throws the namespaced thread away.
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			done <- err
			return
		}
		fn()
		done <- nil
	}()
	if err := <-done; err != nil {
		l.t.Fatalf("testnet: enter %s: %v", l.NS(node), err)
	}
}

// Cut drops every packet in and out of node's interface ifName with an
// nftables netdev table (no netem here), like a pulled cable.
func (l *Lab) Cut(node, ifName string) {
	l.t.Helper()
	tbl := "cut_" + strings.ReplaceAll(ifName, "-", "_")
	rules := fmt.Sprintf(`table netdev %s {
  chain in { type filter hook ingress device "%s" priority -500; policy drop; }
  chain out { type filter hook egress device "%s" priority -500; policy drop; }
}
`, tbl, ifName, ifName)
	cmd := exec.Command("ip", "netns", "exec", l.NS(node), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("testnet: cut %s:%s: %v\n%s", node, ifName, err, out)
	}
}

// Uncut removes a Cut if there is one.
func (l *Lab) Uncut(node, ifName string) {
	_ = l.Try("ip", "netns", "exec", l.NS(node), "nft", "delete", "table", "netdev", "cut_"+strings.ReplaceAll(ifName, "-", "_"))
}

// Heal removes a Cut.
func (l *Lab) Heal(node, ifName string) {
	l.t.Helper()
	l.In(node, "nft", "delete", "table", "netdev", "cut_"+strings.ReplaceAll(ifName, "-", "_"))
}

// cleanup tears the lab down once: Cleanup's functions not run yet, the
// processes started in it, then its namespaces.
func (l *Lab) cleanup() {
	l.tornDown.Do(func() {
		for {
			l.mu.Lock()
			n := len(l.undo)
			if n == 0 {
				l.mu.Unlock()
				break
			}
			fn := l.undo[n-1]
			l.undo = l.undo[:n-1]
			l.mu.Unlock()
			fn()
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, p := range l.procs {
			killGroup(p)
		}
		for _, n := range l.nodes {
			_ = exec.Command("ip", "netns", "del", l.NS(n)).Run()
		}
		labs.Lock()
		delete(labs.m, l)
		labs.Unlock()
	})
}
