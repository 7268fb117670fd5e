package planner

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runAlone drives one planner with no peer: every Op succeeds, every Send
// comes back as its loopback copy, and the clock moves a second per round.
// It returns the actions as text, ticks left out.
func runAlone(t *testing.T, mode Mode, groups string, events ...Event) []string {
	t.Helper()
	now := epoch
	p := New(Config{Us: "node1", AutoFailback: mode, Groups: parseGroups(t, groups)}, now)
	var out []string
	var queue []Event
	step := func(ev Event) {
		for _, a := range p.Step(ev) {
			switch a := a.(type) {
			case Op:
				out = append(out, fmt.Sprintf("op %s %v", a.Kind, a.Groups))
				var rs []GroupResult
				for _, k := range a.Groups {
					o := Started
					if a.Kind == Give {
						o = Stopped
					}
					rs = append(rs, GroupResult{Key: k, Outcome: o})
				}
				queue = append(queue, OpDone{OpID: a.ID, Results: rs})
			case Send:
				queue = append(queue, Msg{M: a.M, From: "node1"})
			case Log:
				if a.Level >= Warn || strings.HasPrefix(a.Text, "hbgo:") {
					out = append(out, fmt.Sprintf("log %s: %s", a.Level, a.Text))
				}
			case ShutdownDone:
				out = append(out, "shutdown done")
			}
		}
	}
	for _, ev := range events {
		step(ev)
		for round := 0; round < 30; round++ {
			for len(queue) > 0 {
				e := queue[0]
				queue = queue[1:]
				step(e)
			}
			now = now.Add(time.Second)
			step(Tick{Now: now})
		}
	}
	out = append(out, "rscstatus "+p.Word())
	return out
}

// TestAlone: a node alone in ha.cf starts its groups at comm up and stops
// them on shutdown, in every auto_failback mode (hbgo departure e; before
// it, nice_failback stayed in STARTING and the shutdown never completed).
func TestAlone(t *testing.T) {
	const groups = "node1 IPaddr::10.0.0.1 fs1\nnode1 IPaddr::10.0.0.2"
	alone := "log info: hbgo: no other node in ha.cf: acquiring our resources without waiting for a peer"
	up := []string{alone, "op take [IPaddr::10.0.0.1 IPaddr::10.0.0.2]"}
	for _, tc := range []struct {
		name   string
		mode   Mode
		events []Event
		want   []string
	}{
		{name: "on: starts", mode: On, events: []Event{CommUp{}},
			want: append(up, "rscstatus local")},
		{name: "off: starts", mode: Off, events: []Event{CommUp{}},
			want: append(up, "rscstatus local")},
		{name: "on: starts and stops", mode: On, events: []Event{CommUp{}, Shutdown{}},
			want: append(up, "op give [IPaddr::10.0.0.1 IPaddr::10.0.0.2]", "shutdown done", "rscstatus none")},
		{name: "off: starts and stops", mode: Off, events: []Event{CommUp{}, Shutdown{}},
			want: append(up, "op give [IPaddr::10.0.0.1 IPaddr::10.0.0.2]", "shutdown done", "rscstatus none")},
		{name: "legacy: starts and stops", mode: Legacy, events: []Event{CommUp{}, Shutdown{}},
			want: append(up[1:], "op give [IPaddr::10.0.0.1 IPaddr::10.0.0.2]", "shutdown done", "rscstatus none")},
		{name: "on: shutdown asked before comm up", mode: On, events: []Event{Shutdown{}, CommUp{}},
			want: []string{"log WARN: Shutdown delayed until Communication is up.", alone,
				"op take [IPaddr::10.0.0.1 IPaddr::10.0.0.2]",
				"log WARN: Shutdown delayed until current resource activity finishes.",
				"log info: hbgo: not starting resource group IPaddr::10.0.0.1: shutdown in progress",
				"log info: hbgo: not starting resource group IPaddr::10.0.0.2: shutdown in progress",
				"op give [IPaddr::10.0.0.1 IPaddr::10.0.0.2]", "shutdown done", "rscstatus none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, runAlone(t, tc.mode, groups, tc.events...)); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
		})
	}
}
