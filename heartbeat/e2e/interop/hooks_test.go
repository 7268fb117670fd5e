package interop

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"hbgo/internal/harness/twonode"
)

// TestAdminRCHooks: hbgo runs the rc.d scripts an admin added or changed,
// with the message's fields in the environment, and still not the packaged
// ones for the types it handles itself (COMPAT §5.9, issue 6).
func TestAdminRCHooks(t *testing.T) {
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgohk", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: fastUcast, Authkeys: keys, Haresources: "", HbgoCf: "fast_start on\n"})
	record := "#!/bin/sh\necho \"$1 src=$HA_src st=$HA_st foo=$HA_foo ostatus=$HA_OSTATUS\" >>/var/log/rcd.calls\n"
	// node2: the admin's own rc.d/status (changed) and a new type.
	c.Node[1].WriteFile("/etc/ha.d/rc.d/status", []byte(record), 0o755)
	c.Node[1].WriteFile("/etc/ha.d/rc.d/hbgo-test", []byte(record), 0o755)
	c.Start(0)
	c.Start(1)
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`Status update for node node1: status active`), 0, c.Dead(20)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`rc.d scripts the admin added or changed run on their events: hbgo-test status`), 0, c.Dead(1)); err != nil {
		t.Error(err)
	}
	calls := func() string { b, _ := os.ReadFile(c.Node[1].Path("/var/log/rcd.calls")); return string(b) }
	if !twonode.WaitFor(c.Dead(5), func() bool { return strings.Contains(calls(), "status src=node1 st=active") }) {
		t.Errorf("rc.d/status was not run for node1 going active; calls:\n%s", calls())
	}
	// A custom message from node1's FIFO, as ha_clustermsg sends it.
	c.Node[0].Run("sh", "-c", "printf '>>>\\nt=hbgo-test\\nfoo=bar\\n<<<\\n' >/var/lib/heartbeat/fifo")
	if !twonode.WaitFor(c.Dead(5), func() bool { return strings.Contains(calls(), "hbgo-test src=node1 st= foo=bar") }) {
		t.Errorf("rc.d/hbgo-test did not run with the message's fields; calls:\n%s", calls())
	}
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`harc\(default\)\[\d+\]:    info: Running /etc/ha.d//rc.d/hbgo-test hbgo-test`), 0, c.Dead(1)); err != nil {
		t.Error(err)
	}
	// node1 kept the packaged rc.d scripts: hbgo runs none of them.
	if strings.Contains(c.Log(0), "rc.d scripts the admin added or changed") {
		t.Errorf("node1 treats packaged rc.d scripts as the admin's:\n%s", c.Log(0))
	}
}
