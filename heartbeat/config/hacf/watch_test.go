package hacf

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseWatch(t *testing.T) {
	in := `monitor IPaddr::10.0.0.5/24/eth0 interval=2s timeout=500ms on-fail=standby
monitor mysql
monitor Filesystem interval=5 On-Fail=IGNORE
failover_threshold 2
failure_window 5m
vip_watch off
`
	c, ps := ParseHbgo(strings.NewReader(in), "hbgo.cf")
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	want := Watch{
		Monitors: []Monitor{
			{Target: "IPaddr::10.0.0.5/24/eth0", Interval: 2 * time.Second, Timeout: 500 * time.Millisecond, OnFail: "standby", Line: 1},
			{Target: "mysql", Interval: 10 * time.Second, Timeout: 20 * time.Second, OnFail: "restart", Line: 2},
			{Target: "Filesystem", Interval: 5 * time.Second, Timeout: 20 * time.Second, OnFail: "ignore", Line: 3},
		},
		FailoverThreshold: 2, FailureWindow: 5 * time.Minute, VIPWatch: false,
	}
	if d := cmp.Diff(want, c.Watch); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := DefaultHbgo().Watch; d.FailoverThreshold != 3 || d.FailureWindow != 10*time.Minute || !d.VIPWatch || len(d.Monitors) != 0 {
		t.Errorf("defaults: %+v", d)
	}
	for _, tt := range []struct{ token, agent, want string }{
		{"IPaddr::10.0.0.5/24/eth0", "IPaddr", "IPaddr::10.0.0.5/24/eth0"},
		{"Filesystem::/dev/sdb1::/data::ext4", "Filesystem", "Filesystem"},
		{"mysql", "mysql", "mysql"},
		{"apache", "apache", ""},
	} {
		m, ok := c.Watch.MonitorFor(tt.token, tt.agent)
		if m.Target != tt.want || ok != (tt.want != "") {
			t.Errorf("MonitorFor(%s, %s) = %q %v, want %q", tt.token, tt.agent, m.Target, ok, tt.want)
		}
	}
}

func TestParseWatchErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"monitor", "hbgo.cf:1: error: monitor needs a resource; write monitor <resource or agent> [interval=10s] [timeout=20s] [on-fail=restart|standby|ignore]"},
		{"monitor interval=5s", "hbgo.cf:1: error: monitor interval=5s: the first word must name a resource, not an option; write the resource first, as in haresources: monitor IPaddr::10.0.0.5/24/eth0 interval=5s"},
		{"monitor mysql 5s", "hbgo.cf:1: error: monitor mysql: 5s is not key=value; write options as key=value: interval=10s timeout=20s on-fail=restart"},
		{"monitor mysql interval=soon", "hbgo.cf:1: error: monitor mysql: interval soon is not a time above 0; write interval=10s (or 10, in seconds, or 500ms)"},
		{"monitor mysql timeout=0", "hbgo.cf:1: error: monitor mysql: timeout 0 is not a time above 0; write timeout=10s (or 10, in seconds, or 500ms)"},
		{"monitor mysql on-fail=fence", "hbgo.cf:1: error: monitor mysql: on-fail fence is not restart, standby or ignore; write on-fail=restart, on-fail=standby or on-fail=ignore"},
		{"monitor mysql depth=10", "hbgo.cf:1: error: monitor mysql: unknown option depth; monitor takes interval=, timeout= and on-fail="},
		{"failover_threshold 0", "hbgo.cf:1: error: failover_threshold 0 is not a number from 1 to 1000; write failover_threshold with a whole number from 1 to 1000 (default 3)"},
		{"failover_threshold", "hbgo.cf:1: error: failover_threshold takes exactly one value, got 0; write failover_threshold <n>, e.g. failover_threshold 3"},
		{"failure_window forever", "hbgo.cf:1: error: failure_window forever is not a time above 0; write failure_window 600 (seconds) or 10m"},
		{"vip_watch maybe", "hbgo.cf:1: error: vip_watch maybe is not a boolean; write vip_watch on or vip_watch off"},
	} {
		_, ps := ParseHbgo(strings.NewReader(tt.in+"\n"), "hbgo.cf")
		if got := firstError(ps); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
	_, ps := ParseHbgo(strings.NewReader("monitor mysql\nmonitor apache\nmonitor mysql interval=5\n"), "hbgo.cf")
	if len(ps) != 1 || ps[0].Error() != "hbgo.cf:3: warning: monitor mysql is given twice; the last one wins; delete one of the two lines (1 and 3)" {
		t.Errorf("repeat: %v", ps)
	}
}
