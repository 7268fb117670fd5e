package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// initHeapBudget is what the package inits of the heartbeat binary may
// allocate, in bytes (98 KB measured with go 1.26.8; 321 KB when hblog and
// agent compiled their stock-log regexps at init and runtime/metrics was
// linked, bench/results/idle-2026-12-06d/rss3). What init allocates and
// keeps is allocated by every process of the binary, the daemon included,
// and it stays live in spans of many size classes for the daemon's life.
const initHeapBudget = 140_000

// noInitPackages allocate nothing worth counting at init: the daemon never
// uses what they compiled there (hblog.OmittedLines, agent.DroppedLines
// are compiled on first use), and runtime/metrics is not linked at all.
var noInitPackages = map[string]int{
	"hbgo/heartbeat/edge/hblog": 4096,
	"hbgo/resource.d/agent":     4096,
	"runtime/metrics":           0,
}

// TestInitHeap runs the built binary with GODEBUG=inittrace=1 (the runtime
// prints each package init's heap bytes) and pins the total and the
// packages that must not allocate at init. The numbers do not depend on
// time or load.
func TestInitHeap(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's instrumentation changes what init allocates (make race); make test pins it")
	}
	bin := filepath.Join(t.TempDir(), "heartbeat")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-V")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, _ := cmd.CombinedOutput() // -V's own exit status does not matter here
	total, seen := 0, 0
	for _, line := range strings.Split(string(out), "\n") {
		// init PKG @T ms, C ms clock, BYTES bytes, N allocs
		f := strings.Fields(line)
		if len(f) < 10 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		b, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", line, err)
		}
		seen++
		total += b
		if max, ok := noInitPackages[f[1]]; ok && b > max {
			t.Errorf("package %s allocates %d bytes at init, want at most %d", f[1], b, max)
		}
		if f[1] == "runtime/metrics" {
			t.Errorf("runtime/metrics is linked into the binary (its init and first Read keep ~25 KB live in every process)")
		}
	}
	if seen == 0 {
		t.Fatalf("no inittrace lines in the output of %s -V:\n%s", bin, out)
	}
	if total > initHeapBudget {
		t.Errorf("package inits allocate %d bytes, want at most %d (GODEBUG=inittrace=1 %s -V names them)", total, initHeapBudget, bin)
	}
	t.Logf("package inits: %d bytes", total)
}
