package timeline

import (
	"strings"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// Kind is what started an incident.
type Kind string

// Incident kinds.
const (
	NodeDead     Kind = "node dead"
	LinkDead     Kind = "link dead"
	Standby      Kind = "standby"
	Takeover     Kind = "takeover"
	Shutdown     Kind = "shutdown"
	Start        Kind = "start"
	Failback     Kind = "failback"
	SplitBrain   Kind = "split brain healed"
	Failure      Kind = "resource failure"
	ResourceMove Kind = "resource change"
	Monitor      Kind = "resource monitor" // hbgo's watches after start (issue 15): Arg is what and which resource
)

// Step is one line of an incident, in log order.
type Step struct {
	Record
	kind    stepKind
	subject string
	arg     string
}

// Holding is who held a resource group before and after an incident ("" = nobody, "?" = not known from the log).
type Holding struct {
	Group         string // stock's group key: its first resource (`IPaddr::10.77.0.100/24/eth0`)
	Before, After string
}

// Incident is one trigger and everything that followed from it.
type Incident struct {
	Kind     Kind
	Subject  string // the node it is about (the dead node, the standby requester, …)
	Observer string // the host whose log line started it
	Arg      string // link name, standby word, failure text
	Steps    []Step
	Holdings []Holding
	Done     bool          // a line said the incident's resource work finished
	Deadtime time.Duration // the cluster's deadtime when known (ha.cf): dates a dead node's last heartbeat

	// working: hosts whose last resource step no done mark has followed yet
	working map[string]bool
	worked  bool // some host did resource work in the incident
	// doneBy: hosts that logged a done mark (or an op's end) in it
	doneBy map[string]bool
}

// finished reports whether the incident's resource work is over on every
// node that did some: a new request after this is a new incident.
func (in *Incident) finished() bool { return in.worked && len(in.working) == 0 }

// Trigger is the step that started the incident.
func (in *Incident) Trigger() Step { return in.Steps[0] }

// joinWindow is how long after an incident's last step related lines still belong to it.
const joinWindow = 15 * time.Second

// Detect groups time-ordered records (see Merge) into incidents.
func Detect(recs []Record) []Incident {
	d := &detector{holders: map[string]string{}, touched: map[*Incident][]string{},
		before: map[*Incident]map[string]string{}, afterOf: map[*Incident]map[string]string{}}
	for _, r := range recs {
		c := classify(r.Entry, r.Host)
		if c.kind == skNone {
			continue
		}
		s := Step{Record: r, kind: c.kind, subject: c.subject, arg: c.arg}
		if !d.place(s) {
			continue
		}
		cur := d.cur
		cur.Steps = append(cur.Steps, s)
		d.last = r.Time
		if s.kind.isResource() || (s.kind == skOp && !strings.Contains(s.arg, "[]")) {
			if cur.working == nil {
				cur.working = map[string]bool{}
			}
			cur.working[r.Host], cur.worked = true, true
		}
		switch s.kind {
		case skDone, skOpDone:
			delete(cur.working, r.Host)
			if cur.doneBy == nil {
				cur.doneBy = map[string]bool{}
			}
			cur.doneBy[r.Host] = true
			if s.kind == skDone {
				cur.Done = true
			}
		case skFailure:
			if cur.Kind == ResourceMove {
				cur.Kind, cur.Arg = Failure, s.Entry.Text
			}
		case skAcquire, skRelease:
			d.hold(s)
		}
		if cur.Kind == Start && s.kind == skStandby && s.arg == "foreign" && s.subject != cur.Subject {
			cur.Kind = Failback
		}
	}
	return d.incidents()
}

// detector is Detect's state while it walks the records.
type detector struct {
	out     []*Incident
	cur     *Incident
	last    time.Time                       // time of cur's last step
	holders map[string]string               // group → the node holding it, as far as the logs tell
	touched map[*Incident][]string          // the groups each incident moved, in order
	before  map[*Incident]map[string]string // group → holder when the incident first touched it
	afterOf map[*Incident]map[string]string // group → holder after the incident's last step on it
}

// open starts a new incident at s, named for the kind of step that set it off.
func (d *detector) open(s Step) {
	cur := &Incident{Subject: s.subject, Observer: s.Host, Arg: s.arg}
	switch s.kind {
	case skNodeDead:
		cur.Kind = NodeDead
	case skLinkDead:
		cur.Kind = LinkDead
	case skStandby:
		cur.Kind = Standby
	case skTakeover:
		cur.Kind = Takeover
	case skShutdown, skShutdownNotice:
		cur.Kind = Shutdown
	case skStart, skPeerRestart:
		cur.Kind = Start
	case skPartition:
		cur.Kind = SplitBrain
	case skFailure:
		cur.Kind = Failure
		cur.Arg = s.Entry.Text
	case skMonitor:
		cur.Kind = Monitor
	default:
		cur.Kind = ResourceMove
		cur.Subject = s.Host
	}
	d.cur = cur
	d.out = append(d.out, cur)
	d.before[cur] = map[string]string{}
	d.afterOf[cur] = map[string]string{}
}

// place decides whether s joins the current incident or opens a new one; false means s belongs to none and is dropped.
func (d *detector) place(s Step) bool {
	r, cur := s.Record, d.cur
	active := cur != nil && r.Time.Sub(d.last) <= joinWindow
	switch {
	case s.kind.isTrigger():
		// A request (standby, takeover) once the cluster is stable
		// again is a new incident, however soon it comes.
		// (The other node's lines for the same request still join: it
		// has finished nothing in the incident yet.)
		request := s.kind == skStandby || s.kind == skTakeover
		anew := request && cur != nil && cur.finished() && cur.doneBy[r.Host]
		// A partition healing after the takeover it caused is over
		// is its own incident: both nodes give up and restart.
		anew = anew || (s.kind == skPartition && cur != nil && cur.Kind != SplitBrain && cur.finished())
		// A node starting again (after a crash its log does not show)
		// is a new incident.
		anew = anew || (s.kind == skStart && cur != nil && cur.started(r.Host))
		if !(cur != nil && !anew && joins(cur, s, r.Time.Sub(d.last))) {
			d.open(s)
		}
	case s.kind.isResource() || s.kind == skOp || s.kind == skOpDone:
		if !active {
			d.open(s)
		}
	default:
		if !active || (s.kind == skLinkUp && !relatesTo(cur, s.subject)) {
			return false
		}
	}
	return true
}

// hold follows who holds the group an acquire or release step s names.
func (d *detector) hold(s Step) {
	cur, r := d.cur, s.Record
	g := groupKey(s.arg)
	if _, ok := d.before[cur][g]; !ok {
		h, known := d.holders[g]
		if !known {
			h = "?"
			if cur.Kind == NodeDead && s.kind == skAcquire && s.Host != cur.Subject {
				h = cur.Subject // a takeover from a dead node takes what it held
			}
		}
		d.before[cur][g] = h
		d.touched[cur] = append(d.touched[cur], g)
	}
	// The group is the acquirer's; a release empties it only when
	// the releasing node held it (the other log may say more).
	if s.kind == skAcquire {
		d.holders[g] = r.Host
	} else if h := d.holders[g]; h == r.Host || h == "?" || h == "" {
		d.holders[g] = ""
	}
	d.afterOf[cur][g] = d.holders[g]
}

// incidents returns the incidents found, each with its groups' holdings.
func (d *detector) incidents() []Incident {
	res := make([]Incident, len(d.out))
	for i, in := range d.out {
		for _, g := range d.touched[in] {
			h := Holding{Group: g, Before: d.before[in][g], After: d.afterOf[in][g]}
			if h.After == "" && in.peerTook() {
				h.After = otherNode // the giver's log alone: it heard the peer finish
			}
			in.Holdings = append(in.Holdings, h)
		}
		res[i] = *in
	}
	return res
}

// started reports whether host's daemon start is a step of the incident already.
func (in *Incident) started(host string) bool {
	for _, s := range in.Steps {
		if s.kind == skStart && s.Host == host {
			return true
		}
	}
	return false
}

// otherNode is Holding.After when only the giver's log says the peer took the group.
const otherNode = "?other"

// peerTook reports whether a node that released the group heard the peer complete its takeover, and no node of this log acquired it.
func (in *Incident) peerTook() bool {
	took := false
	for _, s := range in.Steps {
		switch {
		case s.kind == skAcquire:
			return false
		case strings.HasPrefix(s.Entry.Text, "Other node completed standby takeover"):
			took = true
		}
	}
	return took
}

// joins reports whether trigger s, gap after cur's last step, belongs to the open incident cur rather than starting a new one.
func joins(cur *Incident, s Step, gap time.Duration) bool {
	if gap > 2*joinWindow {
		return false
	}
	// A peer declared dead after its own shutdown, deadtime later (COMPAT §5.7).
	if s.kind == skNodeDead && cur.Kind == Shutdown && cur.Subject == s.subject {
		return true
	}
	if gap > joinWindow {
		return false
	}
	switch s.kind {
	case skFailure:
		return true // a failure while an incident's resources move is one of its steps
	case skMonitor:
		// the monitor's next word on the same resource of the same node
		// (a VIP that vanished, then failed to come back; a conflict and
		// the end of its re-announces; a journal event and its line)
		// A new failure after the last one's restart is over is its own incident.
		return cur.Kind == Monitor && cur.Subject == s.subject && !cur.finished() && monFollows(cur.Arg, s.arg)
	case skNodeDead:
		// both sides of a partition declare each other dead; links die
		// with the node; stock declares a returning node dead once more
		// (its late heartbeat) as the partition heals
		return cur.Kind == NodeDead || (cur.Kind == LinkDead && cur.Subject == s.subject) || (cur.Kind == SplitBrain && relatesTo(cur, s.subject))
	case skLinkDead:
		return (cur.Kind == NodeDead || cur.Kind == LinkDead || cur.Kind == SplitBrain) && relatesTo(cur, s.subject)
	case skStandby:
		// standby is how takeover and auto_failback move groups (COMPAT §5.5, §5.6)
		switch cur.Kind {
		case Standby:
			return cur.Subject == s.subject
		case Monitor:
			return cur.Subject == s.subject // the hand-over after failover_threshold is a standby
		case Takeover, SplitBrain:
			return true
		case Start, Failback:
			// auto_failback: the peer hands back our local groups (COMPAT §5.5)
			return s.arg == "foreign" && s.subject != cur.Subject
		}
	case skTakeover:
		return cur.Kind == Takeover
	case skShutdown:
		// a healed partition restarts both nodes (COMPAT §5.8)
		return (cur.Kind == Shutdown && cur.Subject == s.subject) || cur.Kind == SplitBrain
	case skShutdownNotice:
		return (cur.Kind == Shutdown && cur.Subject == s.subject) || cur.Kind == SplitBrain
	case skStart, skPeerRestart:
		// both nodes started together, or one side seeing the other
		// restart; a healed partition restarts both (COMPAT §5.8)
		return cur.Kind == Start || cur.Kind == SplitBrain || (cur.Kind == Failback && cur.Subject == s.subject)
	case skPartition:
		return cur.Kind == SplitBrain || cur.Kind == NodeDead
	}
	return false
}

// relatesTo reports whether node is the incident's subject or one of its hosts.
func relatesTo(in *Incident, node string) bool {
	if in.Subject == node || in.Observer == node {
		return true
	}
	for _, s := range in.Steps {
		if s.Host == node || s.subject == node {
			return true
		}
	}
	return false
}

// Outage is what an incident cost: when the virtual IP and the last resource were started again, relative to the trigger, and how long the group was held by nobody.
type Outage struct {
	Trigger       time.Time
	Precise       bool          // LastStart's both ends come from the journal
	VIPUp         time.Duration // -1: no IP started
	VIPPrecise    bool          // VIPUp's both ends come from the journal
	VIPApprox     bool          // VIPUp's end is a whole-second line the journal brackets (Record.Approx)
	LastStart     time.Duration // -1: no resource started
	LastApprox    bool          // LastStart in ms, one end bracketed by the journal (Record.Approx)
	Stopped       bool          // resources were stopped (and maybe not started again)
	LastStop      time.Duration // when the last stop began, after the trigger
	Ended         bool          // the incident's resource work was seen to finish
	Failed        string        // the failure after the last start, if any (its first CRIT line, else its first line): resources are not up
	FailedAt      time.Duration // when Failed was logged, after the trigger
	FailedStop    bool          // the failure came while stopping: resources may still run
	FailedPrecise bool          // FailedAt comes from the journal

	// Down is how long the group was held by nobody: from Since to the last
	// resource up. Since is the holder's first stop, or for a dead node its
	// last heartbeat (the death line minus deadtime), else the trigger.
	Down        time.Duration // -1: no resource started
	DownPrecise bool          // both ends exact (journal)
	DownApprox  bool          // its start is the death line's whole second minus deadtime (≈)
	DownMs      bool          // Down is in ms: exact, or with an end the journal brackets
	// StopElsewhere: a planned move whose holder's stop is in no line of
	// this log; Down counts from the request, seen here
	StopElsewhere bool
	// StartElsewhere: the new holder's start is in no line of this log;
	// Down ends when the holder heard it was done (an upper bound)
	StartElsewhere bool
	Since          string        // "first stop", "last heartbeat", "detection", "request" (a failback in the taker's log) or "" (the trigger)
	SinceAt        time.Duration // Since's time relative to the trigger (negative for the last heartbeat)
	SinceApprox    bool          // SinceAt is in ms, the trigger bracketed by the journal (Record.Approx)
	Detected       time.Duration // dead node: last heartbeat to the death line (the deadtime)
	Takeover       time.Duration // dead node: the death line to the last resource up
}

// Outage computes the incident's outage from its resource steps (and journal ops when present); deadtime, when known, dates a dead node's last heartbeat.
func (in *Incident) Outage() Outage { return in.OutageWith(in.Deadtime) }

// OutageWith is Outage with the cluster's deadtime (0 = not known).
func (in *Incident) OutageWith(deadtime time.Duration) Outage {
	t := in.Trigger()
	o := Outage{Trigger: t.Time, VIPUp: -1, LastStart: -1, Ended: in.Done, Down: -1}
	end, firstStop, request := in.scanSteps(&o, t)
	if end != nil {
		o.LastStart, o.Precise = elapsed(t.Record, end.Record)
		if d, ok := bracketed(t.Record, end.Record); ok && !o.Precise {
			o.LastStart, o.LastApprox = d, true
		}
	}
	if end == nil && !o.Stopped && o.Failed == "" {
		o.Ended = true // nothing was to finish
	}
	if end == nil {
		return o
	}
	in.downtime(&o, t, deadtime, end, firstStop, request)
	o.DownMs = o.DownMs || o.DownPrecise
	return o
}

// scanSteps fills o's start, VIP, stop and failure fields from the steps and
// returns the step that ended the last start, the holder's first stop and the
// standby or takeover request (each nil when absent).
func (in *Incident) scanSteps(o *Outage, t Step) (end, firstStop, request *Step) {
	failedCrit, lastWasStop := false, false
	// The node that held the group when the incident began: its stop is
	// the outage's start (in a healed split brain the other one's is not).
	holder := ""
	if len(in.Holdings) > 0 && in.Holdings[0].Before != "?" && in.Holdings[0].Before != otherNode {
		holder = in.Holdings[0].Before
	}
	for i := range in.Steps {
		s := &in.Steps[i]
		switch s.kind {
		case skRunStart:
			// a start is done when its ResourceManager moves on (next line
			// with the same tag), else at its own line
			done := s
			o.Failed, failedCrit, lastWasStop = "", false, false
			for j := i + 1; j < len(in.Steps); j++ {
				if n := &in.Steps[j]; n.Entry.Tag == s.Entry.Tag && n.Host == s.Host {
					done = n
					break
				}
			}
			if isIP(s.arg) && o.VIPUp < 0 {
				o.VIPUp, o.VIPPrecise = elapsed(t.Record, done.Record)
				if d, ok := bracketed(t.Record, done.Record); ok && !o.VIPPrecise {
					o.VIPUp, o.VIPApprox = d, true
				}
			}
			if end == nil || !after(end.Record, done.Time) {
				end = done
			}
		case skOpDone:
			if strings.Contains(s.arg, " take ") && !strings.Contains(s.arg, "failed") && (end == nil || !after(end.Record, s.Time)) {
				end = s
			}
		case skFailure:
			if in.Kind == Monitor && end != nil && end.Host == s.Host {
				end, o.VIPUp = nil, -1 // the monitor's restart failed: none of its starts stands
			}
			crit := s.Entry.Level <= hblog.Crit
			if o.Failed == "" || crit && !failedCrit {
				o.Failed = stepText(*s)
				o.FailedAt, o.FailedPrecise = elapsed(t.Record, s.Record)
				o.FailedStop = lastWasStop
				failedCrit = crit
			}
		case skRelease, skRunStop:
			o.Stopped, lastWasStop = true, true
			o.LastStop, _ = elapsed(t.Record, s.Record)
		case skDone:
			// The monitor's restart ends with its own line (`group G
			// restarted`), written when the last start returned.
			if in.Kind == Monitor && end != nil && end.Host == s.Host && strings.HasPrefix(s.Entry.Text, monitorPrefix+"group ") {
				end = s
			}
		}
		// The node that started the group gave it up again (its give op
		// finished after the start): no start stands.
		if s.kind == skOpDone && strings.Contains(s.arg, " give ") && strings.Contains(s.arg, " stopped") &&
			end != nil && end.Host == s.Host && o.Failed == "" {
			end, o.VIPUp = nil, -1
		}
		// The holder's first stop: its give op (exact) or its first stop
		// line; of two nodes' (a healed split brain), the earlier.
		if end == nil && (s.kind == skRelease || s.kind == skRunStop || (s.kind == skOp && strings.Contains(s.arg, " give "))) &&
			(holder == "" || s.Host == holder) {
			switch {
			case firstStop == nil:
				firstStop = s
			case s.Host == firstStop.Host:
				if s.Precise && !firstStop.Precise && s.Time.Unix() <= firstStop.Time.Unix() {
					firstStop = s
				}
			case s.Precise && s.Time.Before(firstStop.Time):
				firstStop = s
			}
		}
		if request == nil && (s.kind == skStandby || s.kind == skTakeover) {
			request = s
		}
	}
	if end == nil && firstStop != nil {
		// The giver's log alone: the taker's start is in its own log, but
		// the giver hears when it is done (an upper bound).
		for i := range in.Steps {
			s := &in.Steps[i]
			if s.Host == firstStop.Host && strings.HasPrefix(s.Entry.Text, "Other node completed standby takeover") && !after(firstStop.Record, s.Time) {
				end, o.StartElsewhere = s, true
				if in.Kind == Monitor {
					o.Failed = "" // handed over after the failure: the peer runs the group
				}
				break
			}
		}
	}
	return end, firstStop, request
}

// downtime fills o's Down and Since fields: from the dead node's last heartbeat, the holder's first stop or the request to end.
func (in *Incident) downtime(o *Outage, t Step, deadtime time.Duration, end, firstStop, request *Step) {
	switch {
	case in.Kind == Monitor:
		// The resource was down from its failure, which the monitor saw
		// (a watch at once, a poll up to one interval later): count from
		// there to the last resource up, or (the giver's log alone, a
		// hand-over) to the end of the second the peer said it was done.
		o.Since = "detection"
		o.Down, o.DownPrecise, o.DownMs = o.LastStart, o.Precise, o.LastApprox
		if o.StartElsewhere && !o.Precise && !o.LastApprox {
			o.Down = time.Unix(end.Time.Unix()+1, 0).Sub(t.Time)
			o.DownMs = t.Precise || t.Approx // an exact bound from an exact start: not rounded down
		}
	case in.Kind == NodeDead && deadtime > 0:
		// The group was down from the crash, which no line dates: the last
		// heartbeat came deadtime before the death line (at its ms with
		// the journal, within the line's second without).
		o.Since, o.SinceAt = "last heartbeat", -deadtime
		o.Detected = deadtime
		o.Takeover = o.LastStart
		o.Down = deadtime + o.LastStart
		o.DownPrecise = o.Precise && t.Precise
		o.DownApprox = !t.Precise
	case in.Kind == NodeDead:
		o.Since, o.Down, o.DownPrecise = "detection", o.LastStart, o.Precise
		o.Takeover = o.LastStart
	case firstStop != nil && o.StartElsewhere:
		// An upper bound: from the first stop (or its second's start) to
		// the end of the second in which the giver heard the peer done.
		o.Since = "first stop"
		o.SinceAt, _ = elapsed(t.Record, firstStop.Record)
		from := time.Unix(firstStop.Time.Unix(), 0)
		if firstStop.Precise || firstStop.Approx {
			from, o.DownMs = firstStop.Time, true
			if d, ok := bracketed(t.Record, firstStop.Record); ok {
				o.SinceAt, o.SinceApprox = d, true
			}
		}
		o.Down = time.Unix(end.Time.Unix()+1, 0).Sub(from)
		o.LastStart, o.Precise, o.LastApprox = o.Down+o.SinceAt, false, o.SinceApprox
	case firstStop != nil:
		// If the holder started the group again after that stop (an op
		// racing the stop), it was up until that start was done.
		for i := range in.Steps {
			s := &in.Steps[i]
			if s == end {
				break
			}
			if s.Host == firstStop.Host && s.kind == skOpDone && strings.Contains(s.arg, " take ") && strings.Contains(s.arg, " started") &&
				s.Precise && firstStop.Precise && s.Time.After(firstStop.Time) {
				firstStop = s
			}
		}
		o.Since = "first stop"
		o.SinceAt, _ = elapsed(t.Record, firstStop.Record)
		if d, ok := bracketed(t.Record, firstStop.Record); ok {
			o.SinceAt, o.SinceApprox = d, true
		}
		o.Down, o.DownPrecise = elapsed(firstStop.Record, end.Record)
	case request != nil && (in.Kind == Failback || in.Kind == Start):
		// A failback: the group moves on the request the peer answers.
		o.Since = "request"
		o.SinceAt, _ = elapsed(t.Record, request.Record)
		if d, ok := bracketed(t.Record, request.Record); ok {
			o.SinceAt, o.SinceApprox = d, true
		}
		o.Down, o.DownPrecise = elapsed(request.Record, end.Record)
		if d, ok := bracketed(request.Record, end.Record); ok && !o.DownPrecise {
			o.Down, o.DownMs = d, true
		}
		o.StopElsewhere = true
	default:
		// No stop in this log: the holder's stop (if any) is in the other
		// node's log, after the request this one logged.
		o.Down, o.DownPrecise, o.DownMs = o.LastStart, o.Precise, o.LastApprox
		o.StopElsewhere = in.Kind == Standby || in.Kind == Takeover || in.Kind == Shutdown
	}
}

// bracketed is the time from a to b in ms when b is exact or bracketed by
// the journal (Record.Approx), and whether it is; a whole-second a counts
// from the start of its second (the stamp a headline shows).
func bracketed(a, b Record) (time.Duration, bool) {
	if b.Precise || b.Approx {
		return b.Time.Sub(a.Time), true
	}
	return 0, false
}

// elapsed is the time from a to b: exact when both come from the journal, else in whole seconds of their log stamps.
func elapsed(a, b Record) (time.Duration, bool) {
	if a.Precise && b.Precise {
		return b.Time.Sub(a.Time), true
	}
	return time.Duration(b.Time.Unix()-a.Time.Unix()) * time.Second, false
}

// monFollows reports whether monitor trigger arg next continues the
// incident cur opened: the same resource, and the same word (a journal
// event and its line, a conflict and its bound) or a failed restore's
// failure.
func monFollows(cur, next string) bool {
	cw, cr, _ := strings.Cut(cur, " ")
	nw, nr, _ := strings.Cut(next, " ")
	return cr == nr && (cw == nw || cw == monVanished && nw == monFailed)
}
