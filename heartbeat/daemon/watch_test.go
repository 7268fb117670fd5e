package daemon

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/edge/hblog"
)

const testHaCf = "logfile /dev/null\nkeepalive 1\ndeadtime 10\ninitdead 20\nucast lo 127.0.0.1\nauto_failback on\nnode node1\nnode node2\n"

// TestValidateChange checks the watcher's verdicts: a valid change is
// announced as what heartbeat -r applies, an invalid one is reported as
// file:line and the running configuration stays.
func TestValidateChange(t *testing.T) {
	for _, tc := range []struct {
		name, hacf string
		want       []string
	}{
		{"valid", testHaCf, []string{"changed and is valid; run heartbeat -r to apply it"}},
		{"invalid", testHaCf + "keepalive banana\n", []string{"ha.cf:9: error:", "the running one stays in effect"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, text string, mode os.FileMode) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), mode); err != nil {
					t.Fatal(err)
				}
			}
			write("ha.cf", tc.hacf, 0o644)
			write("authkeys", "auth 1\n1 sha1 k\n", 0o600)
			write("haresources", "", 0o644)
			var out bytes.Buffer
			lg, err := hblog.New(hblog.Options{Stderr: &out, PID: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer lg.Close()
			n := &node{conf: &hadir.Conf{Dir: dir, Node: "node1"}, log: lg, o: Options{Validators: Validators()}}
			n.validateChange()
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestReload checks heartbeat -r's invoking side: an invalid configuration
// is refused with stock's line and exit 1 (stock's recorded answer,
// testdata/stock-reload-bad-hacf.txt) and nobody is signalled; a valid
// one SIGHUPs the daemon.
func TestReload(t *testing.T) {
	for _, tc := range []struct {
		name, hacf string
		code       int
		want       string
		hup        bool
	}{
		{"valid", testHaCf, 0, "Signalling heartbeat pid", true},
		{"invalid", testHaCf + "keepalive banana\n", 1, "Config errors: Heartbeat pid", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "ha.cf"), []byte(tc.hacf), 0o644)
			os.WriteFile(filepath.Join(dir, "authkeys"), []byte("auth 1\n1 sha1 k\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "haresources"), nil, 0o644)
			os.WriteFile(filepath.Join(dir, "nodeinfo"), []byte("node1\n"), 0o644)
			sleeper := hupStandIn(t)
			defer sleeper.Process.Kill()
			var out bytes.Buffer
			code := Reload(Options{Dir: dir, Stderr: &out}, sleeper.Process.Pid)
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("Reload = %d, output:\n%s\nwant %d and %q", code, out.String(), tc.code, tc.want)
			}
			if tc.hup && code == 0 {
				err := sleeper.Wait()
				ws, _ := sleeper.ProcessState.Sys().(syscall.WaitStatus)
				if err == nil || ws.ExitStatus() != hupExit {
					t.Errorf("daemon stand-in ended with %v, want SIGHUP", err)
				}
			}
		})
	}
}

// envHupChild makes this test binary the daemon's stand-in for TestReload.
const envHupChild = "HBGO_TEST_HUP_CHILD"

// hupExit is the stand-in's exit code when it receives SIGHUP.
const hupExit = 42

// TestMain lets the test binary serve as the SIGHUP stand-in: a plain
// `sleep` inherits an ignored SIGHUP from `nohup` or a CI runner and would
// never end, whereas Go's signal.Notify enables the signal even then.
func TestMain(m *testing.M) {
	if os.Getenv(envHupChild) == "1" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		os.Stdout.WriteString("ready\n")
		select {
		case <-hup:
			os.Exit(hupExit)
		case <-time.After(time.Minute):
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// hupStandIn starts the stand-in and returns once it listens for SIGHUP.
func hupStandIn(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), envHupChild+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 6)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("stand-in did not start: %q, %v", line, err)
	}
	return cmd
}
