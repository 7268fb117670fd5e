package monitor

import "time"

// Started says the daemon has started, with the failure counts of
// Config.Counts loaded from disk. A group one of whose resources failed
// Threshold times within the window before the restart was handed over (or
// could not be, the peer being away): the block comes back at once, before
// comm up, so the new daemon does not ask for the group (or accept it by
// auto_failback) that the old one gave away.
type Started struct{}

func (Started) event() {}

func (m *Machine) started(now time.Time, o *out) {
	for _, gs := range m.groups {
		if gs.held || !gs.handedAt.IsZero() {
			continue
		}
		n := m.groupCount(now, gs)
		if n < m.cfg.Threshold {
			continue
		}
		// Blocked as from the last failure: the block ends when that failure
		// leaves the window, as the counts do (tick).
		var last time.Time
		for _, r := range gs.g.Resources {
			for _, t := range m.prune(now, r.Name) {
				if t.After(last) {
					last = t
				}
			}
		}
		gs.handedAt = last
		o.add(Block{Group: gs.g.Key, On: true})
		o.log("WARN", "group %s failed %d times within %s before this start (failure counts on disk): not taking it back until heartbeat cleanup or %s without a failure", gs.g.Key, n, dur(m.cfg.Window), dur(m.cfg.Window))
		o.journal("block", gs.g.Key, "restored from the failure counts: %d in %s", n, dur(m.cfg.Window))
	}
}
