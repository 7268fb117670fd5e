// Package diag holds the configuration problem type every hbgo parser reports: file, line, what is wrong and what to write instead.
package diag

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Severity says whether a problem stops the daemon from starting.
type Severity int

const (
	// Error refuses startup (heartbeat exits 6, LSB "not configured").
	Error Severity = iota
	// Warning is reported but does not stop the daemon.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding in a configuration file.
// Line 0 means the whole file (mode, missing file, no media, no nodes).
type Problem struct {
	File     string
	Line     int
	Severity Severity
	What     string // what is wrong, e.g. "deadtime 4 must be more than twice keepalive 2"
	Hint     string // what to write instead, e.g. "write deadtime 5 or more"
	// Stock is heartbeat 3.0.6's own log text for this problem, when it has
	// one (COMPAT §2.4, §3), e.g. "Illegal directive [foo] in /etc/ha.d//ha.cf";
	// the daemon writes it to ha-log so logcheck rules keep matching.
	Stock string
}

// Error renders the problem as `<file>:<line>: error|warning: <what>; <hint>`.
func (p Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s: %s", p.File, p.Line, p.Severity, p.What)
	if p.Hint != "" {
		b.WriteString("; ")
		b.WriteString(p.Hint)
	}
	return b.String()
}

// Problems is every finding of one or more files, in the order found.
type Problems []Problem

// Errorf appends an error-severity problem.
func (ps *Problems) Errorf(file string, line int, hint, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Severity: Error, What: fmt.Sprintf(format, args...), Hint: hint})
}

// Warnf appends a warning-severity problem.
func (ps *Problems) Warnf(file string, line int, hint, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Severity: Warning, What: fmt.Sprintf(format, args...), Hint: hint})
}

// HasErrors reports whether any problem has Error severity.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the error-severity problems.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

// Sorted returns a copy ordered by file, then line (stable for equal lines).
func (ps Problems) Sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// Err returns nil when there is no error-severity problem, else an error
// whose message is every problem, one per line; errors.As finds *ConfigError.
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return &ConfigError{Problems: ps}
}

// ConfigError is a configuration rejected for the problems it carries.
type ConfigError struct{ Problems Problems }

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// AsProblems extracts the problems from an error made by Problems.Err.
func AsProblems(err error) (Problems, bool) {
	var e *ConfigError
	if errors.As(err, &e) {
		return e.Problems, true
	}
	return nil, false
}

// ReadHint is the advice for a configuration file the caller may not read
// (EACCES): the files are root's, mode 600 for authkeys, so the answer is to
// run the command as root or as the file's owner, not to change the file.
func ReadHint(path string) string {
	owner := ""
	if fi, err := os.Stat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			owner = strconv.FormatUint(uint64(st.Uid), 10)
			if u, err := user.LookupId(owner); err == nil {
				owner = u.Username
			}
		}
	}
	if owner == "" || owner == "root" {
		return "run this as root (sudo): only root may read it"
	}
	return "run this as root (sudo) or as the file's owner, " + owner
}
