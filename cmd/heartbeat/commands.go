package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hbgo/heartbeat/clstatus"
	"hbgo/heartbeat/control"
)

// clStatus runs cl_status against the local daemon's control socket.
func clStatus(args []string) int {
	host, _ := os.Hostname()
	return clstatus.Main(args, clstatus.Env{Stdout: os.Stdout, Stderr: os.Stderr, Host: host, PID: os.Getpid(),
		Query: func() (*control.Snapshot, error) {
			rep, err := control.Do(control.DefaultPath, control.Request{Op: control.OpStatus}, 5*time.Second)
			if err != nil {
				return nil, err
			}
			if !rep.OK || rep.Status == nil {
				return nil, errors.New(rep.Error)
			}
			return rep.Status, nil
		}})
}

// hbStandby is hb_standby / hb_takeover [all|foreign|local|failback]
// (COMPAT §7.1, §7.2): it asks the daemon and exits at once, success not
// meaning the switch happened. Without hbgo's control socket it writes the
// FIFO, as stock's scripts do, so it also works against a stock daemon.
func hbStandby(name string, args []string, takeover bool) int {
	self := name
	if p, err := os.Executable(); err == nil && filepath.IsAbs(os.Args[0]) {
		self = p
		self = os.Args[0]
	}
	usage := func() {
		fmt.Fprintln(os.Stdout, "usage:")
		fmt.Fprintf(os.Stderr, "%s [all|foreign|local|failback]\n", self)
	}
	if len(args) > 1 {
		fmt.Fprintf(os.Stderr, "%s: too many arguments\n", self)
		usage()
		return 1
	}
	set := "all"
	if len(args) == 1 {
		set = args[0]
	}
	switch set {
	case "all", "foreign", "local", "failback":
	case "--help":
		usage()
		return 1
	default:
		fmt.Fprintf(os.Stderr, "%s: wrong resources(%s).\n", self, set)
		usage()
		return 1
	}
	op, t := control.OpStandby, "ask_resources"
	if takeover {
		op, t = control.OpTakeover, "hb_takeover"
	} else {
		fmt.Fprintf(os.Stderr, "%s Going standby [%s].\n", time.Now().Format("Jan 02 15:04:05"), set)
	}
	rep, err := control.Do(control.DefaultPath, control.Request{Op: op, Args: []string{set}}, 5*time.Second)
	if err == nil && rep.OK {
		return 0
	}
	if err == nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", self, rep.Error)
		return 1
	}
	// No hbgo daemon: stock's FIFO.
	fields := fmt.Sprintf("t=%s\nrsc_hold=%s\n", t, set)
	if !takeover {
		fields += "info=me\n"
	}
	f, ferr := os.OpenFile("/var/lib/heartbeat/fifo", os.O_WRONLY|os.O_APPEND, 0)
	if ferr != nil {
		fmt.Fprintf(os.Stderr, "%s: heartbeat is not running (%v)\n", self, strings.TrimPrefix(err.Error(), "control: "))
		return 1
	}
	defer f.Close()
	_, werr := f.WriteString(">>>\n" + fields + "<<<\n")
	if werr != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", self, werr)
		return 1
	}
	return 0
}
