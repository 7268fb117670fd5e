package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/edge/media"
)

// TestFIFOSurvivesALongLine: a line over 64 KiB on the FIFO is reported
// and skipped, and the next message still arrives (issue 13, "Also").
// Before, bufio.Scanner's ErrTooLong ended the reader for good.
func TestFIFOSurvivesALongLine(t *testing.T) {
	in := ">>>\nt=ask_resources\n" + strings.Repeat("x", 100<<10) + "\n<<<\n" +
		strings.Repeat("y", 200<<10) + "\n" + // outside a message: ignored
		">>>\nt=hb_takeover\nrsc_hold=all\n<<<\n"
	out := make(chan fifoMsg, 8)
	go readFIFO(strings.NewReader(in), out)
	var got []fifoMsg
	for len(got) < 2 {
		select {
		case f := <-out:
			got = append(got, f)
		case <-time.After(10 * testDeadtime):
			t.Fatalf("after %d messages: the reader stopped", len(got))
		}
	}
	if got[0].err == nil {
		t.Errorf("first: %+v, want an error for the long line", got[0])
	}
	if got[1].err != nil || got[1].m == nil || got[1].m.Type() != "hb_takeover" || got[1].m.Str("rsc_hold") != "all" {
		t.Errorf("second: %+v, want the hb_takeover message", got[1])
	}
}

// TestFIFOInDaemon writes to a running daemon's FIFO, opened non-blocking
// with O_NOFOLLOW: a message arrives on the loop, and the FIFO is 0600.
func TestFIFOInDaemon(t *testing.T) {
	tn := startNode(t, media.NewMemNetwork(nil), nodeSpec{name: "node1", media: "bcast eth0\n"})
	path := filepath.Join(tn.dir, "state", "fifo")
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("fifo: %v %v, want a FIFO with mode 0600", fi.Mode(), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(">>>\nno equals sign here\n<<<\n")
	if !tn.waitLog("bad message on the FIFO dropped", testDeadtime) {
		t.Errorf("the daemon did not read the FIFO:\n%s", tn.haLog())
	}
}
