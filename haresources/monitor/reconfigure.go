package monitor

import "time"

// Reconfigure applies hbgo.cf's watch settings reread at run time (a
// reload): each resource's on-fail (a resource onFail does not name goes
// back to Repair), the threshold and the window (0 = the default). Failure
// counts, hand-over blocks and work under way are kept; the counts are
// judged against the new window from the next Step on.
func (m *Machine) Reconfigure(onFail map[string]OnFail, threshold int, window time.Duration) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if window <= 0 {
		window = DefaultWindow
	}
	m.cfg.Threshold, m.cfg.Window = threshold, window
	for _, gs := range m.groups {
		for i, r := range gs.g.Resources {
			gs.g.Resources[i].OnFail = onFail[r.Name]
			m.onFail[r.Name] = onFail[r.Name]
		}
	}
}
