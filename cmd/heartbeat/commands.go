package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"hbgo/heartbeat/command/clstatus"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/edge/control"
)

// clStatus runs cl_status against the local daemon's control socket.
func clStatus(args []string) int {
	host, _ := os.Hostname()
	return clstatus.Main(args, clstatus.Env{Stdout: os.Stdout, Stderr: os.Stderr, Host: host, PID: os.Getpid(),
		Query: func() (*control.Snapshot, error) {
			rep, err := control.Do(hadir.ControlSocket(""), control.Request{Op: control.OpStatus}, 5*time.Second)
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

// stockFIFO is where stock's scripts write their requests (COMPAT §7.1).
const stockFIFO = "/var/lib/heartbeat/fifo"

// request asks hbgo's daemon through its control socket, or a stock daemon
// through the FIFO when there is no hbgo daemon.
func request(takeover bool, set string) error {
	return requestAt(hadir.ControlSocket(""), stockFIFO, takeover, set)
}

// requestAt is request with the socket and FIFO paths given. Stock's
// scripts open the FIFO blocking, so they hang forever when no daemon reads
// it; here the FIFO is opened without blocking first, and no reader
// (ENXIO) means no daemon at all: "heartbeat is not running" at once. A
// running daemon (stock's or hbgo's) holds the FIFO open for reading, and
// then the request is written as stock writes it.
func requestAt(sock, fifo string, takeover bool, set string) error {
	op, fields := control.OpStandby, fmt.Sprintf("t=ask_resources\nrsc_hold=%s\ninfo=me\n", set)
	if takeover {
		op, fields = control.OpTakeover, fmt.Sprintf("t=hb_takeover\nrsc_hold=%s\n", set)
	}
	rep, err := control.Do(sock, control.Request{Op: op, Args: []string{set}}, 5*time.Second)
	if err == nil {
		if !rep.OK {
			return errors.New(rep.Error)
		}
		return nil
	}
	notRunning := func(why error) error {
		return fmt.Errorf("heartbeat is not running (%v)", why)
	}
	fd, ferr := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_APPEND|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if ferr == syscall.ENXIO {
		return notRunning(fmt.Errorf("no process reads %s", fifo))
	}
	if ferr != nil {
		return notRunning(errors.New(strings.TrimPrefix(err.Error(), "control: ")))
	}
	// From here on as stock: a blocking write of one message (shorter than
	// PIPE_BUF, so it is written whole).
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), fifo)
	defer f.Close()
	_, err = f.WriteString(">>>\n" + fields + "<<<\n")
	return err
}
