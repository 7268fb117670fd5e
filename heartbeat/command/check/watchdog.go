package check

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/heartbeat/config/hacf"
	"hbgo/internal/diag"
)

// DefaultSystemdDirs are where systemd finds heartbeat.service and its
// drop-in directories, highest precedence first.
var DefaultSystemdDirs = []string{"/etc/systemd/system", "/run/systemd/system",
	"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

const unitName = "heartbeat.service"

// unitSetting is where a unit setting got its final value.
type unitSetting struct {
	Value      string
	File       string
	Line       int
	Configured bool // some file sets it
}

// unitWatchdogSec reads WatchdogSec= of the installed heartbeat.service as
// systemd would: the unit file from the first directory that has one, then
// the *.conf drop-ins of every directory's heartbeat.service.d in file-name
// order (a name in a higher directory hides the same name below); the last
// assignment in [Service] wins.
func unitWatchdogSec(dirs []string) unitSetting {
	var files []string
	for _, d := range dirs {
		p := filepath.Join(d, unitName)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
			break
		}
	}
	dropins := map[string]string{}
	for i := len(dirs) - 1; i >= 0; i-- { // higher directories overwrite
		ms, _ := filepath.Glob(filepath.Join(dirs[i], unitName+".d", "*.conf"))
		for _, m := range ms {
			dropins[filepath.Base(m)] = m
		}
	}
	names := make([]string, 0, len(dropins))
	for n := range dropins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, dropins[n])
	}
	var s unitSetting
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		section, line := "", 0
		for sc.Scan() {
			line++
			l := strings.TrimSpace(sc.Text())
			switch {
			case l == "" || l[0] == '#' || l[0] == ';':
			case l[0] == '[':
				section = l
			case section == "[Service]":
				k, v, ok := strings.Cut(l, "=")
				if ok && strings.TrimSpace(k) == "WatchdogSec" {
					s = unitSetting{Value: strings.TrimSpace(v), File: f, Line: line, Configured: true}
				}
			}
		}
		fh.Close()
	}
	return s
}

// parseTimespan reads a systemd time span ("8s", "8", "500ms", "1min 30s");
// "", "0" and "infinity" are 0 (for WatchdogSec: off).
func parseTimespan(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "infinity" {
		return 0, true
	}
	units := map[string]time.Duration{
		"us": time.Microsecond, "usec": time.Microsecond, "ms": time.Millisecond, "msec": time.Millisecond,
		"": time.Second, "s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
	}
	var total time.Duration
	rest := s
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, false
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, false
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		u, ok := units[rest[:j]]
		if !ok {
			return 0, false
		}
		total += time.Duration(n * float64(u))
		rest = rest[j:]
	}
	return total, true
}

// watchdogVsDeadtime warns when the installed unit's watchdog fires no
// sooner than deadtime: a hung daemon is then declared dead by the peer,
// which takes over, before systemd has killed it and released this node's
// resources (docs/MIGRATION.md, systemd). Not checked when deadtime itself
// was refused.
func watchdogVsDeadtime(cf *hacf.Config, dirs []string) diag.Problems {
	s := unitWatchdogSec(dirs)
	if !s.Configured || cf.Refused["deadtime"] || cf.Refused["keepalive"] {
		return nil
	}
	wd, ok := parseTimespan(s.Value)
	if !ok || wd <= 0 || wd < cf.Deadtime {
		return nil
	}
	// Shorter than deadtime, but several keepalives long: the daemon pings
	// as it sends keepalives.
	dt, lo := cf.Deadtime, 2*cf.Keepalive
	hint := "set WatchdogSec=0 in a drop-in (systemctl edit heartbeat, under [Service]): deadtime leaves no room for a watchdog several keepalives long"
	if lo < dt {
		advice := max(dt/2, lo).Truncate(100 * time.Millisecond)
		hint = fmt.Sprintf("set WatchdogSec=%s in a drop-in (systemctl edit heartbeat, under [Service]), or WatchdogSec=0 to turn it off", spanText(advice))
	}
	where := fmt.Sprintf("%s:%d", cf.File, lastDirectiveLine(cf, "deadtime"))
	if lastDirectiveLine(cf, "deadtime") == 0 {
		where = cf.File + ", the default"
	}
	return diag.Problems{{File: s.File, Line: s.Line, Severity: diag.Warning,
		What: fmt.Sprintf("WatchdogSec=%s is not shorter than deadtime %s (%s): the peer takes over a hung daemon before systemd has stopped it",
			s.Value, spanText(dt), where),
		Hint: hint}}
}

func lastDirectiveLine(cf *hacf.Config, name string) int {
	for i := len(cf.Directives) - 1; i >= 0; i-- {
		if cf.Directives[i].Name == name {
			return cf.Directives[i].Line
		}
	}
	return 0
}

// spanText writes d as systemd and ha.cf readers expect: whole seconds as
// "4s", else milliseconds.
func spanText(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}
