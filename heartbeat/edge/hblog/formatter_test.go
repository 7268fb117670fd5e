package hblog

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendFormatsMatchPrintf: the append-based stamps and datagram
// header write what the printf layouts they replace wrote (cl_log's
// "%04d/%02d/%02d_%02d:%02d:%02d" and "%s %02d %02d:%02d:%02d", glibc's
// "<%d>%h %e %T "), over random times including one-digit days and years
// outside 1000–9999.
func TestAppendFormatsMatchPrintf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(999, 7, 9, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 7, 19, 0, 0, 0, 0, time.UTC),
	}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(1<<36)-1<<35, 0).UTC())
	}
	for _, tm := range times {
		mon := months[tm.Month()-1]
		if got, want := HAStamp(tm), fmt.Sprintf("%04d/%02d/%02d_%02d:%02d:%02d", tm.Year(), int(tm.Month()), tm.Day(), tm.Hour(), tm.Minute(), tm.Second()); got != want {
			t.Fatalf("HAStamp(%v) = %q, want %q", tm, got, want)
		}
		if got, want := SyslogStamp(tm), fmt.Sprintf("%s %02d %02d:%02d:%02d", mon, tm.Day(), tm.Hour(), tm.Minute(), tm.Second()); got != want {
			t.Fatalf("SyslogStamp(%v) = %q, want %q", tm, got, want)
		}
		lv := Level(r.IntN(8))
		if got, want := string(Datagram(16<<3, lv, tm, "heartbeat", "m\n")), fmt.Sprintf("<%d>%s %2d %02d:%02d:%02d heartbeat: m", 128+int(lv), mon, tm.Day(), tm.Hour(), tm.Minute(), tm.Second()); got != want {
			t.Fatalf("Datagram(%v) = %q, want %q", tm, got, want)
		}
	}
}

// TestHookNeverBlocksOnStuckWriter: a stderr nobody reads (a pipe with no
// reader) holds only its own queue's goroutine; every Log call returns (a
// hang here fails by go test's timeout) and the lines beyond the queue are
// dropped and counted under "stderr".
func TestHookNeverBlocksOnStuckWriter(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	l, err := New(Options{Stderr: pw, PID: 7, Queue: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { pr.Close(); l.Close() }()
	const n = 20
	for i := range n {
		l.Infof("line %d", i)
	}
	// 4 queued, at most 1 taken by the goroutine stuck in Write.
	if d := l.Dropped()["stderr"]; d < n-5 {
		t.Errorf("dropped %d of %d lines, want at least %d", d, n, n-5)
	}
}
