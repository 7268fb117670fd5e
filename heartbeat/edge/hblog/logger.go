package hblog

import (
	"fmt"
	"strings"
	"sync"
)

// Logger is what the rest of hbgo logs through.
type Logger interface {
	// Log writes one daemon line (`[pid]: LEVEL: text`) at level.
	Log(level Level, format string, args ...any)
	// Script writes one script-style line (`<tag>:    <text>`), as heartbeat's shell scripts do via ha_log.
	Script(tag, text string)
	// Infof logs at info.
	Infof(format string, args ...any)
	// Warnf logs at WARN.
	Warnf(format string, args ...any)
	// Errorf logs at ERROR.
	Errorf(format string, args ...any)
	// Critf logs at CRIT.
	Critf(format string, args ...any)
	// Debugf logs at debug (debugfile only).
	Debugf(format string, args ...any)
}

// Discard is a Logger that drops everything.
var Discard Logger = discard{}

type discard struct{}

func (discard) Log(Level, string, ...any) {}
func (discard) Script(string, string)     {}
func (discard) Infof(string, ...any)      {}
func (discard) Warnf(string, ...any)      {}
func (discard) Errorf(string, ...any)     {}
func (discard) Critf(string, ...any)      {}
func (discard) Debugf(string, ...any)     {}

// ScriptTag returns the tag heartbeat's shell library puts on a script line, e.g. `ResourceManager(default)[199]` (COMPAT §8.3).
func ScriptTag(name, instance string, pid int) string {
	return fmt.Sprintf("%s(%s)[%d]", name, instance, pid)
}

// PIDTagger writes script lines whose tag lacks the "[pid]" part (agents,
// the executor and the planner name only the script, e.g. "harc" or
// "IPaddr(IPaddr_10.0.0.5)") with PID added, and "(default)" for a bare
// script name, as heartbeat's shell library does (COMPAT §8.3).
type PIDTagger struct {
	Log Logger
	PID int
}

// Script logs text under tag completed with the instance and pid.
func (p PIDTagger) Script(tag, text string) {
	if !strings.HasSuffix(tag, "]") {
		if !strings.Contains(tag, "(") {
			tag += "(default)"
		}
		tag = fmt.Sprintf("%s[%d]", tag, p.PID)
	}
	p.Log.Script(tag, text)
}

// Recorded is one line a Recorder received.
type Recorded struct {
	Level  Level // the daemon level; for script lines the level implied by the text (ScriptLevel)
	Script bool  // true for Script lines
	Tag    string
	Text   string
}

// Line returns the record as Recorder.Lines shows it: `LEVEL: text` or `<tag>:    text`.
func (r Recorded) Line() string {
	if r.Script {
		return r.Tag + ":    " + r.Text
	}
	return r.Level.String() + ": " + r.Text
}

// Recorder is a Logger for tests that keeps every line in memory.
type Recorder struct {
	mu  sync.Mutex
	rec []Recorded
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Log records a daemon line.
func (r *Recorder) Log(level Level, format string, args ...any) {
	r.add(Recorded{Level: level, Text: truncate(sprintf(format, args))})
}

// Script records a script-style line.
func (r *Recorder) Script(tag, text string) {
	r.add(Recorded{Level: ScriptLevel(text), Script: true, Tag: tag, Text: truncate(text)})
}

// LogPID records a daemon line; the pid is not part of the recorded line (same signature as Log.LogPID).
func (r *Recorder) LogPID(pid int, level Level, format string, args ...any) {
	r.Log(level, format, args...)
}

// Infof records an info line.
func (r *Recorder) Infof(format string, args ...any) { r.Log(Info, format, args...) }

// Warnf records a WARN line.
func (r *Recorder) Warnf(format string, args ...any) { r.Log(Warn, format, args...) }

// Errorf records an ERROR line.
func (r *Recorder) Errorf(format string, args ...any) { r.Log(Error, format, args...) }

// Critf records a CRIT line.
func (r *Recorder) Critf(format string, args ...any) { r.Log(Crit, format, args...) }

// Debugf records a debug line.
func (r *Recorder) Debugf(format string, args ...any) { r.Log(Debug, format, args...) }

func (r *Recorder) add(x Recorded) {
	r.mu.Lock()
	r.rec = append(r.rec, x)
	r.mu.Unlock()
}

// Records returns a copy of everything recorded so far.
func (r *Recorder) Records() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.rec...)
}

// Lines returns every recorded line as the log file would show it minus date, host and pid: `WARN: node node2: is dead`, `ResourceManager(default)[7]:    info: …`.
func (r *Recorder) Lines() []string {
	recs := r.Records()
	out := make([]string, len(recs))
	for i, x := range recs {
		out[i] = x.Line()
	}
	return out
}

// String returns Lines joined by newlines, each line newline-terminated.
func (r *Recorder) String() string {
	var b strings.Builder
	for _, l := range r.Lines() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// Reset forgets everything recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.rec = nil
	r.mu.Unlock()
}

func sprintf(format string, args []any) string {
	return fmt.Sprintf(format, args...)
}
