package failover

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// sickScript is svcScript whose status says stopped while
// /etc/ha.d/hbx-svc.sick exists: the service starts, but its monitor check
// fails every interval, wherever it runs.
var sickScript = strings.Replace(svcScript, "status)\n", "status)\n\tif [ -e /etc/ha.d/hbx-svc.sick ]; then echo stopped; exit 0; fi\n", 1)

// Timings of TestMonitorFailingBothNodes, scaled down from the defaults
// (threshold 3, window 10 min): the run spans two failure windows.
const (
	bothThreshold = 2
	bothWindow    = 30 * time.Second
	bothRun       = 2 * bothWindow
)

// TestMonitorFailingBothNodes is issue 15's "failing on both nodes" with
// real parts (root, namespaces, two hbgo daemons): the service's check
// fails on both nodes. node1 hands the group over after the threshold and
// blocks it; node2 fails it too and tries to hand it back; node1 refuses
// (planner departure f), so node2 keeps it, restarting it with backoff and
// a CRIT line naming the group. Over two failure windows the group moves
// once. TestServiceFailingOnBothNodes (heartbeat/daemon) runs the same with
// the default backoff over 5 simulated minutes, without root.
func TestMonitorFailingBothNodes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if testing.Short() {
		t.Skip("runs two failure windows (about a minute)")
	}
	bin := twonode.BuildHbgo(t)
	p := newCluster(t, "hbxmb", [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)}, "on")
	p.c.Opts.HaCf = strings.NewReplacer("deadtime 1\n", "deadtime 4\n", "initdead 5\n", "initdead 10\n").Replace(p.c.Opts.HaCf)
	p.haCf0 = p.c.Opts.HaCf
	p.c.Opts.HbgoCf = "monitor " + svcName + " interval=1 timeout=5\nfailover_threshold 2\nfailure_window 30s\n"
	for i := range p.c.Node {
		p.c.Render(i)
		p.c.Node[i].WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(sickScript), 0o755)
	}
	const hb = 0
	p.c.Start(0)
	p.c.Start(1)
	p.expect(hb, wait.Dead(30), `Initial resource acquisition complete`)
	if !p.holder(hb, wait.Dead(30), time.Second) {
		return
	}
	p.mark()
	start := time.Now()
	for i := range p.c.Node {
		p.c.Node[i].WriteFile("/etc/ha.d/hbx-svc.sick", nil, 0o644)
	}
	p.expect(hb, wait.Dead(10), `hbgo-monitor: `+svcName+` failed \(status says "stopped"\); failure 2 of 2 in 30 s: handing group drbddisk::r0 over to the peer`)
	p.expect(1, wait.Dead(30),
		`hbgo-monitor: `+svcName+` failed \(status says "stopped"\); failure 2 of 2 in 30 s: handing group drbddisk::r0 over to the peer`,
		`CRIT: hbgo-monitor: group drbddisk::r0 hand-over failed`)
	p.expect(hb, wait.Dead(1), `hbgo: node2's standby \[foreign\] refused`)
	time.Sleep(max(0, bothRun-time.Since(start)))
	acquired := regexp.MustCompile(`Acquiring resource group: node1 drbddisk::r0`)
	moves := 0
	for i := range p.c.Node {
		moves += len(acquired.FindAllString(p.c.Log(i)[p.off[i]:], -1))
	}
	t.Logf("in %s: %d moves", time.Since(start).Round(time.Second), moves)
	// Each node hands the group over at most once per failure window.
	if bound := 2 * int((bothRun+bothWindow-1)/bothWindow); moves > bound {
		t.Errorf("%d moves in %s, want at most %d", moves, bothRun, bound)
	}
	if moves != 1 {
		t.Errorf("%d moves, want 1 (node1 refuses the group back)", moves)
	}
	if crit := regexp.MustCompile(`CRIT: hbgo-monitor: .*group drbddisk::r0`).FindAllString(p.c.Log(1)[p.off[1]:], -1); len(crit) < 2 {
		t.Errorf("node2: %d CRIT lines naming the group, want the failed hand-over and the backoff restarts", len(crit))
	}
	for _, l := range regexp.MustCompile(`hbgo(-monitor)?: .*`).FindAllString(p.c.Log(1)[p.off[1]:], -1) {
		t.Log("node2: " + l)
	}
}
