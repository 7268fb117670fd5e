package node

import (
	"sort"
	"strings"
	"time"

	"hbgo/haresources/monitor"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/membership"
)

// The resource monitor (haresources/monitor, issue 15) is composed here
// like membership, the planner and ipfail: the daemon only watches
// (netlink, ARP, mountinfo, status polls) and reports what it saw as
// events, and carries out the monitor's actions. What the monitor decides
// and what the planner does with it is ordered by these rules:
//
//  M1. The monitor hears which groups this node holds (monitor.Held) from
//      the planner: a group is held when the planner holds its set and no
//      resource operation runs or waits (a group being moved is not
//      watched). It hears it (monSync) after Start, after every OpDone,
//      after a RestartDone, before every watch event (Vanished, Failed,
//      Conflict), right after a hand-over begins, when its own deadline
//      falls due, and at the end of a Step in which the planner stopped
//      being busy after the last of these (a standby's end comes in a
//      message, not an OpDone: a group kept here while the node gave
//      another set back is watched again then); at those points and no
//      others. A Watch action (on or off) comes before the Held it follows
//      from. A group the planner still holds while it is busy is told off
//      with Kept (its watches pause; a local retry waiting out its backoff
//      stays due); if the planner gives it away meanwhile, a plain Held off
//      follows at the next monSync, with no Watch action.
//      With auto_failback legacy the planner keeps no resource set (stock
//      tracks none without nice_failback), so a group is held when the
//      ops' results (and Start's scan) say it runs here.
//  M2. The peer's state the monitor judges a hand-over by (monitor.Peer)
//      is membership's, read before the monitor hears the holdings (M1), a
//      watch event or a RestartDone; "leaving" while membership still says
//      active after the peer's shutdone (until it restarts or is declared
//      dead), so a group is not handed to a node that is stopping, and a
//      group back here after its hand-over says why.
//  M3. The monitor's Block goes to the planner at once, before its next
//      action: a group handed over is blocked before its standby starts.
//  M4. HandOver is the planner's standby of the group's set (local or
//      foreign), started inside the same Step (with auto_failback legacy,
//      which has no standby, nothing is sent and it fails at once). Its
//      outcome comes from the planner, not assumed: done when the planner
//      no longer holds the set, failed when nothing runs any more (standby
//      refused, unanswered, not accepted) with the set still here. It is
//      checked at the end of the Step that started it, at every monSync
//      (M1) and once more StandbyReplyTimeout + 1 s later; a group whose
//      hand-over is open is left out of M1 until its outcome is known.
//  M5. The blocks the failure counts on disk imply (monitor.Started) are
//      set right after Start's planner work and before comm up, so a
//      restarted daemon does not take back a group its predecessor handed
//      over.
//  M6. The monitor's own deadline (a retry's backoff, a failure leaving
//      the window, a block's end) runs on the node's Tick; a deadline
//      already handled is not reported again by NextDeadline (the next
//      keepalive's tick looks again).

// Vanished says a watch saw a native resource this node holds disappear
// (a VIP removed); Cause names the watch, e.g. "netlink RTM_DELADDR".
type Vanished struct {
	Resource, Cause string
	At              time.Time
}

// Restored is the end of a Restore action (see monitor.Restored).
type Restored struct {
	Resource string
	Took     time.Duration
	Err      string
	Skipped  bool // a cluster operation ran first: dropped
	Present  bool // it was still configured: only announced again
	At       time.Time
}

// Failed says a watch or a status check found a held resource failed.
type Failed struct {
	Resource, Cause string
	At              time.Time
}

// Conflict says another MAC answered ARP for a held VIP.
type Conflict struct {
	Resource, MAC string
	At            time.Time
}

// RestartDone is the end of a RestartFrom action; Err "" = success,
// Skipped: a cluster operation ran first and the restart was dropped.
type RestartDone struct {
	Group, Err string
	Skipped    bool
	At         time.Time
}

// Cleanup is `heartbeat cleanup [RESOURCE]`: clear Resource's failure
// count ("" = every resource) and the blocks it held.
type Cleanup struct {
	Resource string
	At       time.Time
}

// WatchSettings are hbgo.cf's watch settings reread at run time (a
// reload). With no monitor yet, Config starts one; else its groups'
// on-fail, Threshold and Window replace the old ones (monitor.Reconfigure).
type WatchSettings struct {
	Config monitor.Config
	At     time.Time
}

func (e Vanished) at() time.Time      { return e.At }
func (e Restored) at() time.Time      { return e.At }
func (e Failed) at() time.Time        { return e.At }
func (e Conflict) at() time.Time      { return e.At }
func (e RestartDone) at() time.Time   { return e.At }
func (e Cleanup) at() time.Time       { return e.At }
func (e WatchSettings) at() time.Time { return e.At }

// Watch starts (On) or stops the watches of Group's resources: it is now
// held here, or no longer (M1).
type Watch struct {
	Group string
	On    bool
}

// Restore puts a vanished VIP back (same label, netmask) and announces it;
// the result comes back as Restored.
type Restore struct{ Resource string }

// Reannounce sends the gratuitous ARPs for a held VIP again.
type Reannounce struct{ Resource string }

// RestartFrom stops Stop (already in reverse order) then starts Start,
// holding off the planner's operations meanwhile; the result comes back as
// RestartDone.
type RestartFrom struct {
	Group       string
	Stop, Start []string
}

// SaveCounts is a state write: persist the failure counts (beside
// hb_generation), so a daemon restart does not forget them.
type SaveCounts struct{ Counts monitor.Counts }

func (Watch) action()       {}
func (Restore) action()     {}
func (Reannounce) action()  {}
func (RestartFrom) action() {}
func (SaveCounts) action()  {}

// monState is the monitor and what the composition keeps about it.
type monState struct {
	m       *monitor.Machine
	held    map[string]bool      // groups the monitor was told are held (M1)
	kept    map[string]bool      // groups not held only because the planner is busy (M1)
	handing map[string]time.Time // open hand-overs → when to look again (zero: at the next monSync only)
	ticked  time.Time            // the monitor's last Tick (M6)
	running map[string]bool      // groups running here by the ops' results (auto_failback legacy, M1)
	leaving bool                 // the peer sent shutdone and has not come back (M2)
	// syncAtEnd: a hand-over began in this Step; monSync at its end (M4).
	syncAtEnd bool
	// busy: the planner was busy at the last monSync; monSync again at the
	// end of the Step in which it is no longer (M1).
	busy bool
}

func newMonState(cfg monitor.Config) *monState {
	return &monState{m: monitor.New(cfg), held: map[string]bool{}, kept: map[string]bool{}, handing: map[string]time.Time{}, running: map[string]bool{}}
}

// FailCount is the failures of resource res within failure_window at now,
// as the monitor counts them (0 without a monitor).
func (m *Machine) FailCount(now time.Time, res string) int {
	if m.mon == nil {
		return 0
	}
	return m.mon.m.Count(now, res)
}

// FailSeen is the failures of resource res the monitor counted since this
// machine was made, never reset (0 without a monitor).
func (m *Machine) FailSeen(res string) uint64 {
	if m.mon == nil {
		return 0
	}
	return m.mon.m.Seen(res)
}

// MonitorBlocked says the monitor keeps this node from taking group back
// (it handed it over, or its failure counts say it would have).
func (m *Machine) MonitorBlocked(group string) bool {
	return m.mon != nil && m.mon.m.Blocked(group)
}

// monEvent handles the events of the monitor's part of the daemon.
func (m *Machine) monEvent(ev Event) {
	if m.mon == nil {
		if w, ok := ev.(WatchSettings); ok && !m.cfg.NoResources {
			m.mon = newMonState(w.Config)
			m.monSync()
		}
		return
	}
	switch e := ev.(type) {
	case Vanished:
		m.monWatchEvent(monitor.Vanished{Resource: e.Resource, Cause: e.Cause})
	case Failed:
		m.monWatchEvent(monitor.Failed{Resource: e.Resource, Cause: e.Cause})
	case Conflict:
		m.monWatchEvent(monitor.Conflict{Resource: e.Resource, MAC: e.MAC})
	case Restored:
		m.monStep(monitor.Restored{Resource: e.Resource, Took: e.Took, Err: e.Err, Skipped: e.Skipped, Present: e.Present})
	case RestartDone:
		m.monPeer()
		m.monStep(monitor.OpDone{Op: "restart", Group: e.Group, Err: e.Err, Skipped: e.Skipped})
		m.monSync()
	case Cleanup:
		m.monStep(monitor.Cleanup{Resource: e.Resource})
	case WatchSettings:
		onFail := map[string]monitor.OnFail{}
		for _, g := range e.Config.Groups {
			for _, r := range g.Resources {
				onFail[r.Name] = r.OnFail
			}
		}
		m.mon.m.Reconfigure(onFail, e.Config.Threshold, e.Config.Window)
	}
}

// monWatchEvent is a watch's report: the holdings first (M1), then the
// peer's state (M2), then the report.
func (m *Machine) monWatchEvent(ev monitor.Event) {
	m.monSync()
	m.monStep(ev)
}

// monRan notes which groups run here, from Start's scan and the ops'
// results (M1, auto_failback legacy).
func (m *Machine) monRan(ev Event) {
	if m.mon == nil {
		return
	}
	switch e := ev.(type) {
	case Start:
		for _, k := range e.Held {
			m.mon.running[k] = true
		}
	case OpDone:
		for _, r := range e.Done.Results {
			m.mon.running[r.Key] = r.Outcome == planner.Started || r.Outcome == planner.StopFailed
		}
	}
}

// monStarted re-establishes the blocks of the failure counts on disk (M5).
func (m *Machine) monStarted() {
	if m.mon == nil {
		return
	}
	m.monStep(monitor.Started{})
	m.monSync()
}

// monTick runs the monitor's timers when one is due (M6).
func (m *Machine) monTick() {
	if m.mon == nil {
		return
	}
	due := func(t time.Time) bool { return !t.IsZero() && !m.now.Before(t) }
	hand := false
	for _, t := range m.mon.handing {
		hand = hand || due(t)
	}
	if !due(m.mon.m.NextDeadline()) && !hand {
		return
	}
	m.mon.ticked = m.now
	for k, t := range m.mon.handing {
		if due(t) {
			m.mon.handing[k] = time.Time{} // looked at once (M4)
		}
	}
	m.monSync()
	m.monStep(monitor.Tick{})
}

// monDeadline is when the monitor next needs a Tick (M6).
func (m *Machine) monDeadline() time.Time {
	if m.mon == nil {
		return time.Time{}
	}
	d := m.mon.m.NextDeadline()
	if !d.IsZero() && !d.After(m.mon.ticked) {
		d = time.Time{} // handled at that tick; the next keepalive looks again
	}
	for _, t := range m.mon.handing {
		d = Earliest(d, t)
	}
	return d
}

// monPeer tells the monitor the peer's state as membership sees it (M2).
func (m *Machine) monPeer() {
	st := "dead"
	for _, nd := range m.mem.Snapshot().Nodes {
		if nd.Type == "normal" && nd.Name != m.cfg.Membership.Node {
			st = nd.Status
			break
		}
	}
	if st == "active" && m.mon.leaving {
		st = "leaving"
	}
	m.monStep(monitor.Peer{State: st})
}

// monMembership notes the peer's shutdone, and its return or death (M2).
func (m *Machine) monMembership(a membership.Action) {
	if m.mon == nil {
		return
	}
	switch a := a.(type) {
	case membership.Deliver:
		if a.From != m.cfg.Membership.Node && !m.isPing(a.From) && a.Msg.Type() == "shutdone" {
			m.mon.leaving = true
		}
	case membership.NodeStatus:
		if a.Node != m.cfg.Membership.Node && a.New != "active" {
			m.mon.leaving = false // dead, or back (init, up): no longer "leaving"
		}
	case membership.PeerRestarted:
		m.mon.leaving = false
	}
}

// monStep feeds the monitor and handles its actions in order.
func (m *Machine) monStep(ev monitor.Event) {
	for _, a := range m.mon.m.Step(m.now, ev) {
		m.monAction(a)
	}
}

func (m *Machine) monAction(a monitor.Action) {
	switch a := a.(type) {
	case monitor.Log:
		m.log(a.Level, a.Text)
	case monitor.Journal:
		m.journal("monitor_"+a.Kind, "", map[string]string{"resource": a.Resource, "text": a.Text})
	case monitor.Persist:
		m.emit(SaveCounts{Counts: a.Counts})
	case monitor.Block:
		m.block(Block{Group: a.Group, On: a.On, HandOver: a.HandOver, At: m.now}) // M3
	case monitor.HandOver:
		m.handOver(a.Group)
	case monitor.Restore:
		m.emit(Restore{Resource: a.Resource})
	case monitor.Reannounce:
		m.emit(Reannounce{Resource: a.Resource})
	case monitor.RestartFrom:
		m.emit(RestartFrom{Group: a.Group, Stop: a.Stop, Start: a.Start})
	}
}

// handOver starts the planner's standby of group's set (M4).
func (m *Machine) handOver(group string) {
	m.mon.syncAtEnd = true // a refusal is known at the end of this Step
	if m.cfg.Planner.AutoFailback == planner.Legacy {
		// No standby protocol to hand it over with: no request on the
		// wire (a stock peer would only log that it has none).
		m.mon.handing[group] = time.Time{}
		return
	}
	set := "foreign"
	if m.isLocalGroup(group) {
		set = "local"
	}
	m.planStep(planner.Standby{Set: set})
	m.mon.handing[group] = m.now.Add(planner.StandbyReplyTimeout + time.Second)
}

func (m *Machine) isLocalGroup(key string) bool {
	for _, g := range m.cfg.Planner.Groups {
		if g.Key() == key {
			return strings.EqualFold(g.Node, m.cfg.Planner.Us)
		}
	}
	return false
}

func (m *Machine) holdsGroup(key string) bool {
	if m.cfg.Planner.AutoFailback == planner.Legacy {
		return m.mon.running[key] // M1: legacy keeps no resource set
	}
	class := planner.Foreign
	if m.isLocalGroup(key) {
		class = planner.Local
	}
	return m.plan.Holds()&class != 0
}

// handCheck reports the hand-overs whose outcome is known (M4).
func (m *Machine) handCheck() {
	keys := make([]string, 0, len(m.mon.handing))
	for k := range m.mon.handing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		switch {
		case !m.holdsGroup(key):
			delete(m.mon.handing, key)
			m.monStep(monitor.OpDone{Op: "standby", Group: key})
		case !m.plan.Busy(): // no standby runs, no op
			delete(m.mon.handing, key)
			why := "the peer did not take it (standby refused, unanswered or not accepted)"
			if m.cfg.Planner.AutoFailback == planner.Legacy {
				why = "auto_failback legacy has no standby protocol"
			}
			m.monStep(monitor.OpDone{Op: "standby", Group: key, Err: why})
		}
	}
}

// monSync tells the monitor which groups this node now holds (M1).
func (m *Machine) monSync() {
	if m.mon == nil {
		return
	}
	m.handCheck()
	m.monPeer() // M2: a group back here is judged by the peer's state now
	busy := m.plan.Busy()
	m.mon.busy = busy
	for _, g := range m.cfg.Planner.Groups {
		key := g.Key()
		holds := m.holdsGroup(key)
		on := holds && !busy
		if _, open := m.mon.handing[key]; open {
			continue // a hand-over's outcome comes first (M4)
		}
		kept := !on && holds // M1: paused while the planner works, not given away
		wasKept := m.mon.kept[key]
		m.mon.kept[key] = kept
		if on == m.mon.held[key] {
			if !on && wasKept && !kept {
				// The pause ended in a give-away: a retry the monitor
				// kept for the group is moot (M1).
				m.monStep(monitor.Held{Group: key})
			}
			continue
		}
		m.mon.held[key] = on
		m.emit(Watch{Group: key, On: on})
		m.monStep(monitor.Held{Group: key, On: on, Kept: kept})
	}
}
