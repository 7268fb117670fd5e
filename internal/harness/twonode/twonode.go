// Package twonode holds a two-node heartbeat cluster in network namespaces (stock heartbeat or hbgo on each node, a client on the LAN) for interop tests, the demo and benchmarks.
package twonode

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/testnet"
)

// Impl is the daemon a node runs.
type Impl struct {
	Name string   // "heartbeat-3.0.6" or "hbgo"
	Cmd  []string // argv, run inside the node
	Exe  string   // executable whose processes are the daemon
}

// StockBin is Debian's heartbeat daemon.
const StockBin = "/usr/libexec/heartbeat/heartbeat"

// Stock returns stock heartbeat 3.0.6 in the foreground (the systemd unit's form).
func Stock() Impl { return Impl{Name: "heartbeat-3.0.6", Cmd: []string{StockBin, "-f"}, Exe: StockBin} }

// Hbgo returns hbgo's binary at bin in the foreground.
func Hbgo(bin string) Impl { return Impl{Name: "hbgo", Cmd: []string{bin, "-f"}, Exe: bin} }

// Topology addresses (private ranges, only inside the test's namespaces).
const (
	LANNet  = "10.77.0"
	HBNet   = "10.78.0"
	VIP     = LANNet + ".100"
	VIPCIDR = VIP + "/24"
	Client  = LANNet + ".50"
	HBIf    = "eth1"
	LANIf   = "eth0"
	Mnt     = "/mnt/hbxdata"
)

// Options describes the cluster to build.
type Options struct {
	Prefix      string  // namespace prefix, unique per test package (e.g. "hbgoia")
	Impl        [2]Impl // node1, node2
	HaCf        string  // templates with @TOKENS@ (see Render)
	Haresources string
	Authkeys    string
	HbgoCf      string // optional hbgo.cf template
	Serial      bool   // a socat pty null modem at /run/hbx-serial in both nodes
	LoopFS      bool   // a 32 MiB ext4 image on a loop device shared by both nodes
	DRBD        bool   // a recording stand-in over /usr/sbin/drbdadm (no DRBD module here)
	// Overlays: per node, a path inside it → a host file mounted over it.
	Overlays [2]map[string]string
}

// Cluster is a built two-node cluster.
type Cluster struct {
	t       testnet.T
	Lab     *testnet.Lab
	Node    [2]*testnet.Host
	Opts    Options
	LoopDev string
	Serial  [2]string // host-side pty link paths
	procs   [2]*exec.Cmd
}

// New builds namespaces node1, node2 and client (LAN bridge on eth0 in the
// client namespace, a private heartbeat veth on eth1), renders the configs
// into each node's /etc/ha.d, and starts nothing.
func New(t testnet.T, o Options) *Cluster {
	t.Helper()
	lab := testnet.New(t, o.Prefix)
	c := &Cluster{t: t, Lab: lab, Opts: o}
	var overlays map[string]string
	if o.DRBD {
		stand := filepath.Join(t.TempDir(), "drbdadm")
		if err := os.WriteFile(stand, []byte(fakeDrbdadm), 0o755); err != nil {
			t.Fatalf("%v", err)
		}
		os.Chmod(filepath.Dir(stand), 0o755)
		overlays = map[string]string{"/usr/sbin/drbdadm": stand}
		if _, err := os.Stat("/usr/sbin/drbdadm"); err != nil {
			// Nothing to mount over: put the stand-in in the node's PATH instead.
			overlays = nil
		}
	}
	lab.Node("client")
	for i := range c.Node {
		over := map[string]string{}
		for in, host := range overlays {
			over[in] = host
		}
		for in, host := range o.Overlays[i] {
			over[in] = host
		}
		c.Node[i] = lab.Host(fmt.Sprintf("node%d", i+1), over)
	}
	lab.Veth("node1", HBIf, HBNet+".1/24", "node2", HBIf, HBNet+".2/24")
	lab.Bridge("client", "br0", []string{"node1", "node2"}, []string{LANIf, LANIf}, []string{LANNet + ".1/24", LANNet + ".2/24"})
	// The client's own leg on the bridge.
	lab.In("client", "ip", "link", "add", "cl0", "type", "veth", "peer", "name", "cl0p")
	lab.In("client", "ip", "link", "set", "cl0p", "master", "br0")
	lab.In("client", "ip", "link", "set", "cl0p", "up")
	lab.In("client", "ip", "addr", "add", Client+"/24", "brd", "+", "dev", "cl0")
	lab.In("client", "ip", "link", "set", "cl0", "up")
	for i := range c.Node {
		// Fixed MACs make captures and neighbour checks readable.
		c.Node[i].Run("ip", "link", "set", LANIf, "address", fmt.Sprintf("02:77:00:00:00:0%d", i+1))
		c.Node[i].Run("ip", "link", "set", HBIf, "address", fmt.Sprintf("02:78:00:00:00:0%d", i+1))
		if o.DRBD && overlays == nil {
			c.Node[i].WriteFile("/run/bin/drbdadm", []byte(fakeDrbdadm), 0o755)
			pointDrbdadm(t, c.Node[i])
		}
	}
	if o.LoopFS {
		img := filepath.Join(t.TempDir(), "fs.img")
		lab.Run("truncate", "-s", "32M", img)
		lab.Run("mkfs.ext4", "-q", "-F", "-L", "hbxdata", img)
		c.LoopDev = strings.TrimSpace(lab.Run("losetup", "-f", "--show", img))
		lab.Cleanup(func() {
			// Unmount anything a node left behind before freeing the device.
			for i := range c.Node {
				_, _ = c.Node[i].Try("umount", "-l", Mnt)
			}
			_ = exec.Command("losetup", "-d", c.LoopDev).Run()
		})
	}
	if o.Serial {
		for i := range c.Serial {
			c.Serial[i] = c.Node[i].Path("/run/hbx-serial")
		}
		cmd := exec.Command("socat", "-d", "pty,raw,echo=0,link="+c.Serial[0], "pty,raw,echo=0,link="+c.Serial[1])
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("twonode: socat: %v", err)
		}
		lab.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
		if !budget.Poll(t, func() bool {
			_, e1 := os.Stat(c.Serial[0])
			_, e2 := os.Stat(c.Serial[1])
			return e1 == nil && e2 == nil
		}) {
			t.Fatalf("twonode: socat made no pty links %s, %s", c.Serial[0], c.Serial[1])
		}
	}
	for i := range c.Node {
		c.Render(i)
	}
	return c
}

// Tokens returns the @TOKEN@ values for node i (0 or 1).
func (c *Cluster) Tokens(i int) map[string]string {
	j := 1 - i
	serial := "/run/hbx-serial"
	return map[string]string{
		"@NODE@": fmt.Sprintf("node%d", i+1), "@PEER@": fmt.Sprintf("node%d", j+1),
		"@NODE1@": "node1", "@NODE2@": "node2",
		"@SELF_HBIP@": fmt.Sprintf("%s.%d", HBNet, i+1), "@PEER_HBIP@": fmt.Sprintf("%s.%d", HBNet, j+1),
		"@SELF_LANIP@": fmt.Sprintf("%s.%d", LANNet, i+1), "@PEER_LANIP@": fmt.Sprintf("%s.%d", LANNet, j+1),
		"@HBIF@": HBIf, "@LANIF@": LANIf, "@VIP@": VIP, "@VIPCIDR@": VIPCIDR,
		"@HBBCAST@": HBNet + ".255", "@LANBCAST@": LANNet + ".255",
		"@SERIAL@": serial, "@LOOPDEV@": c.LoopDev, "@MNT@": Mnt,
	}
}

// Render substitutes node i's tokens into text.
func (c *Cluster) Render(i int) {
	c.t.Helper()
	sub := func(s string) string {
		for k, v := range c.Tokens(i) {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	h := c.Node[i]
	h.WriteFile("/etc/ha.d/ha.cf", []byte(sub(c.Opts.HaCf)), 0o644)
	h.WriteFile("/etc/ha.d/haresources", []byte(sub(c.Opts.Haresources)), 0o644)
	h.WriteFile("/etc/ha.d/authkeys", []byte(sub(c.Opts.Authkeys)), 0o600)
	if c.Opts.HbgoCf != "" {
		h.WriteFile("/etc/ha.d/hbgo.cf", []byte(sub(c.Opts.HbgoCf)), 0o644)
	}
}

// Start starts node i's daemon (output appended to its /var/log/impl.out).
func (c *Cluster) Start(i int) {
	c.t.Helper()
	im := c.Opts.Impl[i]
	c.procs[i] = c.Node[i].Start(c.Node[i].Path("/var/log/impl.out"), im.Cmd[0], im.Cmd[1:]...)
}

// Kill SIGKILLs every daemon process of node i at once (a crash: what it
// holds stays up, as after a real heartbeat crash) and waits until they are
// reaped, so no zombie keeps stock's PID file or a serial lock "alive".
func (c *Cluster) Kill(i int) {
	exe := c.Opts.Impl[i].Exe
	c.Node[i].Kill(exe, syscall.SIGSTOP)
	c.Node[i].Kill(exe, syscall.SIGKILL)
	c.reap(i, budget.Left(c.t)) // how soon the kernel reaps is the machine's business
}

// reap waits until node i's daemon processes are gone and the nsenter that
// started it has exited. nsenter waits for its child with WUNTRACED and
// stops itself when the child stops (util-linux continue_as_child), so after
// Kill's SIGSTOP it sits stopped with the killed daemon as its zombie until
// it gets a SIGCONT.
func (c *Cluster) reap(i int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		parent := 0
		if p := c.procs[i]; p != nil && p.Process != nil && live(p.Process.Pid) {
			parent = p.Process.Pid
			_ = syscall.Kill(parent, syscall.SIGCONT)
		}
		if parent == 0 && len(c.Node[i].Pids(c.Opts.Impl[i].Exe)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// live reports whether pid exists and is not a zombie.
func live(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// Stop sends SIGTERM to node i's main daemon process (graceful stop) and
// waits up to timeout for all of its processes to exit.
func (c *Cluster) Stop(i int, timeout time.Duration) error {
	pids := c.Node[i].Pids(c.Opts.Impl[i].Exe)
	main := mainPid(pids)
	if main == 0 {
		return fmt.Errorf("twonode: node%d: no daemon running", i+1)
	}
	_ = syscall.Kill(main, syscall.SIGTERM)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if len(c.Node[i].Pids(c.Opts.Impl[i].Exe)) == 0 {
			c.reap(i, time.Until(deadline))
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("twonode: node%d still running %v after %v", i+1, timeout, c.Node[i].Pids(c.Opts.Impl[i].Exe))
}

// MainPid returns the process of pids (a node's daemon processes) whose
// parent is not one of them: the daemon's main process, or 0.
func MainPid(pids []int) int { return mainPid(pids) }

// mainPid is the daemon process whose parent is not another daemon process.
func mainPid(pids []int) int {
	set := map[int]bool{}
	for _, p := range pids {
		set[p] = true
	}
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		var pp int
		if len(f) > 1 {
			fmt.Sscan(f[1], &pp)
		}
		if !set[pp] {
			return p
		}
	}
	return 0
}

// Running reports whether node i has daemon processes.
func (c *Cluster) Running(i int) bool { return len(c.Node[i].Pids(c.Opts.Impl[i].Exe)) > 0 }

// Cut isolates node i's links: "hb" (eth1), "lan" (eth0) or "all".
func (c *Cluster) Cut(i int, which string) {
	for _, ifn := range links(which) {
		c.Lab.Cut(fmt.Sprintf("node%d", i+1), ifn)
	}
}

// Heal undoes Cut.
func (c *Cluster) Heal(i int, which string) {
	for _, ifn := range links(which) {
		c.Lab.Heal(fmt.Sprintf("node%d", i+1), ifn)
	}
}

// Uncut removes whatever Cut left on node i's links.
func (c *Cluster) Uncut(i int) {
	for _, ifn := range links("all") {
		c.Lab.Uncut(fmt.Sprintf("node%d", i+1), ifn)
	}
}

func links(which string) []string {
	switch which {
	case "hb":
		return []string{HBIf}
	case "lan":
		return []string{LANIf}
	default:
		return []string{LANIf, HBIf}
	}
}

// Log returns node i's ha-log so far.
func (c *Cluster) Log(i int) string {
	b, _ := os.ReadFile(c.Node[i].Path("/var/log/ha-log"))
	return string(b)
}

// WaitLog waits until node i's ha-log has a line matching re after offset
// bytes, and returns that line and the offset just past it.
func (c *Cluster) WaitLog(i int, re *regexp.Regexp, from int, timeout time.Duration) (string, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(c.Node[i].Path("/var/log/ha-log"))
		if from < len(b) {
			rest := b[from:]
			for off := 0; off < len(rest); {
				nl := bytes.IndexByte(rest[off:], '\n')
				if nl < 0 {
					break
				}
				line := string(rest[off : off+nl])
				if re.MatchString(line) {
					return line, from + off + nl + 1, nil
				}
				off += nl + 1
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(c.Node[i].Path("/var/log/impl.out"))
			return "", from, fmt.Errorf("twonode: node%d: no line matching %q within %v; log tail:\n%s\ndaemon output:\n%s", i+1, re, timeout, tail(string(b), 15), tail(string(out), 15))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// HasVIP reports whether node i has the VIP configured.
func (c *Cluster) HasVIP(i int) bool {
	out, _ := c.Node[i].Try("ip", "-4", "-o", "addr", "show", "dev", LANIf)
	return strings.Contains(out, " "+VIP+"/")
}

// Mounted reports whether node i has the shared filesystem mounted.
func (c *Cluster) Mounted(i int) bool {
	out, _ := c.Node[i].Try("cat", "/proc/self/mounts")
	return strings.Contains(out, " "+Mnt+" ")
}

// drbdStateDir is where the drbdadm stand-in keeps each resource's role.
const drbdStateDir = "/var/lib/heartbeat/hbx-drbd"

// DrbdPrimary reports whether node i's drbdadm stand-in has resource res Primary.
func (c *Cluster) DrbdPrimary(i int, res string) bool {
	b, _ := os.ReadFile(c.Node[i].Path(drbdStateDir + "/" + res + ".role"))
	return strings.TrimSpace(string(b)) == "Primary"
}

// AfterCrash clears on node i what the reboot of a crashed machine clears:
// the shared mount (lazily: a killed service may still hold it), the VIP,
// the drbdadm stand-in's roles and stock's PID file (a reboot empties /run;
// without it stock's restart may find its old pid and say "already
// running"). The node's daemon must be dead already.
func (c *Cluster) AfterCrash(i int) {
	h := c.Node[i]
	_, _ = h.Try("umount", "-l", Mnt)
	_, _ = h.Try("ip", "addr", "del", VIPCIDR, "dev", LANIf)
	roles, _ := filepath.Glob(h.Path(drbdStateDir + "/*.role"))
	for _, r := range roles {
		_ = os.Remove(r)
	}
	_ = os.Remove(h.Path("/run/heartbeat.pid"))
}

// WaitFor polls cond every 10 ms until it holds or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// pointDrbdadm makes the drbddisk agents (native and the script alike) use
// the stand-in in /run/bin when there is no /usr/sbin/drbdadm to mount over:
// the node gets a private /etc/default whose drbd file sets DRBDADM, bound in
// the node's own mount namespace only.
func pointDrbdadm(t testnet.T, h *testnet.Host) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "etc-default")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	if ents, err := os.ReadDir("/etc/default"); err == nil {
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join("/etc/default", e.Name())); err == nil && e.Type().IsRegular() {
				_ = os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "drbd"), []byte("DRBDADM=/run/bin/drbdadm\n"), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	h.Run("mount", "--bind", dir, "/etc/default")
}

// fakeDrbdadm is a recording stand-in for drbdadm: there is no DRBD kernel
// module on the test machines. It keeps each resource's role in
// /var/lib/heartbeat/hbx-drbd and appends every call to /var/log/drbdadm.calls.
const fakeDrbdadm = `#!/bin/sh
dir=` + drbdStateDir + `
mkdir -p "$dir"
echo "$(date +%s.%N) drbdadm $*" >>/var/log/drbdadm.calls
while [ $# -gt 0 ]; do case "$1" in -c|--config-file) shift 2;; -*) shift;; *) break;; esac; done
cmd=$1; res=${2:-all}
role() { cat "$dir/$1.role" 2>/dev/null || echo Secondary; }
case "$cmd" in
  primary) echo Primary >"$dir/$res.role";;
  secondary) echo Secondary >"$dir/$res.role";;
  role|state) echo "$(role "$res")/Unknown";;
  sh-dev) echo /dev/drbd0;;
  sh-minor) echo 0;;
esac
exit 0
`
