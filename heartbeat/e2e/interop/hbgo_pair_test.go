package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
)

func TestMain(m *testing.M) { testnet.Main(m) }

var fastUcast = twonode.FastHaCf("ucast @HBIF@ @PEER_HBIP@")

const keys = twonode.Authkeys

// TestHbgoPairFailover runs two hbgo nodes that also ping the LAN client
// (a ping node) with their loop on a SCHED_RR thread (the media readers
// are plain goroutines: bench/results/idle-2026-11-23.md).
func TestHbgoPairFailover(t *testing.T) {
	bin := twonode.BuildHbgo(t)
	cls := clStatus(t, bin)
	c := twonode.New(t, twonode.Options{Prefix: "hbgoip", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: fastUcast + "ping " + twonode.Client + "\n", Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n",
		// Both nodes run hbgo: the start-up wait may end as soon as the
		// peer's resource state is known (hbgo.cf fast_start).
		HbgoCf: "fast_start on\n"})
	started := time.Now()
	c.Start(0)
	c.Start(1)
	for i := 0; i < 2; i++ {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node node`+string(rune('2'-i))+`: status active`), 0, c.Dead(20)); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(c.Dead(20), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	t.Logf("fast_start: VIP on node1 %v after both started", time.Since(started).Round(time.Millisecond))
	// The RQSTDELAY timer's expiry logs "local resource transition
	// completed." alone; with fast_start the planner says first why it did
	// not wait (or the peer became stable first and the line never comes).
	if l := c.Log(0); strings.Contains(l, "local resource transition completed.") &&
		!strings.Contains(l, "hbgo: fast_start: node2's resource state is known; not waiting RQSTDELAY") {
		t.Errorf("fast_start on both nodes, yet node1 waited out RQSTDELAY:\n%s", l)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+regexp.QuoteMeta(twonode.Client)+`: status ping`), 0, c.Dead(10)); err != nil {
			t.Error(err)
		}
		if out, _ := c.Node[i].Try(cls, "nodestatus", twonode.Client); strings.TrimSpace(out) != "ping" {
			t.Errorf("node%d: cl_status nodestatus %s = %q, want ping", i+1, twonode.Client, out)
		}
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`realtime: SCHED_RR priority 50 for the main loop;`), 0, c.Dead(1)); err != nil {
			t.Error(err)
		}
		if n := rrThreads(c.Node[i].Pids(bin)); n != 1 {
			t.Errorf("node%d: %d SCHED_RR threads, want one: the loop's", i+1, n)
		}
	}
	// An edit of ha.cf is validated at once and announced, never applied:
	// a broken line is reported as file:line, the fix as heartbeat -r's job.
	hacf := c.Node[1].Path("/etc/ha.d/ha.cf")
	orig, err := os.ReadFile(hacf)
	if err != nil {
		t.Fatal(err)
	}
	off0 := len(c.Log(1))
	if err := os.WriteFile(hacf, append(append([]byte(nil), orig...), "keepalive banana\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, off0, err = c.WaitLog(1, regexp.MustCompile(`ha\.cf:\d+: error: .*keepalive`), off0, c.Dead(10)); err != nil {
		t.Error(err)
	}
	if err := os.WriteFile(hacf, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err = c.WaitLog(1, regexp.MustCompile(`changed and is valid; run heartbeat -r to apply it`), off0, c.Dead(10)); err != nil {
		t.Error(err)
	}
	// Stock's own hb_standby script (ha_clustermsg into the FIFO) moves
	// the group over to node2.
	if out, err := c.Node[0].Try("/usr/share/heartbeat/hb_standby"); err != nil {
		t.Fatalf("stock hb_standby: %v\n%s", err, out)
	}
	if !twonode.WaitFor(c.Dead(20), func() bool { return c.HasVIP(1) && !c.HasVIP(0) }) {
		t.Fatalf("stock hb_standby on node1 did not move the VIP to node2\n%s", lastLines(c.Log(0), 30))
	}
	off := len(c.Log(1))
	c.Kill(0)
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`node node1: is dead`), off, c.Dead(5)); err != nil {
		t.Fatal(err)
	}
	if !twonode.WaitFor(c.Dead(5), func() bool { return c.HasVIP(1) }) {
		t.Fatalf("VIP never on node2\n%s", c.Log(1))
	}
}

// rrThreads counts the SCHED_RR threads of the processes pids (policy is
// field 41 of /proc/<pid>/task/<tid>/stat; SCHED_RR = 2).
func rrThreads(pids []int) int {
	n := 0
	for _, p := range pids {
		stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", p))
		for _, st := range stats {
			b, err := os.ReadFile(st)
			if err != nil {
				continue
			}
			s := string(b)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
			if len(f) > 38 && f[38] == "2" {
				n++
			}
		}
	}
	return n
}
