package daemon

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/status"
)

// TestCleanupKeepsFailureCounter: two in-process daemons; node1's svc fails
// its monitor check twice (restarted each time, below failover_threshold),
// then runs. `heartbeat cleanup` takes the count status judges and the
// monitor's gauge, hbgo_resource_fail_count, back to 0, and leaves
// hbgo_resource_failures_total where it was: a Prometheus counter that went
// down would read as a reset to rate() and increase().
func TestCleanupKeepsFailureCounter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, net, spec, heal := sickOnNode1(svcCf("failover_threshold 5\nfailure_window 10m\n"))
		n1, _ := startNode(t, net, spec("node1", "")), startNode(t, net, spec("node2", ""))
		type seen struct {
			r            status.Resource
			total, gauge float64
			metrics      string
		}
		look := func() seen {
			t.Helper()
			var s *status.Snapshot
			if !n1.onLoop(func() { s = n1.n.healthSnapshot() }, 10*testDeadtime) {
				t.Fatal("node1's loop did not answer")
			}
			var out seen
			for _, g := range s.Groups {
				for _, r := range g.Resources {
					if r.Name == "svc" {
						out.r = r
					}
				}
			}
			var b bytes.Buffer
			if err := status.WriteMetrics(&b, s); err != nil {
				t.Fatal(err)
			}
			out.metrics = b.String()
			for _, l := range strings.Split(out.metrics, "\n") {
				if v, ok := strings.CutPrefix(l, `hbgo_resource_failures_total{resource="svc"} `); ok {
					out.total, _ = strconv.ParseFloat(v, 64)
				}
				if v, ok := strings.CutPrefix(l, `hbgo_resource_fail_count{resource="svc"} `); ok {
					out.gauge, _ = strconv.ParseFloat(v, 64)
				}
			}
			return out
		}
		// RQSTDELAY and the start, then two failed checks.
		deadline := time.Now().Add(10*time.Second + 10*svcInterval)
		for look().r.MonitorFailures < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("svc did not fail twice on node1:\n%s", n1.haLog())
			}
			time.Sleep(svcInterval / 4)
		}
		heal()
		time.Sleep(2 * svcInterval)
		before := look()
		if before.r.MonitorFailures != 2 || before.r.Failures != 2 || before.r.FailuresTotal != 2 || before.total != 2 || before.gauge != 2 {
			t.Fatalf("before cleanup: %+v, failures_total %v, fail_count %v; want 2 each\n%s", before.r, before.total, before.gauge, before.metrics)
		}
		if r := n1.n.handleControl(context.Background(), control.Cred{}, control.Request{Op: control.OpCleanup}); !r.OK {
			t.Fatalf("cleanup: %s", r.Error)
		}
		after := look()
		if after.r.MonitorFailures != 0 || after.r.Failures != 0 || after.r.FailuresTotal != 2 || after.total != 2 || after.gauge != 0 {
			t.Errorf("after cleanup: %+v, failures_total %v, fail_count %v; want the counter at 2, the count and the gauge at 0\n%s",
				after.r, after.total, after.gauge, after.metrics)
		}
	})
}
