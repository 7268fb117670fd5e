package monitor

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

var epoch = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// TestScenarios runs testdata/scenarios/*.txt. Commands:
//
//	new [threshold=N] [window=D] [reannounce=N] [failures=(res@-1m, …)]
//	<one group per line: resources separated by blanks, each NAME or NAME|on-fail>
//
//	run
//	<events, one per line>
//
// Events: tick <duration> (advance the clock, then Tick), peer <state>,
// held <group> on|off [kept] (kept: off while the planner is busy, the
// group still here), vanished <res> <cause…>, restored <res> <ms> [error…|present],
// failed <res> <cause…>, conflict <res> <mac>, done restart|standby <group>
// [error…|skipped], cleanup [res], started (the daemon's start, with the
// failures= counts loaded). The output is every action, prefixed with the
// clock since the start. After every event the runner checks that
// Machine.Blocked agrees with the Block actions so far (what the planner
// was told): a block the machine drops without a Block off would leave the
// planner refusing the group while status says it is not handed over.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		var m *Machine
		var keys []string
		told := map[string]bool{} // group → the last Block's On
		now := epoch
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "new":
				cfg := Config{}
				for _, a := range d.CmdArgs {
					switch a.Key {
					case "threshold":
						fmt.Sscan(a.Vals[0], &cfg.Threshold)
					case "reannounce":
						fmt.Sscan(a.Vals[0], &cfg.ReannounceMax)
					case "failures":
						// counts on disk: res@-1m …, relative to the start
						cfg.Counts = Counts{}
						for _, v := range a.Vals {
							res, ago, _ := strings.Cut(v, "@")
							dd, err := time.ParseDuration(ago)
							if err != nil {
								d.Fatalf(t, "failures: %v", err)
							}
							cfg.Counts[res] = append(cfg.Counts[res], epoch.Add(dd))
						}
					case "window":
						w, err := time.ParseDuration(a.Vals[0])
						if err != nil {
							d.Fatalf(t, "window: %v", err)
						}
						cfg.Window = w
					default:
						d.Fatalf(t, "unknown argument %s", a.Key)
					}
				}
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					var g Group
					for _, w := range strings.Fields(line) {
						name, of, _ := strings.Cut(w, "|")
						g.Resources = append(g.Resources, Resource{Name: name, OnFail: OnFail(of)})
					}
					g.Key = g.Resources[0].Name
					cfg.Groups = append(cfg.Groups, g)
				}
				m, now = New(cfg), epoch
				keys, told = nil, map[string]bool{}
				for _, g := range cfg.Groups {
					keys = append(keys, g.Key)
				}
				return ""
			case "run":
				var b strings.Builder
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					f := strings.Fields(line)
					if len(f) == 0 {
						continue
					}
					fmt.Fprintf(&b, "> %s\n", line)
					rest := strings.Join(f[1:], " ")
					arg := func(i int) string {
						if i < len(f) {
							return f[i]
						}
						d.Fatalf(t, "%q: missing argument %d", line, i)
						return ""
					}
					tail := func(i int) string {
						if i < len(f) {
							return strings.Join(f[i:], " ")
						}
						return ""
					}
					var ev Event
					switch f[0] {
					case "tick":
						dd, err := time.ParseDuration(arg(1))
						if err != nil {
							d.Fatalf(t, "%q: %v", line, err)
						}
						now = now.Add(dd)
						ev = Tick{}
					case "peer":
						ev = Peer{State: arg(1)}
					case "held":
						ev = Held{Group: arg(1), On: arg(2) == "on", Kept: tail(3) == "kept"}
					case "vanished":
						ev = Vanished{Resource: arg(1), Cause: tail(2)}
					case "restored":
						took, err := time.ParseDuration(arg(2))
						if err != nil {
							d.Fatalf(t, "%q: %v", line, err)
						}
						ev = Restored{Resource: arg(1), Took: took, Err: tail(3)}
						if tail(3) == "present" {
							ev = Restored{Resource: arg(1), Took: took, Present: true}
						}
					case "failed":
						ev = Failed{Resource: arg(1), Cause: tail(2)}
					case "conflict":
						ev = Conflict{Resource: arg(1), MAC: arg(2)}
					case "done":
						ev = OpDone{Op: arg(1), Group: arg(2), Err: tail(3)}
						if tail(3) == "skipped" {
							ev = OpDone{Op: arg(1), Group: arg(2), Skipped: true}
						}
					case "cleanup":
						ev = Cleanup{Resource: rest}
					case "started":
						ev = Started{}
					default:
						d.Fatalf(t, "unknown event %q", line)
					}
					for _, a := range m.Step(now, ev) {
						fmt.Fprintf(&b, "%s %s\n", clock(now), render(now, a))
						if bl, ok := a.(Block); ok {
							told[bl.Group] = bl.On
						}
					}
					for _, k := range keys {
						if m.Blocked(k) != told[k] {
							d.Fatalf(t, "%q: Blocked(%s) = %v, but the last Block told the planner %v", line, k, m.Blocked(k), told[k])
						}
					}
				}
				return b.String()
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}

func clock(now time.Time) string { return "+" + now.Sub(epoch).String() }

func render(now time.Time, a Action) string {
	switch a := a.(type) {
	case RestartFrom:
		return fmt.Sprintf("restart %s: stop %s; start %s", a.Group, strings.Join(a.Stop, " "), strings.Join(a.Start, " "))
	case HandOver:
		return "handover " + a.Group
	case Restore:
		return "restore " + a.Resource
	case Reannounce:
		return "reannounce " + a.Resource
	case Log:
		return fmt.Sprintf("log %s: %s", a.Level, a.Text)
	case Journal:
		return fmt.Sprintf("journal %s %s: %s", a.Kind, a.Resource, a.Text)
	case Persist:
		var s []string
		for r, ts := range a.Counts {
			s = append(s, fmt.Sprintf("%s=%d", r, len(ts)))
		}
		sort.Strings(s)
		if len(s) == 0 {
			s = []string{"(no failures)"}
		}
		return "persist " + strings.Join(s, " ")
	case Block:
		if a.On {
			return "block " + a.Group
		}
		return "unblock " + a.Group
	}
	return fmt.Sprintf("%#v", a)
}

func TestNextDeadline(t *testing.T) {
	m := New(Config{Threshold: 1, Groups: []Group{{Key: "g", Resources: []Resource{{Name: "demo", OnFail: Restart}}}}})
	if d := m.NextDeadline(); !d.IsZero() {
		t.Fatalf("idle: %v", d)
	}
	m.Step(epoch, Peer{State: "dead"})
	m.Step(epoch, Held{Group: "g", On: true})
	m.Step(epoch, Failed{Resource: "demo", Cause: "x"})
	if d := m.NextDeadline(); !d.Equal(epoch.Add(DefaultWindow)) {
		t.Errorf("after a failure: %v", d)
	}
	m.Step(epoch, OpDone{Op: "restart", Group: "g", Err: "start failed"})
	if d := m.NextDeadline(); !d.Equal(epoch.Add(DefaultBackoffMin)) {
		t.Errorf("stuck: %v", d)
	}
}
