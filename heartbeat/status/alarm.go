package status

import (
	"strings"
	"time"
)

// MismatchRepeat is how often a standing configuration mismatch is logged again.
const MismatchRepeat = time.Hour

// MismatchAlarm decides when a peer-configuration mismatch is logged: once
// when it appears, again when the differing parts change, and at most once
// per MismatchRepeat while it stands. It is pure: the caller passes the time.
type MismatchAlarm struct {
	last     string // parts logged last; "" = no mismatch standing
	loggedAt time.Time
}

// Check returns the WARN line to log for pc at now, or "" for none.
func (a *MismatchAlarm) Check(peer string, pc PeerConfig, now time.Time) string {
	if pc.State != ConfigMismatch {
		a.last = ""
		return ""
	}
	parts := strings.Join(pc.Parts, ", ")
	if parts == a.last && now.Sub(a.loggedAt) < MismatchRepeat {
		return ""
	}
	a.last, a.loggedAt = parts, now
	return "hbgo: the configuration of " + peer + " differs from ours in " + parts +
		"; ha.cf and haresources must be the same on both nodes (copy them, then heartbeat -r on each)"
}
