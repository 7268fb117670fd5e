package timeline

import (
	"fmt"
	"strings"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// journalSlack is how far outside the logs' time span journal events are still attached.
const journalSlack = time.Minute

// AttachJournal gives the log lines hbgo's journal also recorded the journal's µs time and adds the ops no line shows; it returns the records and the host the journal was matched to ("" = none).
func AttachJournal(recs []Record, events []hblog.Event) ([]Record, string) {
	if len(recs) == 0 || len(events) == 0 {
		return recs, ""
	}
	first, last := recs[0].Time, recs[0].Time
	hosts := map[string]int{}
	var order []string
	for _, r := range recs {
		if r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
		if _, ok := hosts[r.Host]; !ok {
			order = append(order, r.Host)
		}
		hosts[r.Host] = 0
	}
	var evs []hblog.Event
	for _, e := range events {
		if !e.Time.Before(first.Add(-journalSlack)) && !e.Time.After(last.Add(journalSlack)) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return recs, ""
	}
	// The journal is one node's: pick the host whose lines it matches best.
	best, bestN := "", 0
	for _, h := range order {
		if n := len(matchJournal(recs, h, evs)); n > bestN {
			best, bestN = h, n
		}
	}
	if best == "" {
		return recs, "" // another node's journal, or another time's: ms timings would be guesses
	}
	out := make([]Record, len(recs))
	copy(out, recs)
	loc := recs[0].Time.Location()
	for ri, ei := range matchJournal(recs, best, evs) {
		out[ri].Time = evs[ei].Time.In(loc)
		out[ri].Precise = true
	}
	// Ops and fences appear in no ha-log line of their own: insert them.
	var syn []Record
	kinds := map[string]string{}
	noop := map[string]bool{}
	for _, e := range evs {
		text := ""
		switch e.Kind {
		case "op":
			kinds[e.Fields["op"]] = e.Fields["kind"]
			if e.Fields["groups"] == "[]" {
				noop[e.Fields["op"]] = true // nothing to do: no step (classify), but a time for the lines around it
			}
			text = fmt.Sprintf("op %s %s %s (%s)", e.Fields["op"], e.Fields["kind"], e.Fields["groups"], e.Fields["why"])
		case "op_done":
			text = fmt.Sprintf("op %s %s done: %s", e.Fields["op"], kinds[e.Fields["op"]], outcomes(e.Fields["result"]))
		case "fence":
			text = fmt.Sprintf("fence: rebooting, %s of group %s would not stop", e.Fields["resource"], e.Fields["group"])
		case "monitor_vanished", "monitor_handover", "monitor_restart-failed", "monitor_skipped":
			// the resource monitor's events no line carries (a vanished VIP's
			// line is written once it is back; heartbeat/daemon/monitor.go)
			text = fmt.Sprintf("monitor %s %s: %s", strings.TrimPrefix(e.Kind, "monitor_"), e.Fields["resource"], e.Fields["text"])
		default:
			continue
		}
		syn = append(syn, Record{Time: e.Time.In(loc), Precise: true, Host: best, File: "journal",
			Entry: hblog.Entry{Time: e.Time.In(loc), Host: best, Entity: journalEntity, Level: hblog.Info, Text: text}})
	}
	return bracket(insertSynthetic(out, syn)), best
}

// insertSynthetic places journal-only records among a file's records:
// after every line known to come before them (exact times before, whole
// seconds before theirs, another node's lines of the same second). Among
// their own node's lines of the same second, an op (or fence) goes before
// the first resource line (Acquiring, Releasing, Running: its work) and an
// op_done after the last one.
func insertSynthetic(recs, syn []Record) []Record {
	merged := make([]Record, 0, len(recs)+len(syn))
	i := 0
	for _, s := range syn {
		closing := strings.Contains(s.Entry.Text, " done")
		// the records that surely come before s
		for i < len(recs) {
			r := recs[i]
			before := false
			switch {
			case r.Host != s.Host:
				before = !after(r, s.Time) // another node's line: order by stamp alone
			case r.Precise:
				before = !r.Time.After(s.Time)
			default:
				before = r.Time.Unix() < s.Time.Unix()
			}
			if !before {
				break
			}
			merged = append(merged, r)
			i++
		}
		// s's own node's whole-second lines of its second (and exact ones
		// not after it): place s by the work among them
		end, lastExact := i, -1
		for end < len(recs) {
			r := recs[end]
			if r.Host != s.Host {
				if after(r, s.Time) {
					break
				}
			} else if r.Precise {
				if r.Time.After(s.Time) {
					break
				}
				lastExact = end
			} else if r.Time.Unix() != s.Time.Unix() {
				break
			}
			end++
		}
		at := end // no work line: after them (the work follows in later seconds)
		if closing {
			at = i
		}
		for k := i; k < end; k++ {
			if recs[k].Host != s.Host || !(classify(recs[k].Entry, recs[k].Host).kind.isResource() || reports(recs[k].Entry.Text, s.Entry.Text)) {
				continue
			}
			if closing {
				at = k + 1
			} else {
				at = k
				break
			}
		}
		at = max(at, lastExact+1)
		merged = append(merged, recs[i:at]...)
		merged = append(merged, s)
		i = at
	}
	return append(merged, recs[i:]...)
}

// reports says whether log text is the resource monitor's line about the
// synthetic journal record syn (`monitor vanished R: …`): the line is
// written once the VIP is back or its restore failed, after the event.
func reports(text, syn string) bool {
	rest, ok := strings.CutPrefix(syn, "monitor vanished ")
	if !ok {
		return false
	}
	res, _, _ := strings.Cut(rest, ": ")
	return strings.HasPrefix(text, monitorPrefix+res+" vanished (") || strings.HasPrefix(text, monitorPrefix+res+" announced again (")
}

// bracket places each whole-second line at the exact journal time nearest
// it in its file within its second (Approx): the last one before it (it was
// written at or after that), else the next one after it (at or before).
// Lines of a second with no journal event keep their whole second.
func bracket(recs []Record) []Record {
	last := map[string]time.Time{} // per host: a merged set holds several
	for i := range recs {
		r := &recs[i]
		if r.Precise {
			last[r.Host] = r.Time
			continue
		}
		if l := last[r.Host]; !l.IsZero() && r.Time.Unix() == l.Unix() && !r.Time.After(l) {
			r.Time, r.Approx = l, true
		}
	}
	next := map[string]time.Time{}
	for i := len(recs) - 1; i >= 0; i-- {
		r := &recs[i]
		if r.Precise {
			next[r.Host] = r.Time
			continue
		}
		if n := next[r.Host]; !r.Approx && !n.IsZero() && r.Time.Unix() == n.Unix() {
			r.Time, r.Approx = n, true
		}
	}
	return recs
}

// AttachJournals gives each file its own node's journal: each journal goes
// to the file whose lines it matches best (a journal matching no file is
// not used, its ms would be guesses). It returns the files' records and, per
// journal, the host it was matched to ("" = none).
func AttachJournals(files [][]Record, journals [][]hblog.Event) ([][]Record, []string) {
	out := make([][]Record, len(files))
	copy(out, files)
	hosts := make([]string, len(journals))
	used := map[int]bool{}
	for ji, evs := range journals {
		best, bestN := -1, 0
		for fi, recs := range out {
			if used[fi] {
				continue
			}
			if n := journalMatches(recs, evs); n > bestN {
				best, bestN = fi, n
			}
		}
		if best < 0 {
			continue
		}
		out[best], hosts[ji] = AttachJournal(out[best], evs)
		used[best] = true
	}
	return out, hosts
}

// journalMatches counts the lines of recs' best-matching host that evs also recorded.
func journalMatches(recs []Record, evs []hblog.Event) int {
	seen := map[string]bool{}
	best := 0
	for _, r := range recs {
		if seen[r.Host] {
			continue
		}
		seen[r.Host] = true
		best = max(best, len(matchJournal(recs, r.Host, evs)))
	}
	return best
}

// after reports whether record r comes after instant t: whole-second lines cover their whole second.
func after(r Record, t time.Time) bool {
	if r.Precise {
		return r.Time.After(t)
	}
	return r.Time.Unix() > t.Unix()
}

// outcomeWords name planner.Outcome values as op_done's result field carries them (`key=0`).
var outcomeWords = map[string]string{"0": "started", "1": "stopped", "2": "start failed", "3": "stop failed"}

// outcomes rewrites `G1=0,G2=1` as `G1 started, G2 stopped`.
func outcomes(s string) string {
	if s == "" {
		return "nothing to do"
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if w, known := outcomeWords[v]; ok && known {
			parts[i] = k + " " + w
		}
	}
	return strings.Join(parts, ", ")
}

// matchJournal pairs events with host's lines saying the same thing in the same (or next) second; the map is record index → event index.
func matchJournal(recs []Record, host string, evs []hblog.Event) map[int]int {
	bySec := map[int64][]int{}
	for ri, r := range recs {
		if r.Host == host && r.Entry.Kind == hblog.Daemon {
			sec := r.Time.Unix()
			bySec[sec] = append(bySec[sec], ri)
		}
	}
	m := map[int]int{}
	used := map[int]bool{}
	for ei, e := range evs {
		want := journalText(e)
		if want == nil {
			continue
		}
		// the line is written after the event, so in its second or the next
	search:
		for _, sec := range []int64{e.Time.Unix(), e.Time.Unix() + 1} {
			for _, ri := range bySec[sec] {
				if !used[ri] && want(recs[ri].Entry.Text) {
					m[ri] = ei
					used[ri] = true
					break search
				}
			}
		}
	}
	return m
}

// journalText returns a test for the ha-log text the daemon writes with event e (COMPAT §8.5), nil for events with no line.
func journalText(e hblog.Event) func(string) bool {
	eq := func(s string) func(string) bool { return func(t string) bool { return t == s } }
	switch e.Kind {
	case "node_dead":
		return eq("node " + e.Node + ": is dead")
	case "link_dead":
		return eq("Link " + e.Node + ":" + e.Fields["link"] + " dead.")
	case "link_up":
		return eq("Link " + e.Node + ":" + e.Fields["link"] + " up.")
	case "status":
		return eq("Status update for node " + e.Node + ": status " + e.Fields["new"])
	case "comm_up":
		return eq("Comm_now_up(): updating status to active")
	case "shutdown":
		return func(t string) bool { return strings.HasPrefix(t, "Heartbeat shutdown in progress.") }
	case "stopped":
		return func(t string) bool { return strings.HasSuffix(t, " Heartbeat shutdown complete.") }
	case "start":
		return eq("Local status now set to: 'up'")
	case "peer_restart":
		return eq("Heartbeat restart on node " + e.Node)
	case "partition_healed":
		return eq("Cluster node " + e.Node + " returning after partition.")
	}
	return monitorText(e)
}

// monitorText returns a test for the ha-log line the resource monitor
// writes with its journal event e (haresources/monitor's Step: the same
// resource and text in both), nil for events with no line of their own.
func monitorText(e hblog.Event) func(string) bool {
	kind, ok := strings.CutPrefix(e.Kind, "monitor_")
	if !ok {
		return nil
	}
	res, text := e.Fields["resource"], e.Fields["text"]
	p := monitorPrefix
	has := func(prefix, suffix string) func(string) bool {
		return func(t string) bool { return strings.HasPrefix(t, prefix) && strings.HasSuffix(t, suffix) }
	}
	eq := func(s string) func(string) bool { return func(t string) bool { return t == s } }
	switch kind {
	case "restored": // text "in 0.4 ms"
		return has(p+res+" vanished (", "; restored "+text)
	case "announced":
		return has(p+res+" announced again (", ") "+text)
	case "failed": // text "<cause>; failure 1 in 10 min" (or "; not monitored", "; ignored")
		cause := text
		if i := strings.LastIndex(text, "; "); i >= 0 {
			cause = text[:i]
		}
		return has(p+res+" failed ("+cause+"); ", "")
	case "restarted":
		return eq(p + "group " + res + " restarted")
	case "unblock":
		return eq(p + "group " + res + " may be taken back again: " + text)
	case "cleanup":
		what := res
		if what == "" {
			what = "every resource"
		}
		return eq(p + "failure counts of " + what + " cleared by heartbeat cleanup")
	case "conflict": // text "MAC 02:…"
		return eq(p + res + " is claimed by another node too (" + text + ")")
	case "conflict-gaveup":
		return has(p+res+": ", "")
	case "stuck":
		return has(p+"group "+res+" is back on this node after its hand-over (", "")
	}
	return nil
}
