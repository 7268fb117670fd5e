package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/edge/media"
	"hbgo/heartbeat/status"
)

// textfileDaemons are twoDaemons with metrics_textfile on, in each node's
// directory.
func textfileDaemons(t *testing.T) (*world, *media.MemNetwork, *tnode, *tnode, func(step, where string)) {
	w, net, n1, n2, want, _ := twoDaemonsHbgo(t, func(dir string) string {
		return "metrics_textfile " + filepath.Join(dir, "hbgo.prom") + "\n"
	})
	return w, net, n1, n2, want
}

// publishes is how many snapshots tn's loop has handed its sinks.
func (tn *tnode) publishes() uint64 {
	var p uint64
	if !tn.onLoop(func() { p = tn.n.stat().publishes }, 10*testDeadtime) {
		tn.t.Fatalf("%s: the loop did not answer", tn.name)
	}
	return p
}

// TestSinksIdlePublishRarely: an idle node hands its sinks a snapshot
// (which the textfile's writer renders) every status.TextfileRefresh for
// the heartbeat ages, not every second; a change (the peer dies) is handed
// over within status.PublishEvery and a keepalive, and is in the file.
// Counted in the synctest bubble's time, not measured.
func TestSinksIdlePublishRarely(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, _, n1, n2, want := textfileDaemons(t)
		time.Sleep(15 * time.Second)
		want("start", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")
		time.Sleep(status.TextfileRefresh) // past start's changes
		const idle = 6 * status.TextfileRefresh
		p0 := n1.publishes()
		time.Sleep(idle)
		synctest.Wait()
		p := n1.publishes() - p0
		if maxP := uint64(idle/status.TextfileRefresh) + 1; p > maxP || p < maxP-2 {
			t.Errorf("%d snapshots published in %v of idle, want about %d (one per TextfileRefresh)", p, idle, maxP-1)
		}
		path := filepath.Join(n1.dir, "hbgo.prom")
		if b := mustReadFile(t, path); !bytes.Contains(b, []byte(`hbgo_node_up{node="node2"} 1`)) {
			t.Fatalf("textfile before the kill:\n%s", b)
		}
		p0 = n1.publishes()
		kill(t, w, n2)
		time.Sleep(testDeadtime + status.PublishEvery + 2*testKeepalive)
		synctest.Wait()
		if n1.publishes() == p0 {
			t.Errorf("no snapshot published after the peer died")
		}
		if b := mustReadFile(t, path); !bytes.Contains(b, []byte(`hbgo_node_up{node="node2"} 0`)) {
			t.Errorf("textfile %v after node2 died:\n%s", testDeadtime+status.PublishEvery+2*testKeepalive, b)
		}
	})
}

// TestMetricsKeyFollowsMetrics: through start, standby, takeover and a
// peer's death, whenever a node's metrics (but the samples an idle cluster
// changes, status.WithoutIdle) change,
// so does its metricsKey, which decides whether the sinks get a snapshot.
// A malformed datagram changes a drop counter and nothing else. Sampled
// on each loop every half keepalive.
func TestMetricsKeyFollowsMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, net, n1, n2, want := textfileDaemons(t)
		type sample struct {
			key  uint64
			text string
		}
		last := map[string]sample{}
		changes := map[string]int{}
		var mu sync.Mutex
		check := func(tn *tnode) {
			tn.onLoop(func() {
				var b bytes.Buffer
				if err := status.WriteMetrics(&b, tn.n.healthSnapshot()); err != nil {
					t.Error(err)
				}
				s := sample{tn.n.metricsKey(tn.n.now()), string(status.WithoutIdle(b.Bytes(), nil))}
				mu.Lock()
				defer mu.Unlock()
				if p, ok := last[tn.name]; ok && p.text != s.text {
					changes[tn.name]++
					if p.key == s.key {
						t.Errorf("%s: the metrics changed, the key did not:\n%s\nbecame\n%s", tn.name, p.text, s.text)
					}
				}
				last[tn.name] = s
			}, 10*testDeadtime)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			alive := []*tnode{n1, n2}
			for {
				select {
				case <-stop:
					return
				case <-time.After(testKeepalive / 2):
				}
				for _, tn := range alive {
					select {
					case <-tn.done:
						continue
					default:
					}
					check(tn)
				}
			}
		}()
		time.Sleep(15 * time.Second)
		want("start", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")
		n1.n.handleControl(t.Context(), control.Cred{}, control.Request{Op: control.OpStandby, Args: []string{"all"}})
		time.Sleep(5 * time.Second)
		want("standby", "IPaddr::10.0.0.1=node2 IPaddr::10.0.0.2=node2")
		n1.n.handleControl(t.Context(), control.Cred{}, control.Request{Op: control.OpTakeover, Args: []string{"local"}})
		time.Sleep(5 * time.Second)
		want("takeover", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")
		attacker := net.Attach("attacker", "eth1", false, media.NewQueue(1))
		for range 3 {
			if err := attacker.Send(media.Outgoing{Netstring: []byte("###\ngarbage")}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * testKeepalive)
		}
		close(stop)
		<-done
		kill(t, w, n2)
		for i := 0; i < int((testDeadtime+2*time.Second)/(testKeepalive/2)); i++ {
			time.Sleep(testKeepalive / 2)
			check(n1)
		}
		want("kill", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node1")
		mu.Lock()
		defer mu.Unlock()
		synctest.Wait()
		if !strings.Contains(string(mustReadFile(t, filepath.Join(n1.dir, "hbgo.prom"))), `hbgo_dropped_datagrams_total{reason="malformed"} 3`) {
			t.Errorf("the malformed datagrams are not in node1's textfile:\n%s", mustReadFile(t, filepath.Join(n1.dir, "hbgo.prom")))
		}
		if changes["node1"] < 4 {
			t.Errorf("node1's metrics changed %d times in the scenario: it tests too little", changes["node1"])
		}
	})
}

// TestIdleDropReason: the drop reason the textfile refreshes with the
// ages is membership's.
func TestIdleDropReason(t *testing.T) {
	if status.DropNotToUs != membership.DropNotToUs {
		t.Errorf("status.DropNotToUs %q, membership's %q", status.DropNotToUs, membership.DropNotToUs)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
