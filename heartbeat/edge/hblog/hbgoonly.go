package hblog

import (
	"fmt"
	"regexp"
	"sync"

	"hbgo/resource.d/agent"
)

// Lines hbgo writes that stock never does: each is a documented departure
// (docs/MIGRATION.md, "What ha-log says"), and dist/logcheck has an ignore
// rule for each one at info level (TestLogcheckIgnoresHbgoOnlyLines).
const (
	// fmtHbgoBanner follows stock's start banner, so whoever reads a log
	// knows which daemon wrote it.
	fmtHbgoBanner = "hbgo: %s, standing in for heartbeat %s"
	// fmtHbgoNote is every other daemon line hbgo adds (its own notes, at
	// any level, e.g. `hbgo: realtime: SCHED_RR priority 50 for every
	// thread, as stock; …`): they all start with "hbgo: ".
	fmtHbgoNote = "hbgo: %s"
)

// HbgoBanner: info `hbgo: hbgo v0.3.0 (commit 3fb3c25…), standing in for heartbeat 3.0.6`, after `heartbeat: version 3.0.6`.
func HbgoBanner(build, stock string) Msg { return Msg{Info, fmt.Sprintf(fmtHbgoBanner, build, stock)} }

// HbgoOnlyDaemon lists the hbgo-only daemon line formats (logged as `heartbeat: [pid]: info: …`).
var HbgoOnlyDaemon = []string{fmtHbgoBanner, fmtHbgoNote}

// HbgoOnlyScript lists the hbgo-only script line formats: the native
// agents' own lines, logged under the agent's tag.
var HbgoOnlyScript = agent.NativeLineFormats

var (
	hbgoOnlyDaemonRE = sync.OnceValue(func() []*regexp.Regexp { return compileFormats(HbgoOnlyDaemon) })
	hbgoOnlyScriptRE = sync.OnceValue(func() []*regexp.Regexp { return compileFormats(HbgoOnlyScript) })
)

// HbgoOnly reports whether a log line (any of the three line shapes) is
// one hbgo writes and stock never does.
func HbgoOnly(line string) bool {
	e, ok := ParseLine(line, 0)
	if !ok {
		return false
	}
	switch e.Kind {
	case Daemon:
		return e.Entity == "heartbeat" && matchAny(hbgoOnlyDaemonRE(), e.Text)
	case Script:
		return matchAny(hbgoOnlyScriptRE(), e.Text)
	}
	return false
}
