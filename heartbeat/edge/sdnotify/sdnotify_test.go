package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// listen creates a stand-in for systemd's notify socket and points
// NOTIFY_SOCKET at it.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

// drain returns every datagram already queued on c: non-blocking reads
// until the queue is empty, so no read deadline that a descheduled test
// could pass before reading ends the drain early.
func drain(t *testing.T, c *net.UnixConn) []string {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	buf := make([]byte, 512)
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if rerr == syscall.EAGAIN {
			return got
		}
		if rerr != nil {
			t.Fatal(rerr)
		}
		got = append(got, string(buf[:n]))
	}
}

func TestFromEnvWithoutSocketIsNil(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := FromEnv()
	if n != nil {
		t.Fatalf("FromEnv() = %+v without NOTIFY_SOCKET, want nil", n)
	}
	n.Notify("READY=1") // a nil notifier is usable
	if n.Watchdog() != 0 {
		t.Fatal("nil notifier has a watchdog")
	}
}

func TestNotify(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		name         string
		usec, wdPID  string
		wantWatchdog time.Duration
		want         []string
	}{
		{"watchdog for us", "3000000", pid, 3 * time.Second, []string{"READY=1", "WATCHDOG=1", "STOPPING=1"}},
		{"watchdog without pid", "500000", "", 500 * time.Millisecond, []string{"READY=1", "WATCHDOG=1", "STOPPING=1"}},
		{"no watchdog: pings dropped", "", "", 0, []string{"READY=1", "STOPPING=1"}},
		{"watchdog meant for another pid", "3000000", "1", 0, []string{"READY=1", "STOPPING=1"}},
		{"malformed WATCHDOG_USEC", "soon", pid, 0, []string{"READY=1", "STOPPING=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := listen(t)
			t.Setenv("WATCHDOG_USEC", tc.usec)
			t.Setenv("WATCHDOG_PID", tc.wdPID)
			n := FromEnv()
			if n == nil {
				t.Fatal("FromEnv() = nil with NOTIFY_SOCKET set")
			}
			if got := n.Watchdog(); got != tc.wantWatchdog {
				t.Errorf("Watchdog() = %v, want %v", got, tc.wantWatchdog)
			}
			for _, s := range []string{"READY=1", "WATCHDOG=1", "", "STOPPING=1"} {
				n.Notify(s)
			}
			if diff := cmp.Diff(tc.want, drain(t, c)); diff != "" {
				t.Errorf("datagrams (-want +got):\n%s", diff)
			}
			// The environment stays for a re-exec under the same PID.
			if os.Getenv("NOTIFY_SOCKET") == "" {
				t.Error("NOTIFY_SOCKET was unset")
			}
		})
	}
}

func TestNotifySocketGoneIsHarmless(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "absent"))
	FromEnv().Notify("READY=1") // must neither panic nor block
}
