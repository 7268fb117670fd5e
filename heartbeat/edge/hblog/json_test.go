package hblog

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
)

var update = flag.Bool("update", false, "rewrite testdata/json/*.golden")

// logJSONSample logs what TestRouting logs, and an ipfail line and a rotation, through a Log with o.
func logJSONSample(t *testing.T, o Options) {
	t.Helper()
	clk := newClock()
	clk.t = clk.t.Add(123456 * time.Microsecond)
	l := newTestLog(t, o, clk)
	NodeDead("node2").To(l)
	l.Debugf("notify_world: setting SIGCHLD Handler to SIG_DFL")
	clk.Add(time.Second)
	l.Script("ResourceManager(default)[199]", "info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start")
	l.ScriptDebug("ResourceManager(default)[199]", "debug: only in ha-debug")
	l.Output([]byte("SIOCDELRT: No such process\n"))
	l.LogPID(2123, Info, "give up local HA resources (standby).")
	l.LogAs("ipfail", 2200, Info, "Telling other node that we have more visible ping nodes.")
	l.Critf("Emergency Shutdown: Attempting to kill everything ourselves")
	l.Warnf("a \"quoted\"\tand\\escaped text")
	l.Close()
}

// TestJSONGolden: with logformat json, ha-log, ha-debug and stderr get one
// journal-shaped JSON object per line, routed as the text lines are
// (testdata/json/*.golden; go test -run TestJSONGolden -update rewrites them).
func TestJSONGolden(t *testing.T) {
	dir := t.TempDir()
	logf, debugf := filepath.Join(dir, "ha-log"), filepath.Join(dir, "ha-debug")
	var stderr strings.Builder
	logJSONSample(t, Options{Logfile: logf, Debugfile: debugf, SyslogMsgFmt: true, Stderr: &stderr, Format: FormatJSON})
	got := map[string]string{"ha-log": readFile(t, logf), "ha-debug": readFile(t, debugf), "stderr": stderr.String()}
	for name, text := range got {
		golden := filepath.Join("testdata", "json", name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want := readFile(t, golden)
		if diff := cmp.Diff(want, text); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestJSONLinesAreJournalEvents: every JSON line reads back as a journal
// Event (the reader `heartbeat log` uses) with the documented fields.
func TestJSONLinesAreJournalEvents(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ha-debug")
	logJSONSample(t, Options{Debugfile: f, Format: FormatJSON})
	lines := readLines(t, f)
	if len(lines) != 9 {
		t.Fatalf("%d lines, want 9:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	wantKeys := map[string][]string{
		EvLog:    {"entity", "host", "level", "msg", "pid"},
		EvScript: {"host", "level", "msg", "tag"},
		EvOutput: {"host", "msg"},
	}
	for _, line := range lines {
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var keys []string
		for k := range ev.Fields {
			keys = append(keys, k)
		}
		if diff := cmp.Diff(wantKeys[ev.Kind], keys, cmpSorted); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", line, diff)
		}
		if !strings.HasPrefix(line, `{"t":"2026-11-02T23:15:`) || ev.Time.Nanosecond() != 123456000 {
			t.Errorf("%s: t is not UTC with microseconds", line)
		}
		if b, _ := ev.MarshalJSON(); string(b) != line {
			t.Errorf("not in the journal's own order:\n got %s\nwant %s", line, b)
		}
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestJSONKeepsSyslogShape: logformat json changes the files, not syslog.
func TestJSONKeepsSyslogShape(t *testing.T) {
	e := &logrus.Entry{Time: time.Date(2026, 11, 2, 23, 15, 9, 0, time.UTC), Message: "node node2: is dead",
		Data: logrus.Fields{FieldKey: &Record{Level: Warn, PID: 100}}}
	b, _ := (&SyslogFormatter{Facility: 16 << 3}).Format(e)
	if want := "<132>Nov  2 23:15:09 heartbeat: [100]: WARN: node node2: is dead"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

// TestFormattersWithoutRecord: an entry logged through logrus directly
// (no Record) renders as a daemon line at the nearest heartbeat level, and
// JSON keeps its fields.
func TestFormattersWithoutRecord(t *testing.T) {
	e := &logrus.Entry{Time: time.Date(2026, 11, 2, 23, 15, 9, 0, time.UTC), Level: logrus.ErrorLevel,
		Message: "x", Data: logrus.Fields{"link": "eth1", "n": 3}}
	lf := LineFormat{SyslogMsgFmt: true, Nodename: "node1"}
	for _, tt := range []struct {
		f    logrus.Formatter
		want string
	}{
		{&HALogFormatter{lf}, "Nov 02 23:15:09 node1 heartbeat: [0]: ERROR: x\n"},
		{&HADebugFormatter{lf}, "Nov 02 23:15:09 node1 heartbeat: [0]: ERROR: x\n"},
		{&JSONFormatter{Nodename: "node1"}, `{"t":"2026-11-02T23:15:09.000000Z","ev":"log","entity":"heartbeat","host":"node1","level":"ERROR","link":"eth1","msg":"x","n":"3","pid":"0"}` + "\n"},
	} {
		b, err := tt.f.Format(e)
		if err != nil || string(b) != tt.want {
			t.Errorf("%T: got %q, %v; want %q", tt.f, b, err, tt.want)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	_, err := New(Options{Format: "yaml"})
	if want := "hblog: log format yaml is not text or json"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.ReplaceAll(b, []byte("\r"), nil))
}
