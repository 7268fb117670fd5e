package hblog

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// stuckSyslog returns the path of a syslog socket whose queue is full and
// that nobody reads: every datagram sent to it blocks until its timeout.
func stuckSyslog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Write([]byte("<13>fill")); err != nil {
			break
		}
	}
	return path
}

// TestQueuedSinksNeverBlock: with a syslog daemon that does not read, a
// queued Log returns at once, drops and counts the syslog lines it cannot
// hold, and still writes every line to ha-log (issue 13 item 9). Before,
// each line waited up to 250 ms for syslog in the caller: a 40-line burst
// held the daemon loop 10 s.
func TestQueuedSinksNeverBlock(t *testing.T) {
	sock := stuckSyslog(t)
	file := filepath.Join(t.TempDir(), "ha-log")
	l, err := New(Options{Logfile: file, Facility: "local7", SyslogAddr: sock, PID: 7, Queue: 48})
	if err != nil {
		t.Fatal(err)
	}
	const burst = 40
	start := time.Now()
	for i := 0; i < burst; i++ {
		l.Infof("line %d", i)
	}
	// A synchronous Log needs burst × syslogWriteTimeout here; a tenth of
	// that is far more than 40 queue pushes take even on a loaded machine.
	if d := time.Since(start); d > burst*syslogWriteTimeout/10 {
		t.Errorf("%d log calls took %v with syslog stuck", burst, d)
	}
	waitLines(t, file, burst)
	// syslog's queue still holds most of the burst: more lines overflow it.
	for i := burst; i < burst+20; i++ {
		l.Infof("line %d", i)
	}
	if l.Dropped()["syslog"] == 0 || l.Dropped()["logfile"] != 0 {
		t.Errorf("dropped %v, want syslog lines and no logfile line", l.Dropped())
	}
	const lines = burst + 20
	// The logfile's own queue keeps up: every line lands (Close drains it).
	waitLines(t, file, lines)
	l.Close()
	b, _ := os.ReadFile(file)
	if n := strings.Count(string(b), "\n"); n != lines || !strings.Contains(string(b), "info: line 59") {
		t.Errorf("ha-log has %d lines, want %d:\n%s", n, lines, b)
	}
	l.Infof("after close") // never panics, never writes
}

// waitLines waits until file has n lines (at most 10 s, the queue of a
// file on a local disk empties in microseconds).
func waitLines(t *testing.T, file string, n int) {
	t.Helper()
	deadline := time.Now().Add(40 * syslogWriteTimeout)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(file)
		if strings.Count(string(b), "\n") >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFlush: Flush returns once every queued line is written, and reports
// false when a destination (here syslog, stuck) cannot keep up in time.
func TestFlush(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ha-log")
	l, err := New(Options{Logfile: file, PID: 7, Queue: 64})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		l.Infof("line %d", i)
	}
	if !l.Flush(budget.Left(t)) {
		t.Fatal("Flush timed out on a local file")
	}
	if b, _ := os.ReadFile(file); strings.Count(string(b), "\n") != 50 {
		t.Errorf("after Flush the file has %d lines, want 50", strings.Count(string(b), "\n"))
	}
	l.Close()

	s, err := New(Options{Facility: "local7", SyslogAddr: stuckSyslog(t), PID: 7, Queue: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 4; i++ {
		s.Infof("line %d", i)
	}
	if s.Flush(syslogWriteTimeout) {
		t.Error("Flush reported four stuck syslog lines written within one write timeout")
	}
}

// TestQueuedRotation: with queues, the file's own goroutine notices the
// rotation (the caller never stats the log path), the new file is used,
// and the rotate notice is logged with the next line.
func TestQueuedRotation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ha-log")
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l, err := New(Options{Logfile: file, PID: 7, Queue: 16, Now: clock, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Infof("a")
	l.Flush(budget.Left(t))
	os.Rename(file, file+".1")
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	l.Infof("b")
	l.Flush(budget.Left(t))
	l.Infof("c")
	l.Flush(budget.Left(t))
	b, _ := os.ReadFile(file)
	got := string(b)
	if !strings.Contains(got, "info: b") || !strings.Contains(got, "log-rotate detected on logfile "+file) || !strings.Contains(got, "info: c") {
		t.Errorf("new file:\n%s", got)
	}
	if old, _ := os.ReadFile(file + ".1"); strings.Contains(string(old), "info: b") {
		t.Errorf("a line after the rotation went to the old file:\n%s", old)
	}
}
