package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hbgo/heartbeat/media"
)

// TestWatchdogFedWithoutOwnEcho runs a node with a stand-in watchdog (a
// plain file: each feed is a NUL byte) over each media setup in which its
// own heartbeat never comes back to it. The watchdog must be fed every
// keepalive all the same (issue 13 item 4). Before, only a copy of our own
// status heard back fed it, so these setups got the one feed at open and
// the node rebooted about deadtime after each start. bcast, which hears
// itself, is the control.
func TestWatchdogFedWithoutOwnEcho(t *testing.T) {
	for _, c := range []struct{ name, media string }{
		{"mcast loop 0", "mcast eth0 239.0.0.1 694 1 0\n"}, // ha.d-examples/mcast
		{"serial only", "serial /dev/ttyS0\n"},
		{"ucast to the peer only", "ucast eth0 10.0.0.2\n"},
		{"bcast", "bcast eth0\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			net := media.NewMemNetwork(nil)
			wd := filepath.Join(t.TempDir(), "watchdog")
			if err := os.WriteFile(wd, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			tn := startNode(t, net, nodeSpec{name: "node1", media: c.media, extra: "watchdog " + wd + "\n"})
			// Within deadtime (the device's timeout) the loop sends
			// deadtime/keepalive statuses: ask for a few feeds besides the one at open.
			const want = 4
			deadline := time.Now().Add(2 * testDeadtime)
			var feeds int
			for time.Now().Before(deadline) {
				b, _ := os.ReadFile(wd)
				if feeds = bytes.Count(b, []byte{0}); feeds >= want {
					break
				}
				time.Sleep(testKeepalive / 2)
			}
			if feeds < want {
				t.Errorf("watchdog fed %d times in %v (%d statuses sent), want at least %d: the node would reboot",
					feeds, 2*testDeadtime, len(tn.keepalives()), want)
			}
		})
	}
}
