package pcmkexport

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// dcDeadtime is Pacemaker's default dc-deadtime: how long a starting node
// waits for a DC before electing one. Waits below scale with it and with
// corosync's token.
const dcDeadtime = 20 * time.Second

// liveHaCf is the heartbeat configuration the live test exports: the
// twonode topology (heartbeat link eth1, LAN eth0 with the client).
const liveHaCf = `keepalive 1
deadtime 3
ucast @HBIF@ @NODE1_HBIP@
ucast @HBIF@ @NODE2_HBIP@
auto_failback off
node node1
node node2
`

// liveHaresources is the seeds' pattern: DRBD, its file system, the VIP, the service.
const liveHaresources = "node1 drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 IPaddr2::@VIPCIDR@/@LANIF@ hbxsvc\n"

// lsbService is an LSB init script: status exits 3 when stopped, as
// Pacemaker's lsb class requires.
const lsbService = `#!/bin/sh
PIDF=/run/hbxsvc.pid
running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
case "$1" in
start)
	running && exit 0
	setsid sleep 1000000 </dev/null >/dev/null 2>&1 &
	echo $! >"$PIDF"
	exit 0;;
stop)
	running && kill "$(cat "$PIDF")"
	rm -f "$PIDF"
	exit 0;;
status)
	if running; then echo running; exit 0; fi
	echo stopped; exit 3;;
*)
	echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
`

// pcmkDaemons are the executables a node's Pacemaker and Corosync run as.
var pcmkDaemons = []string{"corosync", "pacemakerd", "pacemaker-based", "pacemaker-fenced", "pacemaker-execd",
	"pacemaker-attrd", "pacemaker-schedulerd", "pacemaker-controld"}

// needLive skips the live test with the exact reason when a part is missing.
func needLive(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live Pacemaker test: needs root (network, mount and PID namespaces, a loop device)")
	}
	for _, p := range []string{"/usr/sbin/corosync", "/usr/sbin/pacemakerd", "/usr/sbin/corosync-keygen", "/usr/sbin/crm_mon",
		"/usr/lib/ocf/resource.d/heartbeat/IPaddr2", "/usr/lib/ocf/resource.d/heartbeat/Filesystem",
		"/usr/lib/ocf/resource.d/pacemaker/Stateful", "/usr/lib/ocf/resource.d/linbit/drbd"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("live Pacemaker test: %s is missing (make deps installs pacemaker, corosync, resource-agents and drbd-utils)", p)
		}
	}
}

// TestLivePacemaker runs Corosync and Pacemaker for real on two network-
// and mount-namespaced nodes with the exported files, checks that the
// DRBD+Filesystem+VIP+service group comes up on node1, kills node1
// (corosync and every Pacemaker daemon SIGKILLed, both links cut with
// nftables) and measures kill -> VIP on node2 with the deadtime-derived
// token and with corosync's default. A client namespace must then reach
// the VIP, served by node2.
//
// No DRBD kernel module exists here. The real ocf:linbit:drbd is run once
// with the recording drbdadm stand-in to show it refuses (it tests
// /proc/drbd, which only the module creates, and modprobes drbd); in the
// cluster the exported promotable clone runs ocf:pacemaker:Stateful in
// its place, so the colocation and ordering with the Promoted instance are
// exercised, not replication.
//
// HBGO_PCMK_LIVE=full adds the run with corosync's default token;
// HBGO_PCMK_RUNS sets how many failovers per token setting (default 1).
func TestLivePacemaker(t *testing.T) {
	needLive(t)
	if testing.Short() {
		t.Skip("live Pacemaker test: not in -short")
	}
	runs := 1
	if v, err := strconv.Atoi(os.Getenv("HBGO_PCMK_RUNS")); err == nil && v > 0 {
		runs = v
	}
	// make test runs the exported (deadtime-derived) token once, about 40 s;
	// make interop (HBGO_PCMK_LIVE=full) adds corosync's default token.
	variants := []string{"derived"}
	if os.Getenv("HBGO_PCMK_LIVE") == "full" {
		variants = append(variants, "default")
	}
	var results []string
	for _, variant := range variants {
		for r := 1; r <= runs; r++ {
			t.Run(fmt.Sprintf("token=%s/run=%d", variant, r), func(t *testing.T) {
				res := liveFailover(t, variant, r == 1 && variant == "derived")
				results = append(results, fmt.Sprintf("RESULT token=%s token_ms=%d run=%d kill_to_vip_ms=%d kill_to_mount_ms=%d kill_to_svc_ms=%d kill_to_client_ms=%d startup_ms=%d",
					variant, res.token.Milliseconds(), r, res.vip.Milliseconds(), res.mount.Milliseconds(), res.svc.Milliseconds(), res.client.Milliseconds(), res.startup.Milliseconds()))
			})
		}
	}
	for _, r := range results {
		t.Log(r)
	}
}

type liveResult struct {
	token                            time.Duration
	startup, vip, mount, svc, client time.Duration
}

// hostDir makes a directory the node's non-root daemons can reach.
func hostDir(t *testing.T, mode os.FileMode) string {
	d, err := os.MkdirTemp("", "hbgo-pcmk-")
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.Chmod(d, mode))
	t.Cleanup(func() { os.RemoveAll(d) }) // after the lab's teardown (registered first)
	return d
}

// liveCluster is a twonode cluster (heartbeat's configuration rendered into
// each node's /etc/ha.d) with what Corosync and Pacemaker need in place.
type liveCluster struct {
	*twonode.Cluster
	t     *testing.T
	token time.Duration
}

// newLiveCluster builds the nodes, exports their configuration and puts
// corosync.conf, one corosync-keygen key and (on the nodes in cibOn)
// cib.xml in place. variant "default" drops the exported token.
func newLiveCluster(t *testing.T, impl [2]twonode.Impl, variant string, cibOn []int, probeDrbd bool) *liveCluster {
	hacl, err := user.Lookup("hacluster")
	if err != nil {
		t.Skipf("live Pacemaker test: no hacluster user: %v", err)
	}
	uid, _ := strconv.Atoi(hacl.Uid)
	grp, err := user.LookupGroup("haclient")
	if err != nil {
		t.Skipf("live Pacemaker test: no haclient group: %v", err)
	}
	gid, _ := strconv.Atoi(grp.Gid)

	// Per node: private /var/lib/pacemaker, /var/lib/corosync,
	// /etc/corosync, /dev/shm and /etc/init.d (the service's script), on
	// top of testnet's private /run, /var/log, /mnt and /etc/ha.d.
	var overlays [2]map[string]string
	var varlib, etcCoro [2]string
	initd := hostDir(t, 0o755)
	must(t, os.WriteFile(filepath.Join(initd, "hbxsvc"), []byte(lsbService), 0o755))
	for i := range overlays {
		vl := hostDir(t, 0o750)
		for _, d := range []string{"cib", "pengine", "blackbox", "cores"} {
			must(t, os.MkdirAll(filepath.Join(vl, d), 0o750))
			must(t, os.Chown(filepath.Join(vl, d), uid, gid))
		}
		must(t, os.Chown(vl, uid, gid))
		varlib[i] = vl
		etcCoro[i] = hostDir(t, 0o755)
		overlays[i] = map[string]string{
			"/var/lib/pacemaker": vl,
			"/var/lib/corosync":  hostDir(t, 0o700),
			"/etc/corosync":      etcCoro[i],
			"/dev/shm":           hostDir(t, 0o1777),
			"/etc/init.d":        initd,
		}
	}

	haCf := strings.NewReplacer("@NODE1_HBIP@", twonode.HBNet+".1", "@NODE2_HBIP@", twonode.HBNet+".2").Replace(liveHaCf)
	c := twonode.New(t, twonode.Options{Prefix: "hbgopx", HaCf: haCf, Haresources: liveHaresources,
		Authkeys: "auth 1\n1 sha1 pcmk-live\n", LoopFS: true, DRBD: true, Overlays: overlays, Impl: impl})
	// Kill Pacemaker before the lab goes, so nothing holds the mounts.
	c.Lab.Cleanup(func() {
		for i := range c.Node {
			for _, d := range pcmkDaemons {
				c.Node[i].Kill(d, syscall.SIGKILL)
			}
		}
	})
	if probeDrbd {
		// The real ocf:linbit:drbd, once, behind the recording stand-in.
		out, err := c.Node[0].Try("env", "OCF_ROOT=/usr/lib/ocf", "OCF_RESOURCE_INSTANCE=drbd_r0", "OCF_RESKEY_drbd_resource=r0",
			"OCF_RESKEY_CRM_meta_clone_max=2", "OCF_RESKEY_CRM_meta_clone_node_max=1", "OCF_RESKEY_CRM_meta_master_max=1",
			"OCF_RESKEY_CRM_meta_master_node_max=1", "OCF_RESKEY_CRM_meta_notify=true", "OCF_RESKEY_crm_feature_set=3.16.2",
			"/usr/lib/ocf/resource.d/linbit/drbd", "start")
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err == nil {
			code = 0
		}
		calls, _ := os.ReadFile(c.Node[0].Path("/var/log/drbdadm.calls"))
		t.Logf("ocf:linbit:drbd start without a DRBD module: exit %d (5 = OCF_ERR_INSTALLED)\n%s\ndrbdadm stand-in calls:\n%s", code, strings.TrimSpace(out), calls)
		if code != 5 {
			t.Errorf("ocf:linbit:drbd start: exit %d, want 5 (not installed: no DRBD module)", code)
		}
	}

	m, files, _, err := Export(c.Node[0].Path("/etc/ha.d"))
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	token := m.Corosync.Token
	conf := string(files["corosync.conf"])
	if variant == "default" {
		conf = strings.Replace(conf, fmt.Sprintf("\ttoken: %d\n", token.Milliseconds()), "", 1)
		token = 3000 * time.Millisecond // corosync.conf(5): the default token
	}
	conf = strings.Replace(conf, "\tto_syslog: yes\n\tto_logfile: no\n", "\tto_syslog: no\n\tto_logfile: yes\n\tlogfile: /var/log/corosync.log\n", 1)
	if strings.Contains(conf, "ADDRESS-OF-") {
		t.Fatalf("corosync.conf has placeholders:\n%s", conf)
	}
	key := filepath.Join(etcCoro[0], "authkey")
	if out, err := exec.Command("corosync-keygen", "-l", "-k", key).CombinedOutput(); err != nil {
		t.Fatalf("corosync-keygen: %v %s", err, out)
	}
	keyData, _ := os.ReadFile(key)
	// The DRBD primitive becomes Pacemaker's Stateful test agent (see TestLivePacemaker).
	cib := strings.Replace(string(files["cib.xml"]), `class="ocf" provider="linbit" type="drbd"`, `class="ocf" provider="pacemaker" type="Stateful"`, 1)
	for i := range c.Node {
		must(t, os.WriteFile(filepath.Join(etcCoro[i], "corosync.conf"), []byte(conf), 0o644))
		must(t, os.WriteFile(filepath.Join(etcCoro[i], "authkey"), keyData, 0o400))
		for _, j := range cibOn {
			if j == i {
				p := filepath.Join(varlib[i], "cib", "cib.xml")
				must(t, os.WriteFile(p, []byte(cib), 0o600))
				must(t, os.Chown(p, uid, gid))
			}
		}
		for _, d := range []string{"/var/log/pacemaker", "/run/crm"} {
			p := c.Node[i].Path(d)
			must(t, os.MkdirAll(p, 0o770))
			must(t, os.Chown(p, uid, gid))
		}
	}
	return &liveCluster{Cluster: c, t: t, token: token}
}

// startPcmk starts Corosync, waits until it answers, then starts Pacemaker on node i.
func (c *liveCluster) startPcmk(i int) {
	c.t.Helper()
	h := c.Node[i]
	h.Start(h.Path("/var/log/corosync.out"), "corosync", "-f")
	if !twonode.WaitFor(20*c.token, func() bool {
		_, err := h.Try("corosync-cmapctl", "-g", "runtime.votequorum.two_node")
		return err == nil
	}) {
		c.t.Fatalf("node%d: corosync did not come up:\n%s", i+1, tail(h.Path("/var/log/corosync.log"), 30))
	}
	h.Start(h.Path("/var/log/pacemakerd.out"), "pacemakerd", "-f")
}

// svcOn reports whether node i's service runs (LSB status 0).
func (c *liveCluster) svcOn(i int) bool {
	_, err := c.Node[i].Try("/etc/init.d/hbxsvc", "status")
	return err == nil
}

// up reports whether node i runs the VIP, the mount and the service.
func (c *liveCluster) up(i int) bool { return c.HasVIP(i) && c.Mounted(i) && c.svcOn(i) }

// none reports whether node i runs none of them.
func (c *liveCluster) none(i int) bool { return !c.HasVIP(i) && !c.Mounted(i) && !c.svcOn(i) }

// crmMon is crm_mon's one-shot view from node i.
func (c *liveCluster) crmMon(i int) string {
	out, _ := c.Node[i].Try("crm_mon", "-1", "-r")
	return out
}

func (c *liveCluster) fail(i int, what string) {
	c.t.Helper()
	c.t.Fatalf("%s (node%d vip=%v mount=%v svc=%v)\ncrm_mon:\n%s\nnode%d pacemaker.log:\n%s", what, i+1, c.HasVIP(i), c.Mounted(i), c.svcOn(i),
		c.crmMon(i), i+1, tail(c.Node[i].Path("/var/log/pacemaker/pacemaker.log"), 40))
}

func liveFailover(t *testing.T, variant string, probeDrbd bool) liveResult {
	c := newLiveCluster(t, [2]twonode.Impl{twonode.Stock(), twonode.Stock()}, variant, []int{0, 1}, probeDrbd)
	token := c.token
	t0 := time.Now()
	for i := range c.Node {
		c.startPcmk(i)
	}
	if !twonode.WaitFor(3*dcDeadtime+20*token, func() bool { return c.up(0) }) {
		c.fail(0, "group not up on node1")
	}
	res := liveResult{token: token, startup: time.Since(t0)}
	if !c.none(1) {
		c.fail(1, "node2 runs part of the group too")
	}
	t.Logf("up on node1 after %v (token %v):\n%s", res.startup.Round(time.Millisecond), token, c.crmMon(0))

	// Kill node1: every daemon stopped and killed at once, both links cut.
	t0 = time.Now()
	for _, d := range pcmkDaemons {
		c.Node[0].Kill(d, syscall.SIGSTOP)
	}
	for _, d := range pcmkDaemons {
		c.Node[0].Kill(d, syscall.SIGKILL)
	}
	c.Lab.Cut("node1", twonode.HBIf)
	c.Lab.Cut("node1", twonode.LANIf)
	wait := 2*dcDeadtime + 20*token
	var got [4]time.Duration
	conds := []func() bool{func() bool { return c.HasVIP(1) }, func() bool { return c.Mounted(1) }, func() bool { return c.svcOn(1) },
		func() bool {
			_, err := c.Lab.Command("client", "ping", "-c", "1", "-W", "1", twonode.VIP).CombinedOutput()
			return err == nil
		}}
	for k, cond := range conds {
		if !twonode.WaitFor(wait-time.Since(t0), cond) {
			c.fail(1, fmt.Sprintf("after killing node1: condition %d (vip, mount, service, client ping) not met on node2", k))
		}
		got[k] = time.Since(t0)
	}
	res.vip, res.mount, res.svc, res.client = got[0], got[1], got[2], got[3]
	// The client's answer came from node2 (node1 is cut off).
	neigh := c.Lab.In("client", "ip", "neigh", "show", twonode.VIP)
	if !strings.Contains(neigh, "02:77:00:00:00:02") {
		t.Errorf("client's neighbour entry for the VIP is not node2's MAC: %q", neigh)
	}
	t.Logf("kill -> VIP on node2 %v, mount %v, service %v, client reaches the VIP %v\n%s", res.vip.Round(time.Millisecond), res.mount.Round(time.Millisecond),
		res.svc.Round(time.Millisecond), res.client.Round(time.Millisecond), c.crmMon(1))
	return res
}

// TestLiveHandover follows docs/MIGRATION.md "Moving on to Pacemaker" on a
// running hbgo pair: hbgo runs the group on node1; hbgo stops on node2 and
// Corosync+Pacemaker start there (with cib.xml), which must start nothing
// (no quorum before both nodes were seen); then hbgo stops on node1 (the
// services stop) and Corosync+Pacemaker start there, and Pacemaker must
// start the group on node1. The outage (hbgo stop -> VIP back) is logged.
func TestLiveHandover(t *testing.T) {
	needLive(t)
	if testing.Short() {
		t.Skip("live Pacemaker test: not in -short")
	}
	if os.Getenv("HBGO_PCMK_LIVE") != "full" {
		t.Skip("live Pacemaker handover: runs in make interop (HBGO_PCMK_LIVE=full)")
	}
	bin := twonode.BuildHbgo(t)
	c := newLiveCluster(t, [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)}, "derived", []int{1}, false)
	// hbgo: keepalive 1 s, deadtime 3 s (liveHaCf).
	hbWait := 30 * time.Second
	c.Start(0)
	c.Start(1)
	if !twonode.WaitFor(hbWait, func() bool { return c.up(0) && c.DrbdPrimary(0, "r0") }) {
		t.Fatalf("hbgo did not start the group on node1: %s\n%s", c.GroupState(0, "hbxsvc"), c.Log(0))
	}

	// Step 3: the standby node.
	if err := c.Stop(1, hbWait); err != nil {
		t.Fatalf("stop hbgo on node2: %v", err)
	}
	c.startPcmk(1)
	if !twonode.WaitFor(dcDeadtime+20*c.token, func() bool { return strings.Contains(c.crmMon(1), "WITHOUT quorum") }) {
		c.fail(1, "node2's Pacemaker alone should report a partition WITHOUT quorum")
	}
	// Give it time to do something wrong: a DC election and a scheduler run.
	time.Sleep(dcDeadtime / 2)
	if !c.none(1) || !c.up(0) {
		c.fail(1, "starting Pacemaker on the standby moved something")
	}
	t.Logf("step 3: node2 runs Pacemaker without quorum, node1's hbgo keeps the group:\n%s", c.crmMon(1))

	// Step 4: the active node; this moves the services.
	t0 := time.Now()
	if err := c.Stop(0, hbWait); err != nil {
		t.Fatalf("stop hbgo on node1: %v", err)
	}
	stopped := time.Since(t0)
	if !c.none(0) || c.DrbdPrimary(0, "r0") {
		t.Fatalf("hbgo stop left something on node1: %s", c.GroupState(0, "hbxsvc"))
	}
	c.startPcmk(0)
	if !twonode.WaitFor(3*dcDeadtime+20*c.token, func() bool { return c.up(0) }) {
		c.fail(0, "Pacemaker did not start the group on node1")
	}
	outage := time.Since(t0)
	if !c.none(1) {
		c.fail(1, "node2 runs part of the group too")
	}
	t.Logf("RESULT handover hbgo_stop_ms=%d outage_ms=%d (hbgo stop on node1 -> VIP, mount and service on node1 under Pacemaker)\n%s",
		stopped.Milliseconds(), outage.Milliseconds(), c.crmMon(0))
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
