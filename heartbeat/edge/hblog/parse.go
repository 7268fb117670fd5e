package hblog

import (
	"strconv"
	"strings"
	"time"
)

// Kind says which of the line shapes an Entry came from.
type Kind int

// Line shapes.
const (
	Daemon Kind = iota + 1 // cl_log lines (syslog shape or `entity[pid]: date` shape)
	Script                 // ha_log/ha_debug lines from the shell library
)

// Entry is one parsed ha-log or ha-debug line.
type Entry struct {
	Time   time.Time
	Host   string // nodename; only in syslog-shaped daemon lines
	Entity string // "heartbeat", "ipfail", or the script name of a script tag ("ResourceManager")
	PID    int
	Level  Level
	Tag    string // script lines: the full tag, `ResourceManager(default)[199]`
	Text   string // the message after `LEVEL: ` (daemon) or after the tag (script, level word kept)
	Kind   Kind
}

// ParseLine parses one ha-log/ha-debug line in local time; year fills in the year syslog-shaped lines lack.
func ParseLine(line string, year int) (Entry, bool) {
	return ParseLineIn(line, year, time.Local)
}

// ParseLineIn is ParseLine with the time zone of the log given.
func ParseLineIn(line string, year int, loc *time.Location) (Entry, bool) {
	line = strings.TrimRight(line, "\r\n")
	if e, ok := parseSyslogShape(line, year, loc); ok {
		return e, true
	}
	if e, ok := parseScriptLog(line, loc); ok {
		return e, true
	}
	if e, ok := parseScriptDebug(line, loc); ok {
		return e, true
	}
	return parseEntityShape(line, loc)
}

// parseSyslogShape: `Nov 22 23:15:09 node1 heartbeat: [100]: WARN: text` (day may be space-padded,
// as syslogd writes it), also with rsyslog's RFC 3339 stamp (`2026-11-22T23:15:09.123456+00:00 node1 …`,
// Debian's default for /var/log/syslog), and script lines sent by logger (`… node1 harc(default)[7]: info: …`).
func parseSyslogShape(line string, year int, loc *time.Location) (Entry, bool) {
	t, rest, ok := syslogStamp(line, year, loc)
	if !ok {
		return Entry{}, false
	}
	host, rest, ok := strings.Cut(rest, " ")
	if !ok || host == "" {
		return Entry{}, false
	}
	if entity, body, ok := strings.Cut(rest, ": ["); ok && entity != "" && !strings.ContainsAny(entity, " ") {
		pidS, text, ok := strings.Cut(body, "]: ")
		if !ok {
			// a message that is empty after the pid: `[100]:` at end of line
			pidS, ok = strings.CutSuffix(body, "]:")
			text = ""
		}
		if pid, okp := num(pidS); ok && okp {
			e := Entry{Time: t, Host: host, Entity: entity, PID: pid, Kind: Daemon}
			e.Level, e.Text = splitLevel(text)
			return e, true
		}
	}
	tag, text, ok := strings.Cut(rest, ": ")
	if !ok || strings.ContainsAny(tag, " ") {
		return Entry{}, false
	}
	e, ok := scriptEntry(t, tag, text)
	e.Host = host
	return e, ok
}

// syslogStamp parses a leading `Nov 22 23:15:09 ` or RFC 3339 `2026-11-22T23:15:09.123+00:00 ` stamp.
func syslogStamp(line string, year int, loc *time.Location) (time.Time, string, bool) {
	if len(line) > 20 && line[4] == '-' && line[10] == 'T' {
		stamp, rest, ok := strings.Cut(line, " ")
		if !ok {
			return time.Time{}, "", false
		}
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return time.Time{}, "", false
		}
		return t, rest, true
	}
	if len(line) < 16 || line[15] != ' ' || line[3] != ' ' || line[6] != ' ' {
		return time.Time{}, "", false
	}
	mon := -1
	for i, m := range months {
		if line[:3] == m {
			mon = i + 1
		}
	}
	day, ok := num(strings.TrimLeft(line[4:6], " "))
	if mon < 0 || !ok || day < 1 || day > 31 {
		return time.Time{}, "", false
	}
	h, m, s, ok := clock(line[7:15])
	if !ok {
		return time.Time{}, "", false
	}
	return time.Date(year, time.Month(mon), day, h, m, s, 0, loc), line[16:], true
}

// parseEntityShape: `heartbeat[100]: 2026/11/22_23:15:09 WARN: text`.
func parseEntityShape(line string, loc *time.Location) (Entry, bool) {
	entity, rest, ok := strings.Cut(line, "[")
	if !ok || entity == "" || strings.ContainsAny(entity, " :\t") {
		return Entry{}, false
	}
	pidS, rest, ok := strings.Cut(rest, "]: ")
	if !ok {
		return Entry{}, false
	}
	pid, ok := num(pidS)
	if !ok || len(rest) < 20 || rest[19] != ' ' {
		return Entry{}, false
	}
	t, ok := parseHAStamp(rest[:19], loc)
	if !ok {
		return Entry{}, false
	}
	e := Entry{Time: t, Entity: entity, PID: pid, Kind: Daemon}
	e.Level, e.Text = splitLevel(rest[20:])
	return e, true
}

// parseScriptLog: `2026/11/22_23:15:10  ResourceManager(default)[199]:    info: Running …`.
func parseScriptLog(line string, loc *time.Location) (Entry, bool) {
	if len(line) < 21 || line[19:21] != "  " {
		return Entry{}, false
	}
	t, ok := parseHAStamp(line[:19], loc)
	if !ok {
		return Entry{}, false
	}
	tag, text, ok := strings.Cut(line[21:], ":    ")
	if !ok {
		return Entry{}, false
	}
	return scriptEntry(t, tag, text)
}

// parseScriptDebug: `ResourceManager(default)[199]:<TAB>2026/11/22_23:15:10 info: Running …`.
func parseScriptDebug(line string, loc *time.Location) (Entry, bool) {
	tag, rest, ok := strings.Cut(line, ":\t")
	if !ok || len(rest) < 19 {
		return Entry{}, false
	}
	t, ok := parseHAStamp(rest[:19], loc)
	if !ok {
		return Entry{}, false
	}
	text := rest[19:]
	if text != "" {
		if text[0] != ' ' {
			return Entry{}, false
		}
		text = text[1:]
	}
	return scriptEntry(t, tag, text)
}

// scriptEntry splits a tag `name(instance)[pid]` and builds the entry.
func scriptEntry(t time.Time, tag, text string) (Entry, bool) {
	if !strings.HasSuffix(tag, "]") {
		return Entry{}, false
	}
	open := strings.LastIndexByte(tag, '[')
	if open < 0 {
		return Entry{}, false
	}
	pid, ok := num(tag[open+1 : len(tag)-1])
	if !ok {
		return Entry{}, false
	}
	// Tags are always `name(instance)[pid]` (COMPAT §8.3); this also keeps other programs'
	// `prog[pid]:` syslog lines out.
	name, inst, ok := strings.Cut(tag[:open], "(")
	if !ok || name == "" || !strings.HasSuffix(inst, ")") {
		return Entry{}, false
	}
	return Entry{Time: t, Entity: name, PID: pid, Tag: tag, Text: text, Level: scriptTextLevel(text), Kind: Script}, true
}

// scriptTextLevel reads the level word a script text starts with (`info:`, `ERROR:`, `WARNING:`…), else the syslog priority ha_log would choose.
func scriptTextLevel(text string) Level {
	word, _, ok := strings.Cut(text, ":")
	if ok {
		switch word {
		case "EMERG":
			return Emerg
		case "ALERT":
			return Alert
		case "CRIT":
			return Crit
		case "ERROR", "ERR":
			return Error
		case "WARN", "WARNING":
			return Warn
		case "notice", "NOTICE":
			return Notice
		case "info", "INFO":
			return Info
		case "debug", "DEBUG":
			return Debug
		}
	}
	return ScriptLevel(text)
}

// splitLevel takes the `LEVEL: ` prefix off a daemon text; lines without one (cl_log with no priority string) count as info.
func splitLevel(s string) (Level, string) {
	word, text, ok := strings.Cut(s, ": ")
	if !ok {
		word, ok = strings.CutSuffix(s, ":")
		text = ""
	}
	if ok {
		if lv, err := ParseLevel(word); err == nil {
			return lv, text
		}
	}
	return Info, s
}

// parseHAStamp parses `2026/11/22_23:15:09`.
func parseHAStamp(s string, loc *time.Location) (time.Time, bool) {
	if len(s) != 19 || s[4] != '/' || s[7] != '/' || s[10] != '_' {
		return time.Time{}, false
	}
	y, ok1 := num(s[:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	h, m, sec, ok4 := clock(s[11:])
	if !ok1 || !ok2 || !ok3 || !ok4 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, m, sec, 0, loc), true
}

// clock parses `HH:MM:SS`.
func clock(s string) (h, m, sec int, ok bool) {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := num(s[:2])
	m, ok2 := num(s[3:5])
	sec, ok3 := num(s[6:])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, 0, 0, false
	}
	return h, m, sec, true
}

// num parses a non-empty run of ASCII digits (no sign), at most 9 of them.
func num(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
