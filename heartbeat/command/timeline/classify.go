// Package timeline turns ha-log lines (hbgo's or stock heartbeat's) and hbgo's event journal into a failover timeline of incidents.
package timeline

import (
	"path"
	"strings"

	"hbgo/heartbeat/edge/hblog"
)

// stepKind says what one classified log line means for the timeline.
type stepKind int

const (
	skNone stepKind = iota
	// triggers: each may open an incident
	skNodeDead       // `node X: is dead`
	skLinkDead       // `Link X:if dead.`
	skStandby        // `R wants to go standby [X]`
	skTakeover       // harc running rc.d/hb_takeover
	skShutdown       // `Heartbeat shutdown in progress. (pid)`
	skShutdownNotice // `Received shutdown notice from 'X'.`
	skStart          // `Configuration validated. Starting heartbeat …`
	skPeerRestart    // `Heartbeat restart on node X`
	skPartition      // `Cluster node X returning after partition.`
	skFailure        // a resource or daemon failure line
	skMonitor        // hbgo's resource monitor: a VIP vanished, a failure, a conflict, a cleanup (issue 15)
	// resource work (ResourceManager script lines, COMPAT §8.5)
	skAcquire  // `Acquiring resource group: node res…`
	skRelease  // `Releasing resource group: node res…`
	skRunStart // `Running <path> <args> start`
	skRunStop  // `Running <path> <args> stop`
	// context
	skLinkUp    // `Link X:if up.`
	skMilestone // daemon or script milestone worth showing inside an incident
	skDone      // a milestone that says the incident's resource work finished
	skOp        // journal: an op was ordered
	skOpDone    // journal: an op finished
)

// isTrigger reports whether k may open an incident.
func (k stepKind) isTrigger() bool { return k >= skNodeDead && k <= skMonitor }

// isResource reports whether k is resource work by the ResourceManager.
func (k stepKind) isResource() bool { return k >= skAcquire && k <= skRunStop }

// journalEntity marks records made from journal events that no log line carries.
const journalEntity = "hbgo-journal"

// class is the meaning of one line.
type class struct {
	kind    stepKind
	subject string // the node the line is about (dead node, standby requester, …)
	arg     string // link name, standby word, group text, resource, op kind
}

// milestones are daemon texts (prefixes) shown inside an incident; COMPAT §8.5.
var milestones = []string{
	"Resources being acquired from ", "No STONITH device configured.", "Shared disks are not protected.",
	"Dead node ", "standby: ", "give up ", "acquire ", "Local standby process completed",
	"Giving up all HA resources.", "Local Resource acquisition completed", "No local resources [",
	"Resetting node ", "STONITH of ", "Host ", "Cancelling pending standby", "No reply to standby request",
	"Standby in progress", "standby message [", "Status update for node ", "Comm_now_up()",
	"Deadtime value may be too small.", "Heartbeat restart triggered.", "Restarting heartbeat.",
	"Shutdown delayed until", "Late heartbeat: ",
	"hbgo: restarting in ", "hbgo: STONITH of ", // hbgo's own lines for the same moments (heartbeat/daemon)
}

// doneMarks are daemon texts (substrings) that end an incident's resource work.
var doneMarks = []string{
	"mach_down takeover complete.", " gave up resources.", "Other node completed standby takeover",
	"Standby resource acquisition done", "Heartbeat shutdown complete.", "Initial resource acquisition complete",
	"All HA resources relinquished.", "HA resource acquisition completed (standby).",
	"HA resource release completed (standby).",
}

// classify says what a parsed line means; host is the line's node (for lines about "us").
func classify(e hblog.Entry, host string) class {
	if e.Entity == journalEntity {
		if strings.HasPrefix(e.Text, "op ") {
			if strings.Contains(e.Text, " [] ") || strings.HasSuffix(e.Text, " done: nothing to do") {
				return class{} // an op with nothing to do: no step
			}
			if strings.Contains(e.Text, " done") {
				return class{kind: skOpDone, arg: e.Text}
			}
			return class{kind: skOp, arg: e.Text}
		}
		if strings.HasPrefix(e.Text, "fence:") {
			return class{kind: skFailure, subject: host}
		}
		if k, rest, ok := strings.Cut(strings.TrimPrefix(e.Text, "monitor "), " "); ok && strings.HasPrefix(e.Text, "monitor ") {
			res, _, _ := strings.Cut(rest, ": ")
			if k == "vanished" {
				return class{kind: skMonitor, subject: host, arg: monVanished + " " + res}
			}
			return class{kind: skMilestone}
		}
		return class{}
	}
	if e.Kind == hblog.Script {
		return classifyScript(e, host)
	}
	t := e.Text
	if m, ok := strings.CutPrefix(t, monitorPrefix); ok {
		return classifyMonitor(m, host)
	}
	if x, ok := between(t, "node ", ": is dead"); ok {
		return class{kind: skNodeDead, subject: x}
	}
	if l, ok := between(t, "Link ", " dead."); ok {
		return class{kind: skLinkDead, subject: linkNode(l), arg: l}
	}
	if l, ok := between(t, "Link ", " up."); ok {
		return class{kind: skLinkUp, subject: linkNode(l), arg: l}
	}
	if x, ok := between(t, "Cluster node ", " returning after partition."); ok {
		return class{kind: skPartition, subject: x}
	}
	switch {
	case strings.Contains(t, " wants to go standby ["):
		r, x, _ := strings.Cut(t, " wants to go standby [")
		return class{kind: skStandby, subject: r, arg: strings.TrimSuffix(x, "]")}
	case strings.HasPrefix(t, "Heartbeat shutdown in progress."):
		return class{kind: skShutdown, subject: host}
	case strings.HasPrefix(t, "Received shutdown notice from '"):
		x := strings.TrimPrefix(t, "Received shutdown notice from '")
		return class{kind: skShutdownNotice, subject: strings.TrimSuffix(x, "'.")}
	case strings.HasPrefix(t, "Configuration validated. Starting heartbeat"):
		return class{kind: skStart, subject: host}
	case strings.HasPrefix(t, "Heartbeat restart on node "):
		return class{kind: skPeerRestart, subject: strings.TrimPrefix(t, "Heartbeat restart on node ")}
	case strings.Contains(t, " exited with return code "), strings.HasPrefix(t, "No local heartbeat."),
		strings.HasPrefix(t, "Both machines own"), strings.HasPrefix(t, "No one owns"),
		strings.HasPrefix(t, "Emergency Shutdown"):
		if e.Level <= hblog.Error {
			return class{kind: skFailure, subject: host}
		}
	}
	for _, m := range doneMarks {
		if strings.Contains(t, m) {
			return class{kind: skDone}
		}
	}
	for _, m := range milestones {
		if strings.HasPrefix(t, m) {
			return class{kind: skMilestone}
		}
	}
	return class{}
}

// classifyScript reads ResourceManager, harc, mach_down and hb_standby lines (COMPAT §8.5 "Scripts").
func classifyScript(e hblog.Entry, host string) class {
	t := bareText(e.Text)
	switch e.Entity {
	case "ResourceManager":
		switch {
		case strings.HasPrefix(t, "Acquiring resource group: "):
			return class{kind: skAcquire, arg: strings.TrimPrefix(t, "Acquiring resource group: ")}
		case strings.HasPrefix(t, "Releasing resource group: "):
			return class{kind: skRelease, arg: strings.TrimPrefix(t, "Releasing resource group: ")}
		case strings.HasPrefix(t, "Running "):
			res, op := runLine(strings.TrimPrefix(t, "Running "))
			switch op {
			case "start":
				return class{kind: skRunStart, arg: res}
			case "stop":
				return class{kind: skRunStop, arg: res}
			}
		case strings.HasPrefix(t, "Return code "), strings.HasPrefix(t, "Giving up resources due to failure of "),
			strings.HasPrefix(t, "Resource STOP failure."), strings.HasPrefix(t, "Killing heartbeat ungracefully"),
			strings.HasPrefix(t, "Cannot locate resource script"):
			return class{kind: skFailure, subject: host}
		case strings.HasPrefix(t, "Retrying failed stop operation"):
			return class{kind: skMilestone}
		}
	case "harc":
		if strings.HasSuffix(t, "/rc.d/hb_takeover hb_takeover") {
			return class{kind: skTakeover, subject: host}
		}
	case "mach_down":
		if strings.HasPrefix(t, "Taking over resource group") {
			return class{kind: skMilestone}
		}
		if strings.HasPrefix(t, "mach_down takeover complete") {
			return class{kind: skDone}
		}
	case "hb_standby":
		// the request itself, on the node that goes standby
		if x, ok := between(t, "Going standby [", "]."); ok {
			return class{kind: skStandby, subject: host, arg: x}
		}
		return class{kind: skMilestone}
	case "ip-request-resp", "ip-request":
		return class{kind: skMilestone}
	}
	return class{}
}

// stripLevel drops a leading `info: ` (the common case) from a script text; other level words stay.
func stripLevel(t string) string {
	return strings.TrimPrefix(t, "info: ")
}

// between returns what lies between prefix and suffix when t is exactly prefix+x+suffix (they must not overlap).
func between(t, prefix, suffix string) (string, bool) {
	if len(t) < len(prefix)+len(suffix) || !strings.HasPrefix(t, prefix) || !strings.HasSuffix(t, suffix) {
		return "", false
	}
	return t[len(prefix) : len(t)-len(suffix)], true
}

// bareText drops any leading level word (`ERROR: `, `CRIT: `, `info: `…) from a script text.
func bareText(t string) string {
	w, rest, ok := strings.Cut(t, ": ")
	if !ok {
		return t
	}
	switch w {
	case "EMERG", "ALERT", "CRIT", "ERROR", "ERR", "WARN", "WARNING", "notice", "NOTICE", "info", "INFO", "debug", "DEBUG":
		return rest
	}
	return t
}

// linkNode is the node part of `node2:eth1`.
func linkNode(l string) string {
	n, _, _ := strings.Cut(l, ":")
	return n
}

// runLine splits `/etc/ha.d//resource.d/IPaddr 10.77.0.100/24/eth0 start` into `IPaddr 10.77.0.100/24/eth0` and `start`.
func runLine(s string) (res, op string) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return "", ""
	}
	op = s[i+1:]
	script, args, _ := strings.Cut(s[:i], " ")
	res = path.Base(script)
	if args = strings.TrimSpace(args); args != "" {
		res += " " + args
	}
	return res, op
}

// isIP reports whether a resource (as runLine returns it) is a virtual IP.
func isIP(res string) bool {
	name, _, _ := strings.Cut(res, " ")
	return name == "IPaddr" || name == "IPaddr2"
}

// groupKey is the first resource of an `Acquiring resource group:` text (`node1 IPaddr::… hbxsvc` → `IPaddr::…`); stock's group key.
func groupKey(text string) string {
	f := strings.Fields(text)
	if len(f) < 2 {
		return text
	}
	return f[1]
}

// monitorPrefix starts the resource monitor's ha-log lines
// (haresources/monitor.Prefix: the daemon logs the machine's Log actions
// as they are, heartbeat/daemon/monitor.go).
const monitorPrefix = "hbgo-monitor: "

// What a monitor trigger is about: class.arg is the word, a space and the
// resource (or group) it names.
const (
	monVanished = "vanished" // a VIP vanished: restored, announced again, or the restore failed
	monFailed   = "failed"   // a failure: what on-fail and the counts decided
	monConflict = "conflict" // another MAC claims a VIP
	monStuck    = "stuck"    // a handed-over group came back: restarted here with backoff
	monCleanup  = "cleanup"  // heartbeat cleanup cleared failure counts
)

// classifyMonitor reads one resource-monitor line (its text after
// monitorPrefix), in the forms haresources/monitor's Step logs.
func classifyMonitor(t, host string) class {
	trig := func(word, res string) class { return class{kind: skMonitor, subject: host, arg: word + " " + res} }
	if g, ok := strings.CutPrefix(t, "group "); ok {
		key, rest, _ := strings.Cut(g, " ")
		switch {
		case rest == "restarted":
			return class{kind: skDone} // the restart's stops and starts are over
		case strings.HasPrefix(rest, "restart failed ("), strings.HasPrefix(rest, "failed ("):
			return class{kind: skFailure, subject: host}
		case strings.HasPrefix(rest, "hand-over failed ("):
			return class{kind: skFailure, subject: host}
		case strings.HasPrefix(rest, "is back on this node after its hand-over"):
			return trig(monStuck, key)
		}
		return class{kind: skMilestone} // handed over, may be taken back again, retrying
	}
	if x, ok := between(t, "failure counts of ", " cleared by heartbeat cleanup"); ok {
		return trig(monCleanup, x)
	}
	res, rest, ok := strings.Cut(t, " ")
	if !ok {
		return class{kind: skMilestone}
	}
	switch {
	case strings.HasPrefix(rest, "vanished ("), strings.HasPrefix(rest, "announced again ("):
		return trig(monVanished, res)
	case strings.HasPrefix(rest, "failed ("):
		return trig(monFailed, res)
	case strings.HasPrefix(rest, "is claimed by another node too ("):
		return trig(monConflict, res)
	case strings.HasSuffix(res, ":") && strings.Contains(rest, " re-announces within "):
		return trig(monConflict, strings.TrimSuffix(res, ":"))
	}
	return class{kind: skMilestone}
}
