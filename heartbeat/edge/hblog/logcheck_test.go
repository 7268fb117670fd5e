package hblog

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/resource.d/agent"
)

// logcheckRule reads Debian heartbeat's logcheck ignore rule (copied from
// /etc/logcheck/ignore.d.server/heartbeat of heartbeat 1:3.0.6-13+b2) and
// turns its POSIX classes into Go's.
func logcheckRule(t *testing.T) *regexp.Regexp {
	b, err := os.ReadFile("testdata/logcheck/heartbeat")
	if err != nil {
		t.Fatal(err)
	}
	rule := strings.TrimSpace(string(b))
	rule = strings.ReplaceAll(rule, "[:alnum:]", "a-zA-Z0-9")
	return regexp.MustCompile(rule)
}

// TestLogcheckRuleFiltersLikeStock: the rule (COMPAT §8.6) must treat hbgo's
// daemon lines exactly as it treats stock's in the captured logs — it
// ignores the memory-statistics shape and nothing else, so a line hbgo
// writes in that shape is ignored and every normal line is shown.
func TestLogcheckRuleFiltersLikeStock(t *testing.T) {
	rule := logcheckRule(t)
	at := time.Date(2026, 11, 3, 3, 12, 7, 0, time.UTC)
	for _, text := range []string{"Daily informational memory statistics", "These are nothing to worry about.", "MSG stats: 0/0 ms age 0 [pid99/HBREAD]"} {
		line := strings.TrimSuffix(DaemonLine(true, at, "node-1.example", "heartbeat", 99, Info, text), "\n")
		if !rule.MatchString(line) {
			t.Errorf("logcheck does not ignore hbgo's %q", line)
		}
	}
	// The same rule on real logs: what it ignores in stock's ha-log it must
	// ignore in hbgo's formatting of the same messages, line for line.
	files, _ := filepath.Glob("testdata/*.ha-log.node*")
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			e, ok := ParseLine(sc.Text(), 2026)
			if !ok || e.Kind != Daemon || e.Host == "" {
				continue
			}
			ours := strings.TrimSuffix(DaemonLine(true, e.Time, e.Host, e.Entity, e.PID, e.Level, e.Text), "\n")
			if rule.MatchString(ours) != rule.MatchString(sc.Text()) {
				t.Errorf("logcheck treats stock's %q and hbgo's %q differently", sc.Text(), ours)
			}
			n++
		}
		fh.Close()
	}
	if n < 100 {
		t.Fatalf("only %d stock daemon lines compared; the captured logs are missing", n)
	}
	t.Logf("%d stock daemon lines compared", n)
}

// hbgoRules reads dist/logcheck/ignore.d.server/hbgo, one ERE a line.
func hbgoRules(t *testing.T) []*regexp.Regexp {
	b, err := os.ReadFile("../../../dist/logcheck/ignore.d.server/hbgo")
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out = append(out, regexp.MustCompile(l))
	}
	return out
}

// syslogForms returns a line as rsyslog stores it, in the traditional
// timestamp form and the RFC 3339 one (Debian's default since bookworm).
func syslogForms(at time.Time, host string, level Level, ident, msg string) []string {
	d := string(Datagram(0, level, at, ident, msg))
	d = d[strings.IndexByte(d, '>')+1:]
	trad := d[:15] + " " + host + " " + d[16:]
	rfc := at.Format("2006-01-02T15:04:05.000000-07:00") + " " + host + " " + d[16:]
	return []string{trad, rfc}
}

// TestLogcheckIgnoresHbgoOnlyLines: every line hbgo writes and stock never
// does (HbgoOnlyDaemon, HbgoOnlyScript) has an ignore rule in
// dist/logcheck, so logcheck stays as quiet as with stock; no stock line
// and no warning or error is ignored by those rules.
func TestLogcheckIgnoresHbgoOnlyLines(t *testing.T) {
	rules := hbgoRules(t)
	ignored := func(l string) bool { return matchAny(rules, l) }
	at := time.Date(2026, 12, 6, 3, 12, 7, 0, time.FixedZone("", 3600))
	daemon := []string{
		HbgoBanner("hbgo v0.3.0-4-g3fb3c25 (commit 3fb3c25b2c1e0000000000000000000000000000)", "3.0.6").Text,
		HbgoBanner("hbgo devel (commit unknown)", "3.0.6").Text,
		"hbgo: realtime: SCHED_RR priority 50 for every thread, as stock; scripts run at normal scheduling; memory not locked (no mlockall)",
		"hbgo: fast_start: node2's resource state is known; not waiting RQSTDELAY (10 s)",
	}
	type scriptLine struct{ tag, text string }
	script := []scriptLine{
		{"IPaddr(IPaddr_10.77.0.100)", agent.AddrAdded("10.77.0.100/24", "eth0:0", 20)},
		{"IPaddr2(IPaddr2_10.78.0.11)", agent.AddrAdded("10.78.0.11/24", "eth1", 10)},
		{"IPaddr(IPaddr_10.77.0.100)", agent.AddrRemoved("10.77.0.100/24", "eth0:0")},
		{"SendArp(SendArp_10.0.0.5)", agent.ARPSending(10, "10.0.0.5", "eth0")},
		{"Filesystem(Filesystem_/dev/loop0)", agent.Mounted("/dev/loop0", "/mnt/hbxdata", "ext4", "mount(2)")},
		{"Filesystem(Filesystem_nfs:/export)", agent.Mounted("nfs:/export", "/mnt/nfs", "auto", "mount(8)")},
		{"drbddisk(r0)", agent.Drbdadm("primary", "r0", 1, 6)},
		{"drbddisk(all)", agent.Drbdadm("secondary", "all", 3, 3)},
		{"Delay(Delay_10)", agent.Delayed(10 * time.Second)},
		{"Delay(Delay_1.5)", agent.Delayed(1500 * time.Millisecond)},
		{"IPaddr2(IPaddr2_10.78.0.10)", fmt.Sprintf(agent.FmtPromoteSecondaries, "eth1", "eth1", "10.78.0.10")},
	}
	// Every catalogued hbgo-only format has a sample above.
	for _, f := range HbgoOnlyDaemon {
		re := compileFormats([]string{f})
		n := 0
		for _, s := range daemon {
			if matchAny(re, s) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("hbgo-only daemon format %q has no sample in this test", f)
		}
	}
	for _, f := range HbgoOnlyScript {
		re := compileFormats([]string{f})
		n := 0
		for _, s := range script {
			if matchAny(re, s.text) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("hbgo-only script format %q has no sample in this test", f)
		}
	}
	for _, text := range daemon {
		for _, l := range syslogForms(at, "node-1.example", Info, "heartbeat", SyslogText(4711, Info, text)) {
			if !ignored(l) {
				t.Errorf("no logcheck rule ignores %q", l)
			}
			if !HbgoOnly(strings.TrimSuffix(DaemonLine(true, at, "node1", "heartbeat", 4711, Info, text), "\n")) {
				t.Errorf("HbgoOnly does not know %q", text)
			}
		}
	}
	for _, s := range script {
		for _, l := range syslogForms(at, "node1", ScriptLevel(s.text), s.tag, s.text) {
			if !ignored(l) {
				t.Errorf("no logcheck rule ignores %q", l)
			}
		}
		if !HbgoOnly(strings.TrimSuffix(ScriptLogLine(at, s.tag+"[77]", s.text), "\n")) {
			t.Errorf("HbgoOnly does not know %q", s.text)
		}
	}
	// Not ignored: the same agents' warnings and errors, hbgo's other
	// daemon lines, and every stock line of the captured logs.
	for _, l := range [][]string{
		syslogForms(at, "node1", Error, "IPaddr(IPaddr_10.77.0.100)", "ERROR: Could not send gratuitous arp for 10.77.0.100 on eth0: x"),
		syslogForms(at, "node1", Warn, "heartbeat", SyslogText(4711, Warn, "hbgo: event journal disabled: x")),
		syslogForms(at, "node1", Info, "IPaddr(IPaddr_10.77.0.100)", "INFO: added 10.77.0.100/24 to eth0:0 (netlink), 20 gratuitous ARPs; and more"),
	} {
		for _, s := range l {
			if ignored(s) {
				t.Errorf("logcheck would ignore %q", s)
			}
		}
	}
	files, _ := filepath.Glob("testdata/*.ha-log.node*")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if e, ok := ParseLine(l, 2026); ok && e.Kind == Script {
				for _, s := range syslogForms(e.Time, "node1", ScriptLevel(e.Text), e.Entity, e.Text) {
					if ignored(s) {
						t.Errorf("logcheck would ignore stock's %q", s)
					}
				}
			}
			if ignored(l) || HbgoOnly(l) {
				t.Errorf("stock's %q taken for an hbgo-only line", l)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d stock lines checked", n)
	}
}
