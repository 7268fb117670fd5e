package hblog

import (
	"fmt"
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
func SyslogStamp(t time.Time) string {
	return fmt.Sprintf("%s %02d %02d:%02d:%02d", months[t.Month()-1], t.Day(), t.Hour(), t.Minute(), t.Second())
}

// HAStamp formats t as cl_log's ha_timestamp and ha_log's HA_DATEFMT: `2026/11/22_23:15:09`.
func HAStamp(t time.Time) string {
	return fmt.Sprintf("%04d/%02d/%02d_%02d:%02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
}

// DaemonLine formats one daemon log-file line, newline included (glue cl_log.c append_log; COMPAT §8.2).
//
// syslogFmt true:  `Nov 22 23:15:09 node1 heartbeat: [100]: WARN: node node2: is dead`
// syslogFmt false: `heartbeat[100]: 2026/11/22_23:15:09 WARN: node node2: is dead`
func DaemonLine(syslogFmt bool, t time.Time, nodename, entity string, pid int, level Level, text string) string {
	text = truncate(text)
	if syslogFmt {
		return SyslogStamp(t) + " " + nodename + " " + entity + ": [" + itoa(pid) + "]: " + level.String() + ": " + text + "\n"
	}
	return entity + "[" + itoa(pid) + "]: " + HAStamp(t) + " " + level.String() + ": " + text + "\n"
}

// ScriptLogLine formats a script line for the logfile: date, two spaces, tag, colon, four spaces, text (ha_log; COMPAT §8.3).
func ScriptLogLine(t time.Time, tag, text string) string {
	return HAStamp(t) + "  " + tag + ":    " + truncate(text) + "\n"
}

// ScriptDebugLine formats a script line for the debugfile: tag, colon, TAB, date, space, text (ha_debug/ha_log; COMPAT §8.3).
func ScriptDebugLine(t time.Time, tag, text string) string {
	return tag + ":\t" + HAStamp(t) + " " + truncate(text) + "\n"
}

// SyslogText returns the message part of a daemon syslog datagram: `[<pid>]: <LEVEL>: <text>` (glue cl_log.c cl_direct_log, without its trailing NUL).
func SyslogText(pid int, level Level, text string) string {
	return "[" + itoa(pid) + "]: " + level.String() + ": " + truncate(text)
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

func itoa(n int) string { return fmt.Sprint(n) }
