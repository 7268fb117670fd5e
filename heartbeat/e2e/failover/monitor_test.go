package failover

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	hbstatus "hbgo/heartbeat/status"
	"hbgo/internal/harness/twonode"
)

// monitorCf watches the classic group after start (issue 15): the VIP by
// netlink (vip_watch on, the default), the mount by mountinfo, the service
// by its status every second; two failures of one resource hand the group
// over.
const monitorCf = `monitor Filesystem
monitor ` + svcName + ` interval=1 timeout=5
failover_threshold 2
`

// TestMonitorWatches runs the watches on node1 (hbgo) holding the group,
// with an hbgo peer and with a stock 3.0.6 peer: a VIP removed by ip addr
// del, by ip addr flush and hidden by a link down/up comes back with its
// label and netmask (the client sees its gratuitous ARP and reaches it); a
// second namespace claiming the VIP is logged by MAC and answered with a
// gratuitous ARP the claimant sees; an unmount and a killed service restart
// the group from the failed resource (the resources after it stopped in
// reverse and started in order, the ones before it untouched); the second
// kill of the service hands the group to the peer, which takes it (stock
// does, through the standby protocol); the failure counts are on disk, and
// after a restart of node1's daemon they still keep node1 from taking the
// group back (hb_takeover refused) until `heartbeat cleanup` clears them; a
// status check that hangs is killed with its process group at its timeout
// and counts as a failure (the first again after the cleanup).
func TestMonitorWatches(t *testing.T) {
	needStock(t)
	bin := twonode.BuildHbgo(t)
	for _, tc := range []struct {
		name, prefix string
		peer         twonode.Impl
	}{
		{"hbgo+hbgo", "hbxmh", twonode.Hbgo(bin)},
		{"hbgo+stock", "hbxms", twonode.Stock()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newCluster(t, tc.prefix, [2]twonode.Impl{twonode.Hbgo(bin), tc.peer}, "off")
			// deadtime 4 s: a loaded machine's late heartbeats must not make
			// a partition (and its healing restart) in the middle of the steps
			p.c.Opts.HaCf = strings.NewReplacer("deadtime 1\n", "deadtime 4\n", "initdead 5\n", "initdead 10\n").Replace(p.c.Opts.HaCf)
			p.haCf0 = p.c.Opts.HaCf
			p.c.Opts.HbgoCf = monitorCf
			p.c.Render(0)
			p.c.Render(1)
			p.c.Node[0].WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(monitorSvcScript), 0o755)
			monitorSteps(t, p, bin)
		})
	}
}

const nodeMAC = "02:77:00:00:00:01" // node1's eth0 (twonode)

// client runs a command in the client namespace; a failure fails the current step.
func (p *pair) client(cmd ...string) string {
	p.t.Helper()
	out, err := p.c.Lab.Command("client", cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("client: %v: %v\n%s", cmd, err, out)
	}
	return string(out)
}

// sh runs a command in node i and returns its output; a failure fails the
// current step (p.t), never the parent test from inside a subtest.
func (p *pair) sh(i int, cmd ...string) string {
	p.t.Helper()
	out, err := p.c.Node[i].Try(cmd[0], cmd[1:]...)
	if err != nil {
		p.t.Fatalf("node%d: %v: %v\n%s", i+1, cmd, err, out)
	}
	return out
}

// clientSees waits until the client's neighbour entry for the VIP, set to
// a bogus MAC first, names node1 again (only a gratuitous ARP changes it
// without traffic), then pings the VIP.
func clientSees(t *testing.T, p *pair, set func()) {
	t.Helper()
	p.client("ip", "neigh", "replace", twonode.VIP, "lladdr", "02:00:00:00:00:99", "dev", "cl0", "nud", "stale")
	set()
	if !twonode.WaitFor(wait.Dead(5), func() bool {
		out, _ := p.c.Lab.Command("client", "ip", "neigh", "show", twonode.VIP, "dev", "cl0").Output()
		return strings.Contains(string(out), nodeMAC)
	}) {
		out, _ := p.c.Lab.Command("client", "ip", "neigh", "show", twonode.VIP).Output()
		t.Errorf("the client did not see node1's gratuitous ARP: %s", out)
		return
	}
	if out, err := p.c.Lab.Command("client", "ping", "-c1", "-W", "2", twonode.VIP).CombinedOutput(); err != nil {
		t.Errorf("client cannot reach the VIP: %v\n%s", err, out)
	}
}

func monitorSteps(t *testing.T, p *pair, bin string) {
	const hb = 0 // node1, hbgo, the group's preferred node
	vipRes := regexp.QuoteMeta("IPaddr::" + twonode.VIPCIDR + "/" + twonode.LANIf)
	if !p.step("cold-start", func() {
		p.c.Start(0)
		p.c.Start(1)
		p.expect(hb, wait.Dead(30), `Initial resource acquisition complete`)
		p.holder(hb, wait.Dead(30), time.Second)
	}) {
		return
	}
	// sameVIP checks the VIP is on eth0 with the label and netmask start gave
	// it (eth0:0, /24, broadcast .255). After a flush it may be the primary
	// address of its subnet (the kernel's choice, not hbgo's).
	sameVIP := func() {
		p.t.Helper()
		out := p.sh(hb, "ip", "-o", "-4", "addr", "show", "dev", twonode.LANIf)
		if !regexp.MustCompile(`inet ` + regexp.QuoteMeta(twonode.VIPCIDR) + ` brd 10\.77\.0\.255 scope global (secondary )?` + twonode.LANIf + `:0\b`).MatchString(out) {
			p.t.Errorf("VIP missing, or restored with another label or netmask:\n%s", out)
		}
	}
	p.step("ip-addr-del", func() {
		clientSees(t, p, func() { p.sh(hb, "ip", "addr", "del", twonode.VIPCIDR, "dev", twonode.LANIf) })
		p.expect(hb, wait.Dead(5), `hbgo-monitor: `+vipRes+` vanished \(netlink RTM_DELADDR\); restored in [0-9.]+ ms`)
		if out := p.sh(hb, "ip", "-o", "-4", "addr", "show", "dev", twonode.LANIf); !strings.Contains(out, twonode.VIPCIDR+" brd 10.77.0.255 scope global secondary "+twonode.LANIf+":0") {
			t.Errorf("restored with another label or netmask:\n%s", out)
		}
	})
	p.step("ip-addr-flush", func() {
		clientSees(t, p, func() {
			// ip repeats its flush while addresses remain and gives up after
			// 10 rounds ("Flush remains incomplete", exit 255) when the
			// monitor keeps putting the VIP back: what this step tests, and
			// the usual outcome on a busy machine, which slows ip but not the
			// realtime daemon. Either way the node's own address must be put
			// back below, or a later restart finds eth0 without IPv4.
			if out, err := p.c.Node[hb].Try("ip", "addr", "flush", "dev", twonode.LANIf); err != nil && !strings.Contains(out, "Flush remains incomplete") {
				p.t.Fatalf("node1: ip addr flush dev %s: %v\n%s", twonode.LANIf, err, out)
			}
			p.expect(hb, wait.Dead(5), `hbgo-monitor: `+vipRes+` vanished \(netlink RTM_DELADDR\); restored in`)
			// flush took the node's own LAN address too; an admin's networkd puts it back
			p.sh(hb, "ip", "addr", "add", twonode.LANNet+".1/24", "brd", "+", "dev", twonode.LANIf)
		})
		sameVIP()
	})
	p.step("link-down-up", func() {
		p.sh(hb, "ip", "link", "set", twonode.LANIf, "down")
		clientSees(t, p, func() { p.sh(hb, "ip", "link", "set", twonode.LANIf, "up") })
		p.expect(hb, wait.Dead(5), `hbgo-monitor: `+vipRes+` announced again \(link eth0 went down and came back up\)`)
		sameVIP()
	})
	p.step("conflict", func() {
		if _, err := exec.LookPath("arping"); err != nil {
			t.Skip("needs iputils-arping (.ci/deps installs it)")
		}
		link, _ := p.c.Lab.Command("client", "cat", "/sys/class/net/cl0/address").Output()
		mac := strings.TrimSpace(string(link))
		// A stale claimant: the client says the VIP is its own.
		p.client("ip", "addr", "add", twonode.VIP+"/32", "dev", "cl0")
		defer p.c.Lab.Command("client", "ip", "addr", "del", twonode.VIP+"/32", "dev", "cl0").Run()
		// node1's announcements of the VIP as the claimant's namespace sees them
		announced := p.captureAnnounce("client", "cl0", nodeMAC)
		p.client("arping", "-U", "-c", "2", "-I", "cl0", "-s", twonode.VIP, twonode.VIP)
		p.expect(hb, wait.Dead(5), `hbgo-monitor: `+vipRes+` is claimed by another node too \(MAC `+mac+`\)`)
		// The re-announce is silent in ha-log (the WARN above is the record):
		// it shows on the wire, a gratuitous ARP from node1's MAC for the VIP.
		if !twonode.WaitFor(wait.Dead(5), func() bool { return announced() != "" }) {
			p.t.Errorf("node1 did not re-announce the VIP after the conflict (no gratuitous ARP from %s seen on cl0)", nodeMAC)
		} else {
			p.t.Logf("re-announce seen by the claimant: %s", announced())
		}
	})
	pid := func() string {
		b, _ := os.ReadFile(p.c.Node[hb].Path("/run/hbx-svc.pid"))
		return strings.TrimSpace(string(b))
	}
	p.step("unmount", func() {
		p.sh(hb, "umount", twonode.Mnt)
		p.expect(hb, wait.Dead(10),
			`hbgo-monitor: Filesystem::\S+ failed \(`+twonode.Mnt+` unmounted \(mountinfo\)\); failure 1 of 2 in 10 min: restarting group drbddisk::r0 from it`,
			// every resource after the mount, in reverse, then all in order
			`Running /etc/ha.d/resource.d/`+svcName+`  stop`,
			`Running /etc/ha.d/resource.d/IPaddr .+ stop`,
			`Running /etc/ha.d/resource.d/Filesystem .+ stop`,
			`Running /etc/ha.d/resource.d/Filesystem .+ start`,
			`Running /etc/ha.d/resource.d/IPaddr .+ start`,
			`Running /etc/ha.d/resource.d/`+svcName+`  start`,
			`hbgo-monitor: group drbddisk::r0 restarted`)
		// the resource before the failed one is left alone
		p.absent(hb, `Running /etc/ha.d/resource.d/drbddisk .*(stop|start)`)
		p.holder(hb, wait.Dead(10), time.Second)
	})
	p.step("service-crash", func() {
		old := pid()
		start := time.Now()
		p.sh(hb, "kill", "-9", old)
		// interval (1 s) + the start (a few ms) + scheduling on a busy machine
		p.expect(hb, wait.Dead(10),
			`hbgo-monitor: `+svcName+` failed \(status says "stopped"\); failure 1 of 2 in 10 min: restarting group drbddisk::r0 from it`,
			`hbgo-monitor: group drbddisk::r0 restarted`)
		if !twonode.WaitFor(wait.Dead(10), func() bool { return p.c.Service(hb, svcName) && pid() != old }) {
			t.Errorf("service not running again: %s", p.state(hb))
		}
		t.Logf("service served again %s after the kill (interval 1 s)", time.Since(start))
		p.holder(hb, wait.Dead(10), time.Second)
		// status shows the monitor's count and calls the node degraded
		if r, code := statusResource(p, hb, bin, svcName); r.Failures != 1 || r.MonitorFailures != 1 || r.FailuresTotal != 1 || code != hbstatus.ExitDegraded {
			t.Errorf("heartbeat status --json after the kill: %s %+v, exit %d; want 1 monitor failure (1 since the daemon started), exit 1", svcName, r, code)
		}
	})
	for _, l := range regexp.MustCompile(`hbgo-monitor: .*`).FindAllString(p.c.Log(hb), -1) {
		t.Log(l) // the decisions, for the record
	}
	p.step("keeps-dying", func() {
		p.sh(hb, "kill", "-9", pid())
		p.expect(hb, wait.Dead(10),
			`hbgo-monitor: `+svcName+` failed \(status says "stopped"\); failure 2 of 2 in 10 min: handing group drbddisk::r0 over to the peer`,
			`hbgo-monitor: group drbddisk::r0 handed over; this node will not take it back until heartbeat cleanup or 10 min without a failure`)
		p.holder(1, wait.Dead(30), 2*time.Second)
		b, err := os.ReadFile(p.c.Node[hb].Path("/var/lib/heartbeat/hbgo-failcounts"))
		if err != nil || !regexp.MustCompile(`(?m)^`+svcName+`\t\d+,\d+$`).Match(b) {
			t.Errorf("failure counts on disk: %v\n%s", err, b)
		}
	})
	p.step("counts-survive-restart", func() {
		// node1's daemon restarts (gracefully: it holds nothing). The
		// failure counts on disk block the group again before comm up, so
		// neither its hb_takeover nor the join brings it back (planner
		// departure f): the peer keeps it.
		// p.stop marks node1 restarted in this step: the peer may log an
		// old-generation copy overtaken by the new daemon's first message
		// (replayAfterRestart).
		if !p.stop(hb) {
			return
		}
		p.mark()
		p.c.Start(hb)
		p.expect(hb, wait.Dead(30),
			`hbgo-monitor: group drbddisk::r0 failed 2 times within 10 min before this start \(failure counts on disk\)`,
			`remote resource transition completed`)
		p.run(hb, "/usr/share/heartbeat/hb_takeover", "all")
		p.expect(hb, wait.Dead(10), `hbgo: hb_takeover all refused: this node handed resource group drbddisk::r0 over after repeated failures; run `+"`heartbeat cleanup RESOURCE`")
		p.holder(1, wait.Dead(10), wait.Dead(2))
	})
	p.step("cleanup", func() {
		out := p.sh(hb, bin, "cleanup", svcName)
		if out != "heartbeat cleanup: failure counts of "+svcName+" cleared\n" {
			t.Errorf("heartbeat cleanup: %q", out)
		}
		p.expect(hb, wait.Dead(5), `hbgo-monitor: failure counts of `+svcName+` cleared by heartbeat cleanup`,
			`hbgo: resource group drbddisk::r0 may be taken back by this node again`)
		if !twonode.WaitFor(wait.Dead(5), func() bool {
			b, _ := os.ReadFile(p.c.Node[hb].Path("/var/lib/heartbeat/hbgo-failcounts"))
			return !strings.Contains(string(b), svcName+"\t")
		}) {
			t.Error("the failure counts of the service are still on disk after cleanup")
		}
		if r, _ := statusResource(p, hb, bin, svcName); r.Failures != 0 || r.MonitorFailures != 0 {
			t.Errorf("heartbeat status --json after cleanup: %s %+v, want no failure", svcName, r)
		}
		// Now hb_takeover brings the group home (the next step's failure is
		// the first again: restarted, not handed over).
		p.run(hb, "/usr/share/heartbeat/hb_takeover", "all")
		p.holder(hb, wait.Dead(30), time.Second)
	})
	p.step("hung-check", func() {
		// The counts are clear: node1 may take the group back, and a status
		// check that hangs is its failure 1, killed with its process group
		// (the shell and its sleep) at the monitor line's timeout=5.
		p.run(hb, "/usr/share/heartbeat/hb_takeover", "all")
		if !p.holder(hb, wait.Dead(30), time.Second) {
			return
		}
		p.mark()
		hungAt := time.Now()
		p.sh(hb, "touch", hangFlag)
		if !p.expect(hb, wait.Dead(15),
			`hbgo-monitor: `+svcName+` failed \(status check hung: killed at its timeout of 5s\); failure 1 of 2 in 10 min: restarting group drbddisk::r0 from it`,
			`hbgo-monitor: group drbddisk::r0 restarted`) {
			return
		}
		// at the timeout, not before it (the next poll reads the flag within interval=1)
		if took := time.Since(hungAt); took < 5*time.Second {
			p.t.Errorf("the hung check was given up after %s, before its timeout of 5 s", took)
		}
		if !twonode.WaitFor(wait.Dead(5), func() bool { _, err := p.c.Node[hb].Try("pgrep", "-f", hangSleep); return err != nil }) {
			out, _ := p.c.Node[hb].Try("pgrep", "-af", hangSleep)
			p.t.Errorf("the hung check's processes survived its timeout:\n%s", out)
		}
		p.holder(hb, wait.Dead(10), time.Second)
	})
}

// hangFlag makes the next status of the service hang (once): the check
// below the monitor must be killed at its timeout.
const (
	hangFlag  = "/etc/ha.d/hbx-svc.hang"
	hangSleep = "sleep 99999"
)

// monitorSvcScript is svcScript whose status hangs once while hangFlag
// exists: a shell waiting on a child in its process group, as a status
// stuck on a dead NFS server or a wedged daemon would.
var monitorSvcScript = strings.Replace(svcScript, "status)\n",
	"status)\n\tif [ -e "+hangFlag+" ]; then rm -f "+hangFlag+"; "+hangSleep+" & wait; fi\n", 1)

// captureAnnounce captures ARP in node's namespace on ifname and returns
// what it saw so far of from's gratuitous ARPs for the VIP (requests or
// replies whose sender is the VIP); the capture ends with the step.
func (p *pair) captureAnnounce(node, ifname, from string) func() string {
	p.t.Helper()
	cmd := p.c.Lab.Command(node, "tcpdump", "-l", "-n", "-e", "-i", ifname, "arp", "and", "ether", "src", from)
	var buf lockedBuffer
	cmd.Stdout = &buf
	errR, errW := io.Pipe()
	cmd.Stderr = errW
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("tcpdump: %v", err)
	}
	p.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		errW.Close()
	})
	// tcpdump says "listening on" once its socket is open
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, errR)
	}()
	select {
	case <-ready:
	case <-time.After(wait.Dead(5)):
		p.t.Fatal("tcpdump did not start listening")
	}
	garp := regexp.MustCompile(`(?m)^.*(tell ` + regexp.QuoteMeta(twonode.VIP) + `|Reply ` + regexp.QuoteMeta(twonode.VIP) + ` is-at).*$`)
	return func() string { return garp.FindString(buf.String()) }
}

// lockedBuffer is a bytes.Buffer a writer goroutine and a reader share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// statusResource is resource res as `heartbeat status --json` on node i
// shows it, and the command's exit code.
func statusResource(p *pair, i int, bin, res string) (hbstatus.Resource, int) {
	p.t.Helper()
	out, err := p.c.Node[i].Try(bin, "status", "--json")
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	s, jerr := hbstatus.ReadJSON([]byte(out))
	if jerr != nil {
		p.t.Errorf("heartbeat status --json: %v %v\n%s", err, jerr, out)
		return hbstatus.Resource{}, code
	}
	for _, g := range s.Groups {
		for _, r := range g.Resources {
			if r.Name == res {
				return r, code
			}
		}
	}
	p.t.Errorf("heartbeat status --json shows no %s:\n%s", res, out)
	return hbstatus.Resource{}, code
}
