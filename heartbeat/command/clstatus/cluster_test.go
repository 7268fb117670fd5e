package clstatus

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// deadtime 2: a steadier window for the side-by-side checks.
var sideHaCf = strings.Replace(twonode.FastHaCf("ucast @HBIF@ @PEER_HBIP@"), "deadtime 1\n", "deadtime 2\n", 1)

// TestSideBySideWithStock runs the same cl_status checks on a stock node and
// on an hbgo node of one cluster (issue 7): what each says about the cluster
// must be the same, byte for byte.
func TestSideBySideWithStock(t *testing.T) {
	if _, err := os.Stat(twonode.StockBin); err != nil {
		t.Skip("stock heartbeat 3.0.6 is not installed (make test installs it as root)")
	}
	bin := twonode.BuildHbgo(t)
	// hbgo's cl_status is the same binary called cl_status.
	dir := filepath.Join(filepath.Dir(bin), "names")
	os.MkdirAll(dir, 0o755)
	hbgoCl := filepath.Join(dir, "cl_status")
	os.Remove(hbgoCl)
	if err := os.Symlink(bin, hbgoCl); err != nil {
		t.Fatal(err)
	}
	c := twonode.New(t, twonode.Options{Prefix: "hbgocs", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Hbgo(bin)},
		HaCf: sideHaCf, Authkeys: "auth 1\n1 sha1 testkey-sha1\n", Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+peer+`: status active`), 0, c.Dead(15)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(15), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	run := func(i int, args ...string) string {
		prog := "cl_status"
		if i == 1 {
			prog = hbgoCl
		}
		out, err := c.Node[i].Command(prog, args...).CombinedOutput()
		rc := 0
		if err != nil {
			rc = 1
			if ee, ok := err.(interface{ ExitCode() int }); ok {
				rc = ee.ExitCode()
			}
		}
		return strings.TrimSpace(string(out)) + "\nrc=" + string(rune('0'+rc))
	}
	// Commands whose answer is the same from either node.
	for _, args := range [][]string{
		{"hbstatus"}, {"listnodes"}, {"listnodes", "-n"}, {"nodestatus", "node1"}, {"nodestatus", "node2"},
		{"nodetype", "node1"}, {"nodeweight", "node2"}, {"hbparameter", "-p", "deadtime"},
		{"hbparameter", "-p", "keepalive"}, {"hbparameter", "-p", "warntime"}, {"hbparameter", "-p", "initdead"},
		{"hbparameter", "-p", "udpport"}, {"hbparameter", "-m", "-p", "auto_failback"}, {"nodestatus", "nodeX"},
	} {
		if s, h := run(0, args...), run(1, args...); s != h {
			t.Errorf("cl_status %s: stock says %q, hbgo says %q", strings.Join(args, " "), s, h)
		}
	}
	// Commands about the peer: each node asked about the other.
	for _, pair := range [][2][]string{
		{{"listhblinks", "-v", "node2"}, {"listhblinks", "-v", "node1"}},
		{{"hblinkstatus", "node2", "eth1"}, {"hblinkstatus", "node1", "eth1"}},
		{{"hblinkstatus", "-m", "node2", "eth1"}, {"hblinkstatus", "-m", "node1", "eth1"}},
	} {
		s, h := run(0, pair[0]...), run(1, pair[1]...)
		s = strings.ReplaceAll(s, "node2", "PEER")
		h = strings.ReplaceAll(h, "node1", "PEER")
		if s != h {
			t.Errorf("cl_status %s: stock says %q, hbgo (about its peer) says %q", strings.Join(pair[0], " "), s, h)
		}
	}
	// rscstatus: both say local — node1 holds its group, and node2, with no
	// group of its own, says local too, as stock's node2 does (checked in
	// internal/harness/twonode TestStockPair: i_hold |= local before acquiring).
	if s, h := run(0, "rscstatus"), run(1, "rscstatus"); s != "local\nrc=0" || h != "local\nrc=0" {
		t.Errorf("rscstatus: stock %q, hbgo %q, want local for both", s, h)
	}
}
