package status

import (
	"strings"
	"testing"

	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
)

const baseHaCf = `keepalive 200ms
deadtime 1
warntime 500ms
initdead 2
udpport 694
ucast eth1 10.0.0.2
bcast eth2
node node1 node2
auto_failback off
`

const baseHaRes = `node1 10.0.0.100 svc
node2 10.0.0.200 Filesystem::/dev/loop0::/mnt::ext4
`

func hashOf(t *testing.T, cf, hr string) string {
	t.Helper()
	c, ps := hacf.Parse(strings.NewReader(cf), "ha.cf")
	if ps.HasErrors() {
		t.Fatalf("ha.cf: %v", ps)
	}
	g, ps := haresources.Parse(strings.NewReader(hr), "haresources")
	if ps.HasErrors() {
		t.Fatalf("haresources: %v", ps)
	}
	return ConfigHash(c, g)
}

// TestConfigHash: what must match on both nodes changes the hash of its
// part; what differs between nodes by nature (the ucast peer address, an
// interface name, node order, layout and comments) does not.
func TestConfigHash(t *testing.T) {
	base := hashOf(t, baseHaCf, baseHaRes)
	for _, c := range []struct {
		name   string
		cf, hr string
		want   PeerConfig
	}{
		{"same", baseHaCf, baseHaRes, PeerConfig{State: ConfigMatch}},
		{"peer's own ucast address and interfaces",
			strings.NewReplacer("ucast eth1 10.0.0.2", "ucast ens3 10.0.0.1", "bcast eth2", "bcast ens4").Replace(baseHaCf),
			baseHaRes, PeerConfig{State: ConfigMatch}},
		{"node order, case, comments, continuation",
			strings.Replace(baseHaCf, "node node1 node2", "node NODE2\nnode node1 # the other one", 1),
			"# groups\nnode1   10.0.0.100 \\\n  svc\nnode2 10.0.0.200 Filesystem::/dev/loop0::/mnt::ext4\n",
			PeerConfig{State: ConfigMatch}},
		{"deadtime", strings.Replace(baseHaCf, "deadtime 1", "deadtime 2", 1), baseHaRes,
			PeerConfig{State: ConfigMismatch, Parts: []string{"timings"}}},
		{"udpport", strings.Replace(baseHaCf, "udpport 694", "udpport 695", 1), baseHaRes,
			PeerConfig{State: ConfigMismatch, Parts: []string{"media"}}},
		{"auto_failback and a node", strings.NewReplacer("auto_failback off", "auto_failback on", "node node1 node2", "node node1 node3").Replace(baseHaCf),
			baseHaRes, PeerConfig{State: ConfigMismatch, Parts: []string{"nodes", "auto_failback"}}},
		{"haresources", baseHaCf, strings.Replace(baseHaRes, "svc", "svc2", 1),
			PeerConfig{State: ConfigMismatch, Parts: []string{"haresources"}}},
	} {
		got := CompareConfig(base, hashOf(t, c.cf, c.hr))
		if got.State != c.want.State || strings.Join(got.Parts, ",") != strings.Join(c.want.Parts, ",") {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestCompareConfigUnknown(t *testing.T) {
	ours := hashOf(t, baseHaCf, baseHaRes)
	for _, peer := range []string{"", "2.aa.bb", "garbage", strings.Replace(ours, "1.", "9.", 1)} {
		if got := CompareConfig(ours, peer); got.State != ConfigUnknown {
			t.Errorf("peer %q: %+v, want unknown (a stock or newer peer is never a mismatch)", peer, got)
		}
	}
}

func TestPeerSoftware(t *testing.T) {
	long := strings.Repeat("9", 100)
	for _, c := range []struct {
		ver, hash string
		heard     bool
		want      string
	}{
		{"v1.4.0-3-gabc+dirty", "1.aa", true, "hbgo v1.4.0-3-gabc+dirty"},
		{"1.0\n\x1b[2J<b>", "", true, "hbgo 1.02Jb"},
		{"\n", "1.aa", true, "hbgo"},
		{long, "1.aa", true, "hbgo " + long[:64]},
		{"", "1.aa", true, "hbgo"},
		{"", "", true, "heartbeat (stock)"},
		{"", "", false, ""},
	} {
		if got := PeerSoftware(c.ver, c.hash, c.heard); got != c.want {
			t.Errorf("PeerSoftware(%q, %q, %v) = %q, want %q", c.ver, c.hash, c.heard, got, c.want)
		}
	}
}
