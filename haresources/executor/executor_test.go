package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/haresources"
	"hbgo/haresources/planner"
	"hbgo/resource.d/agent"
)

// fake is a recording agent: its state is "running" or not; starts/stops fail
// as told; every call is appended to the shared journal.
type fake struct {
	name      string
	running   bool
	failStart bool
	failStops int  // how many stops fail before one succeeds (-1: all)
	stuck     bool // a failing stop leaves it running
	journal   *[]string
}

type exitErr int

func (e exitErr) Error() string { return fmt.Sprintf("exit %d", int(e)) }
func (e exitErr) ExitCode() int { return int(e) }

func (f *fake) Start(context.Context) error {
	*f.journal = append(*f.journal, f.name+" start")
	if f.failStart {
		return exitErr(1)
	}
	f.running = true
	return nil
}

func (f *fake) Stop(context.Context) error {
	*f.journal = append(*f.journal, f.name+" stop")
	if f.failStops != 0 {
		if f.failStops > 0 {
			f.failStops--
		}
		if !f.stuck {
			f.running = false
		}
		return exitErr(7)
	}
	f.running = false
	return nil
}

func (f *fake) Status(context.Context) (agent.Status, error) {
	if f.running {
		return agent.Status{Running: true, Text: agent.TextRunning}, nil
	}
	return agent.Status{Text: agent.TextStopped}, nil
}

type lines []string

func (l *lines) Script(tag, text string) { *l = append(*l, tag+": "+text) }

func setup(line string, agents map[string]*fake) (*Executor, *lines) {
	gs, probs := haresources.Parse(strings.NewReader(line+"\n"), "haresources")
	if probs.HasErrors() {
		panic(probs)
	}
	var log lines
	e := &Executor{
		Groups: func() []haresources.Group { return gs },
		Bind: func(r haresources.Resource) (Binding, error) {
			f, ok := agents[r.Token]
			if !ok {
				return Binding{}, errors.New("missing")
			}
			return Binding{Agent: f, Script: "/etc/ha.d/resource.d/" + r.Name}, nil
		},
		Log:         &log,
		StopRetries: 2,
		Sleep:       func(context.Context, time.Duration) error { return nil },
	}
	return e, &log
}

func TestTakeSkipsRunningAndLogsLikeResourceManager(t *testing.T) {
	var j []string
	ag := map[string]*fake{
		"IPaddr::10.0.0.5/24/eth0":           {name: "ip", journal: &j},
		"Filesystem::/dev/sdb1::/data::ext4": {name: "fs", running: true, journal: &j},
		"svc":                                {name: "svc", journal: &j},
	}
	e, log := setup("node1 IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/data::ext4 svc", ag)
	done := e.Run(context.Background(), planner.Op{ID: 3, Kind: planner.Take, Groups: []string{"IPaddr::10.0.0.5/24/eth0"}, Why: "mach_down"})
	want := planner.OpDone{OpID: 3, Results: []planner.GroupResult{{Key: "IPaddr::10.0.0.5/24/eth0", Outcome: planner.Started}}}
	if d := cmp.Diff(want, done); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"ip start", "svc start"}, j); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	wantLog := []string{
		"ResourceManager(default): info: Acquiring resource group: node1 IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/data::ext4 svc",
		"ResourceManager(default): info: Running /etc/ha.d//resource.d/IPaddr 10.0.0.5/24/eth0 start",
		// a resource without arguments gets two spaces, as in stock's ha-log
		"ResourceManager(default): info: Running /etc/ha.d//resource.d/svc  start",
	}
	if d := cmp.Diff(wantLog, []string(*log)); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}
}

// COMPAT §4.6: a start failure stops the whole group in reverse, including
// the failed resource and the ones never started.
func TestStartFailureRollsBackWholeGroup(t *testing.T) {
	var j []string
	ag := map[string]*fake{"a": {name: "a", journal: &j}, "b": {name: "b", failStart: true, journal: &j}, "c": {name: "c", journal: &j}}
	e, log := setup("node1 a b c", ag)
	done := e.Run(context.Background(), planner.Op{Kind: planner.Take, Groups: []string{"a"}, Why: "standby"})
	if got := done.Results[0]; got.Outcome != planner.StartFailed || got.FailedAt != 1 {
		t.Fatalf("result %+v, want StartFailed at 1", got)
	}
	if d := cmp.Diff([]string{"a start", "b start", "c stop", "b stop", "a stop"}, j); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	for _, f := range ag {
		if f.running {
			t.Errorf("%s left running", f.name)
		}
	}
	wantTail := []string{
		"ResourceManager(default): ERROR: Return code 1 from /etc/ha.d/resource.d/b",
		"ResourceManager(default): CRIT: Giving up resources due to failure of b",
		"ResourceManager(default): info: Releasing resource group: node1 a b c",
		"ResourceManager(default): info: Running /etc/ha.d/resource.d/c  stop",
	}
	if d := cmp.Diff(wantTail, []string((*log)[3:7])); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}
}

func TestStopFailureRetriesThenReports(t *testing.T) {
	for _, tc := range []struct {
		name        string
		stuck       bool
		failStops   int
		wantOutcome planner.Outcome
		wantStops   int
		wantLSB     bool
	}{
		{"recovers on retry", false, 1, planner.Stopped, 2, false},
		{"still running: fence", true, -1, planner.StopFailed, 3, false},
		{"fails but stopped: not LSB", false, -1, planner.Stopped, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var j []string
			ag := map[string]*fake{"a": {name: "a", running: true, journal: &j},
				"b": {name: "b", running: true, failStops: tc.failStops, stuck: tc.stuck, journal: &j}}
			e, log := setup("node1 a b", ag)
			done := e.Run(context.Background(), planner.Op{Kind: planner.Give, Groups: []string{"a"}, Why: "shutdown"})
			r := done.Results[0]
			if r.Outcome != tc.wantOutcome || (tc.stuck && (!r.StillRunning || r.FailedAt != 1)) {
				t.Errorf("result %+v", r)
			}
			n := strings.Count(strings.Join(j, ","), "b stop")
			if n != tc.wantStops {
				t.Errorf("b stopped %d times, want %d (%v)", n, tc.wantStops, j)
			}
			if j[len(j)-1] != "a stop" {
				t.Errorf("the rest of the group was not stopped: %v", j)
			}
			all := strings.Join(*log, "\n")
			if got := strings.Contains(all, "WARN: Machine reboot narrowly avoided!"); got != tc.wantLSB {
				t.Errorf("LSB lines %v, want %v:\n%s", got, tc.wantLSB, all)
			}
			if tc.failStops != 0 && !strings.Contains(all, "info: Retrying failed stop operation [b]") {
				t.Errorf("no retry line:\n%s", all)
			}
			if tc.name == "recovers on retry" {
				// ResourceManager's order: each attempt logs Running, a failure
				// its return code, then the retry line (COMPAT §11.4).
				want := []string{
					"ResourceManager(default): info: Releasing resource group: node1 a b",
					"ResourceManager(default): info: Running /etc/ha.d/resource.d/b  stop",
					"ResourceManager(default): ERROR: Return code 7 from /etc/ha.d/resource.d/b",
					"ResourceManager(default): info: Retrying failed stop operation [b]",
					"ResourceManager(default): info: Running /etc/ha.d/resource.d/b  stop",
					"ResourceManager(default): info: Running /etc/ha.d/resource.d/a  stop",
				}
				if d := cmp.Diff(want, []string(*log)); d != "" {
					t.Errorf("log (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestMissingScriptAndHeld(t *testing.T) {
	var j []string
	ag := map[string]*fake{"a": {name: "a", running: true, journal: &j}}
	e, log := setup("node1 a nosuch", ag)
	done := e.Run(context.Background(), planner.Op{Kind: planner.Take, Groups: []string{"a"}})
	if done.Results[0].Outcome != planner.StartFailed {
		t.Errorf("missing script: %+v", done.Results[0])
	}
	if !strings.Contains(strings.Join(*log, "\n"), "ERROR: Cannot locate resource script nosuch") {
		t.Errorf("log:\n%s", strings.Join(*log, "\n"))
	}
	ag["a"].running = true
	if got := e.Held(context.Background()); !cmp.Equal(got, []string{"a"}) {
		t.Errorf("Held = %v", got)
	}
}
