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

const cleanupUsage = "usage: heartbeat cleanup [RESOURCE]\n  clears the monitor's failure counts of RESOURCE (a haresources token as written), or of every resource;\n  a node that handed a group over may then take it back\n"

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
