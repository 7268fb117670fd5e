package hblog

import (
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// The logrus formatters below turn one logrus.Entry into the bytes of one
// destination: an ha-log line, an ha-debug line, a syslog datagram, or a
// JSON object. The entry's Message is the text and its Time the stamp; the
// heartbeat part logrus has no room for (the CRIT and notice priorities,
// the pid, a script's tag: libraries.md, logrus pitfall 1) travels in
// Entry.Data[FieldKey] as a *Record. An entry without one (logged through
// logrus directly) is shown as a daemon line at the level logrus gives.

// FieldKey is the Entry.Data key of the *Record of an entry.
const FieldKey = "hblog"

// RecordKind says what wrote a record.
type RecordKind uint8

// Record kinds.
const (
	RecDaemon      RecordKind = iota // a daemon line: `[pid]: LEVEL: text`
	RecScript                        // an ha_log script line (logfile, debugfile, syslog)
	RecScriptDebug                   // an ha_debug script line (debugfile only)
	RecOutput                        // raw resource-script stdout/stderr (debugfile only)
)

// Record is the heartbeat part of a log entry.
type Record struct {
	Kind   RecordKind
	Level  Level  // heartbeat's priority (the entry's logrus level is the nearest one)
	PID    int    // daemon lines
	Entity string // daemon lines: program name; "" = the formatter's
	Tag    string // script lines: `IPaddr(IPaddr_10.0.0.5)[7]`

	dst int // dstFiles|dstSyslog: which hooks take it (see Log.emit)

	// The daemon line as last rendered, and by which LineFormat: the
	// logfile, debugfile and stderr hooks of one Log share it.
	line   []byte
	lineBy LineFormat
	json   []byte // the same for JSONFormatter
	jsonBy JSONFormatter
}

// recordOf returns the entry's Record, or one made from logrus's own fields.
func recordOf(e *logrus.Entry) *Record {
	if r, ok := e.Data[FieldKey].(*Record); ok {
		return r
	}
	return &Record{Level: hbLevel(e.Level), dst: dstAll}
}

// hbLevel maps a logrus level onto heartbeat's priorities.
func hbLevel(l logrus.Level) Level {
	switch l {
	case logrus.PanicLevel, logrus.FatalLevel:
		return Crit
	case logrus.ErrorLevel:
		return Error
	case logrus.WarnLevel:
		return Warn
	case logrus.InfoLevel:
		return Info
	}
	return Debug
}

// logrusLevel maps heartbeat levels onto logrus's; the exact level travels in the Record (logrus has no CRIT or notice).
func logrusLevel(lv Level) logrus.Level {
	switch {
	case lv <= Error:
		return logrus.ErrorLevel
	case lv == Warn:
		return logrus.WarnLevel
	case lv == Debug:
		return logrus.DebugLevel
	}
	return logrus.InfoLevel
}

// LineFormat is what the ha-log and ha-debug formatters need besides the entry.
type LineFormat struct {
	SyslogMsgFmt bool   // ha.cf syslogmsgfmt: daemon lines in syslog shape
	Nodename     string // written in syslog-shaped lines
	Entity       string // program name of daemon lines whose Record names none; "" = "heartbeat"
}

func (f *LineFormat) daemon(e *logrus.Entry, r *Record) []byte {
	if r.line != nil && r.lineBy == *f {
		return r.line // already queued elsewhere: never written to, only read
	}
	ent := r.Entity
	if ent == "" {
		ent = f.Entity
	}
	if ent == "" {
		ent = "heartbeat"
	}
	r.line = appendDaemonLine(nil, f.SyslogMsgFmt, e.Time, f.Nodename, ent, r.PID, r.Level, e.Message)
	r.lineBy = *f
	return r.line
}

// HALogFormatter renders logfile lines: daemon lines (COMPAT §8.2) and ha_log script lines (COMPAT §8.3).
type HALogFormatter struct{ LineFormat }

// Format returns one logfile line, newline included.
func (f *HALogFormatter) Format(e *logrus.Entry) ([]byte, error) {
	r := recordOf(e)
	switch r.Kind {
	case RecScript, RecScriptDebug:
		return appendScriptLogLine(nil, e.Time, r.Tag, e.Message), nil
	case RecOutput:
		return []byte(e.Message), nil
	}
	return f.daemon(e, r), nil
}

// HADebugFormatter renders debugfile lines: daemon lines as in the logfile,
// script lines in ha_debug's shape, raw script output as it came (COMPAT §8.1, §8.3).
type HADebugFormatter struct{ LineFormat }

// Format returns one debugfile line (raw output: the bytes as written).
func (f *HADebugFormatter) Format(e *logrus.Entry) ([]byte, error) {
	r := recordOf(e)
	switch r.Kind {
	case RecScript, RecScriptDebug:
		return appendScriptDebugLine(nil, e.Time, r.Tag, e.Message), nil
	case RecOutput:
		return []byte(e.Message), nil
	}
	return f.daemon(e, r), nil
}

// SyslogFormatter renders the datagram glibc's syslog(3) sends for a line:
// daemon lines as `<PRI>Mmm dd hh:mm:ss heartbeat: [pid]: LEVEL: text`,
// script lines under their tag (COMPAT §8.2, §8.6).
type SyslogFormatter struct {
	Facility int    // shifted facility code (Facility("local0") = 128)
	Entity   string // ident of daemon lines whose Record names none; "" = "heartbeat"
}

// Format returns the datagram, without a trailing newline.
func (f *SyslogFormatter) Format(e *logrus.Entry) ([]byte, error) {
	r := recordOf(e)
	ident := r.Tag
	if r.Kind == RecDaemon {
		ident = r.Entity
		if ident == "" {
			ident = f.Entity
		}
		if ident == "" {
			ident = "heartbeat"
		}
	}
	b := appendDatagramHead(make([]byte, 0, 48+len(ident)+len(e.Message)), f.Facility, r.Level, e.Time, ident)
	msg := len(b)
	if r.Kind == RecDaemon {
		b = appendSyslogText(b, r.PID, r.Level, e.Message)
	} else {
		b = append(b, e.Message...)
	}
	for len(b) > msg && b[len(b)-1] == '\n' { // as Datagram: syslog(3) drops the message's newlines
		b = b[:len(b)-1]
	}
	return b, nil
}

// JSON log kinds: the "ev" of a JSONFormatter line.
const (
	EvLog    = "log"    // a daemon line
	EvScript = "script" // a script's ha_log or ha_debug line
	EvOutput = "output" // raw resource-script output
)

// JSONFormatter renders a line as one journal-shaped JSON object
// (docs/DESIGN.md "The event journal"): `t` (UTC, microseconds), `ev`
// (log, script or output), then in sorted key order `entity` and `pid`
// (daemon lines), `host` (the node that logged), `level` (heartbeat's
// word; not on raw output), `msg` (raw output without its last newlines),
// `tag` (script lines), and any other entry fields as
// strings. hbgo.cf `logformat json`; for journald and Loki.
type JSONFormatter struct {
	Nodename string // the "host" field; "" = none
	Entity   string // "entity" of daemon lines whose Record names none; "" = "heartbeat"
}

// Format returns one JSON object and a newline.
func (f *JSONFormatter) Format(e *logrus.Entry) ([]byte, error) {
	r := recordOf(e)
	if r.json != nil && r.jsonBy == *f {
		return r.json, nil
	}
	ev := Event{Time: e.Time, Fields: make(map[string]string, 6+len(e.Data))}
	for k, v := range e.Data {
		if k == FieldKey {
			continue
		}
		if s, ok := v.(string); ok {
			ev.Fields[k] = s
		} else {
			ev.Fields[k] = fmt.Sprint(v)
		}
	}
	switch r.Kind {
	case RecDaemon:
		ev.Kind = EvLog
		ent := r.Entity
		if ent == "" {
			ent = f.Entity
		}
		if ent == "" {
			ent = "heartbeat"
		}
		ev.Fields["entity"] = ent
		ev.Fields["pid"] = itoa(r.PID)
	case RecScript, RecScriptDebug:
		ev.Kind = EvScript
		ev.Fields["tag"] = r.Tag
	case RecOutput:
		ev.Kind = EvOutput
	}
	if f.Nodename != "" {
		ev.Fields["host"] = f.Nodename
	}
	if r.Kind != RecOutput {
		ev.Fields["level"] = r.Level.String()
	}
	msg := e.Message
	if r.Kind == RecOutput {
		msg = strings.TrimRight(msg, "\n") // the line's own end is the object's
	}
	ev.Fields["msg"] = msg
	b, err := ev.MarshalJSON()
	if err != nil {
		return nil, err
	}
	r.json, r.jsonBy = append(b, '\n'), *f
	return r.json, nil
}
