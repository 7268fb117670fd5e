package hblog

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/harness/budget"
)

// fakeClock is a settable clock for tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time      { return c.t }
func (c *fakeClock) Add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{time.Date(2026, 11, 2, 23, 15, 9, 0, time.UTC)} }
func readLines(t *testing.T, p string) []string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestFormats(t *testing.T) {
	tm := time.Date(2026, 11, 22, 23, 15, 9, 0, time.UTC)
	tm2 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct{ name, got, want string }{
		{"syslogmsgfmt true", DaemonLine(true, tm, "node1", "heartbeat", 100, Warn, "node node2: is dead"),
			"Nov 22 23:15:09 node1 heartbeat: [100]: WARN: node node2: is dead\n"},
		{"day zero-padded", DaemonLine(true, tm2, "node1", "heartbeat", 7, Info, "x"),
			"Jan 02 03:04:05 node1 heartbeat: [7]: info: x\n"},
		{"syslogmsgfmt false", DaemonLine(false, tm, "node1", "heartbeat", 100, Warn, "node node2: is dead"),
			"heartbeat[100]: 2026/11/22_23:15:09 WARN: node node2: is dead\n"},
		{"CRIT", DaemonLine(true, tm, "n", "heartbeat", 1, Crit, "Cluster node node2 returning after partition."),
			"Nov 22 23:15:09 n heartbeat: [1]: CRIT: Cluster node node2 returning after partition.\n"},
		{"script logfile", ScriptLogLine(tm, "ResourceManager(default)[199]", "info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start"),
			"2026/11/22_23:15:09  ResourceManager(default)[199]:    info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start\n"},
		{"script debugfile", ScriptDebugLine(tm, "ResourceManager(default)[199]", "info: Running x"),
			"ResourceManager(default)[199]:\t2026/11/22_23:15:09 info: Running x\n"},
		{"syslog text", SyslogText(99, Info, "Configuration validated. Starting heartbeat 3.0.6"),
			"[99]: info: Configuration validated. Starting heartbeat 3.0.6"},
		{"datagram", string(Datagram(16<<3, Crit, tm2, "heartbeat", "[1]: CRIT: x")),
			"<130>Jan  2 03:04:05 heartbeat: [1]: CRIT: x"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestLevelWords(t *testing.T) {
	want := []string{"EMERG", "ALERT", "CRIT", "ERROR", "WARN", "notice", "info", "debug"}
	for i, w := range want {
		if got := Level(i).String(); got != w {
			t.Errorf("Level(%d) = %q, want %q", i, got, w)
		}
		if lv, err := ParseLevel(w); err != nil || lv != Level(i) || lv.Severity() != i {
			t.Errorf("ParseLevel(%q) = %v, %v", w, lv, err)
		}
	}
}

func TestScriptLevel(t *testing.T) {
	tests := map[string]Level{
		"ERROR: Return code 1 from x": Error, "WARNING: y": Warn, "INFO:  Success": Info, "info": Info,
		"info: Running x": Notice, "CRIT: Giving up": Notice, "Going standby [all].": Notice,
	}
	for text, want := range tests {
		if got := ScriptLevel(text); got != want {
			t.Errorf("ScriptLevel(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("x", 6000)
	got := DaemonLine(false, time.Unix(0, 0).UTC(), "n", "heartbeat", 1, Info, long)
	want := "heartbeat[1]: 1970/01/01_00:00:00 info: " + strings.Repeat("x", MaxMessage) + "\n"
	if got != want {
		t.Errorf("long message: got %d bytes, want %d", len(got), len(want))
	}
}

// newTestLog opens a Log writing into dir with a fixed clock, pid and nodename.
func newTestLog(t *testing.T, o Options, clk *fakeClock) *Log {
	t.Helper()
	o.Now = clk.Now
	o.Location = time.UTC
	o.Nodename = "node1"
	if o.PID == 0 {
		o.PID = 100
	}
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestRouting(t *testing.T) {
	dir := t.TempDir()
	logf, debugf := filepath.Join(dir, "ha-log"), filepath.Join(dir, "ha-debug")
	var stderr strings.Builder
	clk := newClock()
	l := newTestLog(t, Options{Logfile: logf, Debugfile: debugf, SyslogMsgFmt: true, Stderr: &stderr}, clk)
	NodeDead("node2").To(l)
	l.Debugf("notify_world: setting SIGCHLD Handler to SIG_DFL")
	clk.Add(time.Second)
	l.Script("ResourceManager(default)[199]", "info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start")
	l.ScriptDebug("ResourceManager(default)[199]", "debug: only in ha-debug")
	l.Output([]byte("SIOCDELRT: No such process\n"))
	l.LogPID(2123, Info, "give up local HA resources (standby).")
	l.Critf("Emergency Shutdown: Attempting to kill everything ourselves")

	wantLog := []string{
		"Nov 02 23:15:09 node1 heartbeat: [100]: WARN: node node2: is dead",
		"2026/11/02_23:15:10  ResourceManager(default)[199]:    info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start",
		"Nov 02 23:15:10 node1 heartbeat: [2123]: info: give up local HA resources (standby).",
		"Nov 02 23:15:10 node1 heartbeat: [100]: CRIT: Emergency Shutdown: Attempting to kill everything ourselves",
	}
	wantDebug := []string{
		"Nov 02 23:15:09 node1 heartbeat: [100]: WARN: node node2: is dead",
		"Nov 02 23:15:09 node1 heartbeat: [100]: debug: notify_world: setting SIGCHLD Handler to SIG_DFL",
		"ResourceManager(default)[199]:\t2026/11/02_23:15:10 info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start",
		"ResourceManager(default)[199]:\t2026/11/02_23:15:10 debug: only in ha-debug",
		"SIOCDELRT: No such process",
		"Nov 02 23:15:10 node1 heartbeat: [2123]: info: give up local HA resources (standby).",
		"Nov 02 23:15:10 node1 heartbeat: [100]: CRIT: Emergency Shutdown: Attempting to kill everything ourselves",
	}
	if diff := cmp.Diff(wantLog, readLines(t, logf)); diff != "" {
		t.Errorf("ha-log (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantDebug, readLines(t, debugf)); diff != "" {
		t.Errorf("ha-debug (-want +got):\n%s", diff)
	}
	wantStderr := "Nov 02 23:15:09 node1 heartbeat: [100]: WARN: node node2: is dead\n" +
		"Nov 02 23:15:10 node1 heartbeat: [2123]: info: give up local HA resources (standby).\n" +
		"Nov 02 23:15:10 node1 heartbeat: [100]: CRIT: Emergency Shutdown: Attempting to kill everything ourselves\n"
	if diff := cmp.Diff(wantStderr, stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

func TestRoutingOldFormatAndSameFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ha-log")
	l := newTestLog(t, Options{Logfile: f, Debugfile: f, SyslogMsgFmt: false}, newClock())
	l.Warnf("node %s: is dead", "node2")
	l.Debugf("dbg")
	l.Script("harc(default)[7]", HarcRunning("status"))
	want := []string{
		"heartbeat[100]: 2026/11/02_23:15:09 WARN: node node2: is dead",
		"heartbeat[100]: 2026/11/02_23:15:09 debug: dbg",
		"2026/11/02_23:15:09  harc(default)[7]:    info: Running /etc/ha.d//rc.d/status status",
	}
	if diff := cmp.Diff(want, readLines(t, f)); diff != "" {
		t.Errorf("shared file (-want +got):\n%s", diff)
	}
}

func TestDevNullAndBadFacility(t *testing.T) {
	l := newTestLog(t, Options{Logfile: "/dev/null", Debugfile: "/dev/null", Facility: "none"}, newClock())
	l.Infof("goes nowhere")
	if l.log != nil || l.debug != nil || l.sysl != nil {
		t.Error("/dev/null and facility none must open nothing")
	}
	_, err := New(Options{Facility: "local9"})
	var fe *FacilityError
	if !errors.As(err, &fe) || err.Error() != "Log facility(local9) not valid" {
		t.Errorf("bad facility: err = %v", err)
	}
}

func TestSyslog(t *testing.T) {
	for _, fac := range []struct {
		name string
		code int
	}{{"local0", 16 << 3}, {"daemon", 3 << 3}} {
		t.Run(fac.name, func(t *testing.T) {
			dir := t.TempDir()
			sock := filepath.Join(dir, "log")
			pc, err := net.ListenPacket("unixgram", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			l := newTestLog(t, Options{Facility: fac.name, SyslogAddr: sock}, newClock())
			l.Critf("Emergency Shutdown: Attempting to kill everything ourselves")
			l.Log(Notice, "a notice")
			l.Infof("Link node2:eth0 up.")
			l.Warnf("node node2: is dead")
			l.Debugf("dbg")
			l.Script("ResourceManager(default)[199]", "CRIT: Giving up resources due to failure of tsvc::b")
			l.Script("IPaddr(IPaddr_10.0.0.5)[7]", "ERROR:  Generic error")
			want := []string{
				pri(fac.code+2) + "Nov  2 23:15:09 heartbeat: [100]: CRIT: Emergency Shutdown: Attempting to kill everything ourselves",
				pri(fac.code+5) + "Nov  2 23:15:09 heartbeat: [100]: notice: a notice",
				pri(fac.code+6) + "Nov  2 23:15:09 heartbeat: [100]: info: Link node2:eth0 up.",
				pri(fac.code+4) + "Nov  2 23:15:09 heartbeat: [100]: WARN: node node2: is dead",
				pri(fac.code+7) + "Nov  2 23:15:09 heartbeat: [100]: debug: dbg",
				pri(fac.code+5) + "Nov  2 23:15:09 ResourceManager(default)[199]: CRIT: Giving up resources due to failure of tsvc::b",
				pri(fac.code+3) + "Nov  2 23:15:09 IPaddr(IPaddr_10.0.0.5)[7]: ERROR:  Generic error",
			}
			var got []string
			buf := make([]byte, 8192)
			for range want {
				pc.SetReadDeadline(time.Now().Add(budget.Left(t)))
				n, _, err := pc.ReadFrom(buf)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(buf[:n]))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("datagrams (-want +got):\n%s", diff)
			}
		})
	}
}

func pri(n int) string { return "<" + itoa(n) + ">" }

func TestRotationThroughLog(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ha-log")
	clk := newClock()
	l := newTestLog(t, Options{Logfile: f, SyslogMsgFmt: true}, clk)
	l.Infof("before")
	if err := os.Rename(f, f+".1"); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Second)
	l.Infof("within the minute")
	clk.Add(30 * time.Second)
	l.Infof("after")
	if diff := cmp.Diff([]string{
		"Nov 02 23:15:09 node1 heartbeat: [100]: info: before",
		"Nov 02 23:15:39 node1 heartbeat: [100]: info: within the minute",
	}, readLines(t, f+".1")); diff != "" {
		t.Errorf("rotated file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"Nov 02 23:16:09 node1 heartbeat: [100]: info: log-rotate detected on logfile " + f,
		"Nov 02 23:16:09 node1 heartbeat: [100]: info: after",
	}, readLines(t, f)); diff != "" {
		t.Errorf("new file (-want +got):\n%s", diff)
	}
}

func TestReopenWriterVanished(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ha-debug")
	clk := newClock()
	w, err := OpenReopenWriter(f, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("a\n"))
	os.Remove(f)
	clk.Add(time.Minute)
	if rot, err := w.CheckRotated(); !rot || err != nil {
		t.Fatalf("CheckRotated after remove = %v, %v; want true", rot, err)
	}
	if rot, _ := w.CheckRotated(); rot {
		t.Fatal("second check within the minute must not reopen")
	}
	clk.Add(time.Minute)
	if rot, _ := w.CheckRotated(); rot {
		t.Fatal("unchanged inode must not reopen")
	}
	w.Write([]byte("b\n"))
	if diff := cmp.Diff([]string{"b"}, readLines(t, f)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRecorder(t *testing.T) {
	r := NewRecorder()
	var l Logger = r
	NodeDead("node2").To(l)
	l.Script(ScriptTag("ResourceManager", "default", 7), RMRunning("/etc/ha.d/resource.d/hbxsvc", "", "start"))
	want := []string{"WARN: node node2: is dead", "ResourceManager(default)[7]:    info: Running /etc/ha.d/resource.d/hbxsvc  start"}
	if diff := cmp.Diff(want, r.Lines()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	Discard.Infof("nothing")
}

func TestOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	dir := t.TempDir()
	f, d := filepath.Join(dir, "ha-log"), filepath.Join(dir, "ha-debug")
	newTestLog(t, Options{Logfile: f, Debugfile: d, Owner: &Owner{UID: 65534, GID: 65534}}, newClock())
	for _, p := range []string{f, d} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
			t.Errorf("%s owned by %d:%d, want 65534:65534", p, st.Uid, st.Gid)
		}
	}
}

func TestReopenWriterOpenFailureIsNoRotation(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	f := filepath.Join(sub, "ha-log")
	clk := newClock()
	w, err := OpenReopenWriter(f, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	os.RemoveAll(sub)
	clk.Add(time.Minute)
	if rot, err := w.CheckRotated(); !rot || err == nil {
		t.Fatalf("directory gone: CheckRotated = %v, %v; want true and an error", rot, err)
	}
	os.Mkdir(sub, 0o755)
	if rot, err := w.CheckRotated(); rot || err != nil {
		t.Fatalf("retry after failed open: CheckRotated = %v, %v; want false, nil", rot, err)
	}
	w.Write([]byte("back\n"))
	if diff := cmp.Diff([]string{"back"}, readLines(t, f)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
