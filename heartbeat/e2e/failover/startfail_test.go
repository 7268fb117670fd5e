package failover

import (
	"regexp"
	"testing"
	"time"
)

// TestMixedStartFailure runs hbgo on node1 (the group's primary) and stock
// on node2, with a service whose start fails on node1. hbgo stops what it
// started and hands the group over at once (departure a); with
// auto_failback on it never takes it back by itself (departure b), and when
// the peer gives the group up too it stays stopped with a CRIT line.
func TestMixedStartFailure(t *testing.T) {
	needStock(t)
	t.Parallel()
	p := newPair(t, "hbxsf", 1, "on")
	const n1, n2 = 0, 1
	fail := "/etc/ha.d/hbx-svc.fail"
	p.c.Node[n1].WriteFile(fail, nil, 0o644)
	ok := p.step("fails-on-hbgo-handed-over", func() {
		p.c.Start(n1)
		p.c.Start(n2)
		p.expect(n1, wait.Dead(30), `Giving up resources due to failure of hbx-svc`,
			`hbgo: resource group drbddisk::r0 failed to start`, `hbgo: handing our local resources to node2`,
			`node1 wants to go standby \[local\]`, `Other node completed standby takeover of local resources`)
		p.expect(n2, wait.Dead(30), `node1 wants to go standby \[local\]`, `standby: acquire \[local\] resources from node1`,
			`Standby resource acquisition done \[local\]`)
		// No ping-pong: the group stays on node2 (auto_failback on).
		p.holder(n2, wait.Dead(10), 4*time.Second)
		if n := countStarts(p.c.Log(n1)); n != 1 {
			p.t.Errorf("node1 ran hbx-svc start %d times, want 1", n)
		}
	})
	ok = ok && p.step("peer-gives-up-too", func() {
		p.c.Node[n2].WriteFile(fail, nil, 0o644)
		p.run(n2, "/usr/share/heartbeat/hb_standby", "all")
		p.expect(n1, wait.Dead(15), `node2 wants to go standby \[all\]`,
			`CRIT: hbgo: resource group drbddisk::r0 failed to start here and node2 gave it up`)
		p.holder(-1, wait.Dead(10), 3*time.Second)
		if n := countStarts(p.c.Log(n1)[p.off[n1]:]); n != 0 {
			p.t.Errorf("node1 ran hbx-svc start %d times after its failure, want 0", n)
		}
	})
	ok = ok && p.step("admin-takeover-after-repair", func() {
		p.run(n1, "rm", "-f", fail)
		p.run(n1, "/usr/share/heartbeat/hb_takeover", "all")
		p.holder(n1, wait.Dead(15), 2*time.Second)
	})
	_ = ok && p.step("fails-on-takeover-from-dead-peer", func() {
		p.run(n2, "rm", "-f", fail)
		p.run(n1, "/usr/share/heartbeat/hb_standby", "all")
		p.expect(n1, wait.Dead(15), `Other node completed standby takeover of all resources`)
		p.holder(n2, wait.Dead(15), time.Second)
		p.mark()
		p.c.Node[n1].WriteFile(fail, nil, 0o644)
		p.crash(n2)
		p.expect(n1, wait.Dead(15), `node node2: is dead`, `Resources being acquired from node2`,
			`Giving up resources due to failure of hbx-svc`,
			`CRIT: hbgo: no peer can take over the failed resource groups \(drbddisk::r0\): they stay stopped`)
		p.holder(-1, wait.Dead(10), 3*time.Second)
	})
}

// countStarts counts ResourceManager's start lines for the service.
func countStarts(log string) int {
	return len(startRe.FindAllString(log, -1))
}

var startRe = regexp.MustCompile(`(?m)Running /etc/ha.d/+resource.d/hbx-svc +start$`)
