package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// Call is one stamped line of a recording log: the drbdadm stand-in's
// /var/log/drbdadm.calls or the demo service's log (`<unix.nanos> words…`).
type Call struct {
	Time  time.Time
	Words []string
}

// ParseCalls reads a stamped recording log; a line that does not start with
// a `seconds.fraction` stamp is an error naming file and line.
func ParseCalls(r io.Reader, name string) ([]Call, error) {
	var out []Call
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64*1024)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		t, err := parseStamp(f[0])
		if err != nil {
			return out, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, Call{Time: t, Words: f[1:]})
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// parseStamp reads `date +%s.%N` output (seconds, optional fraction up to ns).
func parseStamp(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || secs < 0 || secs > 1<<40 {
		return time.Time{}, fmt.Errorf("bad time stamp %q; want seconds.nanoseconds as date +%%s.%%N prints", s)
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		v, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad time stamp %q; want seconds.nanoseconds as date +%%s.%%N prints", s)
		}
		ns = int64(v)
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	return time.Unix(secs, ns), nil
}

// Sources is everything the failover timeline is built from: node2's
// records and what the demo observed itself (zero times: not seen).
type Sources struct {
	T0      time.Time     // the crash: node1's daemon killed and its links cut
	Dead    string        // the crashed node ("node1")
	Journal []hblog.Event // the survivor's hbgo journal
	Drbdadm []Call        // the survivor's drbdadm stand-in calls
	Service []Call        // the survivor's demo service log

	LastHeartbeat time.Time // last heartbeat packet from Dead seen by the survivor
	Mounted       time.Time // shared filesystem appeared in the survivor's mounts
	VIPAdded      time.Time // the VIP's RTM_NEWADDR on the survivor
	GARP          time.Time // first gratuitous ARP for the VIP from the survivor, seen by the client
	Served        time.Time // the client's first answer from the survivor
}

// Step is one line of the timeline; a zero At means it was not seen.
type Step struct {
	What string
	At   time.Time
}

// Timeline returns the failover steps after T0 in time order (those not
// seen last, in their natural order).
func Timeline(s Sources) []Step {
	after := func(t time.Time) bool { return !t.Before(s.T0) }
	var dead, take, done time.Time
	takeOp := ""
	for _, e := range s.Journal {
		if !after(e.Time) {
			continue
		}
		switch {
		case dead.IsZero() && e.Node == s.Dead && (e.Kind == hblog.EvNodeDead || e.Kind == hblog.EvStatus && e.Fields["new"] == "dead"):
			dead = e.Time
		case take.IsZero() && e.Kind == "op" && e.Fields["kind"] == "take" && e.Fields["groups"] != "[]":
			// The op that starts groups (mach_down); an op with no groups
			// is the bookkeeping req_our_resources of a node holding none.
			take, takeOp = e.Time, e.Fields["op"]
		case done.IsZero() && takeOp != "" && e.Kind == "op_done" && e.Fields["op"] == takeOp:
			done = e.Time
		}
	}
	// firstCall is the first line after T0 whose word i is word.
	firstCall := func(calls []Call, i int, word string) time.Time {
		for _, c := range calls {
			if after(c.Time) && len(c.Words) > i && c.Words[i] == word {
				return c.Time
			}
		}
		return time.Time{}
	}
	steps := []Step{
		{"last heartbeat from " + s.Dead, s.LastHeartbeat},
		{s.Dead + " declared dead", dead},
		{"takeover started", take},
		{"drbdadm primary", firstCall(s.Drbdadm, 1, "primary")},
		{"filesystem mounted", s.Mounted},
		{"VIP added", s.VIPAdded},
		{"first gratuitous ARP at the client", s.GARP},
		{"service start called", firstCall(s.Service, 0, "start")},
		{"service listening", firstCall(s.Service, 0, "listening")},
		{"takeover complete", done},
		{"client served again", s.Served},
	}
	sort.SliceStable(steps, func(i, j int) bool {
		a, b := steps[i].At, steps[j].At
		if a.IsZero() || b.IsZero() {
			return !a.IsZero() && b.IsZero()
		}
		return a.Before(b)
	})
	return steps
}

// WriteTimeline prints steps as milliseconds since t0, one per line.
func WriteTimeline(w io.Writer, t0 time.Time, steps []Step) {
	fmt.Fprintf(w, "failover timeline (ms after the crash):\n")
	for _, s := range steps {
		if s.At.IsZero() {
			fmt.Fprintf(w, "  %8s  %s\n", "-", s.What+" (not seen)")
			continue
		}
		fmt.Fprintf(w, "  %8.1f  %s\n", Ms(s.At.Sub(t0)), s.What)
	}
}

// Ms is d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
