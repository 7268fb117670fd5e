package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/haresources/failcount"
	"hbgo/haresources/monitor"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/status"
)

// TestStatusShowsMonitorFailures: the resource monitor's failure counts
// (within failure_window, persisted ones included) and its hand-over block
// reach the snapshot, the exit code, the text and
// hbgo_resource_failures_total; they age out with the window, and
// `heartbeat cleanup` clears them together with the start failures.
func TestStatusShowsMonitorFailures(t *testing.T) {
	n, clock := statusNode(t, "auth 1\n1 sha1 "+statusSecret+"\n")
	n.o.StateDir = t.TempDir()
	t0 := *clock
	peerStatus(n, t0, "1a", true)
	window := 10 * time.Minute
	// svc failed once 2 minutes ago, before a daemon restart (on disk); a
	// failure older than the window no longer counts.
	cfg := monitor.Config{Threshold: 2, Window: window, Counts: monitor.Counts{"svc": {t0.Add(-2 * time.Minute)}, "10.0.0.200": {t0.Add(-window - time.Second)}},
		Groups: []monitor.Group{
			{Key: "10.0.0.100", Resources: []monitor.Resource{{Name: "10.0.0.100", OnFail: monitor.Restart}, {Name: "svc", OnFail: monitor.Restart}}},
			{Key: "10.0.0.200", Resources: []monitor.Resource{{Name: "10.0.0.200", OnFail: monitor.Restart}}},
		}}
	n.mon = &monShell{m: monitor.New(cfg), ctx: t.Context()}

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

	// The group runs here; svc fails again: threshold 2, the peer is
	// active, so the monitor hands the group over and blocks it.
	*clock = t0.Add(time.Second)
	m := n.mon.m
	m.Step(*clock, monitor.Peer{State: "active"})
	m.Step(*clock, monitor.Held{Group: "10.0.0.100", On: true})
	acts := m.Step(*clock, monitor.Failed{Resource: "svc", Cause: "status exit 7"})
	handed := false
	for _, a := range acts {
		if _, ok := a.(monitor.HandOver); ok {
			handed = true
		}
	}
	if !handed {
		t.Fatalf("monitor did not hand over: %v", acts)
	}
	m.Step(*clock, monitor.Held{Group: "10.0.0.100", On: false})
	m.Step(*clock, monitor.OpDone{Op: "standby", Group: "10.0.0.100"})
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
	if !strings.Contains(prom.String(), `hbgo_resource_failures_total{resource="svc"} 2`) {
		t.Errorf("metrics:\n%s", prom.String())
	}

	// A start failure of 10.0.0.200 counts too, until cleanup.
	n.statDone(planner.OpDone{OpID: 1, Results: []planner.GroupResult{{Key: "10.0.0.200", Outcome: planner.StartFailed, FailedAt: 0}}})
	if r := res(n.healthSnapshot(), "10.0.0.200"); r.Failures != 1 || r.MonitorFailures != 0 {
		t.Errorf("start failure: %+v", r)
	}

	// The counts age out with the window, as the monitor counts them.
	*clock = t0.Add(window + 2*time.Second)
	if r := res(n.healthSnapshot(), "svc"); r.Failures != 0 {
		t.Errorf("svc after failure_window: %+v", r)
	}

	// heartbeat cleanup clears what status shows, on disk too.
	*clock = t0.Add(2 * time.Second)
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
	// The monitor's Persist is written off the loop: wait for the file.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(n.o.StateDir, failcount.File)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cleanup wrote no failure-count file")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.mon.saveMu.Lock() // the write is done
	n.mon.saveMu.Unlock()
	if c, err := failcount.Load(n.o.StateDir); err != nil || len(c) != 0 {
		t.Errorf("failure counts on disk after cleanup: %v %v", c, err)
	}
}
