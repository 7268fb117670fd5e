package failover

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// lateHaCf is an hbgo+hbgo pair whose deadtimes differ (@DEADTIME@ per
// node), as during a rolling ha.cf change.
var lateHaCf = twonode.HaCf{Deadtime: "@DEADTIME@", Initdead: "12", Media: []string{"ucast @HBIF@ @PEER_HBIP@", "bcast @LANIF@"}, Failback: "@FAILBACK@"}.String()

// TestLateHeartbeatOneHolder delays node1's heartbeats past node2's
// deadtime but not past node1's own (which node2 uses for its timer): an
// nftables rule in node1 drops what it sends to the heartbeat port for a
// while, then lets it through again. Only node1's sends: node1 keeps
// hearing node2, so it sees no partition of its own.
// node2 sees one status late by more than its deadtime. 3.0.6 (PROTOCOL
// §10.6) and hbgo before declared node1 dead on it, took the VIP, and
// revived node1 at once with nothing to undo the takeover: both held the
// VIP. Now it is a healed partition (§6.4): exactly one node holds the VIP
// afterwards, in each auto_failback mode.
func TestLateHeartbeatOneHolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	bin := twonode.BuildHbgo(t)
	const fast, slow = 1, 6 // node2's and node1's deadtime, seconds
	for _, mode := range []string{"on", "off", "legacy"} {
		t.Run(mode, func(t *testing.T) {
			if testing.Short() && mode != "on" {
				t.Skip("-short: auto_failback on only")
			}
			c := twonode.New(t, twonode.Options{Prefix: "hbxlh", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
				HaCf: strings.ReplaceAll(lateHaCf, "@FAILBACK@", mode), Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n",
				Authkeys: authkeys})
			for i, dt := range []int{slow, fast} {
				p := c.Node[i].Path("/etc/ha.d/ha.cf")
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "@DEADTIME@", fmt.Sprint(dt))), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				if t.Failed() {
					for i := range c.Node {
						t.Logf("node%d ha-log tail:\n%s", i+1, tail(c.Log(i), 60))
					}
				}
			})
			initdead := 12 * time.Second
			onlyNode1 := func() bool { return c.HasVIP(0) && !c.HasVIP(1) }
			c.Start(0)
			c.Start(1)
			if !twonode.WaitFor(4*initdead, onlyNode1) {
				t.Fatalf("cold start: VIP on node1 %v, node2 %v", c.HasVIP(0), c.HasVIP(1))
			}
			// Let node2's start-up dt bump (PROTOCOL §10.3) pass.
			time.Sleep(2 * fast * time.Second)
			off, off0 := len(c.Log(1)), len(c.Log(0))

			// 3.5 s: past node2's 1 s deadtime, inside node1's 6 s.
			c.Lab.In("node1", "nft", "add table inet hbxlate { chain out { type filter hook output priority 0; udp dport 694 drop; }; }")
			time.Sleep(time.Duration(fast+slow) * time.Second / 2)
			c.Lab.In("node1", "nft", "delete table inet hbxlate")

			re := regexp.MustCompile(`Late heartbeat: Node node1: interval \d+ ms \(> deadtime\)`)
			if _, _, err := c.WaitLog(1, re, off, 4*slow*time.Second); err != nil {
				t.Fatalf("node2 never saw node1's late heartbeat (the cut did not do what the test needs): %v", err)
			}
			if _, _, err := c.WaitLog(1, regexp.MustCompile(`Cluster node node1 returning after partition`), off, 4*slow*time.Second); err != nil {
				t.Errorf("the late heartbeat was not resolved as a healed partition: %v", err)
			}
			if strings.Contains(c.Log(0)[off0:], "is dead") {
				t.Errorf("node1 declared node2 dead: the drop was not one-way")
			}
			// node2 gives everything up 2 s later, sleeps ceil(deadtime)+1 s,
			// starts again and joins: then exactly one holder, for a while.
			settle := 2 * time.Duration(slow) * time.Second
			deadline := 10 * initdead
			ok := twonode.WaitFor(deadline, func() bool {
				return onlyNode1() && strings.Contains(c.Log(1)[off:], "Comm_now_up")
			})
			if !ok {
				t.Fatalf("after the late heartbeat: VIP on node1 %v, node2 %v; node2 restarted: %v", c.HasVIP(0), c.HasVIP(1),
					strings.Contains(c.Log(1)[off:], "Comm_now_up"))
			}
			end := time.Now().Add(settle)
			for time.Now().Before(end) {
				if !onlyNode1() {
					t.Fatalf("one holder did not last: VIP on node1 %v, node2 %v", c.HasVIP(0), c.HasVIP(1))
				}
				time.Sleep(100 * time.Millisecond)
			}
			for i := range 2 {
				if err := c.Stop(i, 5*slow*time.Second); err != nil { // five of node1's deadtimes
					t.Error(err)
				}
			}
		})
	}
}
