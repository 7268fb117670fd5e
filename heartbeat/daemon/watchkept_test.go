package daemon

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"hbgo/heartbeat/edge/media"
	"hbgo/resource.d/agent"
)

// pollCount counts a stand-in service's status checks per node.
type pollCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *pollCount) get(node string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[node]
}

// polledSvc is a healthy stand-in service that counts its status checks.
type polledSvc struct {
	standIn
	polls *pollCount
}

func (a polledSvc) Status(ctx context.Context) (agent.Status, error) {
	a.polls.mu.Lock()
	a.polls.n[a.node]++
	a.polls.mu.Unlock()
	st, err := a.standIn.Status(ctx)
	st.Running = st.Text == agent.TextRunning
	return st, err
}

// TestKeptGroupWatchedAfterFailback: node2 stops, node1 runs both groups
// and watches them; node2 comes back and auto_failback on has node1 give
// node2's group back by standby. node1's own group never moved, and its
// service's status polls go on once the standby is over. (The node machine
// turned the watch off while the standby ran and, with no OpDone after the
// standby's end, never on again: no polls until the next resource op.)
func TestKeptGroupWatchedAfterFailback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &world{running: map[string]map[string]bool{}}
		polls := &pollCount{n: map[string]int{}}
		net := media.NewMemNetwork(time.Now)
		spec := svcSpecs(w, svcCf(""), func(_ string, a standIn) agent.Agent { return polledSvc{a, polls} })
		n1, n2 := startNode(t, net, spec("node1", "")), startNode(t, net, spec("node2", ""))
		want := wantWhere(t, w, &n1, &n2)
		// polled says node1's service was checked about once per interval
		// over the next 10 intervals (at least half of them).
		polled := func(step string) {
			t.Helper()
			before := polls.get("node1")
			time.Sleep(10 * svcInterval)
			synctest.Wait()
			if got := polls.get("node1") - before; got < 5 {
				t.Fatalf("%s: node1 checked svc %d times in %s, want about 10 (one per %s): its group is not watched\nnode1:\n%s",
					step, got, 10*svcInterval, svcInterval, n1.haLog())
			}
		}
		home := "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2 svc=node1"

		time.Sleep(10*time.Second + 2*testDeadtime) // RQSTDELAY, then the starts
		want("start", home)
		polled("start")

		n2.sigs <- syscall.SIGTERM
		code := <-n2.done
		n2.done <- code // for the cleanup
		time.Sleep(testDeadtime)
		want("node2 stopped", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node1 svc=node1")
		polled("node2 stopped")

		n2 = startNode(t, net, spec("node2", n2.dir))
		time.Sleep(10*time.Second + 2*testDeadtime) // comm up, then auto_failback's standby
		want("auto_failback", home)
		polled("after node2's auto_failback")
	})
}
