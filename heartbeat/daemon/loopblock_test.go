package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/haresources/planner"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/media"
	"hbgo/resource.d/agent"
)

// hungAgent is a resource whose start never returns (until the executor
// is cancelled): a script waiting on dead storage.
type hungAgent struct{}

func (hungAgent) Start(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
func (hungAgent) Stop(context.Context) error      { return nil }
func (hungAgent) Status(context.Context) (agent.Status, error) {
	return agent.Status{Text: agent.TextStopped}, nil
}

// stuckSyslogSocket is a syslog socket that nobody reads, its queue full:
// every datagram sent to it waits for its timeout.
func stuckSyslogSocket(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Write([]byte("<13>fill")); err != nil {
			return path
		}
	}
}

// TestLoopKeepsKeepalivesWhileStuck: the loop sends its statuses on
// schedule while syslog, a resource agent or a reload is stuck (issue 13
// item 9). The schedule is measured where it matters, at the statuses the
// loop sends: no gap may reach half of deadtime, or a peer could declare
// this node dead. Before:
//   - each log line waited up to 250 ms for syslog, on the loop: a 40-line
//     failover burst held it 10 s;
//   - the 65th operation queued behind a hung start blocked the loop for good;
//   - a reload read an authkeys that is a FIFO on the loop, and waited forever.
func TestLoopKeepsKeepalivesWhileStuck(t *testing.T) {
	hung := func(haresources.Resource) (executor.Binding, error) {
		return executor.Binding{Agent: hungAgent{}, Script: "/etc/ha.d/resource.d/hung"}, nil
	}
	for _, c := range []struct {
		name  string
		spec  func(t *testing.T) nodeSpec
		stick func(t *testing.T, tn *tnode)
		check func(t *testing.T, tn *tnode)
	}{
		{name: "syslog",
			spec: func(t *testing.T) nodeSpec { return nodeSpec{syslog: stuckSyslogSocket(t)} },
			stick: func(t *testing.T, tn *tnode) {
				// A failover's burst of lines, logged in one turn of the loop.
				go tn.onLoop(func() {
					for i := 0; i < 40; i++ {
						tn.n.log.Infof("burst line %d", i)
					}
				}, time.Hour)
			},
			check: func(t *testing.T, tn *tnode) {
				if !tn.waitLog("burst line 39", testDeadtime) {
					t.Error("ha-log lacks the burst: the logfile waited behind syslog")
				}
			}},
		{name: "agent",
			spec: func(*testing.T) nodeSpec { return nodeSpec{haresources: "node1 hung\n", bind: hung} },
			stick: func(t *testing.T, tn *tnode) {
				// The first start hangs in the executor; a hundred more
				// operations pile up behind it.
				go tn.onLoop(func() {
					for i := 0; i < 100; i++ {
						tn.n.act(hbnode.Op{Op: planner.Op{ID: 10000 + i, Kind: planner.Take, Groups: []string{"hung"}, Why: "test"}})
					}
				}, time.Hour)
			},
			check: func(t *testing.T, tn *tnode) {
				tn.n.ops.mu.Lock()
				queued := len(tn.n.ops.q)
				tn.n.ops.mu.Unlock()
				if queued < 90 {
					t.Errorf("%d operations wait behind the hung start, want about 100", queued)
				}
			}},
		{name: "reload",
			stick: func(t *testing.T, tn *tnode) {
				ak := filepath.Join(tn.dir, "authkeys")
				os.Remove(ak)
				if err := syscall.Mkfifo(ak, 0o600); err != nil { // no writer, ever
					t.Fatal(err)
				}
				tn.sigs <- syscall.SIGHUP
			},
			check: func(t *testing.T, tn *tnode) {
				if !tn.waitLog("not a regular file", testDeadtime) || !tn.waitLog("kept the keys in use", testDeadtime) {
					t.Errorf("no refusal of the authkeys FIFO in ha-log:\n%s", tn.haLog())
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := nodeSpec{}
			if c.spec != nil {
				s = c.spec(t)
			}
			s.name, s.media = "node1", "bcast eth0\n"
			tn := startNode(t, media.NewMemNetwork(nil), s)
			// Let start-up settle: statuses are flowing.
			for len(tn.keepalives()) < 3 {
				time.Sleep(testKeepalive / 4)
			}
			from := time.Now()
			c.stick(t, tn)
			time.Sleep(2 * testDeadtime)
			to := time.Now()
			gap := tn.maxGap(from, to)
			t.Logf("%s stuck: longest time between two statuses %v (keepalive %v)", c.name, gap, testKeepalive)
			if gap >= testDeadtime/2 {
				t.Errorf("%s stuck: the loop sent no status for %v (keepalive %v, deadtime %v)", c.name, gap, testKeepalive, testDeadtime)
			}
			if c.check != nil {
				c.check(t, tn)
			}
		})
	}
}
