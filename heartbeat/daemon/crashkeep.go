package daemon

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"hbgo/haresources/planner"
)

// CrashMarker is where hbgo-stop-post records a crash it left the groups up
// for: the uptime at the daemon's death, then the group keys.
const CrashMarker = "/run/heartbeat/hbgo-crashed"

// crashVerdict decides, from the marker's text, the uptime now and the
// timings, whether a daemon restarted after a crash may keep the groups
// still running: only while the peer cannot have declared this node dead,
// i.e. its silence plus a keepalive stays under half the deadtime.
func crashVerdict(marker string, uptimeNow float64, keepalive, deadtime time.Duration) (keep bool, silent time.Duration, err error) {
	f := strings.Fields(marker)
	if len(f) == 0 {
		return false, 0, fmt.Errorf("empty crash marker")
	}
	died, err := strconv.ParseFloat(f[0], 64)
	if err != nil || died < 0 || died > uptimeNow {
		return false, 0, fmt.Errorf("crash marker: %q is not an uptime before now", f[0])
	}
	silent = time.Duration((uptimeNow - died) * float64(time.Second))
	return silent+keepalive < deadtime/2, silent, nil
}

// crashAdopt is the start-up hook after a crash that hbgo-stop-post left
// the groups up for: it returns the planner's Adopt of the groups still
// running when the restart came in time to keep them; otherwise (no marker,
// too late, nothing running) false, and the planner stops what runs, as
// after any unclean end.
func (n *node) crashAdopt(held []string) (planner.Adopt, bool) {
	b, err := os.ReadFile(CrashMarker)
	if err != nil {
		return planner.Adopt{}, false
	}
	_ = os.Remove(CrashMarker) // one restart only
	up, err := os.ReadFile("/proc/uptime")
	var now float64
	if err == nil {
		now, err = strconv.ParseFloat(strings.Fields(string(up) + " x")[0], 64)
	}
	if err != nil {
		n.log.Warnf("hbgo: cannot read /proc/uptime (%v): the groups left up after the crash are released", err)
		return planner.Adopt{}, false
	}
	cf := n.conf.HaCf
	keep, silent, err := crashVerdict(string(b), now, cf.Keepalive, cf.Deadtime)
	switch {
	case err != nil:
		n.log.Warnf("hbgo: %v: the groups left up after the crash are released", err)
		return planner.Adopt{}, false
	case len(held) == 0:
		return planner.Adopt{}, false
	case !keep:
		n.log.Warnf("hbgo: restarted %.1f s after a crash, too late to keep the groups still running (the peer may have declared this node dead after %s): releasing them", silent.Seconds(), cf.Deadtime)
		return planner.Adopt{}, false
	}
	var hold planner.Hold
	for _, k := range held {
		for _, g := range n.groups() {
			if g.Key() != k {
				continue
			}
			if g.Node == n.conf.Node {
				hold |= planner.Local
			} else {
				hold |= planner.Foreign
			}
		}
	}
	n.log.Infof("hbgo: restarted %.1f s after a crash; keeping the groups still running (%s): the peer cannot have declared this node dead yet", silent.Seconds(), strings.Join(held, " "))
	n.journalEv("crash_keep", "", map[string]string{"groups": strings.Join(held, " "), "silent_ms": strconv.FormatInt(silent.Milliseconds(), 10)})
	return planner.Adopt{Hold: hold, Keys: held}, true
}
