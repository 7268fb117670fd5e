package check

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWatchSummary: `heartbeat check` says per resource what watches it
// after start and what a failure does, and warns about a monitor line that
// names nothing (issue 15, point 4).
func TestWatchSummary(t *testing.T) {
	dir := copyExample(t, "drbd-mysql")
	o := testOptions(t, hostA)
	writeFile(t, filepath.Join(dir, "hbgo.cf"), `monitor drbddisk interval=5s
monitor Filesystem::/dev/drbd0::/data::ext4 on-fail=standby
monitor mysql interval=2s timeout=5s
monitor apache
failover_threshold 2
failure_window 5m
`, 0o644)
	writeFile(t, filepath.Join(o.InitDir, "mysql"), "#!/bin/sh\n", 0o755)
	code, stdout, stderr := run([]string{"-dir", dir, "-node", "node1"}, o)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"1. drbddisk::r0: native: no script for drbddisk (no executable DIR/resource.d/drbddisk or INIT/drbddisk)\n       watch: drbdadm role every 5000 ms (timeout 20000 ms): leaving Primary → on-fail restart: this resource and those after it restart; after 2 failures in 5m0s the group goes to the peer when it is active\n",
		"       watch: mount table events (/proc/self/mountinfo): an unmount → on-fail standby: the group goes to the peer when it is active\n",
		"3. IPaddr::192.0.2.10/24/eth0: native: no script for IPaddr (no executable DIR/resource.d/IPaddr or INIT/IPaddr)\n       watch: netlink events (a removed VIP is put back and announced), ARP (another MAC claiming it: bounded re-announce); never moves the group (no monitor line)\n",
		"       watch: status every 2000 ms (timeout 5000 ms, the process group killed then): not running → on-fail restart",
		"  vip_watch on\n  failover_threshold 2\n  failure_window 5m0s\n  monitor drbddisk interval=5s timeout=20s on-fail=restart\n",
	} {
		if got := strings.ReplaceAll(strings.ReplaceAll(stdout, dir, "DIR"), o.InitDir, "INIT"); !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if want := "hbgo.cf:4: warning: monitor apache names no haresources resource or agent; it watches nothing; write a resource as haresources spells it (e.g. IPaddr::10.0.0.5/24/eth0) or an agent name (e.g. mysql)"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}

	writeFile(t, filepath.Join(dir, "hbgo.cf"), "vip_watch off\n", 0o644)
	_, stdout, _ = run([]string{"-dir", dir, "-node", "node1"}, o)
	if !strings.Contains(stdout, "watch: not watched (vip_watch off, no monitor line)") {
		t.Errorf("vip_watch off:\n%s", stdout)
	}
	if !strings.Contains(stdout, "1. drbddisk::r0: native: no script for drbddisk (no executable "+dir+"/resource.d/drbddisk or "+o.InitDir+"/drbddisk)\n       watch: not watched after start (no monitor line)\n") {
		t.Errorf("vip_watch off, drbddisk without a monitor line:\n%s", stdout)
	}

	// Every other answer to "what does a failure do": a VIP with a monitor
	// line (watched by events, or polled with vip_watch off) and on-fail
	// ignore.
	for _, c := range []struct{ cf, want string }{
		{"monitor IPaddr::192.0.2.10/24/eth0\nmonitor mysql on-fail=ignore\n",
			"       watch: netlink events (a removed VIP is put back and announced), ARP (another MAC claiming it: bounded re-announce); a failed restore → on-fail restart: this resource and those after it restart; after 3 failures in 10m0s the group goes to the peer when it is active\n"},
		{"vip_watch off\nmonitor IPaddr interval=3s on-fail=standby\n",
			"       watch: status every 3000 ms (timeout 20000 ms, vip_watch off) → on-fail standby: the group goes to the peer when it is active\n"},
		{"monitor mysql on-fail=ignore\n",
			"       watch: status every 10000 ms (timeout 20000 ms, the process group killed then): not running → on-fail ignore: logged only\n"},
	} {
		writeFile(t, filepath.Join(dir, "hbgo.cf"), c.cf, 0o644)
		code, stdout, stderr := run([]string{"-dir", dir, "-node", "node1"}, o)
		if code != 0 || !strings.Contains(stdout, c.want) {
			t.Errorf("hbgo.cf %q: exit %d, summary lacks %q:\n%s%s", c.cf, code, c.want, stdout, stderr)
		}
	}
}
