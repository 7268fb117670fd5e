package twonode

import (
	"strconv"
	"strings"
	"time"
)

// Timings are the membership timings an ha.cf text configures, so a test's
// waits can be stated in them rather than in bare seconds.
type Timings struct {
	Keepalive, Deadtime, Warntime, Initdead time.Duration
}

// TimingsOf reads keepalive, deadtime, warntime and initdead from ha.cf
// text as heartbeat does (a bare number is seconds, "ms" milliseconds);
// a missing one has stock's default.
func TimingsOf(haCf string) Timings {
	t := Timings{Keepalive: 2 * time.Second, Deadtime: 30 * time.Second, Warntime: 10 * time.Second, Initdead: 120 * time.Second}
	for _, line := range strings.Split(haCf, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		var d *time.Duration
		switch f[0] {
		case "keepalive":
			d = &t.Keepalive
		case "deadtime":
			d = &t.Deadtime
		case "warntime":
			d = &t.Warntime
		case "initdead":
			d = &t.Initdead
		default:
			continue
		}
		v, unit := f[1], time.Second
		if s, ok := strings.CutSuffix(v, "ms"); ok {
			v, unit = s, time.Millisecond
		}
		if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
			*d = time.Duration(n * float64(unit))
		}
	}
	return t
}

// Dead returns n deadtimes: the unit of a test's waits for the cluster to
// notice, decide and act, so the waits stretch with the configuration.
func (t Timings) Dead(n float64) time.Duration { return time.Duration(n * float64(t.Deadtime)) }

// Dead returns n deadtimes of the cluster's ha.cf.
func (c *Cluster) Dead(n float64) time.Duration { return TimingsOf(c.Opts.HaCf).Dead(n) }
