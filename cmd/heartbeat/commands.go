package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"hbgo/heartbeat/clstatus"
	"hbgo/heartbeat/control"
	"hbgo/heartbeat/hbconf"
)

// clStatus runs cl_status against the local daemon's control socket.
func clStatus(args []string) int {
	host, _ := os.Hostname()
	return clstatus.Main(args, clstatus.Env{Stdout: os.Stdout, Stderr: os.Stderr, Host: host, PID: os.Getpid(),
		Query: func() (*control.Snapshot, error) {
			rep, err := control.Do(hbconf.ControlSocket(""), control.Request{Op: control.OpStatus}, 5*time.Second)
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
	return standby(os.Args[0], args, takeover, os.Stdout, os.Stderr, time.Now(), request)
}

// standby is hb_standby/hb_takeover with its I/O injected; self is the path
// it was called as (stock prints $0). Texts and streams are stock's, recorded
// in testdata/stock-hb_standby.txt.
func standby(self string, args []string, takeover bool, stdout, stderr io.Writer, now time.Time,
	send func(takeover bool, set string) error) int {
	usage := func() {
		fmt.Fprintln(stdout, "usage:")
		fmt.Fprintf(stderr, "%s [all|foreign|local|failback]\n", self)
	}
	if len(args) > 1 {
		fmt.Fprintf(stdout, "%s: too many arguments\n", self)
		usage()
		return 1
	}
	set := "all"
	if len(args) == 1 {
		set = args[0]
	}
	switch set {
	case "all", "foreign", "local":
	case "failback":
		// hb_standby treats failback as foreign; hb_takeover passes it on and
		// the peer's rc.d/hb_takeover maps it to all (COMPAT §7.2 quirk).
		if !takeover {
			set = "foreign"
		}
	case "--help":
		usage()
		return 1
	default:
		fmt.Fprintf(stdout, "%s: wrong resources(%s).\n", self, set)
		usage()
		return 1
	}
	if !takeover {
		// Without a terminal and without HA_LOGFILE, stock's ha_log prints
		// the line with an interactive date on stderr.
		fmt.Fprintf(stderr, "%s Going standby [%s].\n", now.Format("Jan 02 15:04:05"), set)
	}
	if err := send(takeover, set); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", self, err)
		return 1
	}
	return 0
}

// request asks hbgo's daemon through its control socket, or a stock daemon
// through the FIFO when there is no hbgo daemon.
func request(takeover bool, set string) error {
	op, fields := control.OpStandby, fmt.Sprintf("t=ask_resources\nrsc_hold=%s\ninfo=me\n", set)
	if takeover {
		op, fields = control.OpTakeover, fmt.Sprintf("t=hb_takeover\nrsc_hold=%s\n", set)
	}
	rep, err := control.Do(hbconf.ControlSocket(""), control.Request{Op: op, Args: []string{set}}, 5*time.Second)
	if err == nil {
		if !rep.OK {
			return errors.New(rep.Error)
		}
		return nil
	}
	f, ferr := os.OpenFile("/var/lib/heartbeat/fifo", os.O_WRONLY|os.O_APPEND, 0)
	if ferr != nil {
		return fmt.Errorf("heartbeat is not running (%v)", strings.TrimPrefix(err.Error(), "control: "))
	}
	defer f.Close()
	_, err = f.WriteString(">>>\n" + fields + "<<<\n")
	return err
}
