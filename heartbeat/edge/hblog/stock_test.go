package hblog

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/harness/budget"
)

// TestReproduceCapturedLines re-formats every line of the captured stock logs from its parsed
// fields and expects the identical bytes back (syslogmsgfmt true daemon lines, script lines in
// both the ha-log and the ha-debug shape).
func TestReproduceCapturedLines(t *testing.T) {
	n := 0
	for f, lines := range capturedLogs(t) {
		for _, line := range lines {
			e, ok := ParseLineIn(line, 2026, time.UTC)
			if !ok {
				continue
			}
			var got string
			switch {
			case e.Kind == Daemon:
				got = DaemonLine(e.Host != "", e.Time, e.Host, e.Entity, e.PID, e.Level, e.Text) // only the syslog shape has a host
			case strings.Contains(line, ":\t"):
				got = ScriptDebugLine(e.Time, e.Tag, e.Text)
			default:
				got = ScriptLogLine(e.Time, e.Tag, e.Text)
			}
			if got != line+"\n" {
				t.Errorf("%s:\nstock %q\nours  %q", f, line, got)
			}
			n++
		}
	}
	if n < 1000 {
		t.Errorf("only %d lines checked", n)
	}
}

// TestReplayStockRun feeds the messages of a real stock run (testdata/stock-run-oldfmt, see its
// README) through Log with the same clock, pids and logrotate rename, and expects stock's ha-log.1,
// ha-log, ha-debug and syslog datagrams byte for byte (minus stock's trailing NUL).
func TestReplayStockRun(t *testing.T) {
	const src = "testdata/stock-run-oldfmt"
	stockDebug := fileLines(t, filepath.Join(src, "ha-debug"))
	dir := t.TempDir()
	sock := filepath.Join(dir, "log")
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	// Read concurrently: a unixgram socket queues only net.unix.max_dgram_qlen (10) datagrams.
	dgrams := make(chan string, 1000)
	go func() {
		buf := make([]byte, 8192)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				close(dgrams)
				return
			}
			dgrams <- string(buf[:n])
		}
	}()
	logf, debugf := filepath.Join(dir, "ha-log"), filepath.Join(dir, "ha-debug")
	clk := &fakeClock{}
	first, _ := ParseLineIn(stockDebug[0], 0, time.UTC)
	clk.t = first.Time
	l, err := New(Options{Logfile: logf, Debugfile: debugf, Facility: "local0", SyslogAddr: sock,
		SyslogMsgFmt: false, Nodename: "node1", PID: 1, Now: clk.Now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	renamed := false
	for _, line := range stockDebug {
		e, ok := ParseLineIn(line, 0, time.UTC)
		if !ok {
			t.Fatalf("unparsable stock line %q", line)
		}
		if strings.HasPrefix(e.Text, "log-rotate detected on logfile ") {
			continue // Log writes this one itself
		}
		if !renamed && e.Time.Sub(first.Time) > 30*time.Second {
			// run.sh renamed the file a few seconds after start, like logrotate.
			if err := os.Rename(logf, logf+".1"); err != nil {
				t.Fatal(err)
			}
			renamed = true
		}
		clk.t = e.Time
		l.LogPID(e.PID, e.Level, "%s", e.Text)
	}
	for _, name := range []string{"ha-log.1", "ha-log", "ha-debug"} {
		want, _ := os.ReadFile(filepath.Join(src, name))
		got, _ := os.ReadFile(filepath.Join(dir, name))
		got = []byte(strings.ReplaceAll(string(got), logf, "/var/log/ha-log"))
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-stock +ours):\n%s", name, diff)
		}
	}
	var want, got []string
	for _, h := range fileLines(t, filepath.Join(src, "syslog.dgrams")) {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		d := strings.TrimSuffix(string(b), "\x00")
		want = append(want, strings.ReplaceAll(d, "/var/log/ha-log", logf))
	}
	for range want {
		select {
		case d := <-dgrams:
			got = append(got, d)
		case <-time.After(budget.Left(t)):
			t.Fatalf("only %d of %d datagrams arrived", len(got), len(want))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("syslog datagrams (-stock +ours):\n%s", diff)
	}
}

func fileLines(t *testing.T, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestScriptDatagramMatchesLogger compares with what ha_log's `logger -t <tag> -p local0.notice`
// sent: captured on 2026-11-23 from util-linux 2.38.1 (`logger -u <sock> -d -t … -p local0.notice …`
// into a python unixgram listener).
func TestScriptDatagramMatchesLogger(t *testing.T) {
	const stock = "<133>Nov 23 19:18:43 ResourceManager(default)[199]: info: Running /etc/ha.d//resource.d/IPaddr 10.0.0.5 start"
	text := RMRunning("/etc/ha.d//resource.d/IPaddr", "10.0.0.5", "start")
	got := Datagram(16<<3, ScriptLevel(text), time.Date(2026, 11, 23, 19, 18, 43, 0, time.UTC), ScriptTag("ResourceManager", "default", 199), text)
	if string(got) != stock {
		t.Errorf("got  %q\nwant %q", got, stock)
	}
}
