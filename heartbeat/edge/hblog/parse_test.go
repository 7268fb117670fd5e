package hblog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLine(t *testing.T) {
	at := func(y int, mo time.Month, d, h, m, s int) time.Time { return time.Date(y, mo, d, h, m, s, 0, time.UTC) }
	tests := []struct {
		line string
		want Entry
		ok   bool
	}{
		{"Nov 23 00:24:28 node1 heartbeat: [17]: WARN: 1 lost packet(s) for [node2] [59:61]",
			Entry{Time: at(2026, 11, 23, 0, 24, 28), Host: "node1", Entity: "heartbeat", PID: 17, Level: Warn, Text: "1 lost packet(s) for [node2] [59:61]", Kind: Daemon}, true},
		{"Nov 23 18:11:01 node1 ipfail: [27]: debug: [We are node1]",
			Entry{Time: at(2026, 11, 23, 18, 11, 1), Host: "node1", Entity: "ipfail", PID: 27, Level: Debug, Text: "[We are node1]", Kind: Daemon}, true},
		{"Nov 23 18:11:02 node1 heartbeat: [16]: debug: get_delnodelist: delnodelist= ",
			Entry{Time: at(2026, 11, 23, 18, 11, 2), Host: "node1", Entity: "heartbeat", PID: 16, Level: Debug, Text: "get_delnodelist: delnodelist= ", Kind: Daemon}, true},
		{"Nov  2 03:04:05 node1 heartbeat: [99]: info: x", // syslogd's space-padded day
			Entry{Time: at(2026, 11, 2, 3, 4, 5), Host: "node1", Entity: "heartbeat", PID: 99, Level: Info, Text: "x", Kind: Daemon}, true},
		{"Nov 22 23:18:05 node1 heartbeat: [100]: CRIT: Cluster node node2 returning after partition.",
			Entry{Time: at(2026, 11, 22, 23, 18, 5), Host: "node1", Entity: "heartbeat", PID: 100, Level: Crit, Text: "Cluster node node2 returning after partition.", Kind: Daemon}, true},
		{"heartbeat[18858]: 2026/11/22_23:16:19 info: Link node2:eth1 up.",
			Entry{Time: at(2026, 11, 22, 23, 16, 19), Entity: "heartbeat", PID: 18858, Level: Info, Text: "Link node2:eth1 up.", Kind: Daemon}, true},
		{"2026/11/23_00:24:03  ResourceManager(default)[157]:    info: Running /etc/ha.d//resource.d/hbxsvc  start",
			Entry{Time: at(2026, 11, 23, 0, 24, 3), Entity: "ResourceManager", PID: 157, Level: Info, Tag: "ResourceManager(default)[157]", Text: "info: Running /etc/ha.d//resource.d/hbxsvc  start", Kind: Script}, true},
		{"2026/11/23_00:24:03  /usr/lib/ocf/resource.d//heartbeat/Filesystem(Filesystem_/dev/loop0)[456]:    INFO:  Success",
			Entry{Time: at(2026, 11, 23, 0, 24, 3), Entity: "/usr/lib/ocf/resource.d//heartbeat/Filesystem", PID: 456, Level: Info, Tag: "/usr/lib/ocf/resource.d//heartbeat/Filesystem(Filesystem_/dev/loop0)[456]", Text: "INFO:  Success", Kind: Script}, true},
		{"2026/11/22_23:19:33  hb_standby(default)[1665]:    Going standby [foreign].",
			Entry{Time: at(2026, 11, 22, 23, 19, 33), Entity: "hb_standby", PID: 1665, Level: Notice, Tag: "hb_standby(default)[1665]", Text: "Going standby [foreign].", Kind: Script}, true},
		{"harc(default)[25]:\t2026/11/23_18:11:01 info: Running /etc/ha.d//rc.d/status status",
			Entry{Time: at(2026, 11, 23, 18, 11, 1), Entity: "harc", PID: 25, Level: Info, Tag: "harc(default)[25]", Text: "info: Running /etc/ha.d//rc.d/status status", Kind: Script}, true},
		{"2026/11/22_23:19:03  ResourceManager(default)[1227]:    CRIT: Giving up resources due to failure of tsvc::b",
			Entry{Time: at(2026, 11, 22, 23, 19, 3), Entity: "ResourceManager", PID: 1227, Level: Crit, Tag: "ResourceManager(default)[1227]", Text: "CRIT: Giving up resources due to failure of tsvc::b", Kind: Script}, true},
		{"2026-11-22T23:14:48.123456+00:00 node1 heartbeat: [99]: info: Configuration validated. Starting heartbeat 3.0.6",
			Entry{Time: time.Date(2026, 11, 22, 23, 14, 48, 123456000, time.FixedZone("", 0)), Host: "node1", Entity: "heartbeat", PID: 99, Level: Info, Text: "Configuration validated. Starting heartbeat 3.0.6", Kind: Daemon}, true},
		{"Nov 23 19:18:43 node1 ResourceManager(default)[199]: info: Running /etc/ha.d//resource.d/IPaddr 10.0.0.5 start",
			Entry{Time: at(2026, 11, 23, 19, 18, 43), Host: "node1", Entity: "ResourceManager", PID: 199, Level: Info, Tag: "ResourceManager(default)[199]", Text: "info: Running /etc/ha.d//resource.d/IPaddr 10.0.0.5 start", Kind: Script}, true},
		{"Nov 23 19:18:43 node1 cron[5]: x", Entry{}, false},
		{"Nov 00 19:18:43 node1 heartbeat: [5]: info: x", Entry{}, false},
		{"INFO:  Success", Entry{}, false},
		{"SIOCDELRT: No such process", Entry{}, false},
		{"", Entry{}, false},
		{"Foo 23 00:24:28 node1 heartbeat: [17]: info: x", Entry{}, false},
		{"Nov 23 25:24:28 node1 heartbeat: [17]: info: x", Entry{}, false},
		{"heartbeat[x]: 2026/11/22_23:16:19 info: y", Entry{}, false},
		{"2026/13/23_00:24:03  ResourceManager(default)[157]:    info: y", Entry{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseLineIn(tt.line, 2026, time.UTC)
		if ok != tt.ok {
			t.Errorf("ParseLine(%q) ok = %v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseLine(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

// TestParseRoundTrip checks that what the formatters write parses back to the same fields.
func TestParseRoundTrip(t *testing.T) {
	tm := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, fmtTrue := range []bool{true, false} {
		line := DaemonLine(fmtTrue, tm, "node1", "heartbeat", 42, Alert, "a: b: c")
		e, ok := ParseLineIn(line, 2026, time.UTC)
		if !ok || e.PID != 42 || e.Level != Alert || e.Text != "a: b: c" || !e.Time.Equal(tm) || e.Kind != Daemon {
			t.Errorf("round trip of %q: %+v %v", line, e, ok)
		}
	}
	for _, line := range []string{ScriptLogLine(tm, "x(y)[3]", "WARN: z"), ScriptDebugLine(tm, "x(y)[3]", "WARN: z")} {
		e, ok := ParseLineIn(line, 0, time.UTC)
		if !ok || e.PID != 3 || e.Entity != "x" || e.Level != Warn || e.Text != "WARN: z" || !e.Time.Equal(tm) || e.Kind != Script {
			t.Errorf("round trip of %q: %+v %v", line, e, ok)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"Nov 23 00:24:28 node1 heartbeat: [17]: WARN: 1 lost packet(s) for [node2] [59:61]",
		"heartbeat[18858]: 2026/11/22_23:16:19 info: Link node2:eth1 up.",
		"2026/11/23_00:24:03  ResourceManager(default)[157]:    info: Running x  start",
		"harc(default)[25]:\t2026/11/23_18:11:01 info: Running /etc/ha.d//rc.d/status status",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := ParseLineIn(line, 2026, time.UTC)
		if !ok {
			return
		}
		if e.Kind != Daemon && e.Kind != Script {
			t.Fatalf("bad kind %v", e.Kind)
		}
		if e.PID < 0 {
			t.Fatalf("negative pid %d", e.PID)
		}
		if e.Kind == Script && e.Tag == "" {
			t.Fatal("script entry without tag")
		}
	})
}
