// Package hblog writes heartbeat's ha-log, ha-debug and syslog lines byte for byte (logrus formatters, each destination a logrus hook), and hbgo's event journal.
package hblog

import "fmt"

// Level is a heartbeat log priority; its value is the syslog severity (0 = EMERG … 7 = debug).
type Level int

// Heartbeat's eight priorities (glue cl_log.c prio2str), in syslog severity order.
const (
	Emerg Level = iota
	Alert
	Crit
	Error
	Warn
	Notice
	Info
	Debug
)

// levelWords are the exact words stock writes (glue cl_log.c prio2str; COMPAT §8.2).
var levelWords = [...]string{"EMERG", "ALERT", "CRIT", "ERROR", "WARN", "notice", "info", "debug"}

// String returns heartbeat's word for the level, e.g. "WARN" or "info".
func (l Level) String() string {
	if l < Emerg || l > Debug {
		return "(undef)" // glue cl_log.c prio2str's answer for an unknown priority
	}
	return levelWords[l]
}

// Severity returns the syslog severity number (LOG_EMERG=0 … LOG_DEBUG=7) the level maps to.
func (l Level) Severity() int {
	if l < Emerg || l > Debug {
		return int(Debug)
	}
	return int(l)
}

// ParseLevel returns the level whose heartbeat word is s (case-sensitive, as stock writes it).
func ParseLevel(s string) (Level, error) {
	for i, w := range levelWords {
		if w == s {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("hblog: unknown level word %q", s)
}
