package hacf

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults of the resource-watch directives of hbgo.cf (issue 15).
const (
	DefaultMonitorInterval   = 10 * time.Second // Pacemaker's op monitor default
	DefaultMonitorTimeout    = 20 * time.Second
	DefaultFailoverThreshold = 3
	DefaultFailureWindow     = 10 * time.Minute
)

// OnFail values of the monitor directive.
var OnFailValues = []string{"restart", "standby", "ignore"}

// Monitor is one `monitor` line: a haresources resource token (or an agent
// name, meaning every resource of that agent) watched after its start.
type Monitor struct {
	Target   string
	Interval time.Duration
	Timeout  time.Duration
	OnFail   string
	Line     int
}

// Watch holds the resource-watch settings of hbgo.cf.
type Watch struct {
	Monitors          []Monitor
	FailoverThreshold int
	FailureWindow     time.Duration
	VIPWatch          bool // restore a removed VIP, re-announce on conflict
}

// DefaultWatch returns the watch settings in force when hbgo.cf says nothing.
func DefaultWatch() Watch {
	return Watch{FailoverThreshold: DefaultFailoverThreshold, FailureWindow: DefaultFailureWindow, VIPWatch: true}
}

// MonitorFor returns the monitor line that names the resource: its token
// first, else its agent name.
func (w Watch) MonitorFor(token, agent string) (Monitor, bool) {
	var byAgent *Monitor
	for i := len(w.Monitors) - 1; i >= 0; i-- {
		m := w.Monitors[i]
		if m.Target == token {
			return m, true
		}
		if m.Target == agent && byAgent == nil {
			byAgent = &w.Monitors[i]
		}
	}
	if byAgent != nil {
		return *byAgent, true
	}
	return Monitor{}, false
}

// watchKey is the duplicate-detection key of a watch directive.
func watchKey(name string, args []string) string {
	if name == "monitor" && len(args) > 0 {
		return name + " " + args[0]
	}
	return name
}

// parseWatchTime reads a monitor time: ha.cf's syntax (seconds, or ms/us)
// or a Go duration such as 10s or 2m, as Pacemaker users write it.
func parseWatchTime(v string) (time.Duration, bool) {
	if ms, ok := ParseTime(v); ok && ms > 0 {
		return time.Duration(ms) * time.Millisecond, true
	}
	d, err := time.ParseDuration(v)
	return d.Round(time.Millisecond), err == nil && d >= time.Millisecond
}

// setMonitor reads "monitor <resource or agent> [interval=] [timeout=] [on-fail=]"; a later line for the same target replaces it.
func (l *hbgoLine) setMonitor() {
	w, args, errf := &l.c.Watch, l.args, l.errf
	if len(args) == 0 {
		errf("write monitor <resource or agent> [interval=10s] [timeout=20s] [on-fail=restart|standby|ignore]", "monitor needs a resource")
		return
	}
	m := Monitor{Target: args[0], Interval: DefaultMonitorInterval, Timeout: DefaultMonitorTimeout, OnFail: "restart", Line: l.n}
	if strings.Contains(m.Target, "=") {
		errf("write the resource first, as in haresources: monitor "+"IPaddr::10.0.0.5/24/eth0 interval=5s", "monitor %s: the first word must name a resource, not an option", m.Target)
		return
	}
	for _, a := range args[1:] {
		if !m.option(a, errf) {
			return
		}
	}
	for i, o := range w.Monitors {
		if o.Target == m.Target {
			w.Monitors = append(w.Monitors[:i], w.Monitors[i+1:]...)
			break
		}
	}
	w.Monitors = append(w.Monitors, m)
}

// option applies one key=value option of a monitor line; false means it was refused.
func (m *Monitor) option(a string, errf func(hint, format string, args ...any)) bool {
	k, v, ok := strings.Cut(a, "=")
	if !ok {
		errf("write options as key=value: interval=10s timeout=20s on-fail=restart", "monitor %s: %s is not key=value", m.Target, a)
		return false
	}
	switch lower(k) {
	case "interval", "timeout":
		d, ok := parseWatchTime(v)
		if !ok {
			errf(fmt.Sprintf("write %s=10s (or 10, in seconds, or 500ms)", lower(k)), "monitor %s: %s %s is not a time above 0", m.Target, lower(k), v)
			return false
		}
		if lower(k) == "interval" {
			m.Interval = d
		} else {
			m.Timeout = d
		}
	case "on-fail", "on_fail":
		if !contains(OnFailValues, lower(v)) {
			errf("write on-fail=restart, on-fail=standby or on-fail=ignore", "monitor %s: on-fail %s is not restart, standby or ignore", m.Target, v)
			return false
		}
		m.OnFail = lower(v)
	default:
		errf("monitor takes interval=, timeout= and on-fail=", "monitor %s: unknown option %s", m.Target, k)
		return false
	}
	return true
}

// setFailoverThreshold reads "failover_threshold <n>".
func (l *hbgoLine) setFailoverThreshold() {
	v, ok := l.one("failover_threshold <n>, e.g. failover_threshold 3")
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		l.errf("write failover_threshold with a whole number from 1 to 1000 (default 3)", "failover_threshold %s is not a number from 1 to 1000", v)
		return
	}
	l.c.Watch.FailoverThreshold = n
}

// setFailureWindow reads "failure_window <time>".
func (l *hbgoLine) setFailureWindow() {
	v, ok := l.one("failure_window <time>, e.g. failure_window 10m")
	if !ok {
		return
	}
	d, ok := parseWatchTime(v)
	if !ok {
		l.errf("write failure_window 600 (seconds) or 10m", "failure_window %s is not a time above 0", v)
		return
	}
	l.c.Watch.FailureWindow = d
}

// setVIPWatch reads "vip_watch on|off".
func (l *hbgoLine) setVIPWatch() {
	v, ok := l.one("vip_watch on or vip_watch off")
	if !ok {
		return
	}
	b, ok := ParseBool(v)
	if !ok {
		l.errf("write vip_watch on or vip_watch off", "vip_watch %s is not a boolean", v)
		return
	}
	l.c.Watch.VIPWatch = b
}

// formatWatch writes the watch directives for Format.
func (c *HbgoConfig) formatWatch(b *strings.Builder) {
	w := c.Watch
	for _, m := range w.Monitors {
		fmt.Fprintf(b, "monitor %s interval=%dms timeout=%dms on-fail=%s\n", m.Target, m.Interval.Milliseconds(), m.Timeout.Milliseconds(), m.OnFail)
	}
	fmt.Fprintf(b, "failover_threshold %d\n", w.FailoverThreshold)
	fmt.Fprintf(b, "failure_window %dms\n", w.FailureWindow.Milliseconds())
	if w.VIPWatch {
		b.WriteString("vip_watch on\n")
	} else {
		b.WriteString("vip_watch off\n")
	}
}
