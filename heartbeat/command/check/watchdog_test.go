package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTimespan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"8s", 8 * time.Second, true}, {"8", 8 * time.Second, true}, {"500ms", 500 * time.Millisecond, true},
		{"1min 30s", 90 * time.Second, true}, {"1.5s", 1500 * time.Millisecond, true}, {"2 min", 2 * time.Minute, true},
		{"0", 0, true}, {"", 0, true}, {"infinity", 0, true}, {"8x", 0, false}, {"s", 0, false},
	} {
		got, ok := parseTimespan(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseTimespan(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestWatchdogLongerThanDeadtime: `heartbeat check` warns when the
// installed unit's WatchdogSec (unit file or drop-ins, systemd's order) is
// not shorter than deadtime (issue 17; docs/MIGRATION.md, systemd), in a
// temp copy of systemd's directories.
func TestWatchdogLongerThanDeadtime(t *testing.T) {
	unit := "[Unit]\nDescription=x\n\n[Service]\nType=notify\nWatchdogSec=8s\n"
	cases := []struct {
		name     string
		deadtime string            // ha.cf deadtime line ("" = default 30 s)
		files    map[string]string // under the temp root: etc/…, lib/…
		warnAt   string            // "" = no warning, else file:line
	}{
		{"shipped unit, deadtime 1", "deadtime 1\n", map[string]string{"lib/heartbeat.service": unit}, "lib/heartbeat.service:6"},
		{"shipped unit, deadtime 8", "deadtime 8\n", map[string]string{"lib/heartbeat.service": unit}, "lib/heartbeat.service:6"},
		{"shipped unit, deadtime 10", "deadtime 10\n", map[string]string{"lib/heartbeat.service": unit}, ""},
		{"shipped unit, default deadtime", "", map[string]string{"lib/heartbeat.service": unit}, ""},
		{"lowered in a drop-in", "deadtime 1\n", map[string]string{"lib/heartbeat.service": unit,
			"etc/heartbeat.service.d/override.conf": "[Service]\nWatchdogSec=500ms\n"}, ""},
		{"raised in a drop-in", "deadtime 5\n", map[string]string{"lib/heartbeat.service": unit,
			"etc/heartbeat.service.d/override.conf": "[Service]\n# longer\nWatchdogSec=1min\n"}, "etc/heartbeat.service.d/override.conf:3"},
		{"turned off", "deadtime 1\n", map[string]string{"lib/heartbeat.service": unit,
			"etc/heartbeat.service.d/override.conf": "[Service]\nWatchdogSec=0\n"}, ""},
		{"later drop-in wins", "deadtime 2\n", map[string]string{"lib/heartbeat.service": unit,
			"etc/heartbeat.service.d/10-a.conf": "[Service]\nWatchdogSec=1s\n",
			"lib/heartbeat.service.d/20-b.conf": "[Service]\nWatchdogSec=3s\n"}, "lib/heartbeat.service.d/20-b.conf:2"},
		{"/etc unit hides the shipped one", "deadtime 1\n", map[string]string{"lib/heartbeat.service": unit,
			"etc/heartbeat.service": "[Service]\nType=notify\n"}, ""},
		{"not in [Service]", "deadtime 1\n", map[string]string{"lib/heartbeat.service": "[Unit]\nWatchdogSec=8s\n"}, ""},
		{"no unit installed", "deadtime 1\n", nil, ""},
		{"deadtime refused", "deadtime 1s\n", map[string]string{"lib/heartbeat.service": unit}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for p, text := range c.files {
				p = filepath.Join(root, p)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			hacfText := strings.Replace(goodHaCf, "deadtime 10\nwarntime 5\n", c.deadtime, 1)
			dir := writeDir(t, map[string]string{"ha.cf": hacfText, "haresources": goodHaresources, "authkeys": goodAuthkeys}, 0)
			o := testOptions(t, hostA)
			o.SystemdDirs = []string{filepath.Join(root, "etc"), filepath.Join(root, "run"), filepath.Join(root, "lib")}
			_, _, stderr := run([]string{"-dir", dir}, o)
			var got string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "WatchdogSec") {
					got = l
				}
			}
			if c.warnAt == "" {
				if got != "" {
					t.Errorf("unexpected warning: %s", got)
				}
				return
			}
			if !strings.HasPrefix(got, filepath.Join(root, c.warnAt)+": warning: WatchdogSec=") ||
				!strings.Contains(got, "is not shorter than deadtime") || !strings.Contains(got, "systemctl edit heartbeat") {
				t.Errorf("want a warning at %s, got %q\n%s", c.warnAt, got, stderr)
			}
		})
	}
}
