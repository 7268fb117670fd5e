package daemon

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/config/hacf"
)

// TestPingStartedLines: one start line per ping medium, ping_group in
// stock's own words (`glib: ping group heartbeat started.`), not one fixed
// `ping heartbeat started.` line for all of them (issue 17).
func TestPingStartedLines(t *testing.T) {
	cf, _ := hacf.Parse(strings.NewReader("node n1 n2\nbcast eth0\n"+
		"ping 10.77.0.50 10.77.0.51\nping_group routers 10.77.0.1 10.77.0.2\nping6 fe80::1\n"), "ha.cf")
	var got []string
	for _, m := range pingStarted(cf.PingNodes()) {
		got = append(got, m.Text)
	}
	want := []string{"glib: ping heartbeat started.", "glib: ping heartbeat started.", "glib: ping group heartbeat started."}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ping start lines (-want +got):\n%s", d)
	}
}
