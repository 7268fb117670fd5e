package install

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// unitSettings reads a unit file's Key=Value lines ([Section] ignored; a
// repeated key keeps every value, joined by "|").
func unitSettings(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", path, l)
		}
		if old, ok := m[k]; ok {
			v = old + "|" + v
		}
		m[k] = v
	}
	return m
}

// TestUnitSettings pins the settings stock's unit has (COMPAT §7.5) and
// the watchdog ones hbgo adds.
func TestUnitSettings(t *testing.T) {
	got := unitSettings(t, repo(t)+"/dist/heartbeat.service")
	want := map[string]string{
		"Type":                     "notify",
		"NotifyAccess":             "main",
		"ExecStart":                "/usr/libexec/heartbeat/heartbeat -f",
		"ExecStop":                 "/usr/libexec/heartbeat/heartbeat -k",
		"ExecStopPost":             "/usr/libexec/heartbeat/hbgo-stop-post",
		"ExecReload":               "/bin/kill -HUP $MAINPID",
		"KillMode":                 "process",
		"SendSIGKILL":              "no",
		"TimeoutStopSec":           "30min",
		"TimeoutStartSec":          "60s",
		"Restart":                  "on-failure",
		"RestartSec":               "0",
		"RestartPreventExitStatus": "6",
		"StartLimitIntervalSec":    "0",
		"EnvironmentFile":          "-/etc/sysconfig/heartbeat|-/etc/sysconfig/pacemaker",
		"WantedBy":                 "multi-user.target",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(got["After"], "drbd.service") || !strings.Contains(got["After"], "network.target") {
		t.Errorf("After=%q, want network.target and drbd.service", got["After"])
	}
	// The watchdog must fire before the peer's default deadtime (30 s,
	// COMPAT §2.3) and leave several default keepalives (1 s) of margin.
	wd, err := time.ParseDuration(got["WatchdogSec"])
	if err != nil || wd >= 30*time.Second || wd < 4*time.Second {
		t.Errorf("WatchdogSec=%q (%v): want between 4 keepalives and the default deadtime", got["WatchdogSec"], err)
	}
}

// TestUnitVerifies runs systemd-analyze verify on the installed unit, with
// the DESTDIR's programs bind-mounted over /usr/libexec/heartbeat in a
// private mount namespace (verify checks that ExecStart= & co. exist).
func TestUnitVerifies(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd): cannot verify the unit")
	}
	if !isRoot() {
		t.Skip("needs root for a private mount namespace")
	}
	d := t.TempDir()
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+standInBin(t))
	unit := d + "/lib/systemd/system/heartbeat.service"
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1/usr/libexec/heartbeat" /usr/libexec/heartbeat && systemd-analyze verify "$2"`,
		"sh", d, unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// And it does fail on a broken unit (so the check above means something).
	bad := d + "/bad/heartbeat.service"
	writeFile(t, bad, strings.Replace(readFile(t, unit), "ExecStopPost=/usr/libexec/heartbeat/hbgo-stop-post", "ExecStopPost=/usr/libexec/heartbeat/no-such-helper", 1), 0o644)
	out, err = exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1/usr/libexec/heartbeat" /usr/libexec/heartbeat && systemd-analyze verify "$2"`,
		"sh", d, bad).CombinedOutput()
	if err == nil {
		t.Errorf("systemd-analyze verify accepted a unit whose ExecStopPost= is missing:\n%s", out)
	}
}
