package check

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hbgo/resource.d/filesystem"
)

// realMounts is hostA that resolves Filesystem mount points on this
// machine's file system, as OSHost does.
type realMounts struct{ fakeHost }

func (realMounts) ResolveMountPoint(dir string) (string, error) {
	return filesystem.ResolveMountPoint(dir)
}

// hardeningCase is one configuration and the problem line it must give.
type hardeningCase struct {
	name         string
	hacf, hr, ak string // "" = the good file
	code         int
	want         string // a whole stderr line, DIR for the configuration directory
}

func runHardening(t *testing.T, h Host, tests []hardeningCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"ha.cf": or(tt.hacf, goodHaCf), "haresources": or(tt.hr, goodHaresources), "authkeys": or(tt.ak, goodAuthkeys)}, 0)
			o := testOptions(t, h)
			code, _, stderr := run([]string{"-dir", dir}, o)
			stderr = strings.ReplaceAll(stderr, dir, "DIR")
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			found := tt.want == ""
			for _, l := range lines {
				found = found || l == tt.want
				if l != "" && !problemLine.MatchString(l) && !verdictLine.MatchString(l) {
					t.Errorf("stderr line not in problem form: %q", l)
				}
			}
			if !found {
				t.Errorf("stderr lacks\n  %s\ngot:\n%s", tt.want, stderr)
			}
		})
	}
}

// TestFilesystemMountPoints: a Filesystem mount point of / or a system
// mount is refused as written; one that is a symbolic link on this host, or
// resolves to a system mount through a linked parent, is refused too
// (before, a link to / passed, and stop unmounted everything).
func TestFilesystemMountPoints(t *testing.T) {
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rootLink := filepath.Join(tmp, "data")
	if err := os.Symlink("/", rootLink); err != nil {
		t.Fatal(err)
	}
	upLink := filepath.Join(tmp, "up")
	if err := os.Symlink("/", upLink); err != nil {
		t.Fatal(err)
	}
	fs := func(dir string) string { return "node1 Filesystem::/dev/drbd0::" + dir + "::ext4\n" }
	runHardening(t, realMounts{hostA}, []hardeningCase{
		{name: "/proc", hr: fs("/proc"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::/proc::ext4: refusing mount point /proc: it is a system mount; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "/", hr: fs("/"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::/::ext4: refusing mount point /: it is the root file system; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "/var", hr: fs("/var/"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::/var/::ext4: refusing mount point /var: it is a system mount; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "link to /", hr: fs(rootLink), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::" + rootLink + "::ext4: refusing mount point " + rootLink + ": it is a symbolic link (to /); name the directory the link points to, or mount somewhere else: mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "linked parent to /proc", hr: fs(upLink + "/proc"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::" + upLink + "/proc::ext4: refusing mount point " + upLink + "/proc (/proc): it is a system mount; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "/var/lib/mysql is fine", hr: fs("/var/lib/mysql"), code: 0},
	})
}

// TestCRCKeys: crc keys are accepted, as stock does, with a warning at
// their line saying what to write instead and how to make a key.
func TestCRCKeys(t *testing.T) {
	const hint = "write 1 sha1 <key>, a random key made with: od -An -N32 -tx1 /dev/urandom | tr -d ' \\n'; copy the same authkeys to every node (stock reads sha1 too)"
	runHardening(t, hostA, []hardeningCase{
		{name: "active crc", ak: "auth 1\n1 crc\n", code: 0,
			want: "DIR/authkeys:2: warning: index 1 uses crc, which authenticates nothing: anyone who can send to the cluster's links can forge messages that move resources (it signs this node's messages); " + hint},
		{name: "crc kept for rotation", ak: "auth 2\n# old\n1 crc\n2 sha1 0123456789abcdef\n", code: 0,
			want: "DIR/authkeys:3: warning: index 1 uses crc, which authenticates nothing: anyone who can send to the cluster's links can forge messages that move resources; " + hint},
	})
}

// bcastHost is hostA whose eth1 is on 192.0.2.0/24.
type bcastHost struct{ fakeHost }

func (bcastHost) Broadcasts(iface string) []netip.Addr {
	if iface == "eth1" {
		return []netip.Addr{netip.MustParseAddr("192.0.2.255")}
	}
	return nil
}

// TestRefusedBeyondStock: what stock heartbeat accepts but hbgo refuses
// or warns about (docs/CONFIG.md, "What hbgo refuses beyond stock
// heartbeat"), each at its file:line with what to write instead.
func TestRefusedBeyondStock(t *testing.T) {
	const hacfHead = "logfile /var/log/ha-log\nkeepalive 1\ndeadtime 10\nwarntime 5\ninitdead 30\nauto_failback on\nnode node1\n"
	vip := func(arg string) string { return "node1 " + arg + " Delay::1::0\n" }
	const vipHint = "write the unicast IPv4 address clients reach the service at, e.g. IPaddr::10.0.0.5/24/eth0"
	runHardening(t, bcastHost{hostA}, []hardeningCase{
		// Node names.
		{name: "control byte in a node name", hacf: hacfHead + "bcast eth1\nnode node\x012\n", code: 6,
			want: "DIR/ha.cf:9: error: node name \"node\\x012\" holds the control byte '\\x01'; write the node's name as uname -n prints it (letters, digits, '-', '.')"},
		{name: "escape in a node name", hacf: hacfHead + "bcast eth1\nnode node2\x1b[2J\n", code: 6,
			want: "DIR/ha.cf:9: error: node name \"node2\\x1b[2J\" holds the control byte '\\x1b'; write the node's name as uname -n prints it (letters, digits, '-', '.')"},
		{name: "NUL in a node name", hacf: hacfHead + "bcast eth1\nnode node2\x00x\n", code: 6,
			want: "DIR/ha.cf:9: error: node line holds a NUL byte; the name would be cut to \"node2\"; write the node's name as uname -n prints it, in plain text"},
		// VIPs.
		{name: "VIP 0.0.0.0", hr: vip("IPaddr::0.0.0.0/24/eth0"), code: 6,
			want: "DIR/haresources:1: error: resource IPaddr::0.0.0.0/24/eth0: 0.0.0.0 is the unspecified address; " + vipHint},
		{name: "VIP 255.255.255.255", hr: vip("IPaddr::255.255.255.255"), code: 6,
			want: "DIR/haresources:1: error: resource IPaddr::255.255.255.255: 255.255.255.255 is the limited broadcast address; " + vipHint},
		{name: "VIP loopback", hr: vip("IPaddr::127.0.0.2/8/eth0"), code: 6,
			want: "DIR/haresources:1: error: resource IPaddr::127.0.0.2/8/eth0: 127.0.0.2 is a loopback address (127.0.0.0/8); " + vipHint},
		{name: "VIP multicast", hr: vip("IPaddr2::239.1.1.1/24/eth0"), code: 6,
			want: "DIR/haresources:1: error: resource IPaddr2::239.1.1.1/24/eth0: 239.1.1.1 is a multicast address (224.0.0.0/4); write the unicast IPv4 address clients reach the service at, e.g. IPaddr2::10.0.0.5/24/eth0"},
		{name: "VIP /0", hr: vip("IPaddr::192.0.2.10/0/eth0"), code: 6,
			want: "DIR/haresources:1: error: resource IPaddr::192.0.2.10/0/eth0: 192.0.2.10/0: a netmask of 0 bits makes the subnet every IPv4 address; write the LAN's prefix length, e.g. IPaddr::192.0.2.10/24, or leave it out to take it from the route"},
		{name: "bare VIP loopback", hr: "node1 127.0.0.2\n", code: 6,
			want: "DIR/haresources:1: error: resource 127.0.0.2: 127.0.0.2 is a loopback address (127.0.0.0/8); " + vipHint},
		// ucast peers.
		{name: "ucast to the limited broadcast", hacf: hacfHead + "ucast eth1 255.255.255.255\nnode node2\n", code: 6,
			want: "DIR/ha.cf:8: error: ucast peer 255.255.255.255 is the limited broadcast address, not one node; write ucast eth1 <the peer's own address>, or bcast eth1 for a link to every node"},
		{name: "ucast to 0.0.0.0", hacf: hacfHead + "ucast eth1 0.0.0.0\nnode node2\n", code: 6,
			want: "DIR/ha.cf:8: error: ucast peer 0.0.0.0 is the unspecified address, not one node; write ucast eth1 <the peer's own address>, or bcast eth1 for a link to every node"},
		{name: "ucast to a multicast group", hacf: hacfHead + "ucast eth1 239.0.0.1\nnode node2\n", code: 6,
			want: "DIR/ha.cf:8: error: ucast peer 239.0.0.1 is a multicast address, not one node; write ucast eth1 <the peer's own address>, or mcast eth1 239.0.0.1 694 1 0 for a link to every node"},
		{name: "ucast6 to ::", hacf: hacfHead + "bcast eth1\nucast6 eth1 ::\nnode node2\n", code: 6,
			want: "DIR/ha.cf:9: error: ucast6 peer :: is the unspecified address, not one node; write ucast6 eth1 <the peer's own address>, or bcast eth1 for a link to every node"},
		{name: "ucast to the subnet's broadcast", hacf: hacfHead + "ucast eth1 192.0.2.255\nnode node2\n", code: 6,
			want: "DIR/ha.cf:8: error: ucast peer 192.0.2.255 is the broadcast address of eth1's subnet, not one node; write ucast eth1 <the peer's own address>, or bcast eth1 for a link to every node"},
		{name: "ucast to a peer", hacf: hacfHead + "ucast eth1 192.0.2.2\nnode node2\n", code: 0},
		// Cluster size.
		{name: "three nodes", hacf: goodHaCf + "node node3\n", code: 0,
			want: "DIR/ha.cf:11: warning: 3 nodes are declared (node1, node2, node3); haresources clusters are two-node: a third node takes part in membership but failover only moves groups between a group's home node and one other; keep node lines for the two nodes that share the resources; for more nodes move to Pacemaker (see docs/MIGRATION.md)"},
	})
}

// stricterHardening are the testdata/newuser cases stock 3.0.6 starts with
// and hbgo refuses (issue 13; docs/CONFIG.md lists each with its reason).
// crc-key and three-nodes are not here: stock and hbgo both start, hbgo
// with a warning.
var stricterHardening = map[string]string{
	"node-control-byte": "node names travel in line-oriented messages (PROTOCOL §3.3)",
	"node-nul-byte":     "stock cuts the node name at the NUL",
	"ucast-broadcast":   "ucast is one peer; stock's writes to 255.255.255.255 fail with Permission denied (recorded)",
	"ucast-unspecified": "ucast is one peer; 0.0.0.0 is none",
	"ucast-multicast":   "ucast is one peer; write mcast for a group",
	"vip-loopback":      "a loopback VIP on eth0 takes loopback traffic off lo",
	"vip-multicast":     "a multicast address is never a service address",
	"vip-unspecified":   "0.0.0.0 matches every local address",
	"vip-broadcast":     "255.255.255.255 is every host",
	"vip-zero-mask":     "a /0 subnet claims every address",
	"filesystem-proc":   "stop would unmount everything below /proc and kill its users",
	"filesystem-var":    "stop would unmount everything below /var and kill its users",
}

func init() {
	for k, v := range stricterHardening {
		stricter[k] = v
	}
}
