package daemon

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/heartbeat/edge/media"
	"hbgo/resource.d/agent"
)

// deadSvc is a stand-in service that starts and stops like standIn but
// whose status always says stopped, on every node: its monitor check
// always fails ("failing on both nodes"). Each start is recorded.
type deadSvc struct {
	standIn
	starts *startLog
}

type startLog struct {
	mu    sync.Mutex
	nodes []string // the node of each start, in order
}

func (a deadSvc) Start(ctx context.Context) error {
	err := a.standIn.Start(ctx)
	if err == nil {
		a.starts.mu.Lock()
		a.starts.nodes = append(a.starts.nodes, a.node)
		a.starts.mu.Unlock()
	}
	return err
}

func (a deadSvc) Status(context.Context) (agent.Status, error) {
	return agent.Status{Text: agent.TextStopped}, nil
}

// moves counts the starts on another node than the start before.
func (l *startLog) moves() (moves int, starts map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	starts = map[string]int{}
	for i, n := range l.nodes {
		starts[n]++
		if i > 0 && n != l.nodes[i-1] {
			moves++
		}
	}
	return moves, starts
}

// Settings of the failing-service tests: hbgo.cf's monitor line, threshold
// and window; the backoff is the monitor's default (2 s doubling to 5 min).
const (
	svcInterval  = 2 * time.Second
	svcThreshold = 3
	svcWindow    = 2 * time.Minute
	svcRun       = 5 * time.Minute
)

// TestServiceFailingOnBothNodes is issue 15's "failing on both nodes" with
// two real daemons in process (testing/synctest, media.MemNetwork): the
// service's check fails on both nodes, all the time. node1 hands the group
// over after svcThreshold failures and blocks it; node2 fails it too and
// tries to hand it back, node1 refuses (departure f), node2's hand-over
// fails and it keeps the group, restarting it with backoff and a CRIT line
// naming it. Over 5 simulated minutes the moves stay bounded.
func TestServiceFailingOnBothNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &world{running: map[string]map[string]bool{}}
		starts := &startLog{}
		net := media.NewMemNetwork(time.Now)
		hbgo := "vip_watch off\nmonitor svc interval=" + svcInterval.String() + " timeout=1s on-fail=restart\n" +
			"failover_threshold 3\nfailure_window " + svcWindow.String() + "\n"
		spec := func(name string) nodeSpec {
			return nodeSpec{name: name, media: "ucast eth1 10.0.0.99\n", synctest: true, hbgo: hbgo,
				haresources: "node1 IPaddr::10.0.0.1 svc\nnode2 IPaddr::10.0.0.2\n",
				bind: func(res haresources.Resource) (executor.Binding, error) {
					a := standIn{w, name, res.Token}
					if res.Name == "svc" {
						return executor.Binding{Agent: deadSvc{a, starts}, Script: "/etc/init.d/svc"}, nil
					}
					return executor.Binding{Agent: a, Script: "/etc/ha.d/resource.d/" + res.Name}, nil
				}}
		}
		n1, n2 := startNode(t, net, spec("node1")), startNode(t, net, spec("node2"))
		time.Sleep(svcRun)
		synctest.Wait()
		moves, perNode := starts.moves()
		l1, l2 := n1.haLog(), n2.haLog()
		if testing.Verbose() {
			t.Logf("node1:\n%s\nnode2:\n%s", grepLines(l1, "hbgo"), grepLines(l2, "hbgo"))
		}
		t.Logf("in %s: %d moves, starts per node %v; now at %q", svcRun, moves, perNode, w.where())

		// The bound: a node hands the group over only after svcThreshold
		// failures, and then does not take it back for svcWindow; a node
		// whose hand-over failed (or that got it back) hands over no more
		// until cleanup. So each node moves it at most once per window.
		bound := 2 * int((svcRun+svcWindow-1)/svcWindow)
		if moves > bound {
			t.Errorf("%d moves in %s, want at most %d (2 nodes × ⌈run/failure_window⌉)", moves, svcRun, bound)
		}
		if moves < 1 {
			t.Errorf("the group never moved: node1 did not hand it over\nnode1:\n%s", l1)
		}
		// With the block, exactly one move: node1 refuses it back.
		if moves != 1 {
			t.Errorf("%d moves, want 1: node1 took back a group it handed over", moves)
		}
		if !strings.Contains(l1, "node2's standby [foreign] refused") {
			t.Errorf("node1 did not refuse node2's hand-over:\n%s", l1)
		}
		const group = "IPaddr::10.0.0.1"
		crit := false
		for _, line := range strings.Split(l2, "\n") {
			if strings.Contains(line, "CRIT") && strings.Contains(line, "group "+group) {
				crit = true
			}
		}
		if !crit {
			t.Errorf("node2 logged no CRIT line naming group %s:\n%s", group, l2)
		}
		// node2 keeps retrying with a doubling backoff: the restarts after
		// its failed hand-over are bounded by the backoff steps.
		steps := 0
		for b := 2 * time.Second; b < svcRun; b *= 2 {
			steps++
		}
		if max := svcThreshold + steps + 2; perNode["node2"] > max {
			t.Errorf("node2 started svc %d times in %s, want at most %d with the backoff", perNode["node2"], svcRun, max)
		}
	})
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
