package interop

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// twoMediaCf has ucast on the heartbeat link and bcast on the LAN.
var twoMediaCf = twonode.FastHaCf("ucast @HBIF@ @PEER_HBIP@", "bcast @LANIF@")

// TestMixedLinkCut runs stock (node1) and hbgo (node2) over two media. Cutting
// the heartbeat link alone is a link failure (both log the link dead, then up;
// nobody dies); cutting every link is a partition: both take over, and on
// heal both give everything up and cold start with a new generation
// (PROTOCOL §11.10 chart I), ending with the VIP back on node1.
func TestMixedLinkCut(t *testing.T) {
	needStock(t)
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgomc", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Hbgo(bin)},
		HaCf: twoMediaCf, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+peer+`: status active`), 0, c.Dead(30)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(20), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s\n---\n%s", c.Log(0), c.Log(1))
	}

	// The heartbeat link alone.
	off := [2]int{len(c.Log(0)), len(c.Log(1))}
	c.Cut(1, "hb")
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Link `+peer+`:eth1 dead\.`), off[i], c.Dead(10)); err != nil {
			t.Fatal(err)
		}
	}
	c.Heal(1, "hb")
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Link `+peer+`:eth1 up\.`), off[i], c.Dead(10)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		if l := c.Log(i)[off[i]:]; strings.Contains(l, "is dead") {
			t.Errorf("node%d declared its peer dead over a link cut:\n%s", i+1, lastLines(l, 30))
		}
	}

	// Every link: a partition.
	off = [2]int{len(c.Log(0)), len(c.Log(1))}
	c.Cut(1, "all")
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`node `+peer+`: is dead`), off[i], c.Dead(10)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(15), func() bool { return c.HasVIP(1) }) {
		t.Fatalf("hbgo never took the VIP over in the partition\n%s", lastLines(c.Log(1)[off[1]:], 30))
	}
	time.Sleep(time.Second)
	c.Heal(1, "all")
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Cluster node `+peer+` returning after partition`), off[i], c.Dead(15)); err != nil {
			t.Fatal(err)
		}
	}
	// Both restart with a new generation and cold start together (chart A).
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Heartbeat generation: `), off[i], c.Dead(30)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+peer+`: status active`), off[i], c.Dead(40)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(30), func() bool { return c.HasVIP(0) && !c.HasVIP(1) }) {
		t.Fatalf("after the heal the VIP is not on node1 alone (node1 %v, node2 %v)\n%s\n---\n%s",
			c.HasVIP(0), c.HasVIP(1), lastLines(c.Log(0)[off[0]:], 40), lastLines(c.Log(1)[off[1]:], 40))
	}
}
