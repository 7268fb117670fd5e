package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/status"
)

const statusUsage = "usage: heartbeat status [--json]\n" +
	"  Shows this node's view of the cluster; exit 0 healthy, 1 degraded, 3 daemon not running.\n"

// statusCmd is `heartbeat status [--json]`: the daemon's status.Snapshot,
// for a person or (--json, schema 1) for a program.
func statusCmd(args []string, stdout, stderr io.Writer, query func() (*status.Snapshot, error)) int {
	asJSON := false
	for _, a := range args {
		switch a {
		case "--json", "-json":
			asJSON = true
		case "-h", "--help", "-help":
			io.WriteString(stdout, statusUsage)
			return status.ExitHealthy
		default:
			fmt.Fprintf(stderr, "heartbeat status: unknown argument %q\n%s", a, statusUsage)
			return 2
		}
	}
	s, err := query()
	if err != nil {
		fmt.Fprintf(stderr, "heartbeat status: %v\n", err)
		return status.ExitNotRunning
	}
	if asJSON {
		err = status.WriteJSON(stdout, s)
	} else {
		err = status.WriteText(stdout, s)
	}
	if err != nil {
		fmt.Fprintf(stderr, "heartbeat status: %v\n", err)
		return status.ExitNotRunning
	}
	code, _ := s.Health()
	return code
}

// queryStatus asks the local daemon over its control socket.
func queryStatus() (*status.Snapshot, error) {
	path := hadir.ControlSocket("")
	rep, err := control.Do(path, control.Request{Op: control.OpHealth}, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("no hbgo daemon answers on %s (is heartbeat running?): %w", path, err)
	}
	if !rep.OK || len(rep.Health) == 0 {
		return nil, errors.New("the daemon gave no status: " + rep.Error)
	}
	return status.ReadJSON(rep.Health)
}
