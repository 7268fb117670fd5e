package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/status"
)

func TestStatusCmd(t *testing.T) {
	healthy := &status.Snapshot{Schema: status.Schema, Time: time.Unix(0, 0).UTC(), Version: "hbgo 3.0.6", Local: "node1",
		Nodes: []status.Node{{Name: "node1", Type: "normal", Local: true, State: "active"}, {Name: "node2", Type: "normal", State: "active",
			Links: []status.Link{{Name: "eth1", Up: true}}}}, PeerConfig: status.PeerConfig{State: status.ConfigMatch}}
	dead := *healthy
	dead.Nodes = []status.Node{healthy.Nodes[0], {Name: "node2", Type: "normal", State: "dead"}}
	for _, c := range []struct {
		name string
		args []string
		snap *status.Snapshot
		err  error
		code int
		out  string
	}{
		{"healthy", nil, healthy, nil, 0, ": healthy\n"},
		{"degraded", nil, &dead, nil, 1, "DEGRADED: peer node2 dead"},
		{"json", []string{"--json"}, &dead, nil, 1, `"schema": 1`},
		{"not running", nil, nil, errors.New("no hbgo daemon answers"), 3, "heartbeat status: no hbgo daemon answers"},
		{"bad argument", []string{"-x"}, healthy, nil, 2, `unknown argument "-x"`},
	} {
		var out, errb bytes.Buffer
		code := statusCmd(c.args, &out, &errb, func() (*status.Snapshot, error) { return c.snap, c.err })
		if code != c.code || !strings.Contains(out.String()+errb.String(), c.out) {
			t.Errorf("%s: exit %d, want %d; output %q, want it to contain %q", c.name, code, c.code, out.String()+errb.String(), c.out)
		}
	}
}
