// Package sdnotify tells systemd the daemon's state (READY, WATCHDOG, STOPPING) through $NOTIFY_SOCKET.
package sdnotify

import (
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends sd_notify(3) state lines for a process started by systemd
// with Type=notify; a nil *Notifier sends nothing.
type Notifier struct {
	watchdog time.Duration
	send     func(state string) error
}

// FromEnv returns the notifier for this process, or nil when $NOTIFY_SOCKET
// is unset (not started by systemd, or by `heartbeat` without -f: the
// daemonised child's PID is not the one systemd watches).
func FromEnv() *Notifier {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return nil
	}
	// The environment is kept: the daemon re-executes itself after a
	// partition heal (COMPAT §5.8) under the same PID and must go on
	// notifying.
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		wd = 0 // malformed WATCHDOG_USEC: behave as without a watchdog
	}
	return &Notifier{watchdog: wd, send: func(state string) error {
		_, err := daemon.SdNotify(false, state)
		return err
	}}
}

// Watchdog returns the interval within which systemd expects WATCHDOG=1
// (WatchdogSec=), 0 when the unit has no watchdog.
func (n *Notifier) Watchdog() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog
}

// Notify sends one state line ("READY=1", "WATCHDOG=1", "STOPPING=1");
// WATCHDOG=1 is dropped when the unit has no watchdog. Errors are ignored:
// a lost datagram must never stop the cluster daemon.
func (n *Notifier) Notify(state string) {
	if n == nil || state == "" {
		return
	}
	if state == "WATCHDOG=1" && n.watchdog == 0 {
		return
	}
	_ = n.send(state)
}
