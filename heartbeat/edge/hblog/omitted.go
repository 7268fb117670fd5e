package hblog

import (
	"regexp"
	"sync"

	"hbgo/resource.d/agent"
)

// OmittedLine is a stock ha-log line hbgo deliberately never writes, with the reason.
type OmittedLine struct {
	Pattern *regexp.Regexp // matched against the message text (after `LEVEL: `)
	Why     string
}

// OmittedLines lists stock daemon lines that only describe stock's process model, its glib
// socket setup or its sandbox; a log-diff against stock filters them with Omitted.
// Compiled on first use: the daemon never asks, and compiled at init they
// were 170 KB of its start-up heap and left objects pinning heap spans
// (bench/results/idle-2026-12-06d/rss3).
var OmittedLines = sync.OnceValue(func() []OmittedLine {
	return []OmittedLine{
		{regexp.MustCompile(`^killing (HBFIFO|HBWRITE|HBREAD) process [0-9]+ with signal [0-9]+$`),
			"stock's per-medium reader/writer/FIFO child processes; hbgo uses goroutines"},
		{regexp.MustCompile(`^killing \S+ process group [0-9]+ with signal [0-9]+$`),
			"stock's respawned-client process groups at shutdown; a different process model"},
		{regexp.MustCompile(`^Core process [0-9]+ exited\. [0-9]+ remaining$`),
			"stock's core child processes; hbgo has none"},
		{regexp.MustCompile(`^Gmain_timeout_dispatch: `),
			"glib main-loop stall diagnostics; hbgo has no glib loop (stalls are in the journal instead)"},
		{regexp.MustCompile(`^glib: (ucast|UDP Broadcast|UDP multicast|bcast|mcast): (write socket priority set to IPTOS_LOWDELAY on |bound send socket to device: |bound receive socket to device: |set SO_REUSEPORT\(w\)$|set SO_REUSEPORT$|set SO_REUSEADDR$|set SO_BROADCAST$|set SO_DONTROUTE$)`),
			"socket-option chatter from stock's glib media plugins"},
		{regexp.MustCompile(`^Cannot lock ourselves into memory: `),
			"mlockall failure in stock's sandbox; hbgo reports memory locking differently"},
		{regexp.MustCompile(`^Cannot chdir to \[/var/lib/heartbeat/cores\]: `),
			"stock's per-process core directory; hbgo leaves core handling to the system"},
		{regexp.MustCompile(`^Core dumps could be lost if multiple dumps occur\.$`),
			"core-dump advice from cluster-glue's cl_cdtocoredir; hbgo is a Go binary"},
		{regexp.MustCompile(`^Consider setting .* for maximum supportability$`),
			"core-dump advice from cluster-glue"},
		{regexp.MustCompile(`^notify_world: setting SIGCHLD Handler to SIG_DFL$`),
			"debug line about stock's fork/signal plumbing"},
		{regexp.MustCompile(`^get_delnodelist: delnodelist= ?$`),
			"debug line about stock's delnodelist file handling"},
		{regexp.MustCompile(`^StartNextRemoteRscReq\(\): child count [0-9]+$`),
			"debug line about stock's child process bookkeeping"},
	}
})

// Omitted reports whether a stock ha-log line (any of the three line shapes) is one hbgo deliberately does not write:
// a daemon line of OmittedLines, or a resource-agent line describing a command hbgo's native agents never run (agent.DroppedLines).
func Omitted(line string) bool {
	e, ok := ParseLine(line, 0)
	if ok && e.Kind == Script {
		return agent.Dropped(e.Text)
	}
	if !ok || e.Kind != Daemon || e.Entity != "heartbeat" {
		return false
	}
	for _, o := range OmittedLines() {
		if o.Pattern.MatchString(e.Text) {
			return true
		}
	}
	return false
}
