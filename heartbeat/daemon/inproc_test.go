package daemon

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/edge/media"
	"hbgo/resource.d/agent"
)

// The in-process daemons below run newNode and run as Run does, over a
// media.MemNetwork instead of sockets (Options.OpenMedium), in temporary
// directories, without realtime: no root, no namespace, no reboot path
// (fencing is never reached: no stop fails).

// testKeepalive and testDeadtime are the timings of every in-process node;
// the waits of these tests are multiples of them.
const (
	testKeepalive = 200 * time.Millisecond
	testDeadtime  = 2 * time.Second
)

// tnode is one in-process daemon.
type tnode struct {
	t     *testing.T
	name  string
	dir   string
	n     *node
	sigs  chan os.Signal
	done  chan int
	ready chan struct{} // closed once run has started the node (Options.Ready)

	mu        sync.Mutex
	keepalive []time.Time // each WATCHDOG=1: a status sent by the loop
}

// nodeSpec is what differs between the test daemons.
type nodeSpec struct {
	name        string
	media       string // ha.cf media lines
	extra       string // more ha.cf lines
	haresources string
	hbgo        string // hbgo.cf; "" = none
	syslog      string // syslog socket; "" = no syslog
	bind        func(res haresources.Resource) (executor.Binding, error)
	// synctest: the daemon runs under testing/synctest (its clock,
	// Go timers, Options.Isolated).
	synctest bool
	exec     func(path string, argv, env []string) error // Options.Exec
	// open replaces the MemNetwork for this node's links (real media).
	open func(m hacf.Medium, rx *media.Queue) (media.Medium, error)
	// dir is the node's directory; "" = a new one (a restart passes the
	// old one: its state directory, failure counts included, survives).
	dir string
	// noResources runs the node as heartbeat -M (Options.NoResources).
	noResources bool
}

// memMedia opens ha.cf links on a MemNetwork: every link with the same
// name is one segment; only bcast and mcast with loop 1 hear themselves
// (PROTOCOL §12.1–12.3; serial never does, §12.5).
func memMedia(net *media.MemNetwork, node string) func(m hacf.Medium, rx *media.Queue) (media.Medium, error) {
	return func(m hacf.Medium, rx *media.Queue) (media.Medium, error) {
		loop := m.Type == hacf.MediumBcast || m.Type == hacf.MediumMcast && m.Loop == 1
		link := m.Name
		if m.Type == hacf.MediumSerial {
			link = "serial" // each node names its own device; one cable
		}
		return net.Attach(node, link, loop, rx), nil
	}
}

func startNode(t *testing.T, net *media.MemNetwork, s nodeSpec) *tnode {
	t.Helper()
	dir := s.dir
	if dir == "" {
		dir = t.TempDir()
	}
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	hacfText := fmt.Sprintf("logfile %s/ha-log\nkeepalive %dms\ndeadtime %dms\nwarntime %dms\ninitdead %dms\nauto_failback on\nnode node1\nnode node2\n%s%s",
		dir, testKeepalive.Milliseconds(), testDeadtime.Milliseconds(), testDeadtime.Milliseconds()/2, 2*testDeadtime.Milliseconds(), s.media, s.extra)
	if s.syslog != "" {
		hacfText += "logfacility local7\n"
	}
	write("ha.cf", hacfText, 0o644)
	write("authkeys", "auth 1\n1 sha1 test-secret\n", 0o600)
	write("haresources", s.haresources, 0o644)
	write("nodeinfo", s.name+"\n", 0o644)
	if s.hbgo != "" {
		write("hbgo.cf", s.hbgo, 0o644)
	}
	conf := hadir.Load(hadir.Options{Dir: dir, Validators: map[string]func([]string) error{}})
	if !conf.Ok() {
		t.Fatalf("%s: configuration: %v", s.name, conf.Problems)
	}
	tn := &tnode{t: t, name: s.name, dir: dir, sigs: make(chan os.Signal, 8), done: make(chan int, 1), ready: make(chan struct{})}
	o := Options{Dir: dir, StateDir: filepath.Join(dir, "state"), PIDFile: filepath.Join(dir, "pid"),
		ControlSocket: filepath.Join(dir, "run", "hbgo.sock"), Stderr: io.Discard, NoRealtime: true,
		Signals: tn.sigs, OpenMedium: memMedia(net, s.name), SyslogAddr: s.syslog,
		Notify: func(state string) {
			if state == "WATCHDOG=1" {
				tn.mu.Lock()
				tn.keepalive = append(tn.keepalive, time.Now())
				tn.mu.Unlock()
			}
		}}
	if s.open != nil {
		o.OpenMedium = s.open
	}
	o.Exec = s.exec
	o.NoResources = s.noResources
	o.Ready = func() { close(tn.ready) }
	if s.synctest {
		o.Now, o.Isolated = time.Now, true
	}
	if s.bind != nil {
		o.Binder = func(*hadir.Conf, []string, agent.Logger) executor.Binder { return s.bind }
	}
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := newNode(ctx, conf, o)
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", s.name, err)
	}
	tn.n = n
	go func() { tn.done <- n.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		// No graceful shutdown: end the loop where it is (a hung test agent
		// would keep a shutdown waiting); finish cancels the executor.
		select {
		case <-tn.ready:
			n.onLoop(func() { n.stop.done = true })
		default: // never up (run failed, or is still starting): cancel ends it
		}
		select {
		case <-tn.done:
		case <-time.After(10 * testDeadtime):
			t.Errorf("%s: the loop did not end", s.name)
		}
	})
	return tn
}

// keepalives returns the times of the statuses sent so far.
func (tn *tnode) keepalives() []time.Time {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return append([]time.Time(nil), tn.keepalive...)
}

// onLoop runs f on the node's loop and waits for it (or for the timeout).
// It waits for the node to be up first: before, run is still setting up
// what node.onLoop reads (its fencing context).
func (tn *tnode) onLoop(f func(), timeout time.Duration) bool {
	select {
	case <-tn.ready:
	case <-time.After(timeout):
		return false
	}
	done := make(chan struct{})
	go tn.n.onLoop(func() { f(); close(done) })
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// haLog returns the node's ha-log so far.
func (tn *tnode) haLog() string {
	b, _ := os.ReadFile(filepath.Join(tn.dir, "ha-log"))
	return string(b)
}

// waitLog waits until the ha-log holds want.
func (tn *tnode) waitLog(want string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(tn.haLog(), want) {
			return true
		}
		time.Sleep(testKeepalive / 4)
	}
	return false
}

// maxGap is the longest time between two statuses sent in [from, to),
// counting the edges of the window.
func (tn *tnode) maxGap(from, to time.Time) time.Duration {
	prev, gap := from, time.Duration(0)
	for _, k := range tn.keepalives() {
		if k.Before(from) || !k.Before(to) {
			continue
		}
		gap = max(gap, k.Sub(prev))
		prev = k
	}
	return max(gap, to.Sub(prev))
}
