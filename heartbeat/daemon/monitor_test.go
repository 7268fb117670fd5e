package daemon

import (
	"strings"
	"testing"

	"hbgo/haresources"
	"hbgo/haresources/monitor"
	"hbgo/heartbeat/config/hacf"
)

// TestMonitorPlan: which watchers the daemon starts. With vip_watch off and
// no monitor line none runs, so ha-log and the wire stay as before issue 15.
func TestMonitorPlan(t *testing.T) {
	gs, ps := haresources.Parse(strings.NewReader("node1 10.0.0.5/24 Filesystem::/dev/sdb1::/data::ext4 mysql\n"), "haresources")
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	w := hacf.DefaultWatch()
	cfg, groups, vips, mounts := monitorPlan(gs, w)
	if !vips || mounts || len(groups) != 1 {
		t.Errorf("defaults: vips %v mounts %v groups %d", vips, mounts, len(groups))
	}
	for _, r := range cfg.Groups[0].Resources {
		if r.OnFail != monitor.Repair {
			t.Errorf("%s: on-fail %q without a monitor line", r.Name, r.OnFail)
		}
	}
	w.VIPWatch = false
	if _, _, vips, mounts := monitorPlan(gs, w); vips || mounts || len(w.Monitors) != 0 {
		t.Errorf("vip_watch off: vips %v mounts %v: something would run", vips, mounts)
	}
	w.Monitors = []hacf.Monitor{{Target: "Filesystem", OnFail: "standby"}, {Target: "mysql", OnFail: "restart"}}
	cfg, _, vips, mounts = monitorPlan(gs, w)
	if vips || !mounts {
		t.Errorf("monitor lines: vips %v mounts %v", vips, mounts)
	}
	got := []monitor.OnFail{}
	for _, r := range cfg.Groups[0].Resources {
		got = append(got, r.OnFail)
	}
	if want := []monitor.OnFail{monitor.Repair, monitor.Standby, monitor.Restart}; !equal(got, want) {
		t.Errorf("on-fail %v, want %v", got, want)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
