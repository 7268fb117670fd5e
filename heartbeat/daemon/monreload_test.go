package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/heartbeat/edge/media"
	"hbgo/resource.d/agent"
)

// flakyAgent is a service whose status fails while broken is set.
type flakyAgent struct{ running, broken atomic.Bool }

func (a *flakyAgent) Start(context.Context) error { a.running.Store(true); return nil }
func (a *flakyAgent) Stop(context.Context) error  { a.running.Store(false); return nil }
func (a *flakyAgent) Status(context.Context) (agent.Status, error) {
	if a.running.Load() && !a.broken.Load() {
		return agent.Status{Running: true, Text: agent.TextRunning}, nil
	}
	return agent.Status{Text: agent.TextStopped}, nil
}

// TestReloadWatchSettings: a SIGHUP after an hbgo.cf edit applies monitor,
// failover_threshold and failure_window at once, with no restart (here the
// first monitor line starts the monitor a vip_watch-off daemon never ran);
// vip_watch, which only a restart changes, is named in a WARN line and
// keeps its value; an hbgo.cf with errors changes nothing. In-process, no root.
func TestReloadWatchSettings(t *testing.T) {
	svc := &flakyAgent{}
	bind := func(haresources.Resource) (executor.Binding, error) {
		return executor.Binding{Agent: svc, Script: "/etc/ha.d/resource.d/svc"}, nil
	}
	tn := startNode(t, media.NewMemNetwork(nil), nodeSpec{name: "node1", media: "bcast eth0\n",
		haresources: "node1 svc\n", hbgo: "vip_watch off\n", bind: bind})
	// Alone, node1 takes its group after initdead.
	for deadline := time.Now().Add(10 * testDeadtime); !svc.running.Load(); time.Sleep(testKeepalive / 4) {
		if time.Now().After(deadline) {
			t.Fatalf("svc never started:\n%s", tn.haLog())
		}
	}
	if !tn.onLoop(func() {}, testDeadtime) || tn.n.mon != nil {
		t.Fatal("a monitor runs with vip_watch off and no monitor line")
	}
	edit := 0
	reload := func(text string) {
		t.Helper()
		edit++
		p := filepath.Join(tn.dir, "hbgo.cf")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Duration(edit) * time.Minute) // a new mtime whatever the clock's grain
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		tn.sigs <- syscall.SIGHUP
	}
	wait := func(want string) {
		t.Helper()
		if !tn.waitLog(want, 5*testDeadtime) {
			t.Fatalf("ha-log lacks %q:\n%s", want, tn.haLog())
		}
	}

	reload("vip_watch on\nmonitor svc interval=200ms timeout=1s\nfailover_threshold 1\nfailure_window 5m\n")
	wait("WARN: hbgo: hbgo.cf: vip_watch on needs a restart to take effect (vip_watch off stays in effect); the old value stays in use until heartbeat restarts")
	wait("info: hbgo: hbgo.cf: failover_threshold is now 1 (was 3)")
	wait("info: hbgo: hbgo.cf: failure_window is now 5m0s (was 10m0s)")
	wait("info: hbgo: hbgo.cf: monitor svc added (interval 200ms, timeout 1s, on-fail restart)")
	// The new line watches svc; the new threshold decides at the first failure.
	svc.broken.Store(true)
	wait("hbgo-monitor: svc failed (status: ")
	wait("; failure 1 of 1 in 5 min, but the peer is ")
	svc.broken.Store(false)
	if strings.Contains(tn.haLog(), "Configuration unchanged.") {
		t.Error("a changed hbgo.cf was reported as unchanged")
	}

	// on-fail ignore from the next reload on.
	reload("vip_watch on\nmonitor svc interval=200ms timeout=1s on-fail=ignore\nfailover_threshold 1\nfailure_window 5m\n")
	wait("info: hbgo: hbgo.cf: monitor svc changed (interval 200ms, timeout 1s, on-fail ignore)")
	svc.broken.Store(true)
	wait("on-fail ignore: nothing done")
	svc.broken.Store(false)

	// A broken hbgo.cf changes nothing.
	reload("vip_watch on\nmonitor svc interval=200ms timeout=1s on-fail=ignore\nfailover_threshold banana\n")
	wait("hbgo: hbgo.cf has errors: the settings in use are kept")
	if !tn.onLoop(func() {
		if w := tn.n.mon.w; w.FailoverThreshold != 1 || len(w.Monitors) != 1 || w.Monitors[0].OnFail != "ignore" || w.VIPWatch {
			t.Errorf("settings after a broken hbgo.cf: %+v", w)
		}
	}, testDeadtime) {
		t.Fatal("loop did not answer")
	}
}

// TestReloadWatchSettingsUnderM: a daemon started with -M runs no
// resources and so no monitor. A reload that adds a monitor line, changes
// failover_threshold and turns vip_watch on says each change is not in
// effect (it once logged "monitor svc added (…)" as if svc were watched
// from then on); no monitor starts, svc is never started or checked.
func TestReloadWatchSettingsUnderM(t *testing.T) {
	svc := &countingAgent{}
	bind := func(haresources.Resource) (executor.Binding, error) {
		return executor.Binding{Agent: svc, Script: "/etc/ha.d/resource.d/svc"}, nil
	}
	tn := startNode(t, media.NewMemNetwork(nil), nodeSpec{name: "node1", media: "bcast eth0\n",
		haresources: "node1 svc\n", hbgo: "vip_watch off\n", bind: bind, noResources: true})
	p := filepath.Join(tn.dir, "hbgo.cf")
	if err := os.WriteFile(p, []byte("vip_watch on\nmonitor svc interval=200ms timeout=1s\nfailover_threshold 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Minute)
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * testDeadtime) // past initdead: the node is up, alone
	tn.sigs <- syscall.SIGHUP
	const note = "; not in effect: heartbeat -M runs no resources, so nothing is watched"
	for _, want := range []string{
		"info: hbgo: hbgo.cf: vip_watch is now on (was off)" + note,
		"info: hbgo: hbgo.cf: failover_threshold is now 1 (was 3)" + note,
		"info: hbgo: hbgo.cf: monitor svc added (interval 200ms, timeout 1s, on-fail restart)" + note,
	} {
		if !tn.waitLog(want, 5*testDeadtime) {
			t.Fatalf("ha-log lacks %q:\n%s", want, tn.haLog())
		}
	}
	if l := tn.haLog(); strings.Contains(l, "needs a restart") || strings.Contains(l, "hbgo-monitor") {
		t.Errorf("a -M daemon's reload speaks of watching:\n%s", l)
	}
	time.Sleep(5 * 200 * time.Millisecond) // five of the new line's intervals
	if !tn.onLoop(func() {
		if tn.n.mon != nil {
			t.Error("a monitor runs under -M after the reload")
		}
	}, testDeadtime) {
		t.Fatal("loop did not answer")
	}
	if s, c := svc.starts.Load(), svc.checks.Load(); s != 0 || c != 0 {
		t.Errorf("under -M svc was started %d times and checked %d times", s, c)
	}
}

// countingAgent counts its starts and status checks.
type countingAgent struct{ starts, checks atomic.Int32 }

func (a *countingAgent) Start(context.Context) error { a.starts.Add(1); return nil }
func (a *countingAgent) Stop(context.Context) error  { return nil }
func (a *countingAgent) Status(context.Context) (agent.Status, error) {
	a.checks.Add(1)
	return agent.Status{Text: agent.TextStopped}, nil
}
