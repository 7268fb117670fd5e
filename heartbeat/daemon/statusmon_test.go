package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"math/rand"

	"hbgo/haresources"
	"hbgo/haresources/failcount"
	"hbgo/haresources/monitor"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/membership"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/status"
)

// TestStatusShowsMonitorFailures: the resource monitor's failure counts
// (within failure_window, persisted ones included) and its hand-over block
// reach the snapshot, the exit code, the text and
// hbgo_resource_fail_count (not hbgo_resource_failures_total: this daemon
// did not see them); they age out with the window, and
// `heartbeat cleanup` clears them together with the start failures.
func TestStatusShowsMonitorFailures(t *testing.T) {
	window := 10 * time.Minute
	groups := []monitor.Group{
		{Key: "10.0.0.100", Resources: []monitor.Resource{{Name: "10.0.0.100", OnFail: monitor.Restart}, {Name: "svc", OnFail: monitor.Restart}}},
		{Key: "10.0.0.200", Resources: []monitor.Resource{{Name: "10.0.0.200", OnFail: monitor.Restart}}},
	}
	res := func(s *status.Snapshot, tok string) status.Resource {
		for _, g := range s.Groups {
			for _, r := range g.Resources {
				if r.Name == tok {
					return r
				}
			}
		}
		t.Fatalf("no resource %s", tok)
		return status.Resource{}
	}

	// svc failed once 2 minutes ago, before a daemon restart (on disk); a
	// failure older than the window no longer counts.
	n, clock := monStatusNode(t, monitor.Config{Threshold: 2, Window: window, Groups: groups,
		Counts: monitor.Counts{"svc": {t0Status.Add(-2 * time.Minute)}, "10.0.0.200": {t0Status.Add(-window - time.Second)}}})
	s := n.healthSnapshot()
	if r := res(s, "svc"); r.Failures != 1 || r.MonitorFailures != 1 {
		t.Errorf("persisted count: svc %+v, want 1 failure", r)
	}
	if r := res(s, "10.0.0.200"); r.Failures != 0 {
		t.Errorf("count older than failure_window shown: %+v", r)
	}
	if code, why := s.Health(); code != status.ExitDegraded || !strings.Contains(strings.Join(why, ";"), "svc failed 1 times") {
		t.Errorf("health %d %v, want degraded naming svc", code, why)
	}
	if s.Groups[0].HandedOver {
		t.Error("handed over below the threshold")
	}

	// svc failed twice (threshold 2) before the restart: the monitor keeps
	// the group from coming back here, and status says it was handed over.
	n, clock = monStatusNode(t, monitor.Config{Threshold: 2, Window: window, Groups: groups,
		Counts: monitor.Counts{"svc": {t0Status.Add(-2 * time.Minute), t0Status.Add(-time.Minute)}}})
	s = n.healthSnapshot()
	if r := res(s, "svc"); r.Failures != 2 || r.MonitorFailures != 2 {
		t.Errorf("svc %+v, want 2 failures", r)
	}
	if !s.Groups[0].HandedOver || s.Groups[1].HandedOver {
		t.Errorf("handed over: %v %v, want true false", s.Groups[0].HandedOver, s.Groups[1].HandedOver)
	}
	var txt, prom bytes.Buffer
	_ = status.WriteText(&txt, s)
	_ = status.WriteMetrics(&prom, s)
	if !strings.Contains(txt.String(), "svc") || !strings.Contains(txt.String(), "2 failures (2 seen by the monitor)") ||
		!strings.Contains(txt.String(), "handed over by node2") {
		t.Errorf("text:\n%s", txt.String())
	}
	// The gauge is the monitor's count; the counter only what this daemon saw.
	if !strings.Contains(prom.String(), `hbgo_resource_fail_count{resource="svc"} 2`) ||
		!strings.Contains(prom.String(), `hbgo_resource_failures_total{resource="svc"} 0`) {
		t.Errorf("metrics:\n%s", prom.String())
	}

	// A start failure of 10.0.0.200 counts too, until cleanup.
	n.statDone(planner.OpDone{OpID: 1, Results: []planner.GroupResult{{Key: "10.0.0.200", Outcome: planner.StartFailed, FailedAt: 0}}})
	if r := res(n.healthSnapshot(), "10.0.0.200"); r.Failures != 1 || r.MonitorFailures != 0 {
		t.Errorf("start failure: %+v", r)
	}

	// The counts age out with the window, as the monitor counts them.
	saved := *clock
	*clock = t0Status.Add(window)
	if r := res(n.healthSnapshot(), "svc"); r.Failures != 0 {
		t.Errorf("svc after failure_window: %+v", r)
	}
	*clock = saved

	// heartbeat cleanup clears what status shows, on disk too.
	if rep := n.onControl(ctlCall{req: control.Request{Op: control.OpCleanup}}); !rep.OK {
		t.Fatalf("cleanup: %+v", rep)
	}
	s = n.healthSnapshot()
	for _, tok := range []string{"svc", "10.0.0.200"} {
		if r := res(s, tok); r.Failures != 0 || r.MonitorFailures != 0 {
			t.Errorf("after cleanup %s: %+v", tok, r)
		}
	}
	if s.Groups[0].HandedOver {
		t.Error("still handed over after cleanup")
	}
	// The counts are written off the loop: wait for the file.
	deadline := time.Now().Add(10 * testDeadtime)
	for {
		if c, err := failcount.Load(n.o.StateDir); err == nil && len(c) == 0 {
			if _, err := os.Stat(filepath.Join(n.o.StateDir, failcount.File)); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			c, err := failcount.Load(n.o.StateDir)
			t.Fatalf("failure counts on disk after cleanup: %v %v", c, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// t0Status is the clock of monStatusNode's node at its start.
var t0Status = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// monStatusNode is statusNode whose node machine runs the resource monitor
// with cfg, started (the counts from disk applied) and the peer active.
func monStatusNode(t *testing.T, cfg monitor.Config) (*node, *time.Time) {
	t.Helper()
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	if !clock.Equal(t0Status) {
		t.Fatalf("statusNode's clock %v, want %v", *clock, t0Status)
	}
	n.o.StateDir = t.TempDir()
	cf := n.conf.HaCf
	n.m = hbnode.New(hbnode.Config{Membership: membership.Params{Node: "node2", Nodes: cf.Nodes, Links: []string{"eth1"},
		Keepalive: cf.Keepalive, Deadtime: cf.Deadtime, Warntime: cf.Warntime, Initdead: cf.Initdead, Generation: 4},
		Planner: planner.Config{Us: "node2", Peer: "node1", Groups: n.conf.Groups}, Rand: rand.New(rand.NewSource(1)),
		Monitor: &cfg}, *clock)
	groups := map[string]haresources.Group{}
	for _, g := range n.conf.Groups {
		groups[g.Key()] = g
	}
	n.mon = &monShell{ctx: t.Context(), groups: groups, held: map[string]bool{}}
	n.step(hbnode.Start{At: *clock})
	peerStatus(n, *clock, "1a", true)
	return n, clock
}
