package daemon

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/edge/media"
	"hbgo/resource.d/agent"
)

// world is where the stand-in agents run their resources: which node runs
// each resource token, so a test can see a VIP on no node or on two.
type world struct {
	mu      sync.Mutex
	running map[string]map[string]bool // token: nodes
}

func (w *world) set(token, node string, on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[token] == nil {
		w.running[token] = map[string]bool{}
	}
	if on {
		w.running[token][node] = true
	} else {
		delete(w.running[token], node)
	}
}

// powerOff forgets everything node ran (a crash: nothing survives).
func (w *world) powerOff(node string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, nodes := range w.running {
		delete(nodes, node)
	}
}

// where says which nodes run each token: "IPaddr::10.0.0.1=node1 ...".
func (w *world) where() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for tok, nodes := range w.running {
		if len(nodes) == 0 {
			continue
		}
		var ns []string
		for n := range nodes {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		out = append(out, tok+"="+strings.Join(ns, "+"))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// standIn is one node's resource agent: starting and stopping take a
// moment, as a real agent's do, and are recorded in the world.
type standIn struct {
	w           *world
	node, token string
}

func (a standIn) Start(ctx context.Context) error { return a.act(ctx, true) }
func (a standIn) Stop(ctx context.Context) error  { return a.act(ctx, false) }

func (a standIn) act(ctx context.Context, on bool) error {
	select {
	case <-time.After(50 * time.Millisecond):
		a.w.set(a.token, a.node, on)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a standIn) Status(context.Context) (agent.Status, error) {
	a.w.mu.Lock()
	defer a.w.mu.Unlock()
	if a.w.running[a.token][a.node] {
		return agent.Status{Text: agent.TextRunning}, nil
	}
	return agent.Status{Text: agent.TextStopped}, nil
}

// TestTwoDaemonsInProcess runs two real daemons (newNode and run, the real
// executor, stand-in agents) over a media.MemNetwork under testing/synctest:
// the daemons' clocks and timers are the bubble's, so deadtime passes in no
// time and every wait below is exact. No root, no namespace, no socket.
func TestTwoDaemonsInProcess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, _, n1, n2, want, _ := twoDaemons(t)
		ctl := func(tn *tnode, op control.Op, args ...string) {
			t.Helper()
			r := tn.n.handleControl(context.Background(), control.Cred{}, control.Request{Op: op, Args: args})
			if !r.OK {
				t.Fatalf("%s %s: %s", tn.name, op, r.Error)
			}
		}

		// Start: comm up, RQSTDELAY (10 s), each takes its own group.
		time.Sleep(15 * time.Second)
		want("start", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")

		// Standby: node1 hands everything to node2.
		ctl(n1, control.OpStandby, "all")
		time.Sleep(5 * time.Second)
		want("standby", "IPaddr::10.0.0.1=node2 IPaddr::10.0.0.2=node2")

		// Takeover: node1 takes its own group back.
		ctl(n1, control.OpTakeover, "local")
		time.Sleep(5 * time.Second)
		want("takeover", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")

		// Kill: node2 loses power (its daemon and its resources end at
		// once); node1 declares it dead a deadtime later and takes over.
		kill(t, w, n2)
		time.Sleep(testDeadtime + 2*time.Second)
		want("kill", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node1")
	})
}

// kill ends tn's loop where it is, without a graceful stop, and powers its
// resources off: a crash.
func kill(t *testing.T, w *world, tn *tnode) {
	t.Helper()
	tn.n.onLoop(func() { tn.n.stop.done = true })
	code := <-tn.done
	tn.done <- code // for the cleanup
	w.powerOff(tn.name)
}

// TestTwoDaemonsInProcessCut cuts node1's only link for longer than
// deadtime: each node takes the other's group over; when the link heals
// each sees the other return after a partition, gives every group up and
// re-executes (recorded here through Options.Exec), as stock does
// (PROTOCOL §11.10 chart I).
func TestTwoDaemonsInProcessCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, net, n1, n2, want, execs := twoDaemons(t)
		time.Sleep(15 * time.Second)
		want("start", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")
		// Both take over: the split brain a cut of the only link must make.
		net.Cut("node1", "eth1")
		time.Sleep(testDeadtime + 2*time.Second)
		want("cut", "IPaddr::10.0.0.1=node1+node2 IPaddr::10.0.0.2=node1+node2")
		for _, tn := range []*tnode{n1, n2} {
			if !strings.Contains(tn.haLog(), "is dead") {
				t.Errorf("%s: no peer declared dead during the cut:\n%s", tn.name, tn.haLog())
			}
		}
		net.Heal("node1", "eth1")
		time.Sleep(5 * time.Second)
		want("heal", "")
		for _, tn := range []*tnode{n1, n2} {
			if !strings.Contains(tn.haLog(), "returning after partition") {
				t.Errorf("%s: the healed partition was not seen:\n%s", tn.name, tn.haLog())
			}
		}
		// Each re-executes with the cold start's arguments after sleeping
		// deadtime+1 s (PROTOCOL §6.4); here the exec is recorded.
		time.Sleep(testDeadtime + 2*time.Second)
		for _, tn := range []*tnode{n1, n2} {
			if execs(tn.name) == nil {
				t.Errorf("%s: no re-exec after the healed partition:\n%s", tn.name, tn.haLog())
			}
			select {
			case code := <-tn.done:
				if code != ExitFailure {
					t.Errorf("%s: loop ended with %d after the failed exec, want %d", tn.name, code, ExitFailure)
				}
				tn.done <- code // for the cleanup
			default:
				t.Errorf("%s: the loop still runs after the re-exec", tn.name)
			}
		}
	})
}

// twoDaemons starts node1 and node2 in the synctest bubble, each node's
// haresources group first on its own node; want checks, once every
// goroutine of the bubble waits, where the resources run; execs holds each
// node's recorded re-exec.
func twoDaemons(t *testing.T) (*world, *media.MemNetwork, *tnode, *tnode, func(step, where string), func(string) []string) {
	return twoDaemonsHbgo(t, nil)
}

// twoDaemonsHbgo is twoDaemons with more hbgo.cf lines per node, made
// from the node's directory (nil: none).
func twoDaemonsHbgo(t *testing.T, hbgo func(dir string) string) (*world, *media.MemNetwork, *tnode, *tnode, func(step, where string), func(string) []string) {
	w := &world{running: map[string]map[string]bool{}}
	net := media.NewMemNetwork(time.Now)
	spec := func(name string) nodeSpec {
		// vip_watch off: the monitor's netlink watchers wait in system
		// calls, which the bubble cannot wait out (as Options.Isolated's).
		return nodeSpec{name: name, media: "ucast eth1 10.0.0.99\n", synctest: true, hbgo: "vip_watch off\n",
			haresources: "node1 IPaddr::10.0.0.1\nnode2 IPaddr::10.0.0.2\n",
			bind: func(res haresources.Resource) (executor.Binding, error) {
				return executor.Binding{Agent: standIn{w, name, res.Token}, Script: "/etc/ha.d/resource.d/" + res.Name}, nil
			}}
	}
	var mu sync.Mutex
	execs := map[string][]string{}
	start := func(name string) *tnode {
		s := spec(name)
		if hbgo != nil {
			s.dir = t.TempDir()
			s.hbgo += hbgo(s.dir)
		}
		s.exec = func(path string, argv, env []string) error {
			mu.Lock()
			defer mu.Unlock()
			execs[name] = argv
			return fmt.Errorf("not in-process")
		}
		return startNode(t, net, s)
	}
	n1, n2 := start("node1"), start("node2")
	want := func(step, where string) {
		t.Helper()
		synctest.Wait()
		if got := w.where(); got != where {
			t.Fatalf("%s: resources run at %q, want %q\nnode1:\n%s\nnode2:\n%s", step, got, where, n1.haLog(), n2.haLog())
		}
	}

	return w, net, n1, n2, want, func(name string) []string {
		mu.Lock()
		defer mu.Unlock()
		return execs[name]
	}
}
