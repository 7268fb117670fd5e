package failover

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// fltName is the fault tests' service, placed between the mount and the
// VIP: its start hangs while /etc/ha.d/hbx-flt.hang exists and its stop
// fails (leaving it running) while /etc/ha.d/hbx-flt.stopfail exists.
const fltName = "hbx-flt"

var fltScript = twonode.ServiceScript("/run/hbx-flt.pid",
	"\twhile [ -e "+fltHang+" ]; do sleep 0.1; done\n"+
		"\tsetsid sh -c 'echo $$ >/run/hbx-flt.pid; exec sleep 100000' </dev/null >/dev/null 2>&1 &\n"+
		"\twhile ! running; do sleep 0.01; done\n",
	"\tif [ -e "+fltStopFail+" ]; then echo \"hbx-flt: refusing to stop\" >&2; exit 1; fi\n")

const (
	fltHang     = "/etc/ha.d/hbx-flt.hang"
	fltStopFail = "/etc/ha.d/hbx-flt.stopfail"
)

// fltHaresources is the DRBD pair's group with the fault service between
// the mount and the VIP.
const fltHaresources = "@NODE1@ drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 " + fltName + " IPaddr::@VIPCIDR@/@LANIF@\n"

// faults is the fault tests' cluster: two hbgo nodes.
type faults struct {
	*pair
	haCf string // ha.cf template as newFaults rendered it
}

func newFaults(t *testing.T) *faults {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	bin := twonode.BuildHbgo(t)
	hacf := strings.ReplaceAll(haCf, "@FAILBACK@", "on")
	c := twonode.New(t, twonode.Options{Prefix: "hbxft", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: hacf, Haresources: fltHaresources, Authkeys: authkeys, LoopFS: true, DRBD: true})
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/"+fltName, []byte(fltScript), 0o755)
		c.Node[i].WriteFile("/etc/ha.d/hbgo.cf", []byte(fltHbgoCf), 0o644)
	}
	p := &pair{t: t, c: c}
	t.Cleanup(func() {
		if t.Failed() {
			for i := range c.Node {
				t.Logf("node%d ha-log tail:\n%s", i+1, tail(c.Log(i), 80))
			}
		}
	})
	return &faults{pair: p, haCf: hacf}
}

func (f *faults) fltHolds(i int) bool { return f.c.HoldsGroup(i, fltName) }

func (f *faults) fltEmpty(i int) bool { return f.c.HoldsNone(i, fltName) }

func (f *faults) state(i int) string { return f.c.GroupState(i, fltName) }

// waitHolder waits until node want holds the fault group and the other
// none of it (want = -1: nobody), then checks that it lasts.
func (f *faults) waitHolder(want int, timeout, settle time.Duration) bool {
	f.t.Helper()
	// Two hbgo nodes: no stock race to excuse a failure.
	return waitHolder(f.t, want, timeout, settle, f.fltHolds, f.fltEmpty, f.state, func() bool { return false })
}

func (f *faults) setHaCf(i int, alone bool, extra ...string) {
	text := f.haCf
	if alone {
		text = strings.Replace(text, "node @NODE2@\n", "", 1)
	}
	text += strings.Join(extra, "\n") + "\n"
	f.c.Opts.HaCf = text
	f.c.Render(i)
	f.c.Opts.HaCf = f.haCf
}

// fltHbgoCf is both nodes' hbgo.cf: both run hbgo, so neither waits
// RQSTDELAY for the other's resource state (keeps the steps short).
const fltHbgoCf = "fast_start on\n"

// setHbgoCf writes node i's hbgo.cf: fltHbgoCf and extra.
func (f *faults) setHbgoCf(i int, extra string) {
	f.c.Node[i].WriteFile("/etc/ha.d/hbgo.cf", []byte(fltHbgoCf+extra), 0o644)
}

func (f *faults) flag(i int, path string, on bool) {
	if on {
		f.c.Node[i].WriteFile(path, nil, 0o644)
		return
	}
	_ = os.Remove(f.c.Node[i].Path(path))
}

// TestFaults runs the failing-resource, STONITH and one-node cases on one
// cluster of two hbgo nodes (issue #8 "Failing resources"). The fence by
// reboot(2) ends node1's PID namespace, so it comes last.
func TestFaults(t *testing.T) {
	t.Parallel()
	f := newFaults(t)
	const n1, n2 = 0, 1
	ok := f.step("alone", func() {
		// A node alone in ha.cf starts its group and stops (planner departure e).
		f.setHaCf(n1, true)
		f.c.Start(n1)
		f.expect(n1, wait.Dead(30), `hbgo: no other node in ha.cf`, `Initial resource acquisition complete`)
		f.waitHolder(n1, wait.Dead(20), time.Second)
		if f.stop(n1) {
			f.expect(n1, wait.Dead(5), `All HA resources relinquished`, `Heartbeat shutdown complete`)
		}
		f.waitHolder(-1, wait.Dead(10), 0)
		f.setHaCf(n1, false)
	})
	ok = ok && f.step("hanging-start-waits", func() {
		// COMPAT §4.9: no default timeout; the group stays in its start.
		f.flag(n1, fltHang, true)
		f.c.Start(n1)
		f.c.Start(n2)
		f.expect(n1, wait.Dead(30), `Running /etc/ha.d/+resource.d/`+fltName+` +start`)
		f.mark()
		end := time.Now().Add(wait.Dead(4))
		for time.Now().Before(end) {
			if !f.c.Mounted(n1) || f.c.HasVIP(n1) || !f.fltEmpty(n2) {
				f.t.Fatalf("while the start hangs: %s; %s", f.state(n1), f.state(n2))
			}
			time.Sleep(100 * time.Millisecond)
		}
		f.absent(n1, `Return code|Giving up resources|timed out`)
		f.flag(n1, fltHang, false)
		f.waitHolder(n1, wait.Dead(20), time.Second)
	})
	ok = ok && f.step("hanging-start-times-out", func() {
		// hbgo.cf resource_timeout is opt-in: the start fails after it,
		// the group is rolled back and handed to the peer.
		if !f.stop(n2) || !f.stop(n1) {
			return
		}
		f.setHbgoCf(n1, "resource_timeout start 2\n")
		f.flag(n1, fltHang, true)
		f.mark()
		f.c.Start(n1)
		f.c.Start(n2)
		f.expect(n1, wait.Dead(30), `Running /etc/ha.d/+resource.d/`+fltName+` +start`,
			`Giving up resources due to failure of `+fltName, `Running /etc/ha.d/+resource.d/`+fltName+` +stop`,
			`hbgo: handing our local resources to node2`)
		f.flag(n1, fltHang, false)
		f.waitHolder(n2, wait.Dead(30), 2*time.Second)
		f.setHbgoCf(n1, "")
	})
	ok = ok && f.step("stonith-null-device", func() {
		// COMPAT §5.8: the dead peer is reset before the takeover; the
		// device is checked at start; node2 feeds a watchdog stand-in.
		if !f.stop(n2) || !f.stop(n1) {
			return
		}
		f.setHaCf(n1, false, "stonith_host * null node1 node2")
		f.setHaCf(n2, false, "stonith_host * null node1 node2", "watchdog /run/hbx-wd")
		f.c.Node[n2].WriteFile("/run/hbx-wd", nil, 0o644)
		f.mark()
		f.c.Start(n1)
		f.c.Start(n2)
		for i := range 2 {
			f.expect(i, wait.Dead(30), `info: Checking status of STONITH device \[NULL STONITH device\]`)
		}
		f.expect(n2, wait.Dead(5), `notice: Using watchdog device: /run/hbx-wd`)
		f.waitHolder(n1, wait.Dead(30), time.Second)
		wd := f.c.Node[n2].Path("/run/hbx-wd")
		if !twonode.WaitFor(wait.Dead(10), func() bool { st, err := os.Stat(wd); return err == nil && st.Size() > 3 }) {
			f.t.Errorf("node2 does not feed its watchdog")
		}
		f.mark()
		f.crashFlt(n1)
		f.expect(n2, wait.Dead(15), `node node1: is dead`, `info: Resetting node node1 with \[NULL STONITH device\]`,
			`info: node node1 now reset\.`, `Resources being acquired from node1`)
		f.waitHolder(n2, wait.Dead(20), time.Second)
		f.absent(n2, `No STONITH device configured`)
		if f.stop(n2) {
			b, _ := os.ReadFile(wd)
			if len(b) < 2 || b[len(b)-1] != 'V' || strings.Trim(string(b[:len(b)-1]), "\x00") != "" {
				f.t.Errorf("watchdog stand-in after stop: %q, want NUL bytes then V", b)
			}
		}
	})
	ok = ok && f.step("stonith-failing-device", func() {
		// The ssh device does not control node1 (S_BADHOST before any
		// connection): node2 retries every 5 s and never takes over.
		f.setHaCf(n1, false)
		f.setHaCf(n2, false, "stonith_host * ssh node3")
		f.c.Start(n1)
		f.c.Start(n2)
		f.waitHolder(n1, wait.Dead(30), time.Second)
		f.mark()
		f.crashFlt(n1)
		f.expect(n2, wait.Dead(20), `node node1: is dead`,
			`info: Resetting node node1 with \[SSH STONITH device\]`, `ERROR: Device SSH STONITH device cannot reset host node1\.`,
			`ERROR: STONITH of node1 failed\.  Retrying\.\.\.`,
			`info: Resetting node node1 with \[SSH STONITH device\]`, `ERROR: STONITH of node1 failed\.  Retrying\.\.\.`)
		f.absent(n2, `Resources being acquired from node1|No STONITH device configured|Host node1 not reset`)
		if !f.fltEmpty(n2) {
			f.t.Errorf("node2 took resources from an unfenced peer: %s", f.state(n2))
		}
		f.stop(n2)
		f.setHaCf(n2, false)
	})
	ok = ok && f.step("killed-between-mount-and-vip", func() {
		// The daemon dies while the group is half started: on restart it
		// stops what it finds (verifyallidle's lines), then joins.
		f.flag(n1, fltHang, true)
		f.mark()
		f.c.Start(n1) // node2 stays down: node1 takes the group after initdead
		f.expect(n1, wait.Dead(30), `Running /etc/ha.d/+resource.d/`+fltName+` +start`)
		if !f.c.Mounted(n1) || f.c.HasVIP(n1) {
			f.t.Fatalf("not between the mount and the VIP: %s", f.state(n1))
		}
		f.c.Kill(n1)
		f.flag(n1, fltHang, false)
		time.Sleep(500 * time.Millisecond) // let an orphaned start finish, if it survived
		if !f.c.Mounted(n1) || !f.c.DrbdPrimary(n1, "r0") || f.c.HasVIP(n1) {
			f.t.Fatalf("not half-held after the kill: %s", f.state(n1))
		}
		_ = os.Remove(f.c.Node[n1].Path("/run/heartbeat.pid"))
		f.mark()
		f.c.Start(n1)
		f.expect(n1, wait.Dead(30), `CRITICAL: Resource drbddisk::r0 is active, and should not be!`,
			`CRITICAL: Non-idle resources can affect data integrity!`,
			`CRITICAL: Non-idle resources will affect resource takeback!`,
			`WARN: hbgo: stopping resource groups found running before joining the cluster: drbddisk::r0`,
			`Running /etc/ha.d/+resource.d/IPaddr .* stop`, `Running /etc/ha.d/+resource.d/`+fltName+` +stop`,
			`Running /etc/ha.d/+resource.d/Filesystem .* stop`, `Running /etc/ha.d/+resource.d/drbddisk .* stop`,
			`hbgo: resource groups found running at start are stopped; joining the cluster`)
		f.waitHolder(n1, wait.Dead(30), time.Second)
		f.c.Start(n2)
		f.expect(n2, wait.Dead(30), `Status update for node node1: status active`)
		f.waitHolder(n1, wait.Dead(20), 3*time.Second)
	})
	_ = ok && f.step("failed-stop-fences-by-reboot", func() {
		// COMPAT §4.8: a stop that keeps failing while the resource runs
		// reboots the node with reboot(2). In the node's own PID namespace
		// that kills only the namespace's init (pid_namespaces(7)).
		if !f.stop(n2) || !f.stop(n1) {
			return
		}
		f.setHbgoCf(n1, "stop_retries 1\n")
		f.c.Start(n1)
		f.c.Start(n2)
		f.waitHolder(n1, wait.Dead(30), time.Second)
		ns := f.guardPIDNamespace(n1)
		bootID := readBootID(f.t)
		f.flag(n1, fltStopFail, true)
		f.mark()
		f.run(n1, "/usr/share/heartbeat/hb_standby", "all")
		f.expect(n1, wait.Dead(30), `Running /etc/ha.d/+resource.d/`+fltName+` +stop`,
			`Retrying failed stop operation \[`+fltName+`\]`,
			`CRIT: Resource STOP failure. Reboot required!`, `CRIT: Killing heartbeat ungracefully!`)
		// The namespace is gone when none of its processes runs (its init
		// may stay a zombie until testnet's unshare reaps it).
		if !twonode.WaitFor(wait.Dead(30), func() bool { return len(liveIn(ns)) == 0 }) {
			out, _ := os.ReadFile(f.c.Node[n1].Path("/var/log/impl.out"))
			f.t.Fatalf("node1's PID namespace still has processes after the fence; daemon pids %v; daemon output:\n%s\nprocesses:\n%s",
				f.c.Node[n1].Pids(f.c.Opts.Impl[n1].Exe), tail(string(out), 20), strings.Join(liveIn(ns), "\n"))
		}
		f.expect(n2, wait.Dead(30), `node node1: is dead`, `Resources being acquired from node1`)
		ok := func() bool { return f.fltHolds(n2) }
		if !twonode.WaitFor(wait.Dead(30), ok) {
			f.t.Errorf("node2 did not take over: %s", f.state(n2))
		}
		if got := readBootID(f.t); got != bootID {
			f.t.Fatalf("host boot id changed from %s to %s", bootID, got)
		}
	})
}

// crashFlt kills node i's daemon and clears what it held, as the reboot of
// a crashed machine would.
func (f *faults) crashFlt(i int) {
	f.c.Kill(i)
	h := f.c.Node[i]
	_, _ = h.Try("/etc/ha.d/resource.d/"+fltName, "stop")
	f.c.AfterCrash(i)
}

// guardPIDNamespace stops the test unless node i's daemon runs in a PID
// namespace of its own: reboot(2) there must not reach the host.
func (f *faults) guardPIDNamespace(i int) string {
	f.t.Helper()
	self, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		f.t.Fatal(err)
	}
	pids := f.c.Node[i].Pids(f.c.Opts.Impl[i].Exe)
	if len(pids) == 0 {
		f.t.Fatalf("node%d: no daemon", i+1)
	}
	var ns string
	for _, pid := range pids {
		var err error
		ns, err = os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
		if err != nil || ns == self {
			f.t.Fatalf("node%d daemon %d is not in a PID namespace of its own (%q, ours %q, %v): refusing to fence", i+1, pid, ns, self, err)
		}
	}
	return ns
}

// liveIn returns the processes of PID namespace ns that are not zombies.
func liveIn(ns string) []string {
	ents, _ := os.ReadDir("/proc")
	var live []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != ns {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			continue
		}
		live = append(live, strings.TrimSpace(string(st)))
	}
	return live
}

func readBootID(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestStockAloneReference reads what stock did alone in ha.cf (the golden
// log says how it was produced): nice_failback never acquires the group
// and SIGTERM only delays the shutdown, for good. hbgo's "alone" step
// above departs from this on purpose (planner departure e).
func TestStockAloneReference(t *testing.T) {
	b, err := os.ReadFile("testdata/stock-alone-ha-log.txt")
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, want := range []string{"Configuration validated. Starting heartbeat 3.0.6", "Comm_now_up(): updating status to active",
		"WARN: Shutdown delayed until current resource activity finishes."} {
		if !strings.Contains(log, want) {
			t.Errorf("stock's log lacks %q", want)
		}
	}
	for _, never := range []string{"Acquiring resource group", "Initial resource acquisition complete", "Heartbeat shutdown complete"} {
		if strings.Contains(log, never) {
			t.Errorf("stock's log has %q", never)
		}
	}
}
