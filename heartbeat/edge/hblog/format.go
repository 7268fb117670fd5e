package hblog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxMessage is the longest message text stock logs; longer texts are cut (glue cl_log.h MAXLINE 5120 incl. the NUL, COMPAT §8.2).
const MaxMessage = 5120 - 1

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// truncate cuts text to MaxMessage bytes, as vsnprintf into cl_log's buffer does.
func truncate(text string) string {
	if len(text) > MaxMessage {
		return text[:MaxMessage]
	}
	return text
}

// SyslogStamp formats t as cl_log's syslog_timestamp: `Nov 02 23:15:09` (English month, day zero-padded).
func SyslogStamp(t time.Time) string { return string(appendSyslogStamp(nil, t)) }

func appendSyslogStamp(b []byte, t time.Time) []byte {
	b = append(b, months[t.Month()-1]...)
	b = append(b, ' ')
	b = append2(b, t.Day())
	b = append(b, ' ')
	return appendClock(b, t)
}

// appendClock appends `hh:mm:ss`.
func appendClock(b []byte, t time.Time) []byte {
	b = append2(b, t.Hour())
	b = append(b, ':')
	b = append2(b, t.Minute())
	b = append(b, ':')
	return append2(b, t.Second())
}

// append2 appends n (0–99) as two digits, as %02d does.
func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

// HAStamp formats t as cl_log's ha_timestamp and ha_log's HA_DATEFMT: `2026/11/22_23:15:09`.
func HAStamp(t time.Time) string { return string(appendHAStamp(nil, t)) }

func appendHAStamp(b []byte, t time.Time) []byte {
	y := t.Year()
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%04d/%02d/%02d_%02d:%02d:%02d", y, int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
	}
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, '/')
	b = append2(b, int(t.Month()))
	b = append(b, '/')
	b = append2(b, t.Day())
	b = append(b, '_')
	return appendClock(b, t)
}

// DaemonLine formats one daemon log-file line, newline included (glue cl_log.c append_log; COMPAT §8.2).
//
// syslogFmt true:  `Nov 22 23:15:09 node1 heartbeat: [100]: WARN: node node2: is dead`
// syslogFmt false: `heartbeat[100]: 2026/11/22_23:15:09 WARN: node node2: is dead`
func DaemonLine(syslogFmt bool, t time.Time, nodename, entity string, pid int, level Level, text string) string {
	return string(appendDaemonLine(nil, syslogFmt, t, nodename, entity, pid, level, text))
}

func appendDaemonLine(b []byte, syslogFmt bool, t time.Time, nodename, entity string, pid int, level Level, text string) []byte {
	text = truncate(text)
	if b == nil {
		b = make([]byte, 0, 48+len(nodename)+len(entity)+len(text))
	}
	if syslogFmt {
		b = appendSyslogStamp(b, t)
		b = append(b, ' ')
		b = append(b, nodename...)
		b = append(b, ' ')
		b = append(b, entity...)
		b = append(b, ": ["...)
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, "]: "...)
	} else {
		b = append(b, entity...)
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, "]: "...)
		b = appendHAStamp(b, t)
		b = append(b, ' ')
	}
	b = append(b, level.String()...)
	b = append(b, ": "...)
	b = append(b, text...)
	return append(b, '\n')
}

// ScriptLogLine formats a script line for the logfile: date, two spaces, tag, colon, four spaces, text (ha_log; COMPAT §8.3).
func ScriptLogLine(t time.Time, tag, text string) string {
	return string(appendScriptLogLine(nil, t, tag, text))
}

func appendScriptLogLine(b []byte, t time.Time, tag, text string) []byte {
	text = truncate(text)
	if b == nil {
		b = make([]byte, 0, 27+len(tag)+len(text))
	}
	b = appendHAStamp(b, t)
	b = append(b, "  "...)
	b = append(b, tag...)
	b = append(b, ":    "...)
	b = append(b, text...)
	return append(b, '\n')
}

// ScriptDebugLine formats a script line for the debugfile: tag, colon, TAB, date, space, text (ha_debug/ha_log; COMPAT §8.3).
func ScriptDebugLine(t time.Time, tag, text string) string {
	return string(appendScriptDebugLine(nil, t, tag, text))
}

func appendScriptDebugLine(b []byte, t time.Time, tag, text string) []byte {
	text = truncate(text)
	if b == nil {
		b = make([]byte, 0, 24+len(tag)+len(text))
	}
	b = append(b, tag...)
	b = append(b, ":\t"...)
	b = appendHAStamp(b, t)
	b = append(b, ' ')
	b = append(b, text...)
	return append(b, '\n')
}

// SyslogText returns the message part of a daemon syslog datagram: `[<pid>]: <LEVEL>: <text>` (glue cl_log.c cl_direct_log, without its trailing NUL).
func SyslogText(pid int, level Level, text string) string {
	return string(appendSyslogText(nil, pid, level, text))
}

func appendSyslogText(b []byte, pid int, level Level, text string) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, "]: "...)
	b = append(b, level.String()...)
	b = append(b, ": "...)
	return append(b, truncate(text)...)
}

// ScriptLevel returns the syslog priority heartbeat's shell library gives a script line: ERROR ⇒ err, WARN ⇒ warning, INFO or exactly "info" ⇒ info, else notice (COMPAT §8.3).
func ScriptLevel(text string) Level {
	switch {
	case strings.Contains(text, "ERROR"):
		return Error
	case strings.Contains(text, "WARN"):
		return Warn
	case strings.Contains(text, "INFO"), text == "info":
		return Info
	}
	return Notice
}

func itoa(n int) string { return strconv.Itoa(n) }
