package agent

import "strings"

// StatusRunning reports whether a resource script's status output means running,
// by ResourceManager's rules (COMPAT §4.5): the exit code is never consulted.
func StatusRunning(statusStdout string) bool {
	// Rule 1: "not" in any letter case, exactly one space, anything (newlines
	// included), then "running" or "Running" ⇒ not running. Stock's case
	// pattern is *[Nn][Oo][Tt]\ *[Rr]unning*; so "cannot … running" counts
	// too (testdata/stock/status.golden: drbddisk's "cannot determine status,
	// may be running" is NOT running, contrary to COMPAT §4.5's note).
	if i := indexNotSpace(statusStdout); i >= 0 && hasRunning(statusStdout[i+4:]) {
		return false
	}
	// Rule 2: "running"/"Running", or upper-case "OK" anywhere ⇒ running.
	return hasRunning(statusStdout) || strings.Contains(statusStdout, "OK")
}

// indexNotSpace returns the index of the first case-insensitive "not " or -1.
func indexNotSpace(s string) int {
	for i := 0; i+4 <= len(s); i++ {
		if (s[i]|0x20) == 'n' && (s[i+1]|0x20) == 'o' && (s[i+2]|0x20) == 't' && s[i+3] == ' ' {
			return i
		}
	}
	return -1
}

func hasRunning(s string) bool {
	return strings.Contains(s, "running") || strings.Contains(s, "Running")
}
