package clstatus

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/control"
)

type golden struct {
	args     []string
	rc       int
	out, err string
}

// readGolden parses a transcript recorded from stock cl_status.
func readGolden(t *testing.T, path string) []golden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var gs []golden
	var cur *golden
	var out, errb strings.Builder
	flush := func() {
		if cur != nil {
			cur.out, cur.err = out.String(), errb.String()
			gs = append(gs, *cur)
		}
		out.Reset()
		errb.Reset()
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "$ cl_status"):
			flush()
			cur = &golden{args: strings.Fields(strings.TrimPrefix(l, "$ cl_status"))}
		case strings.HasPrefix(l, "rc="):
			fmt.Sscanf(l, "rc=%d", &cur.rc)
		case strings.HasPrefix(l, "OUT: "):
			out.WriteString(strings.TrimPrefix(l, "OUT: ") + "\n")
		case strings.HasPrefix(l, "ERR: "):
			errb.WriteString(strings.TrimPrefix(l, "ERR: ") + "\n")
		default:
			t.Fatalf("%s: unexpected line %q", path, l)
		}
	}
	flush()
	return gs
}

var prefixRE = regexp.MustCompile(`(?m)^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d h1 cl_status: \[4242\]: `)

func runGolden(t *testing.T, file string, query func() (*control.Snapshot, error)) {
	for _, g := range readGolden(t, file) {
		t.Run(strings.Join(append([]string{"cl_status"}, g.args...), " "), func(t *testing.T) {
			var out, errb strings.Builder
			rc := Main(g.args, Env{Stdout: &out, Stderr: &errb, Query: query,
				Now: func() time.Time { return time.Date(2026, 11, 23, 3, 12, 7, 0, time.Local) }, Host: "h1", PID: 4242})
			gotErr := prefixRE.ReplaceAllString(errb.String(), "<prefix> ")
			if rc != g.rc {
				t.Errorf("exit %d, stock %d", rc, g.rc)
			}
			if d := cmp.Diff(g.out, out.String()); d != "" {
				t.Errorf("stdout differs from stock (-stock +hbgo):\n%s", d)
			}
			if d := cmp.Diff(g.err, gotErr); d != "" {
				t.Errorf("stderr differs from stock (-stock +hbgo):\n%s", d)
			}
		})
	}
}

// TestRunningMatchesStock replays every cl_status call recorded from a live
// stock pair (internal/harness/twonode TestStockPair) against the same state.
func TestRunningMatchesStock(t *testing.T) {
	const version = "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)"
	snap := &control.Snapshot{
		Version: version, Node: "node1", Hostname: "node1", Status: "active", Managed: "haresources",
		RscStatus: "local", Deadtime: time.Second, Keepalive: 200 * time.Millisecond,
		Nodes: []control.Node{
			{Name: "node1", Type: "normal", Status: "active", Weight: 100, Links: []control.Link{{Name: "eth1", Status: "up"}}},
			{Name: "node2", Type: "normal", Status: "active", Weight: 100, Links: []control.Link{{Name: "eth1", Status: "up"}}},
			{Name: "10.78.0.254", Type: "ping", Status: "dead", Weight: 100, Links: []control.Link{{Name: "10.78.0.254", Status: "dead"}}},
		},
		Params: map[string]string{"deadtime": "1", "keepalive": "200ms", "warntime": "500ms", "deadping": "1000ms",
			"udpport": "694", "initdead": "5", "auto_failback": "on", "logfile": "/var/log/ha-log"},
	}
	runGolden(t, "testdata/stock-clstatus.txt", func() (*control.Snapshot, error) { return snap, nil })
}

// TestStoppedMatchesStock replays what stock cl_status prints with no daemon.
func TestStoppedMatchesStock(t *testing.T) {
	runGolden(t, "testdata/stock-clstatus-stopped.txt", func() (*control.Snapshot, error) {
		return nil, errors.New("connect: no such file or directory")
	})
}
