package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCRCKeysLogCrit starts the daemon with an authkeys that lists crc and
// stops it once up: the ha-log has the CRIT line, in the start-up banner.
// Stock starts silently with crc (PROTOCOL §4.3); hbgo still starts.
func TestCRCKeysLogCrit(t *testing.T) {
	for _, tc := range []struct {
		name, keys string
		crit       bool
	}{
		{"crc", "auth 1\n1 crc\n", true},
		{"crc listed for rotation", "auth 2\n1 crc\n2 sha1 0123456789abcdef\n", true},
		{"sha1", "auth 1\n1 sha1 0123456789abcdef\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			logfile := filepath.Join(dir, "ha-log")
			port := 20000 + (os.Getpid()*7+len(tc.keys))%30000
			const initdead = 20 * time.Second
			hacf := fmt.Sprintf("logfile %s\nkeepalive 1\ndeadtime 10\ninitdead %d\nudpport %d\nucast lo 127.0.0.1\nauto_failback on\nnode node1\nnode node2\n",
				logfile, int(initdead.Seconds()), port)
			for name, text := range map[string]string{"ha.cf": hacf, "authkeys": tc.keys, "haresources": "", "nodeinfo": "node1\n"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			state := filepath.Join(dir, "state")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr strings.Builder
			done := make(chan int, 1)
			go func() {
				done <- Run(ctx, Options{Dir: dir, StateDir: state, PIDFile: filepath.Join(dir, "pid"),
					ControlSocket: filepath.Join(dir, "hbgo.sock"), Stderr: &stderr, NoRealtime: true, NoResources: true,
					Ready: cancel})
			}()
			select {
			case code := <-done:
				if code != ExitOK {
					t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
				}
			case <-time.After(initdead): // up within a keepalive or two, long before initdead
				t.Fatal("daemon did not start and stop")
			}
			b, _ := os.ReadFile(logfile)
			want := "CRIT: hbgo: authkeys index 1 uses crc, which authenticates nothing"
			if got := strings.Contains(string(b), want); got != tc.crit {
				t.Errorf("ha-log has %q: %v, want %v; ha-log:\n%s", want, got, tc.crit, b)
			}
		})
	}
}
