package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/heartbeat/edge/control"
	"hbgo/internal/harness/budget"
)

// TestRequestNoDaemonFailsWithoutBlocking: with no daemon, stock's
// hb_standby blocks forever opening the FIFO nobody reads; hbgo's returns,
// says "heartbeat is not running" and exits non-zero (issue 17). Both a FIFO
// without a reader and a stale control socket are there, as after a stop.
// That it returns at all is what is checked, within the run's -timeout
// (harness/budget); how fast is no unit test's business.
func TestRequestNoDaemonFailsWithoutBlocking(t *testing.T) {
	d := t.TempDir()
	fifo, sock := filepath.Join(d, "fifo"), filepath.Join(d, "hbgo.sock")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sock, nil, 0o600); err != nil { // stale: not a socket anyone listens on
		t.Fatal(err)
	}
	for _, takeover := range []bool{false, true} {
		done := make(chan error, 1)
		go func() { done <- requestAt(sock, fifo, takeover, "all") }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "heartbeat is not running") {
				t.Errorf("takeover=%v: error %v, want \"heartbeat is not running\"", takeover, err)
			}
		case <-time.After(budget.Left(t)):
			t.Fatalf("takeover=%v: still waiting (opened the FIFO blocking?)", takeover)
		}
	}
	// The command as a whole: a message naming the cause and exit 1.
	var errb strings.Builder
	rc := standby("hb_takeover", nil, true, io.Discard, &errb, time.Now(),
		func(takeover bool, set string) error { return requestAt(sock, fifo, takeover, set) })
	if rc == 0 || !strings.Contains(errb.String(), "hb_takeover: heartbeat is not running") {
		t.Errorf("rc %d, stderr %q", rc, errb.String())
	}
}

// TestRequestStockDaemonUsesFIFO: against a stock daemon (it reads the
// FIFO; there is no hbgo control socket) the request is written to the FIFO
// exactly as stock's scripts write it.
func TestRequestStockDaemonUsesFIFO(t *testing.T) {
	d := t.TempDir()
	fifo := filepath.Join(d, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The stand-in daemon holds the FIFO open for reading, as stock's does.
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct {
		takeover bool
		set      string
		want     string
	}{
		{false, "foreign", ">>>\nt=ask_resources\nrsc_hold=foreign\ninfo=me\n<<<\n"},
		{true, "all", ">>>\nt=hb_takeover\nrsc_hold=all\n<<<\n"},
	} {
		if err := requestAt(filepath.Join(d, "no.sock"), fifo, c.takeover, c.set); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		buf := make([]byte, 256)
		r.SetReadDeadline(time.Now().Add(budget.Left(t)))
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("reading the FIFO: %v", err)
		}
		if got := string(buf[:n]); got != c.want {
			t.Errorf("FIFO got %q, want %q", got, c.want)
		}
	}
}

// TestRequestHbgoDaemonUsesSocket: with hbgo's control socket answering,
// the request goes there and the FIFO is not touched.
func TestRequestHbgoDaemonUsesSocket(t *testing.T) {
	d := t.TempDir()
	sock := filepath.Join(d, "hbgo.sock")
	got := make(chan control.Request, 1)
	srv, err := control.Listen(sock, func(ctx context.Context, c control.Cred, r control.Request) control.Reply {
		got <- r
		return control.Reply{OK: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := requestAt(sock, filepath.Join(d, "no-fifo"), false, "local"); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.Op != control.OpStandby || len(r.Args) != 1 || r.Args[0] != "local" {
		t.Errorf("daemon got %+v", r)
	}
}
