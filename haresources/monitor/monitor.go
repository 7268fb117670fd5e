// Package monitor decides what happens when a resource this node holds fails after its start: repair a VIP in place, restart the group from the failed resource, or hand the group to the peer.
package monitor

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Defaults of the hbgo.cf directives and of the bounds that have none.
const (
	DefaultThreshold     = 3                // failover_threshold
	DefaultWindow        = 10 * time.Minute // failure_window
	DefaultReannounceMax = 3                // conflict re-announces per ConflictWindow
	ConflictWindow       = time.Minute      // claimant MAC logged at most once per window
	DefaultBackoffMin    = 2 * time.Second  // first local retry when the peer cannot take the group
	DefaultBackoffMax    = 5 * time.Minute  // longest wait between local retries
)

// OnFail is what a failure of a resource does.
type OnFail string

// The on-fail values of the monitor directive.
const (
	Repair  OnFail = ""        // no monitor line: a VIP is restored and re-announced, nothing else
	Restart OnFail = "restart" // restart the group from the resource; hand over after the threshold
	Standby OnFail = "standby" // hand the group over at once
	Ignore  OnFail = "ignore"  // log it, count nothing
)

// Resource is one resource of a group as the monitor sees it.
type Resource struct {
	Name   string // haresources token, e.g. IPaddr::10.0.0.5/24/eth0
	OnFail OnFail // Repair unless a monitor line names the resource
}

// Group is one haresources group in start order.
type Group struct {
	Key       string // the group's key (its first token)
	Resources []Resource
}

// Config is what the machine is built with.
type Config struct {
	Groups        []Group
	Threshold     int           // failures within Window that hand the group over; 0 = DefaultThreshold
	Window        time.Duration // 0 = DefaultWindow
	ReannounceMax int           // 0 = DefaultReannounceMax
	BackoffMin    time.Duration // 0 = DefaultBackoffMin
	BackoffMax    time.Duration // 0 = DefaultBackoffMax
	Counts        Counts        // failure times loaded from disk
}

// Counts maps a resource name to the times of its failures, oldest first.
type Counts map[string][]time.Time

// Clone returns a deep copy.
func (c Counts) Clone() Counts {
	o := Counts{}
	for k, v := range c {
		o[k] = append([]time.Time(nil), v...)
	}
	return o
}

// Event is an input of Step.
type Event interface{ event() }

// Events.
type (
	// Tick lets time-driven decisions run (backoff retries, window expiry).
	Tick struct{}
	// Held says whether this node now holds the group (started or released).
	// Kept (off only): the planner still holds the group and is busy with
	// resource work, so its watches pause; the group was not given away or
	// stopped, and a local retry waiting out its backoff stays due.
	Held struct {
		Group string
		On    bool
		Kept  bool
	}
	// Peer is the peer's state as membership reports it: active, dead, standby…
	Peer struct{ State string }
	// Vanished says a native resource disappeared (a VIP removed); Cause
	// names what saw it, e.g. "netlink RTM_DELADDR".
	Vanished struct{ Resource, Cause string }
	// Restored is the end of a Restore: Took is how long it took, Err its
	// failure; Skipped means the shell dropped it (a cluster operation on
	// the group ran first).
	Restored struct {
		Resource string
		Took     time.Duration
		Err      string
		Skipped  bool
		Present  bool // it was still configured: only announced again
	}
	// Failed says a watch or a status check found the resource failed.
	Failed struct{ Resource, Cause string }
	// Conflict says another MAC answered ARP for a held VIP.
	Conflict struct{ Resource, MAC string }
	// OpDone is the end of a Restart or a Standby the machine asked for.
	OpDone struct {
		Op      string // "restart" or "standby"
		Group   string
		Err     string // "" = success
		Skipped bool   // the shell dropped it: a cluster operation ran first
	}
	// Cleanup clears the failure count of Resource ("" = every resource).
	Cleanup struct{ Resource string }
)

func (Tick) event()     {}
func (Held) event()     {}
func (Peer) event()     {}
func (Vanished) event() {}
func (Restored) event() {}
func (Failed) event()   {}
func (Conflict) event() {}
func (OpDone) event()   {}
func (Cleanup) event()  {}

// Action is an output of Step.
type Action interface{ action() }

// Actions.
type (
	// RestartFrom stops Stop (reverse order already) then starts Start.
	RestartFrom struct {
		Group       string
		Stop, Start []string
	}
	// HandOver gives the group to the peer with the standby protocol.
	HandOver struct{ Group string }
	// Restore puts a vanished VIP back (same label, netmask) and announces it.
	Restore struct{ Resource string }
	// Reannounce sends the gratuitous ARPs for a held VIP again.
	Reannounce struct{ Resource string }
	// Log is one ha-log line.
	Log struct{ Level, Text string }
	// Journal is one event-journal record.
	Journal struct{ Kind, Resource, Text string }
	// Persist asks for the failure counts to be written to disk.
	Persist struct{ Counts Counts }
	// Block forbids (On) or allows again taking the group back, auto_failback
	// included. HandOver: the block begins with a hand-over (On) or ends
	// because it failed and the group stayed here (off); the monitor's own
	// lines tell both, so the planner logs neither.
	Block struct {
		Group    string
		On       bool
		HandOver bool
	}
)

func (RestartFrom) action() {}
func (HandOver) action()    {}
func (Restore) action()     {}
func (Reannounce) action()  {}
func (Log) action()         {}
func (Journal) action()     {}
func (Persist) action()     {}
func (Block) action()       {}

// Prefix starts every ha-log line of the monitor.
const Prefix = "hbgo-monitor: "

type groupState struct {
	g         Group
	held      bool
	busy      string    // op under way: "restart", "standby" or ""
	handedAt  time.Time // when this node handed the group over; zero = not
	stuck     bool      // the peer cannot take it: restart locally with backoff
	back      bool      // its return after the hand-over at handedAt was told (CRIT once)
	backoff   time.Duration
	retryAt   time.Time // next local retry while stuck and stopped
	retryFrom int
}

type conflictState struct {
	sent    []time.Time
	lastLog map[string]time.Time // MAC → last logged
	gaveUp  bool
}

// Machine is the monitor's state.
type Machine struct {
	cfg      Config
	peer     string
	groups   []*groupState
	byRes    map[string]*groupState
	index    map[string]int // resource → position in its group
	onFail   map[string]OnFail
	counts   Counts
	seen     map[string]uint64 // resource → failures counted since New; cleanup and the window leave it
	conflict map[string]*conflictState
	vanished map[string]string // resource → cause, while a Restore runs
}

// New returns a machine for cfg.
func New(cfg Config) *Machine {
	if cfg.Threshold <= 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.ReannounceMax <= 0 {
		cfg.ReannounceMax = DefaultReannounceMax
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	m := &Machine{cfg: cfg, byRes: map[string]*groupState{}, index: map[string]int{}, onFail: map[string]OnFail{},
		counts: cfg.Counts.Clone(), seen: map[string]uint64{}, conflict: map[string]*conflictState{}, vanished: map[string]string{}}
	for _, g := range cfg.Groups {
		gs := &groupState{g: g}
		m.groups = append(m.groups, gs)
		for i, r := range g.Resources {
			m.byRes[r.Name] = gs
			m.index[r.Name] = i
			m.onFail[r.Name] = r.OnFail
		}
	}
	return m
}

// Count returns the failures of res within the window ending at now.
func (m *Machine) Count(now time.Time, res string) int {
	n := 0
	for _, t := range m.counts[res] {
		if now.Sub(t) < m.cfg.Window {
			n++
		}
	}
	return n
}

// Seen returns the failures of res this machine counted since New (those
// Count includes when they happen, loaded ones not): a counter that
// neither Cleanup nor the window takes back.
func (m *Machine) Seen(res string) uint64 { return m.seen[res] }

// Blocked reports whether this node refuses to take group back.
func (m *Machine) Blocked(group string) bool {
	for _, gs := range m.groups {
		if gs.g.Key == group {
			return !gs.handedAt.IsZero()
		}
	}
	return false
}

func (m *Machine) group(key string) *groupState {
	for _, gs := range m.groups {
		if gs.g.Key == key {
			return gs
		}
	}
	return nil
}

type out struct{ a []Action }

func (o *out) log(level, format string, args ...any) {
	o.a = append(o.a, Log{Level: level, Text: Prefix + fmt.Sprintf(format, args...)})
}
func (o *out) journal(kind, res, format string, args ...any) {
	o.a = append(o.a, Journal{Kind: kind, Resource: res, Text: fmt.Sprintf(format, args...)})
}
func (o *out) add(a Action) { o.a = append(o.a, a) }

// Step applies ev at now and returns what to do, in order.
func (m *Machine) Step(now time.Time, ev Event) []Action {
	o := &out{}
	switch e := ev.(type) {
	case Tick:
		m.tick(now, o)
	case Peer:
		m.peer = e.State
	case Held:
		m.held(now, e, o)
	case Vanished:
		gs := m.byRes[e.Resource]
		if gs == nil || !gs.held || gs.busy != "" {
			return nil
		}
		if _, ok := m.vanished[e.Resource]; ok {
			return nil // a Restore is under way
		}
		m.vanished[e.Resource] = e.Cause
		o.journal("vanished", e.Resource, "%s", e.Cause)
		o.add(Restore{Resource: e.Resource})
	case Restored:
		cause, ok := m.vanished[e.Resource]
		if !ok {
			return nil
		}
		delete(m.vanished, e.Resource)
		if e.Skipped {
			break
		}
		if e.Err == "" && e.Present {
			o.log("info", "%s announced again (%s) in %s", e.Resource, cause, ms(e.Took))
			o.journal("announced", e.Resource, "in %s", ms(e.Took))
			break
		}
		if e.Err == "" {
			o.log("info", "%s vanished (%s); restored in %s", e.Resource, cause, ms(e.Took))
			o.journal("restored", e.Resource, "in %s", ms(e.Took))
			break
		}
		o.log("ERROR", "%s vanished (%s); restore failed: %s", e.Resource, cause, e.Err)
		m.fail(now, e.Resource, "restore failed: "+e.Err, o)
	case Failed:
		m.fail(now, e.Resource, e.Cause, o)
	case Conflict:
		m.conflictEv(now, e, o)
	case OpDone:
		m.opDone(now, e, o)
	case Cleanup:
		m.cleanup(now, e.Resource, o)
	case Started:
		m.started(now, o)
	}
	return o.a
}

func ms(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)), "0"), ".") + " ms"
}

func (m *Machine) groupCount(now time.Time, gs *groupState) int {
	n := 0
	for _, r := range gs.g.Resources {
		if c := m.Count(now, r.Name); c > n {
			n = c
		}
	}
	return n
}

func (m *Machine) held(now time.Time, e Held, o *out) {
	gs := m.group(e.Group)
	if gs == nil {
		return
	}
	if !e.On {
		if !e.Kept || !gs.stuck || gs.busy != "restart" {
			gs.busy = ""
		} // else: a stuck group's restart runs on; its failure schedules the next retry
		if !e.Kept {
			// Given away or stopped (at once, or at the end of a pause):
			// a retry waiting for it here is moot.
			gs.stuck, gs.retryAt = false, time.Time{}
		}
		if gs.held {
			gs.held = false
			for _, r := range gs.g.Resources {
				delete(m.vanished, r.Name)
				delete(m.conflict, r.Name)
			}
		}
		return
	}
	if gs.held {
		return
	}
	gs.held = true
	if !gs.handedAt.IsZero() {
		// The group came back after this node handed it over: the peer
		// failed it too, or died. Keep it here, retry with backoff, and
		// hand it over no more (the moves stay bounded).
		gs.stuck = true
		if gs.back {
			// Told already: Held went off and on again while the group
			// stayed (a planner operation on another set ran here).
			return
		}
		gs.back = true
		why := "the peer failed it too"
		if m.peer != "active" {
			why = "the peer is " + orUnknown(m.peer)
		}
		o.log("CRIT", "group %s is back on this node after its hand-over (%s): restarting it here with backoff on failure, no more hand-overs until heartbeat cleanup", gs.g.Key, why)
		o.journal("stuck", gs.g.Key, "back after hand-over: %s", why)
	}
}

func (m *Machine) fail(now time.Time, res, cause string, o *out) {
	gs := m.byRes[res]
	if gs == nil || !gs.held || gs.busy != "" {
		return
	}
	of := m.onFail[res]
	if of == Repair {
		o.log("ERROR", "%s failed (%s); no monitor line names it, so nothing more is done", res, cause)
		o.journal("failed", res, "%s; not monitored", cause)
		return
	}
	if of == Ignore {
		o.log("WARN", "%s failed (%s); on-fail ignore: nothing done", res, cause)
		o.journal("failed", res, "%s; ignored", cause)
		return
	}
	if gs.stuck && !gs.retryAt.IsZero() {
		// Already failed, its retry waiting out the backoff: a check that
		// still fails is the same failure, not a new one (counting it would
		// push the retry out for ever and log CRIT every interval).
		return
	}
	m.counts[res] = append(m.prune(now, res), now)
	m.seen[res]++
	n := len(m.counts[res])
	o.add(Persist{Counts: m.counts.Clone()})
	o.journal("failed", res, "%s; failure %d in %s", cause, n, dur(m.cfg.Window))
	from := m.index[res]
	gs.retryFrom = from
	if gs.stuck {
		m.scheduleRetry(now, gs, from, res, cause, n, o)
		return
	}
	if of == Standby || n >= m.cfg.Threshold {
		why := fmt.Sprintf("failure %d of %d in %s", n, m.cfg.Threshold, dur(m.cfg.Window))
		if of == Standby {
			why = "on-fail standby"
		}
		if m.peer == "active" {
			o.log("WARN", "%s failed (%s); %s: handing group %s over to the peer", res, cause, why, gs.g.Key)
			m.handOver(now, gs, o)
			return
		}
		gs.stuck = true
		o.log("CRIT", "%s failed (%s); %s, but the peer is %s and cannot take group %s: restarting it here with backoff", res, cause, why, orUnknown(m.peer), gs.g.Key)
		m.restart(gs, from, o)
		return
	}
	o.log("WARN", "%s failed (%s); failure %d of %d in %s: restarting group %s from it", res, cause, n, m.cfg.Threshold, dur(m.cfg.Window), gs.g.Key)
	m.restart(gs, from, o)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (m *Machine) scheduleRetry(now time.Time, gs *groupState, from int, res, cause string, n int, o *out) {
	if gs.backoff == 0 {
		gs.backoff = m.cfg.BackoffMin
	} else if gs.backoff *= 2; gs.backoff > m.cfg.BackoffMax {
		gs.backoff = m.cfg.BackoffMax
	}
	gs.retryAt, gs.retryFrom = now.Add(gs.backoff), from
	o.log("CRIT", "%s failed (%s); failure %d; the peer cannot take group %s: restarting it here in %s", res, cause, n, gs.g.Key, dur(gs.backoff))
}

func (m *Machine) restart(gs *groupState, from int, o *out) {
	r := RestartFrom{Group: gs.g.Key}
	for i := len(gs.g.Resources) - 1; i >= from; i-- {
		r.Stop = append(r.Stop, gs.g.Resources[i].Name)
	}
	for i := from; i < len(gs.g.Resources); i++ {
		r.Start = append(r.Start, gs.g.Resources[i].Name)
	}
	gs.busy = "restart"
	gs.retryFrom = from
	o.add(r)
}

func (m *Machine) handOver(now time.Time, gs *groupState, o *out) {
	gs.busy, gs.handedAt, gs.back = "standby", now, false
	o.journal("handover", gs.g.Key, "to the peer")
	o.add(Block{Group: gs.g.Key, On: true, HandOver: true})
	o.add(HandOver{Group: gs.g.Key})
}

func (m *Machine) opDone(now time.Time, e OpDone, o *out) {
	gs := m.group(e.Group)
	if gs == nil || gs.busy != e.Op {
		return
	}
	gs.busy = ""
	if e.Skipped {
		o.journal("skipped", gs.g.Key, "%s: a cluster operation ran first", e.Op)
		if e.Op == "restart" && gs.stuck {
			// Nothing was done and nothing reports the failure again:
			// retry once the group is held and idle again.
			gs.retryAt = now
		}
		return
	}
	switch e.Op {
	case "restart":
		if e.Err == "" {
			o.log("info", "group %s restarted", gs.g.Key)
			o.journal("restarted", gs.g.Key, "ok")
			if !gs.stuck {
				gs.backoff = 0
			}
			return
		}
		o.journal("restart-failed", gs.g.Key, "%s", e.Err)
		if !gs.stuck && m.peer == "active" {
			o.log("ERROR", "group %s restart failed (%s): handing it over to the peer", gs.g.Key, e.Err)
			m.handOver(now, gs, o)
			return
		}
		gs.stuck = true
		m.scheduleRetry(now, gs, gs.retryFrom, "group "+gs.g.Key, "restart failed: "+e.Err, m.groupCount(now, gs), o)
	case "standby":
		if e.Err == "" {
			o.log("info", "group %s handed over; this node will not take it back until heartbeat cleanup or %s without a failure", gs.g.Key, dur(m.cfg.Window))
			return
		}
		gs.handedAt = time.Time{}
		gs.stuck = true
		o.add(Block{Group: gs.g.Key, On: false, HandOver: true})
		o.log("CRIT", "group %s hand-over failed (%s): restarting it here with backoff", gs.g.Key, e.Err)
		m.restart(gs, gs.retryFrom, o)
	}
}

func (m *Machine) tick(now time.Time, o *out) {
	for _, gs := range m.groups {
		if gs.held && gs.stuck && gs.busy == "" && !gs.retryAt.IsZero() && !now.Before(gs.retryAt) {
			gs.retryAt = time.Time{}
			o.log("WARN", "group %s: retrying the restart here", gs.g.Key)
			m.restart(gs, gs.retryFrom, o)
		}
	}
	// Window expiry: counts age out; a handed-over group may be taken back
	// once no resource of it failed within the window.
	changed := false
	names := make([]string, 0, len(m.counts))
	for r := range m.counts {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		p := m.prune(now, r)
		if len(p) != len(m.counts[r]) {
			changed = true
			if len(p) == 0 {
				delete(m.counts, r)
			} else {
				m.counts[r] = p
			}
		}
	}
	for _, gs := range m.groups {
		if !gs.handedAt.IsZero() && !gs.held && m.groupCount(now, gs) == 0 && now.Sub(gs.handedAt) >= m.cfg.Window {
			m.unblock(gs, fmt.Sprintf("%s passed without a failure", dur(m.cfg.Window)), o)
		}
		if gs.stuck && gs.held && gs.busy == "" && gs.retryAt.IsZero() && m.groupCount(now, gs) == 0 {
			if !gs.handedAt.IsZero() {
				// Back after its hand-over and no failure since: the
				// planner was told Block on at the hand-over and must be
				// told it ends, or it refuses the group once it moves to
				// the peer again while Blocked says false.
				m.unblock(gs, fmt.Sprintf("%s passed without a failure", dur(m.cfg.Window)), o)
			} else {
				gs.stuck, gs.backoff = false, 0
			}
		}
	}
	if changed {
		o.add(Persist{Counts: m.counts.Clone()})
	}
	for _, c := range m.conflict {
		if c.gaveUp && len(pruneT(now, c.sent, ConflictWindow)) == 0 {
			c.gaveUp, c.sent = false, nil
		}
	}
}

func (m *Machine) unblock(gs *groupState, why string, o *out) {
	gs.handedAt, gs.stuck, gs.backoff, gs.back = time.Time{}, false, 0, false
	o.add(Block{Group: gs.g.Key, On: false})
	o.log("info", "group %s may be taken back again: %s", gs.g.Key, why)
	o.journal("unblock", gs.g.Key, "%s", why)
}

func (m *Machine) prune(now time.Time, res string) []time.Time {
	return pruneT(now, m.counts[res], m.cfg.Window)
}

func pruneT(now time.Time, ts []time.Time, w time.Duration) []time.Time {
	var keep []time.Time
	for _, t := range ts {
		if now.Sub(t) < w {
			keep = append(keep, t)
		}
	}
	return keep
}

func (m *Machine) cleanup(now time.Time, res string, o *out) {
	var cleared []string
	if res == "" {
		for r := range m.counts {
			cleared = append(cleared, r)
		}
		m.counts = Counts{}
	} else {
		if _, ok := m.counts[res]; ok {
			cleared = append(cleared, res)
		}
		delete(m.counts, res)
	}
	sort.Strings(cleared)
	what := res
	if what == "" {
		what = "every resource"
	}
	o.log("info", "failure counts of %s cleared by heartbeat cleanup", what)
	o.journal("cleanup", res, "%s", strings.Join(cleared, " "))
	o.add(Persist{Counts: m.counts.Clone()})
	for _, gs := range m.groups {
		if res != "" && m.byRes[res] != gs {
			continue
		}
		if gs.stuck && gs.held && gs.busy == "" && !gs.retryAt.IsZero() {
			// A retry was waiting out its backoff: it would never run
			// once the group is no longer stuck.
			gs.retryAt = time.Time{}
			o.log("info", "group %s: restarting it now (heartbeat cleanup)", gs.g.Key)
			m.restart(gs, gs.retryFrom, o)
		}
		if !gs.handedAt.IsZero() {
			m.unblock(gs, "heartbeat cleanup", o)
		}
		gs.stuck, gs.backoff = false, 0
	}
}

func (m *Machine) conflictEv(now time.Time, e Conflict, o *out) {
	gs := m.byRes[e.Resource]
	if gs == nil || !gs.held {
		return
	}
	c := m.conflict[e.Resource]
	if c == nil {
		c = &conflictState{lastLog: map[string]time.Time{}}
		m.conflict[e.Resource] = c
	}
	c.sent = pruneT(now, c.sent, ConflictWindow)
	if last, ok := c.lastLog[e.MAC]; !ok || now.Sub(last) >= ConflictWindow {
		c.lastLog[e.MAC] = now
		o.log("WARN", "%s is claimed by another node too (MAC %s)", e.Resource, e.MAC)
		o.journal("conflict", e.Resource, "MAC %s", e.MAC)
	}
	if len(c.sent) >= m.cfg.ReannounceMax {
		if !c.gaveUp {
			c.gaveUp = true
			o.log("CRIT", "%s: %d re-announces within %s did not stop MAC %s from claiming it; no more re-announces (is a node whose daemon died still holding it?)", e.Resource, len(c.sent), dur(ConflictWindow), e.MAC)
			o.journal("conflict-gaveup", e.Resource, "MAC %s", e.MAC)
		}
		return
	}
	c.sent = append(c.sent, now)
	o.add(Reannounce{Resource: e.Resource})
}

func dur(d time.Duration) string {
	switch {
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", int(d/time.Second))
	}
	return d.String()
}

// NextDeadline is when Tick next has something to do (a retry, a failure
// leaving the window, a block or a conflict bound ending); zero = nothing.
func (m *Machine) NextDeadline() time.Time {
	var next time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, gs := range m.groups {
		if gs.stuck && gs.busy == "" {
			at(gs.retryAt)
		}
		if !gs.handedAt.IsZero() {
			at(gs.handedAt.Add(m.cfg.Window))
		}
	}
	for _, ts := range m.counts {
		if len(ts) > 0 {
			at(ts[0].Add(m.cfg.Window))
		}
	}
	for _, c := range m.conflict {
		if c.gaveUp && len(c.sent) > 0 {
			at(c.sent[len(c.sent)-1].Add(ConflictWindow))
		}
	}
	return next
}
