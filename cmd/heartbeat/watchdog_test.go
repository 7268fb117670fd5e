package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/sdnotify"
	"hbgo/internal/harness/budget"
)

// TestWatchdogThrottle feeds the throttle a keepalive-rate stream of pings
// on a fake clock and reads what reached a stand-in notify socket.
func TestWatchdogThrottle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "8000000") // WatchdogSec=8s: one ping per 2 s passes
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	clock := time.Unix(1000, 0)
	notify := watchdogThrottle(sdnotify.FromEnv(), func() time.Time { return clock })
	notify("READY=1")
	for i := 0; i < 25; i++ { // 5 s of keepalives at 200 ms: pings at 0, 2 s, 4 s
		notify("WATCHDOG=1")
		clock = clock.Add(200 * time.Millisecond)
	}
	notify("STOPPING=1")
	var got []string
	buf := make([]byte, 512)
	// Everything was sent before the reads and STOPPING=1 last: read up
	// to it (a quiet-period deadline could pass while the test is
	// descheduled and end the reads early).
	c.SetReadDeadline(time.Now().Add(budget.Left(t)))
	for len(got) == 0 || got[len(got)-1] != "STOPPING=1" {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(buf[:n]))
	}
	want := []string{"READY=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("datagrams (-want +got):\n%s", diff)
	}
}
