package daemon

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/haresources"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/resource.d/script"
)

// TestStringFields: only a message's string fields reach a hook's
// environment, in order; binary ones (srcuuid) never do.
func TestStringFields(t *testing.T) {
	m := &wire.Message{Fields: []wire.Field{
		{Name: "t", Value: []byte("ip-request")},
		{Name: "srcuuid", Type: wire.Binary, Value: []byte{1, 2}},
		{Name: "info", Value: []byte("a")},
	}}
	want := []script.Field{{Name: "t", Value: "ip-request"}, {Name: "info", Value: "a"}}
	if diff := cmp.Diff(want, stringFields(m)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if stringFields(nil) != nil {
		t.Error("stringFields(nil) is not nil")
	}
}

// TestHooksLoopOnlyWithScripts: without an rc.d script the hooks loop
// returns at once (no parked goroutine, no queue); with one it runs the
// script on its message type.
func TestHooksLoopOnlyWithScripts(t *testing.T) {
	lg, err := hblog.New(hblog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tag := hblog.PIDTagger{Log: lg, PID: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	empty := newHooks(t.TempDir(), nil, "", tag, &haresources.Resolver{}, lg)
	done := make(chan struct{})
	go func() { empty.loop(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * testDeadtime): // the package's unit (inproc_test.go), not bare seconds
		t.Fatal("the loop of a node without rc.d scripts did not return")
	}
	empty.fire("mytype", nil, "", true) // nothing to run, never blocks

	dir := t.TempDir()
	out := filepath.Join(dir, "ran")
	if err := os.Mkdir(filepath.Join(dir, "rc.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rc.d", "mytype"), []byte("#!/bin/sh\necho \"$1\" >"+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHooks(dir, nil, "", tag, &haresources.Resolver{}, lg)
	go h.loop(ctx)
	h.fire("mytype", nil, "", true)
	// The script runs off the loop, as every hook does: allow it what the
	// package's other waits for the daemon's work allow, ten deadtimes.
	deadline := time.Now().Add(10 * testDeadtime)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(out); err == nil && string(b) == "mytype\n" {
			return
		}
		time.Sleep(testKeepalive / 4)
	}
	t.Fatal("rc.d/mytype did not run")
}
