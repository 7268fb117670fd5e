package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"hbgo/haresources/failcount"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/edge/control"
)

// cleanupUsage is `heartbeat cleanup -h`, laid out as decode's: the usage
// line, one paragraph, examples, exit status.
const cleanupUsage = `usage: heartbeat cleanup [RESOURCE]

Clears this node's failure counts, which the resource monitor keeps per
resource in /var/lib/heartbeat/hbgo-failcounts: failover_threshold failures
within failure_window (hbgo.cf) hand a group over to the peer, and a node
that handed a group over does not take it back, auto_failback included,
until its counts are cleared or failure_window passes with no new failure.
RESOURCE is written as in haresources (IPaddr::10.0.0.5/24/eth0, mysql);
without it every count is cleared. A running daemon is asked over its
control socket (root only); with no daemon the file is changed in place,
so the next start begins from zero.

  heartbeat cleanup
  heartbeat cleanup IPaddr::10.0.0.5/24/eth0
  heartbeat cleanup mysql

Exit status: 0 cleared, 1 the daemon refused or the file could not be
written, 2 usage error.
`

// cleanupCmd is `heartbeat cleanup [RESOURCE]`.
func cleanupCmd(args []string, stdout, stderr io.Writer) int {
	return cleanup(args, hadir.ControlSocket(""), "/var/lib/heartbeat", stdout, stderr)
}

// cleanup asks the running daemon to clear the counts; with no daemon it
// clears them in stateDir itself, so the next start begins from zero.
func cleanup(args []string, sock, stateDir string, stdout, stderr io.Writer) int {
	if len(args) > 1 || (len(args) == 1 && (args[0] == "" || args[0][0] == '-')) {
		if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
			io.WriteString(stdout, cleanupUsage)
			return 0
		}
		io.WriteString(stderr, cleanupUsage)
		return 2
	}
	what := "every resource"
	if len(args) == 1 {
		what = args[0]
	}
	rep, err := control.Do(sock, control.Request{Op: control.OpCleanup, Args: args}, 5*time.Second)
	if err == nil {
		if !rep.OK {
			fmt.Fprintf(stderr, "heartbeat cleanup: %s\n", rep.Error)
			return 1
		}
		fmt.Fprintf(stdout, "heartbeat cleanup: failure counts of %s cleared\n", what)
		return 0
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "heartbeat cleanup: %v\n", err)
		return 1
	}
	// No daemon: the file is ours to change.
	c, lerr := failcount.Load(stateDir)
	if lerr != nil {
		fmt.Fprintf(stderr, "heartbeat cleanup: %v\n", lerr)
		return 1
	}
	if len(args) == 1 {
		delete(c, args[0])
	} else {
		clear(c)
	}
	if serr := failcount.Save(stateDir, c); serr != nil {
		fmt.Fprintf(stderr, "heartbeat cleanup: %v\n", serr)
		return 1
	}
	fmt.Fprintf(stdout, "heartbeat cleanup: failure counts of %s cleared in %s (heartbeat is not running)\n", what, filepath.Join(stateDir, failcount.File))
	return 0
}
