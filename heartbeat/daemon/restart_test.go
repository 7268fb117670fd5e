package daemon

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/haresources/planner"
)

// TestDecideReload checks stock's order: ha.cf first, then authkeys (COMPAT §2.8); then hbgo.cf, which stock has not.
func TestDecideReload(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Second)
	tests := []struct {
		name        string
		loaded, now ConfigTimes
		want        ReloadKind
	}{
		{"nothing changed", ConfigTimes{t0, t0, t0}, ConfigTimes{t0, t0, t0}, ReloadNone},
		{"ha.cf touched", ConfigTimes{t0, t0, t0}, ConfigTimes{t1, t0, t0}, ReloadRestart},
		{"both changed: ha.cf wins", ConfigTimes{t0, t0, t0}, ConfigTimes{t1, t1, t0}, ReloadRestart},
		{"authkeys only", ConfigTimes{t0, t0, t0}, ConfigTimes{t0, t1, t0}, ReloadAuth},
		{"ha.cf older than before still differs", ConfigTimes{t1, t0, t0}, ConfigTimes{t0, t0, t0}, ReloadRestart},
		{"sub-second edit is seen", ConfigTimes{t0, t0, t0}, ConfigTimes{t0, t0.Add(time.Millisecond), t0}, ReloadAuth},
		{"authkeys removed", ConfigTimes{t0, t0, t0}, ConfigTimes{t0, time.Time{}, t0}, ReloadAuth},
		{"hbgo.cf only", ConfigTimes{t0, t0, t0}, ConfigTimes{t0, t0, t1}, ReloadHbgo},
		{"hbgo.cf created", ConfigTimes{t0, t0, time.Time{}}, ConfigTimes{t0, t0, t0}, ReloadHbgo},
		{"hbgo.cf and authkeys: the keys first", ConfigTimes{t0, t0, t0}, ConfigTimes{t0, t1, t1}, ReloadAuth},
		{"hbgo.cf and ha.cf: the restart rereads it", ConfigTimes{t0, t0, t0}, ConfigTimes{t1, t0, t1}, ReloadRestart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecideReload(tc.loaded, tc.now); got != tc.want {
				t.Errorf("DecideReload = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestReadConfigTimes checks that the decision sees a touch of the real files.
func TestReadConfigTimes(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"ha.cf", "authkeys"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(filepath.Join(dir, "ha.cf"), old, old)
	os.Chtimes(filepath.Join(dir, "authkeys"), old, old)
	loaded := ReadConfigTimes(dir)
	if got := DecideReload(loaded, ReadConfigTimes(dir)); got != ReloadNone {
		t.Fatalf("untouched: %s", got)
	}
	os.Chtimes(filepath.Join(dir, "authkeys"), old.Add(time.Hour), old.Add(time.Hour))
	if got := DecideReload(loaded, ReadConfigTimes(dir)); got != ReloadAuth {
		t.Errorf("authkeys touched: %s", got)
	}
	os.Chtimes(filepath.Join(dir, "ha.cf"), old.Add(time.Hour), old.Add(time.Hour))
	if got := DecideReload(loaded, ReadConfigTimes(dir)); got != ReloadRestart {
		t.Errorf("ha.cf touched: %s", got)
	}
}

// TestRestartArgs checks the re-exec's command line against stock's
// restart_heartbeat (-C only with nice_failback).
func TestRestartArgs(t *testing.T) {
	tests := []struct {
		name             string
		nice             bool
		hold             planner.Hold
		debug            int
		noRT, noResource bool
		want             []string
	}{
		{"nice_failback holding all", true, planner.All, 0, false, false, []string{"heartbeat", "-R", "-C", "all"}},
		{"nice_failback holding nothing", true, planner.None, 0, false, false, []string{"heartbeat", "-R", "-C", "none"}},
		{"legacy: no -C", false, planner.Local, 0, false, false, []string{"heartbeat", "-R"}},
		{"flags kept", true, planner.Foreign, 2, true, true, []string{"heartbeat", "-R", "-C", "foreign", "-d", "-d", "-l", "-M"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := restartArgs("heartbeat", tc.nice, tc.hold, tc.debug, tc.noRT, tc.noResource)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestColdArgs checks that a cold restart drops -R -C and stays in the foreground.
func TestColdArgs(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"heartbeat"}, []string{"heartbeat", "-f"}},
		{[]string{"heartbeat", "-f", "-d"}, []string{"heartbeat", "-f", "-d"}},
		{[]string{"heartbeat", "-R", "-C", "all", "-d", "-M"}, []string{"heartbeat", "-d", "-M", "-f"}},
		{[]string{"heartbeat", "-R", "-Clocal"}, []string{"heartbeat", "-f"}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, coldArgs(tc.in)); d != "" {
			t.Errorf("coldArgs(%q) (-want +got):\n%s", tc.in, d)
		}
	}
}

// TestReloadRefusesBadConfig runs the invoking side of heartbeat -r on a
// broken ha.cf and compares its log lines and exit code with stock's
// recording; nothing is signalled.
func TestReloadRefusesBadConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/stock-reload-bad-hacf.txt")
	if err != nil {
		t.Fatal(err)
	}
	sect := map[string]string{}
	cur := ""
	for _, l := range strings.SplitAfter(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "--- "):
			cur = strings.TrimSpace(l[4:])
		default:
			sect[cur] += l
		}
	}
	dir := t.TempDir()
	logfile := filepath.Join(dir, "ha-log")
	host, _ := os.Hostname()
	hacf := strings.NewReplacer("LOGFILE", logfile, "NODE", strings.ToLower(host)).Replace(sect["ha.cf"])
	for name, data := range map[string]string{"ha.cf": hacf, "authkeys": "auth 1\n1 sha1 k\n", "haresources": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var stderr strings.Builder
	// A PID no process has: were it signalled, Kill would fail and say so.
	code := Reload(Options{Dir: dir, Stderr: &stderr}, 1<<22-1)
	out, _ := os.ReadFile(logfile)
	var got []string
	re := regexp.MustCompile(`^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ heartbeat: \[\d+\]: (.*)$`)
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			got = append(got, regexp.MustCompile(`pid \d+`).ReplaceAllString(m[1], "pid N"))
		}
	}
	want := strings.Split(strings.TrimRight(sect["ha-log"], "\n"), "\n")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ha-log lines (-stock +hbgo):\n%s", d)
	}
	if w := strings.TrimSpace(sect["exit"]); strconv.Itoa(code) != w {
		t.Errorf("exit %d, stock %s", code, w)
	}
	if !regexp.MustCompile(`ha\.cf:10: error: warntime banana .*; `).MatchString(stderr.String()) {
		t.Errorf("stderr lacks the file:line problem with its hint:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "Signalling") || strings.Contains(stderr.String(), "Unable to send SIGHUP") {
		t.Errorf("a broken configuration was signalled:\n%s", stderr.String())
	}
}
