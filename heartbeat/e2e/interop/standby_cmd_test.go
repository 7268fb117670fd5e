package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// TestHbgoStandbyCommandOnStockNode runs hbgo's hb_standby (the binary
// called by that name) on a node whose daemon is stock heartbeat: with no
// hbgo control socket it writes stock's FIFO as stock's script does, and
// the group moves. With the stock daemon stopped (its FIFO left behind,
// nobody reading it) it says "heartbeat is not running" and fails at once,
// where stock's script blocks forever (issue 17).
func TestHbgoStandbyCommandOnStockNode(t *testing.T) {
	needStock(t)
	bin := twonode.BuildHbgo(t)
	dir := t.TempDir()
	standby := filepath.Join(dir, "hb_standby")
	if err := os.Symlink(bin, standby); err != nil {
		t.Fatal(err)
	}
	c := twonode.New(t, twonode.Options{Prefix: "hbsby", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Hbgo(bin)},
		HaCf: fastUcast, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	if !twonode.WaitFor(c.Dead(40), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	if out, err := c.Node[0].Try(standby); err != nil {
		t.Fatalf("hbgo's hb_standby against stock: %v\n%s", err, out)
	}
	if !twonode.WaitFor(c.Dead(30), func() bool { return c.HasVIP(1) && !c.HasVIP(0) }) {
		t.Fatalf("hbgo's hb_standby on the stock node did not move the VIP to node2\n%s", lastLines(c.Log(0), 30))
	}
	if err := c.Stop(0, c.Dead(60)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Node[0].Path("/var/lib/heartbeat/fifo")); err != nil {
		t.Fatalf("stock left no FIFO behind (%v): the case this test is about", err)
	}
	start := time.Now()
	out, err := c.Node[0].Try(standby)
	took := time.Since(start)
	if err == nil || !strings.Contains(out, "heartbeat is not running") {
		t.Errorf("with no daemon: err %v, output %q; want a failure saying heartbeat is not running", err, out)
	}
	if took > 2*time.Second {
		t.Errorf("with no daemon it took %v, want under 2 s", took)
	}
	t.Logf("no daemon: %q after %v", strings.TrimSpace(out), took.Round(time.Millisecond))
}
