package timeline

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/hblog"
)

// parse reads log text for tests: UTC, mtime in late 2026.
func parse(t *testing.T, name, text string) []Record {
	t.Helper()
	recs, err := ReadLog(strings.NewReader(text), name, captureMtime, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// summary is an incident reduced to what the detector decided.
type summary struct {
	Headline string
	Steps    int
	Holdings []Holding
}

func summarize(ins []Incident) []summary {
	var out []summary
	for _, in := range ins {
		out = append(out, summary{in.Headline(), len(in.Steps), in.Holdings})
	}
	return out
}

const grp = "node1 IPaddr::10.0.0.9/24/eth0 svc"

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string // file name → text; merged in name order
		want  []summary
	}{
		{
			name: "failover: dead node, takeover, VIP and last resource",
			files: map[string]string{"n2": `Nov 23 03:12:07 node2 heartbeat: [9]: WARN: node node1: is dead
Nov 23 03:12:07 node2 heartbeat: [9]: info: Link node1:eth0 dead.
2026/11/23_03:12:07  ResourceManager(default)[20]:    info: Acquiring resource group: ` + grp + `
2026/11/23_03:12:07  ResourceManager(default)[20]:    info: Running /etc/ha.d//resource.d/IPaddr 10.0.0.9/24/eth0 start
2026/11/23_03:12:09  ResourceManager(default)[20]:    info: Running /etc/ha.d//resource.d/svc  start
Nov 23 03:12:10 node2 heartbeat: [9]: info: mach_down takeover complete.
`},
			want: []summary{{"node1 is dead (seen by node2): outage 2 s from detection, plus up to deadtime before it (VIP up +2 s, last resource +2 s)", 6,
				[]Holding{{Group: "IPaddr::10.0.0.9/24/eth0", Before: "node1", After: "node2"}}}},
		},
		{
			name: "log ends during takeover",
			files: map[string]string{"n2": `Nov 23 03:12:07 node2 heartbeat: [9]: WARN: node node1: is dead
2026/11/23_03:12:08  ResourceManager(default)[20]:    info: Acquiring resource group: ` + grp + `
2026/11/23_03:12:08  ResourceManager(default)[20]:    info: Running /etc/ha.d//resource.d/IPaddr 10.0.0.9/24/eth0 start
`},
			want: []summary{{"node1 is dead (seen by node2): outage ≥ 1 s from detection, plus up to deadtime before it (VIP up +1 s, last resource +1 s), end not logged", 3,
				[]Holding{{Group: "IPaddr::10.0.0.9/24/eth0", Before: "node1", After: "node2"}}}},
		},
		{
			name: "start failure: resources not up",
			files: map[string]string{"n2": `Nov 23 03:12:07 node2 heartbeat: [9]: WARN: node node1: is dead
2026/11/23_03:12:07  ResourceManager(default)[20]:    info: Acquiring resource group: ` + grp + `
2026/11/23_03:12:07  ResourceManager(default)[20]:    info: Running /etc/ha.d//resource.d/svc  start
2026/11/23_03:12:08  ResourceManager(default)[20]:    ERROR: Return code 1 from /etc/ha.d//resource.d/svc
2026/11/23_03:12:08  ResourceManager(default)[20]:    CRIT: Giving up resources due to failure of svc
2026/11/23_03:12:08  ResourceManager(default)[20]:    info: Releasing resource group: ` + grp + `
Nov 23 03:12:09 node2 heartbeat: [9]: info: mach_down takeover complete.
`},
			want: []summary{{"node1 is dead (seen by node2): resources NOT up: ResourceManager: CRIT: Giving up resources due to failure of svc (+1 s)", 7,
				[]Holding{{Group: "IPaddr::10.0.0.9/24/eth0", Before: "node1", After: ""}}}},
		},
		{
			name: "failure with no incident open starts its own",
			files: map[string]string{"n1": `2026/11/23_04:00:00  ResourceManager(default)[20]:    ERROR: Cannot locate resource script foo
`},
			want: []summary{{"resource failure on n1: Cannot locate resource script foo", 1, nil}},
		},
		{
			name: "both sides of one standby are one incident; a later standby is another",
			files: map[string]string{
				"a": `Nov 23 01:00:00 node1 heartbeat: [9]: info: node1 wants to go standby [all]
2026/11/23_01:00:00  ResourceManager(default)[20]:    info: Releasing resource group: ` + grp + `
Nov 23 01:00:01 node1 heartbeat: [9]: info: all HA resource release completed (standby).
Nov 23 01:05:00 node1 heartbeat: [9]: info: node1 wants to go standby [all]
`,
				"b": `Nov 23 01:00:00 node2 heartbeat: [8]: info: node1 wants to go standby [all]
2026/11/23_01:00:02  ResourceManager(default)[30]:    info: Acquiring resource group: ` + grp + `
2026/11/23_01:00:03  ResourceManager(default)[30]:    info: Running /etc/ha.d/resource.d/svc  start
Nov 23 01:00:04 node2 heartbeat: [8]: info: Standby resource acquisition done [all].
`},
			want: []summary{
				{"node1 goes standby [all]: outage 3 s (first stop +0 s, last resource +3 s)", 7,
					[]Holding{{Group: "IPaddr::10.0.0.9/24/eth0", Before: "?", After: "node2"}}},
				{"node1 goes standby [all]: no resource moved", 1, nil},
			},
		},
		{
			name: "shutdown notice joins the shutdown; dead after deadtime too",
			files: map[string]string{
				"a": `Nov 23 02:00:00 node1 heartbeat: [9]: info: Heartbeat shutdown in progress. (9)
Nov 23 02:00:03 node1 heartbeat: [9]: info: node1 Heartbeat shutdown complete.
`,
				"b": `Nov 23 02:00:01 node2 heartbeat: [8]: info: Received shutdown notice from 'node1'.
Nov 23 02:00:25 node2 heartbeat: [8]: WARN: node node1: is dead
Nov 23 02:00:25 node2 heartbeat: [8]: info: Dead node node1 gave up resources.
`},
			want: []summary{{"node1 shuts down: no resource moved", 5, nil}},
		},
		{
			name: "partition: both declare each other dead (split brain), then heal",
			files: map[string]string{
				"a": `Nov 23 05:00:00 node1 heartbeat: [9]: WARN: node node2: is dead
Nov 23 05:00:20 node1 heartbeat: [9]: CRIT: Cluster node node2 returning after partition.
`,
				"b": `Nov 23 05:00:00 node2 heartbeat: [8]: WARN: node node1: is dead
Nov 23 05:00:20 node2 heartbeat: [8]: CRIT: Cluster node node1 returning after partition.
Nov 23 05:00:22 node2 heartbeat: [8]: info: Heartbeat shutdown in progress. (8)
`},
			want: []summary{
				{"node2 is dead (seen by node1), node1 is dead (seen by node2) — split brain: no resource moved", 2, nil},
				{"split brain healed: node2 returns after partition (seen by node1): no resource moved", 3, nil},
			},
		},
		{
			name: "auto_failback: restart seen by the peer, then standby [foreign]",
			files: map[string]string{"b": `Nov 23 06:00:00 node2 heartbeat: [8]: info: Heartbeat restart on node node1
Nov 23 06:00:02 node2 heartbeat: [8]: info: node2 wants to go standby [foreign]
2026/11/23_06:00:02  ResourceManager(default)[30]:    info: Releasing resource group: ` + grp + `
Nov 23 06:00:03 node2 heartbeat: [8]: info: foreign HA resource release completed (standby).
`},
			want: []summary{{"node1 restarts (seen by node2): failback from node2: resources stopped (last stop +2 s); no start follows in this log", 4,
				[]Holding{{Group: "IPaddr::10.0.0.9/24/eth0", Before: "?", After: ""}}}},
		},
		{
			// Issue 17: with both logs the crashed holder's own lines
			// (here its restart giving up what it no longer holds) made the
			// owner "node2 → nobody" although node1 took the group.
			name: "both logs: the owner is who completed the takeover",
			files: map[string]string{
				"a": `Nov 23 08:00:00 node1 heartbeat: [9]: WARN: node node2: is dead
2026/11/23_08:00:00  ResourceManager(default)[20]:    info: Acquiring resource group: ` + grp + `
2026/11/23_08:00:01  ResourceManager(default)[20]:    info: Running /etc/ha.d/resource.d/svc  start
Nov 23 08:00:01 node1 heartbeat: [9]: info: mach_down takeover complete.
`,
				"b": `2026/11/23_08:00:01  ResourceManager(default)[30]:    info: Releasing resource group: ` + grp + `
`},
			want: []summary{{"node2 is dead (seen by node1): outage 1 s from detection, plus up to deadtime before it (last resource +1 s)", 5,
				[]Holding{{Group: "IPaddr::10.0.0.9/24/eth0", Before: "node2", After: "node1"}}}},
		},
		{
			name: "link dead alone, then recovery",
			files: map[string]string{"a": `Nov 23 07:00:00 node1 heartbeat: [9]: info: Link node2:eth1 dead.
Nov 23 07:00:05 node1 heartbeat: [9]: info: Link node2:eth1 up.
Nov 23 07:00:05 node1 heartbeat: [9]: info: Link node3:eth1 up.
`},
			want: []summary{{"link node2:eth1 dead (seen by node1): no resource moved", 2, nil}},
		},
		{
			name:  "noise only",
			files: map[string]string{"a": "Nov 23 07:00:00 node1 heartbeat: [9]: WARN: 1 lost packet(s) for [node2] [1:3]\nnot a log line\n"},
			want:  nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sets [][]Record
			for _, name := range sortedKeys(tc.files) {
				sets = append(sets, parse(t, name, tc.files[name]))
			}
			got := summarize(Detect(Merge(sets...)))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		line string
		want class
	}{
		{"Nov 22 23:18:05 node1 heartbeat: [100]: WARN: node node2: is dead", class{kind: skNodeDead, subject: "node2"}},
		{"Nov 22 23:18:05 node1 heartbeat: [100]: info: Link node2:eth0 dead.", class{kind: skLinkDead, subject: "node2", arg: "node2:eth0"}},
		{"Nov 22 23:18:05 node1 heartbeat: [100]: info: Link node2:eth0 up.", class{kind: skLinkUp, subject: "node2", arg: "node2:eth0"}},
		{"Nov 22 23:18:32 node1 heartbeat: [100]: info: node1 wants to go standby [foreign]", class{kind: skStandby, subject: "node1", arg: "foreign"}},
		{"Nov 22 23:18:32 node1 heartbeat: [100]: info: Heartbeat shutdown in progress. (100)", class{kind: skShutdown, subject: "node1"}},
		{"Nov 22 23:18:32 node1 heartbeat: [100]: info: Received shutdown notice from 'node2'.", class{kind: skShutdownNotice, subject: "node2"}},
		{"Nov 22 23:18:32 node1 heartbeat: [100]: info: Heartbeat restart on node node2", class{kind: skPeerRestart, subject: "node2"}},
		{"Nov 22 23:18:32 node1 heartbeat: [100]: CRIT: Cluster node node2 returning after partition.", class{kind: skPartition, subject: "node2"}},
		{"Nov 22 23:18:32 node1 heartbeat: [100]: ERROR: /usr/share/heartbeat/ResourceManager givegroup x exited with return code 1", class{kind: skFailure, subject: "node1"}},
		{"Nov 22 23:18:06 node1 heartbeat: [100]: info: mach_down takeover complete.", class{kind: skDone}},
		{"Nov 22 23:18:05 node1 heartbeat: [100]: info: Resources being acquired from node2.", class{kind: skMilestone}},
		{"Nov 22 23:18:05 node1 heartbeat: [100]: WARN: 1 lost packet(s) for [node2] [37:39]", class{}},
		{"2026/11/22_23:18:05  harc(default)[1571]:    info: Running /etc/ha.d//rc.d/status status", class{}},
		{"2026/11/22_23:18:05  harc(default)[1571]:    info: Running /etc/ha.d//rc.d/hb_takeover hb_takeover", class{kind: skTakeover, subject: "node1"}},
		{"2026/11/22_23:18:05  ResourceManager(default)[1656]:    info: Acquiring resource group: node2 10.213.0.200 tsvc::c", class{kind: skAcquire, arg: "node2 10.213.0.200 tsvc::c"}},
		{"2026/11/22_23:18:06  ResourceManager(default)[1656]:    info: Running /etc/ha.d//resource.d/IPaddr 10.213.0.200 start", class{kind: skRunStart, arg: "IPaddr 10.213.0.200"}},
		{"2026/11/22_23:18:06  ResourceManager(default)[1656]:    info: Running /etc/ha.d/resource.d/hbxsvc  stop", class{kind: skRunStop, arg: "hbxsvc"}},
		{"2026/11/22_23:19:03  ResourceManager(default)[1227]:    CRIT: Giving up resources due to failure of tsvc::b", class{kind: skFailure, subject: "node1"}},
		{"Nov 22 23:18:05 node1 heartbeat: [100]: info: hbgo: restarting in 2 s after the partition healed", class{kind: skMilestone}},
		// fuzz crasher 109af2dbcf7382dd (day changed to 01: hblog now refuses day 00): prefix "Link " and suffix " dead." overlap
		{"Nov 01 00:00:00 0 0: [0]: Link dead.", class{}},
		{"Nov 23 00:00:00 0 0: [0]: node : is dead", class{kind: skNodeDead}},
		{"2026/11/22_23:18:06  IPaddr(IPaddr_10.213.0.200)[1789]:    INFO: Using calculated netmask for 10.213.0.200: 255.255.255.0", class{}},
	} {
		e, ok := hblog.ParseLineIn(tc.line, 2026, time.UTC)
		if !ok {
			t.Fatalf("unparsable test line %q", tc.line)
		}
		if got := classify(e, "node1"); got != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.line, got, tc.want)
		}
	}
}

// TestReadLogLongLines: a damaged log with a huge line still parses the lines around it.
func TestReadLogLongLines(t *testing.T) {
	text := "Nov 23 03:12:07 node2 heartbeat: [9]: WARN: node node1: is dead\n" + strings.Repeat("x", 3<<20) +
		"\nNov 23 03:12:08 node2 heartbeat: [9]: info: Link node1:eth1 dead.\nNov 23 03:12:09 node2 heartbeat: [9]: info: no newline at end"
	recs := parse(t, "long", text)
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%d %s", r.Line, r.Entry.Text))
	}
	want := []string{"1 node node1: is dead", "3 Link node1:eth1 dead.", "4 no newline at end"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestSince(t *testing.T) {
	recs := parse(t, "a", `Nov 23 03:00:00 node2 heartbeat: [9]: WARN: node node1: is dead
Nov 23 03:00:10 node2 heartbeat: [9]: info: mach_down takeover complete.
Nov 23 04:00:00 node2 heartbeat: [9]: WARN: node node3: is dead
`)
	ins := Detect(recs)
	for _, tc := range []struct {
		at   string
		want int
	}{{"02:59:59", 2}, {"03:00:05", 2}, {"03:00:10", 2}, {"03:00:11", 1}, {"04:00:01", 0}} {
		at, _ := ParseSince(tc.at, captureMtime, time.UTC)
		if got := len(Since(ins, at)); got != tc.want {
			t.Errorf("since %s: %d incidents, want %d", tc.at, got, tc.want)
		}
	}
}

func TestParseSince(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, loc)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "2026-11-23T03:12:00Z", want: time.Date(2026, 11, 23, 3, 12, 0, 0, time.UTC)},
		{in: "2026-11-23T03:12:00+01:00", want: time.Date(2026, 11, 23, 2, 12, 0, 0, time.UTC)},
		{in: "2026-11-22 03:12", want: time.Date(2026, 11, 22, 3, 12, 0, 0, loc)},
		{in: "2026-11-22 03:12:30", want: time.Date(2026, 11, 22, 3, 12, 30, 0, loc)},
		{in: "03:12", want: time.Date(2026, 11, 23, 3, 12, 0, 0, loc)},
		{in: " 23:59:59 ", want: time.Date(2026, 11, 23, 23, 59, 59, 0, loc)},
		{in: "2h", want: now.Add(-2 * time.Hour)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "-2h", err: true},
		{in: "yesterday", err: true},
		{in: "25:00", err: true},
		{in: "", err: true},
	} {
		got, err := ParseSince(tc.in, now, loc)
		if (err != nil) != tc.err {
			t.Errorf("%q: err = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && !got.Equal(tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestYearFromMtime: syslog lines carry no year; a log written across New Year takes December from the year before its mtime.
func TestYearFromMtime(t *testing.T) {
	log := `Dec 31 23:59:58 node2 heartbeat: [9]: WARN: node node1: is dead
2026/12/31_23:59:59  ResourceManager(default)[20]:    info: Acquiring resource group: ` + grp + `
2027/01/01_00:00:00  ResourceManager(default)[20]:    info: Running /etc/ha.d//resource.d/svc  start
Jan  1 00:00:01 node2 heartbeat: [9]: info: mach_down takeover complete.
`
	mtime := time.Date(2027, 1, 1, 0, 5, 0, 0, time.UTC)
	recs, err := ReadLog(strings.NewReader(log), "ha-log", mtime, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Time.Format(time.RFC3339)+" "+r.Host)
	}
	want := []string{
		"2026-12-31T23:59:58Z node2", "2026-12-31T23:59:59Z node2",
		"2027-01-01T00:00:00Z node2", "2027-01-01T00:00:01Z node2",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	ins := Detect(Merge(recs))
	if len(ins) != 1 || ins[0].Headline() != "node1 is dead (seen by node2): outage 2 s from detection, plus up to deadtime before it (last resource +2 s)" {
		t.Errorf("got %+v", summarize(ins))
	}
}

// TestAttachJournal: the journal goes to the host whose lines it matches, and only lines saying the same thing get its µs times.
func TestAttachJournal(t *testing.T) {
	a := parse(t, "a", "Nov 23 03:12:07 node1 heartbeat: [9]: info: Link node2:eth1 dead.\n")
	b := parse(t, "b", "Nov 23 03:12:07 node2 heartbeat: [9]: WARN: node node1: is dead\nNov 23 03:12:08 node2 heartbeat: [9]: info: Link node1:eth1 dead.\n")
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm }
	evs := []hblog.Event{
		{Time: at("2026-11-23T03:12:07.250Z"), Kind: "node_dead", Node: "node1"},
		{Time: at("2026-11-23T03:12:07.900Z"), Kind: "link_dead", Node: "node1", Fields: map[string]string{"link": "eth1"}},
		{Time: at("2026-11-23T03:12:07.950Z"), Kind: "op", Fields: map[string]string{"op": "1", "kind": "take", "groups": "[G]", "why": "mach_down"}},
		{Time: at("2026-11-23T05:00:00Z"), Kind: "node_dead", Node: "node9"}, // outside the log: ignored
	}
	recs, host := AttachJournal(Merge(a, b), evs)
	if host != "node2" {
		t.Fatalf("host = %q, want node2", host)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Time.Format("15:04:05.000")+" "+r.Host+" "+r.Entry.Text+" "+map[bool]string{true: "precise", false: "whole"}[r.Precise])
	}
	want := []string{
		"03:12:07.000 node1 Link node2:eth1 dead. whole",
		"03:12:07.250 node2 node node1: is dead precise",
		"03:12:07.900 node2 Link node1:eth1 dead. precise", // logged in the next second: still the event's line
		"03:12:07.950 node2 op 1 take [G] (mach_down) precise",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// node1's log alone: the journal says nothing node1 logged, so it is not used.
	if recs, host := AttachJournal(a, evs); host != "" || len(recs) != len(a) || recs[0].Precise {
		t.Errorf("journal attached to node1's log: host %q, %d records", host, len(recs))
	}
}

// TestMain runs the command: ha.cf's logfile by default, .gz files, -since, a missing journal.
func TestMainCommand(t *testing.T) {
	dir := t.TempDir()
	logText, err := os.ReadFile("testdata/ucast-sha1/ha-log.node2")
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "ha-log")
	if err := os.WriteFile(logPath, logText, 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2026, 11, 23, 1, 0, 0, 0, time.Local)
	os.Chtimes(logPath, mt, mt)
	if err := os.WriteFile(filepath.Join(dir, "ha.cf"), []byte("logfile "+logPath+"\nnode node1\nnode node2\nbcast eth0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(logText)
	zw.Close()
	gzPath := filepath.Join(dir, "ha-log.1.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(gzPath, mt, mt)
	noJournal := filepath.Join(dir, "no-journal")

	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := Main(args, &out, &errb)
		return out.String(), errb.String(), code
	}
	out, stderr, code := run("-dir", dir, "-journal", noJournal)
	// ha.cf's deadtime (default 30 s) dates the last heartbeat: whole-second stock lines, so ≈.
	if code != 0 || !strings.Contains(out, "node1 is dead (seen by node2): outage ≈32 s from the last heartbeat (declared dead +30 s, takeover +2 s)\n") ||
		!strings.HasSuffix(out, "7 incidents from 2026-11-23 00:23:49 to 2026-11-23 00:24:50, 5 incidents with an outage, total outage ≈44 s\n") {
		t.Errorf("default logfile: code %d, stderr %q, out:\n%s", code, stderr, out)
	}
	out, _, code = run("-journal", noJournal, "-since", "2026-11-23 00:24:40", gzPath)
	if code != 0 || !strings.Contains(out, gzPath+": 2 incidents from 2026-11-23 00:24:45 to") {
		t.Errorf("-since on .gz: code %d, out:\n%s", code, out)
	}
	if _, stderr, code = run("-since", "soon", logPath); code != 2 || !strings.Contains(stderr, "-since") {
		t.Errorf("bad -since: code %d, stderr %q", code, stderr)
	}
	if _, stderr, code = run("-dir", filepath.Join(dir, "nowhere")); code != 1 || !strings.Contains(stderr, "ha.cf") {
		t.Errorf("no ha.cf: code %d, stderr %q", code, stderr)
	}
}

func FuzzTimeline(f *testing.F) {
	for _, name := range []string{"testdata/ucast-sha1/ha-log.node2", "testdata/hbgo/ha-log"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		recs, _ := ReadLog(strings.NewReader(text), "fuzz", captureMtime, time.UTC)
		evs := []hblog.Event{{Time: captureMtime.Add(-time.Hour), Kind: "node_dead", Node: "node1"},
			{Time: captureMtime.Add(-time.Hour), Kind: "op_done", Fields: map[string]string{"op": "1", "result": "G=0"}}}
		recs, _ = AttachJournal(recs, evs)
		var b bytes.Buffer
		if err := Write(&b, Detect(recs), []string{"fuzz"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestJournalOnlySteps: ops and fences exist only in the journal; they become steps of the incident.
func TestJournalOnlySteps(t *testing.T) {
	recs := parse(t, "n2", "Nov 23 03:12:07 node2 heartbeat: [9]: WARN: node node1: is dead\n")
	at := time.Date(2026, 11, 23, 3, 12, 7, 400e6, time.UTC)
	evs := []hblog.Event{
		{Time: at.Add(-300 * time.Millisecond), Kind: "node_dead", Node: "node1"},
		{Time: at, Kind: "op", Fields: map[string]string{"op": "7", "kind": "take", "groups": "[G]", "why": "mach_down"}},
		{Time: at.Add(time.Second), Kind: "op_done", Fields: map[string]string{"op": "7", "result": "G=0"}},
		{Time: at.Add(2 * time.Second), Kind: "fence", Fields: map[string]string{"group": "G", "resource": "svc"}},
	}
	recs, _ = AttachJournal(recs, evs)
	ins := Detect(recs)
	if len(ins) != 1 {
		t.Fatalf("got %d incidents, want 1", len(ins))
	}
	var got []string
	for _, s := range ins[0].Steps {
		got = append(got, offset(ins[0].Trigger(), s)+" "+stepText(s))
	}
	want := []string{
		"+0.000s WARN node node1: is dead",
		"+0.300s journal: op 7 take [G] (mach_down)",
		"+1.300s journal: op 7 take done: G started",
		"+2.300s journal: fence: rebooting, svc of group G would not stop",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if h := ins[0].Headline(); h != "node1 is dead (seen by node2): resources NOT up: journal: fence: rebooting, svc of group G would not stop (+2.300 s)" {
		t.Errorf("headline %q", h)
	}
}

// TestRotatedFiles: a log split by rotation (ha-log.1.gz, then ha-log), given in any order, reads as the whole log.
func TestRotatedFiles(t *testing.T) {
	whole, err := os.ReadFile("testdata/ucast-sha1/ha-log.node2")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(whole), "\n")
	cut := len(lines) / 2
	dir := t.TempDir()
	mt := time.Date(2026, 11, 23, 1, 0, 0, 0, time.Local)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mt, mt)
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Join(lines[:cut], "")))
	zw.Close()
	old := write("ha-log.1.gz", gz.Bytes())
	cur := write("ha-log", []byte(strings.Join(lines[cut:], "")))
	full := write("ha-log.full", whole)
	body := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"-journal", ""}, args...), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		s := out.String()
		return s[:strings.LastIndex(s[:len(s)-1], "\n")+1] // all but the summary line, which names the files
	}
	want := body(full)
	if got := body(cur, old); got != want {
		t.Errorf("rotated pair differs from the whole log:\n%s", cmp.Diff(want, got))
	}
}

// TestMainBothJournals: each node's journal goes to its own log (-journal a,b), so both sides of every move read in ms.
func TestMainBothJournals(t *testing.T) {
	dir := t.TempDir()
	mt := time.Date(2026, 12, 6, 23, 0, 0, 0, time.Local)
	var logs, journals []string
	for _, n := range []string{"node1", "node2"} {
		for _, f := range []string{"ha-log.", "hbgo-journal."} {
			b, err := os.ReadFile("testdata/recorded/hbgo-five-moves/" + f + n)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, f+n)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(p, mt, mt)
			if f == "ha-log." {
				logs = append(logs, p)
			} else {
				journals = append(journals, p)
			}
		}
	}
	var out, errb bytes.Buffer
	args := append([]string{"-dir", dir, "-journal", strings.Join(journals, ",")}, logs...)
	if code := Main(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"node1 goes standby [all]: outage 0.099 s (first stop +~0.000 s, VIP up +~0.031 s, last resource +~0.099 s)\n    group drbddisk::r0: node1 → node2\n",
		"hb_takeover: node1 takes resources back: outage 0.081 s",
		", 5 incidents with an outage, total outage 0.459 s\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}

// FuzzTimelineJournal: two nodes' logs and a journal, whatever their bytes, are read, merged and printed without a panic.
func FuzzTimelineJournal(f *testing.F) {
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	// Seeds are cut to their first lines: whole recordings (30 KB per
	// argument) stalled the fuzzing engine's minimizer, so the target ran
	// a handful of inputs a minute.
	head := func(s string) string {
		const max = 3 << 10
		if len(s) <= max {
			return s
		}
		s = s[:max]
		return s[:strings.LastIndexByte(s, '\n')+1]
	}
	for _, d := range []string{"testdata/recorded/hbgo-five-moves", "testdata/recorded/hbgo-cut-heal", "testdata/recorded/hbgo-crash"} {
		f.Add(head(read(d+"/ha-log.node1")), head(read(d+"/ha-log.node2")), head(read(d+"/hbgo-journal.node2")))
	}
	// the resource monitor's lines and monitor_* events (issue 15): node1's journal holds them
	m := "testdata/recorded/hbgo-monitor"
	l1 := read(m + "/ha-log.node1")
	l1 = l1[strings.LastIndexByte(l1[:strings.Index(l1, "hbgo-monitor: ")], '\n')+1:]
	f.Add(head(l1), head(read(m+"/ha-log.node2")), head(read(m+"/hbgo-journal.node1")))
	mtime := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, log1, log2, journal string) {
		a, _ := ReadLog(strings.NewReader(log1), "n1", mtime, time.UTC)
		b, _ := ReadLog(strings.NewReader(log2), "n2", mtime, time.UTC)
		evs, _, _ := hblog.ParseJournal(strings.NewReader(journal))
		sets, _ := AttachJournals([][]Record{a, b}, [][]hblog.Event{evs, evs})
		var out bytes.Buffer
		if err := WriteWith(&out, Detect(Merge(sets...)), []string{"n1", "n2"}, Options{Deadtime: time.Second}); err != nil {
			t.Fatal(err)
		}
	})
}
