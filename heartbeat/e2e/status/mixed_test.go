package status

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	hbstatus "hbgo/heartbeat/status"
	"hbgo/internal/harness/twonode"
)

// TestMixedConfigHashField: stock heartbeat 3.0.6 on node1 takes hbgo's
// status messages with the extra configuration-hash and version fields
// (hbstatus.ConfigField, hbstatus.VersionField) as any other: it marks node2 active, logs nothing about the field or a
// bad message, and keeps node2 alive; its handler reads only the fields it
// names (heartbeat.c's status handler looks fields up by name), and the
// signature covers the field like any other. hbgo shows the stock peer's
// configuration as unknown, never as a mismatch, and stays healthy.
// mixedHaCf keeps the fast keepalive (many status messages) but a
// deadtime a loaded machine cannot miss: the question here is whether stock
// takes the field, not how fast it detects a death.
var mixedHaCf = strings.NewReplacer("deadtime 1\n", "deadtime 5\n", "warntime 500ms\n", "warntime 2\n", "initdead 5\n", "initdead 10\n").Replace(haCf)

func TestMixedConfigHashField(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat(twonode.StockBin); err != nil {
		t.Skip("stock heartbeat 3.0.6 is not installed")
	}
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgosm", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Hbgo(bin)},
		HaCf: mixedHaCf, Haresources: haresources, Authkeys: twonode.Authkeys, HbgoCf: "metrics_textfile " + textfile + "\n"})
	t.Cleanup(func() {
		if t.Failed() {
			for i := range 2 {
				t.Logf("node%d log:\n%s", i+1, c.Log(i))
			}
		}
	})
	c.Start(0)
	c.Start(1)
	_, joined, err := c.WaitLog(0, regexp.MustCompile(`Status update for node node2: status active`), 0, c.Dead(50))
	if err != nil {
		t.Fatalf("stock never took node2's status: %v", err)
	}
	if !twonode.WaitFor(c.Dead(50), func() bool { return c.HasVIP(0) }) {
		t.Fatal("VIP never on node1 (stock)")
	}
	// Stock keeps hearing node2 for a while: no death, no complaint.
	time.Sleep(20 * keepalive)
	stock := c.Log(0)
	// From node2's first active status on, stock logs no warning or error
	// (but late heartbeats, which a loaded machine causes by itself).
	for _, l := range regexp.MustCompile(`(?m)^.*(WARN|ERROR|CRIT):.*$`).FindAllString(stock[joined:], -1) {
		if !strings.Contains(l, "Late heartbeat: Node node2: interval") {
			t.Errorf("stock's warning or error after node2 joined: %q", l)
		}
	}
	for _, bad := range []string{"node node2: is dead", "hbgocf", "hbgov", "NV failure", "Invalid authentication", "authentication failed", "bad message"} {
		if strings.Contains(stock, bad) {
			t.Errorf("stock's log has %q", bad)
		}
	}
	out, code := statusOf(t, c, bin, 1)
	t.Logf("node2 (hbgo) `heartbeat status` beside stock:\n%s", out)
	if code != hbstatus.ExitHealthy || !regexp.MustCompile(`node1 +active +gen \d+ +heartbeat \(stock\), \d+ late heartbeats`).MatchString(out) ||
		!strings.Contains(out, "Peer configuration: unknown") || !strings.Contains(out, "held by node1") {
		t.Errorf("status beside a stock peer: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(c.Node[1].Path(textfile))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "textfile", parse(t, "textfile", b), []want{
		{"hbgo_peer_config_match", map[string]string{}, -1},
		{"hbgo_node_up", map[string]string{"node": "node1"}, 1},
		{"hbgo_link_up", map[string]string{"node": "node1", "link": "eth1"}, 1},
	})
}
