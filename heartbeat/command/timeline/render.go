package timeline

import (
	"fmt"
	"io"
	"strings"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// stampLayout is the absolute time shown on incident headlines.
const stampLayout = "2006-01-02 15:04:05"

// Headline is the incident's one-line summary after its start time: what happened and what it cost.
func (in *Incident) Headline() string {
	if in.Kind == Monitor {
		return in.monitorHeadline()
	}
	if o := in.Outage(); in.Kind == Failure && o.LastStart < 0 && !o.Stopped {
		return in.What() + ": " + bareText(in.Arg) // the failure is the whole story
	}
	return in.What() + ": " + in.Cost()
}

// What names the incident: kind, node and who saw it.
func (in *Incident) What() string {
	seen := ""
	if in.Observer != "" && in.Observer != in.Subject {
		seen = " (seen by " + in.Observer + ")"
	}
	switch in.Kind {
	case NodeDead:
		var others []string
		for _, s := range in.Steps[1:] {
			if s.kind == skNodeDead && s.subject != in.Subject {
				others = append(others, s.subject+" is dead (seen by "+s.Host+")")
			}
		}
		if len(others) > 0 {
			return in.Subject + " is dead" + seen + ", " + strings.Join(others, ", ") + " — split brain"
		}
		return in.Subject + " is dead" + seen
	case LinkDead:
		return "link " + in.Arg + " dead" + seen
	case Standby:
		return in.Subject + " goes standby [" + in.Arg + "]"
	case Takeover:
		if t := in.taker(); t != "" {
			return "hb_takeover: " + t + " takes resources back"
		}
		for _, s := range in.Steps {
			if s.kind == skStandby {
				return "hb_takeover: " + s.subject + " goes standby [" + s.arg + "] for the peer"
			}
		}
		return "hb_takeover"
	case Shutdown:
		if in.Observer != in.Subject {
			return in.Subject + " shuts down (notice seen by " + in.Observer + ")"
		}
		return in.Subject + " shuts down"
	case Start, Failback:
		starts := []string{in.Subject}
		for _, s := range in.Steps[1:] {
			if (s.kind == skStart || s.kind == skPeerRestart) && !contains(starts, s.subject) {
				starts = append(starts, s.subject)
			}
		}
		verb := " starts"
		if len(starts) > 1 {
			verb = " start"
		} else if in.Trigger().kind == skPeerRestart {
			verb = " restarts" + seen
		}
		if in.Kind == Failback {
			from := ""
			for _, s := range in.Steps {
				if s.kind == skStandby && s.arg == "foreign" && s.subject != in.Subject {
					from = s.subject
					break
				}
			}
			return strings.Join(starts, ", ") + verb + ": failback from " + from
		}
		return strings.Join(starts, ", ") + verb
	case SplitBrain:
		return "split brain healed: " + in.Subject + " returns after partition" + seen
	case Failure:
		return "resource failure on " + in.Observer
	case Monitor:
		word, res, _ := strings.Cut(in.Arg, " ")
		return res + " " + word + " on " + in.Subject
	}
	return "resources move on " + in.Observer
}

// taker is the first node that acquired a group in the incident.
func (in *Incident) taker() string {
	for _, s := range in.Steps {
		if s.kind == skAcquire {
			return s.Host
		}
	}
	return ""
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// coldStart reports whether the incident started resources nobody held before (a first start is no outage).
func (in *Incident) coldStart() bool {
	if in.Kind != Start && in.Kind != ResourceMove {
		return false
	}
	for _, h := range in.Holdings {
		if h.Before != "?" && h.Before != "" {
			return false
		}
	}
	return true
}

// Cost describes the outage: how long the group was held by nobody (from
// the holder's first stop, or a dead node's last heartbeat) and when it was
// back: VIP up, last resource started.
func (in *Incident) Cost() string {
	o := in.Outage()
	open := ""
	if !o.Ended {
		open = ", end not logged"
	}
	switch {
	case o.Failed != "" && o.FailedStop:
		return "resources NOT stopped: " + o.Failed + " (+" + dur(o.FailedAt, o.FailedPrecise) + ")"
	case o.Failed != "" && o.LastStart >= 0:
		return "resources NOT up: " + o.Failed + " (+" + dur(o.FailedAt, o.FailedPrecise) + ")"
	case o.LastStart >= 0 && in.coldStart():
		return "resources up +" + approx(o.LastApprox) + dur(o.LastStart, o.Precise || o.LastApprox) + open
	case o.LastStart >= 0 && in.Kind == Monitor:
		down := dur(o.Down, o.DownMs)
		switch {
		case !o.Ended:
			down = "≥ " + down
		case o.StartElsewhere:
			return "outage ≤ " + down + " from detection (the start is in the new holder's log)" + open
		}
		var parts []string
		if o.VIPUp >= 0 {
			parts = append(parts, "VIP up +"+approx(o.VIPApprox)+dur(o.VIPUp, o.VIPPrecise || o.VIPApprox))
		}
		parts = append(parts, "last resource +"+approx(o.LastApprox)+dur(o.LastStart, o.Precise || o.LastApprox))
		return "outage " + down + " from detection" + open + " (" + strings.Join(parts, ", ") + ")"
	case o.LastStart >= 0:
		down := dur(o.Down, o.DownMs)
		switch {
		case !o.Ended:
			down = "≥ " + down
		case o.DownApprox:
			down = "≈" + down
		case o.StopElsewhere && o.DownMs:
			down = "≥ " + down // the request was seen here, the stop came after it
		case o.StartElsewhere:
			down = "≤ " + down // the peer's done message came after its start
		}
		if o.StartElsewhere {
			return "outage " + down + " (first stop +" + approx(o.SinceApprox) + dur(o.SinceAt, o.SinceApprox) +
				"; the start is in the new holder's log, done before +" + dur(o.LastStart, o.LastApprox) + ")" + open
		}
		if o.Since == "last heartbeat" {
			// The crash itself is in no log: count from the last heartbeat.
			return "outage " + down + " from the last heartbeat (declared dead +" + dur(o.Detected, o.DownPrecise || o.Detected%time.Second != 0) +
				", takeover +" + dur(o.Takeover, o.Precise) + ")" + open
		}
		var parts []string
		if o.Since == "first stop" {
			parts = append(parts, "first stop +"+approx(o.SinceApprox)+dur(o.SinceAt, o.SinceApprox))
		}
		if o.VIPUp >= 0 {
			parts = append(parts, "VIP up +"+approx(o.VIPApprox)+dur(o.VIPUp, o.VIPPrecise || o.VIPApprox))
		}
		parts = append(parts, "last resource +"+approx(o.LastApprox)+dur(o.LastStart, o.Precise || o.LastApprox))
		if o.Since == "detection" {
			return "outage " + down + " from detection, plus up to deadtime before it (" + strings.Join(parts, ", ") + ")" + open
		}
		if o.StopElsewhere {
			return "outage " + down + " from the request" + open + " (stop in the holder's log; " + strings.Join(parts, ", ") + ")"
		}
		return "outage " + down + open + " (" + strings.Join(parts, ", ") + ")"
	case o.Stopped:
		return "resources stopped (last stop +" + dur(o.LastStop, false) + "); no start follows in this log" + open
	}
	return "no resource moved"
}

// approxSign marks a figure one of whose ends is estimated (a dead node's last heartbeat from whole-second stamps).
func approxSign(a bool) string {
	if a {
		return "≈"
	}
	return ""
}

// approx marks a figure whose end is a whole-second line the journal brackets.
func approx(a bool) string {
	if a {
		return "~"
	}
	return ""
}

// counts reports whether the incident's outage goes into the total, and how much.
func (in *Incident) counts() (time.Duration, bool) {
	o := in.Outage()
	if o.LastStart < 0 || in.coldStart() || o.Failed != "" {
		return 0, false
	}
	return o.Down, true
}

// rel formats an offset from the trigger: `+1s`, or `+1.234s` with journal precision.
func rel(d time.Duration, precise bool) string {
	if precise {
		return fmt.Sprintf("+%.3fs", d.Seconds())
	}
	return fmt.Sprintf("+%ds", int64(d/time.Second))
}

// dur formats an outage: `2 s` or `2.350 s`.
func dur(d time.Duration, precise bool) string {
	if precise {
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return fmt.Sprintf("%d s", int64(d/time.Second))
}

// stepText is how a step reads: daemon lines keep their level word unless info, script lines lead with their script.
func stepText(s Step) string {
	e := s.Entry
	switch {
	case e.Entity == journalEntity:
		return "journal: " + e.Text
	case e.Kind == hblog.Script:
		return e.Entity + ": " + stripLevel(e.Text)
	case e.Level != hblog.Info:
		return e.Level.String() + " " + e.Text
	}
	return e.Text
}

// offset is a step's time after the trigger: ms when both come from the
// journal, `~` ms when the step is a whole-second line the journal brackets
// (Record.Approx: shown at the exact time just before it), whole seconds
// otherwise.
func offset(trigger, s Step) string {
	if d, ok := bracketed(trigger.Record, s.Record); ok && !(trigger.Precise && s.Precise) {
		return "~" + rel(d, true)
	}
	return rel(elapsed(trigger.Record, s.Record))
}

// Write prints the incidents for humans, then a summary line naming files.
//
// Each incident is a headline (`<start> <what>: <cost>`), one line per
// resource group it moved (`group <key>: <before> → <after>`), then its steps:
// offset from the trigger (`+1s`, `+1.234s` when both lines have journal
// times, `~+1.234s` for a whole-second line placed at the journal time next
// to it), host, and the line's text (daemon level word unless info; script
// lines led by their script name). Incidents are separated by a blank line.
func Write(w io.Writer, incidents []Incident, files []string) error {
	return WriteWith(w, incidents, files, Options{})
}

// Options adjust Write's output.
type Options struct {
	// Deadtime, when known (ha.cf), dates a dead node's last heartbeat:
	// the node went silent that long before it was declared dead, and no
	// ha-log line says when (COMPAT §5.2); the outage counts from there.
	Deadtime time.Duration
}

// WriteWith is Write with options.
func WriteWith(w io.Writer, incidents []Incident, files []string, opts Options) error {
	hostW := 0
	for _, in := range incidents {
		for _, s := range in.Steps {
			hostW = max(hostW, len(s.Host))
		}
	}
	var b strings.Builder
	var total time.Duration
	counted, open := 0, 0
	precise, approxTotal := true, false
	for i := range incidents {
		in := &incidents[i]
		if opts.Deadtime > 0 {
			in.Deadtime = opts.Deadtime
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		t := in.Trigger()
		fmt.Fprintf(&b, "%s %s\n", t.Time.Format(stampLayout), in.Headline())
		for _, h := range in.Holdings {
			fmt.Fprintf(&b, "    group %s: %s → %s\n", h.Group, holder(h.Before), holder(h.After))
		}
		for _, s := range in.Steps {
			fmt.Fprintf(&b, "  %9s %-*s %s\n", offset(t, s), hostW, s.Host, stepText(s))
		}
		if d, ok := in.counts(); ok {
			total += d
			counted++
			precise = precise && in.Outage().DownPrecise
			approxTotal = approxTotal || in.Outage().DownApprox
		}
		if o := in.Outage(); !o.Ended || o.Failed != "" {
			open++
		}
	}
	if len(incidents) > 0 {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s: %s", strings.Join(files, ", "), plural(len(incidents), "incident"))
	if len(incidents) > 0 {
		first := incidents[0].Trigger().Time
		last := incidents[len(incidents)-1].Trigger().Time
		fmt.Fprintf(&b, " from %s to %s", first.Format(stampLayout), last.Format(stampLayout))
	}
	fmt.Fprintf(&b, ", %s with an outage, total outage %s", plural(counted, "incident"), approxSign(approxTotal)+dur(total, precise && counted > 0 || total%time.Second != 0))
	if open > 0 {
		fmt.Fprintf(&b, ", %d unresolved (failed, or end not logged)", open)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// holder names who held a group.
func holder(h string) string {
	switch h {
	case "":
		return "nobody"
	case "?":
		return "unknown"
	case otherNode:
		return "the other node"
	}
	return h
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// monitorHeadline names what the resource monitor saw and what it did,
// from its own lines (haresources/monitor's texts) and, with the journal,
// the events no line carries.
func (in *Incident) monitorHeadline() string {
	word, res, _ := strings.Cut(in.Arg, " ")
	var lines []string // the monitor's lines of this node, without the prefix
	cause := ""
	for _, s := range in.Steps {
		if s.Host != in.Subject {
			continue
		}
		if m, ok := strings.CutPrefix(s.Entry.Text, monitorPrefix); ok && s.Entry.Entity != journalEntity {
			lines = append(lines, m)
		}
		if c, ok := strings.CutPrefix(s.Entry.Text, "monitor vanished "+res+": "); ok && s.Entry.Entity == journalEntity && cause == "" {
			cause = c
		}
	}
	first := func(prefixes ...string) (string, bool) {
		for _, l := range lines {
			for _, p := range prefixes {
				if strings.HasPrefix(l, p) {
					return l, true
				}
			}
		}
		return "", false
	}
	on := " on " + in.Subject
	switch word {
	case monVanished:
		l, ok := first(res+" vanished (", res+" announced again (")
		if !ok {
			return res + " vanished" + on + " (" + cause + "): the restore is not in the log"
		}
		if r, again := strings.CutPrefix(l, res+" announced again "); again {
			c, rest := parenArg(r)
			return res + " vanished" + on + " (" + c + "): still configured, announced again" + rest
		}
		c, rest := parenArg(strings.TrimPrefix(l, res+" vanished "))
		return res + " vanished" + on + " (" + c + "): " + strings.TrimPrefix(rest, "; ") + in.monitorThen()
	case monFailed:
		l, ok := first(res + " failed (")
		if !ok {
			return res + " failed" + on
		}
		c, rest := parenArg(strings.TrimPrefix(l, res+" failed "))
		return res + " failed" + on + " (" + c + "): " + strings.TrimPrefix(rest, "; ") + monitorSetbacks(lines) + in.monitorThen()
	case monConflict:
		l, _ := first(res + " is claimed by another node too (")
		mac, _ := parenArg(strings.TrimPrefix(l, res+" is claimed by another node too "))
		h := res + " claimed by another node too (" + mac + "), seen" + on + ": announced again"
		if _, gave := first(res + ": "); gave {
			h += "; re-announces stopped at their bound (CRIT)"
		}
		return h
	case monStuck:
		l, _ := first("group " + res + " is back on this node after its hand-over (")
		why, _ := parenArg(strings.TrimPrefix(l, "group "+res+" is back on this node after its hand-over "))
		return "group " + res + " back" + on + " after its hand-over (" + why + "): restarted here with backoff" + in.monitorThen()
	case monCleanup:
		h := "heartbeat cleanup" + on + ": failure counts of " + res + " cleared"
		for _, l := range lines {
			if g, ok := between(l, "group ", " may be taken back again: heartbeat cleanup"); ok {
				h += "; group " + g + " may be taken back"
			}
		}
		return h
	}
	return in.What() + ": " + in.Cost()
}

// monitorSetbacks lists, "; " before each, the monitor's own failures
// after its decision: a restart or a hand-over that failed, and what it
// did next (`restart failed (E): handing it over to the peer`).
func monitorSetbacks(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		g, ok := strings.CutPrefix(l, "group ")
		if !ok {
			continue
		}
		_, rest, _ := strings.Cut(g, " ")
		if strings.HasPrefix(rest, "restart failed (") || strings.HasPrefix(rest, "hand-over failed (") {
			b.WriteString("; " + rest)
		}
	}
	return b.String()
}

// monitorThen is what a monitor decision cost, when resources moved: "; "
// and the outage; nothing when none did.
func (in *Incident) monitorThen() string {
	if o := in.Outage(); o.LastStart < 0 && !o.Stopped && o.Failed == "" {
		return ""
	}
	return "; " + in.Cost()
}

// parenArg splits "(a (b)) rest" into "a (b)" and " rest"; text without a
// leading parenthesis comes back whole as rest.
func parenArg(s string) (arg, rest string) {
	if !strings.HasPrefix(s, "(") {
		return "", s
	}
	depth := 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:i], s[i+1:]
			}
		}
	}
	return s[1:], ""
}
