package interop

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

func needStock(t *testing.T) {
	if _, err := os.Stat(twonode.StockBin); err != nil {
		t.Skip("stock heartbeat 3.0.6 is not installed (make test installs it as root)")
	}
}

// TestMixedPairUcast runs stock heartbeat 3.0.6 on node1 and hbgo on node2.
func TestMixedPairUcast(t *testing.T) {
	needStock(t)
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgoim", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Hbgo(bin)},
		HaCf: fastUcast, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+peer+`: status active`), 0, c.Dead(20)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(20), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s\n---\n%s", c.Log(0), c.Log(1))
	}
	out, _ := c.Node[0].Try("cl_status", "nodestatus", "node2")
	if strings.TrimSpace(out) != "active" {
		t.Errorf("stock says node2 is %q", out)
	}
	time.Sleep(3 * time.Second)
	for i := 0; i < 2; i++ {
		log := c.Log(i)
		for _, bad := range []string{"replay", "authentication", "Rexmit", "lost a lot", "is dead", "Cannot rexmit", "bad node"} {
			if strings.Contains(log, bad) {
				t.Errorf("node%d log mentions %q:\n%s", i+1, bad, log)
			}
		}
	}
	off := len(c.Log(1))
	c.Kill(0)
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`node node1: is dead`), off, c.Dead(5)); err != nil {
		t.Fatal(err)
	}
	if !twonode.WaitFor(c.Dead(10), func() bool { return c.HasVIP(1) }) {
		t.Fatalf("VIP never on node2\n%s", c.Log(1))
	}
}
