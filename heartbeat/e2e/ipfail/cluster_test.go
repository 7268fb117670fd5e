package ipfail

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/harness/twonode"
)

// haCf is the captured runs' ha.cf (docs/IPFAIL.md, README §1) with
// shorter timings: the ping node is the client namespace's 10.77.0.50,
// reached on the LAN; the heartbeat link is eth1 only.
// Stock's ipfail waits 2 x keepalive (1 s here) before giving up.
var haCf = twonode.HaCf{Keepalive: "500ms", Deadtime: "4", Warntime: "2", Initdead: "8",
	Media: []string{"ucast @HBIF@ @PEER_HBIP@"}, Failback: "@FAILBACK@",
	Extra: []string{"ping " + twonode.Client, "deadping 2", "respawn hacluster /usr/libexec/heartbeat/ipfail",
		"apiauth ipfail gid=haclient uid=hacluster", "respawn root " + clientPath}}.String()

// clientPath is a respawn client that fails at once, every time: stock
// restarts it ten times and then gives up ("respawning too fast").
const clientPath = "/etc/ha.d/hbx-client"

const clientScript = "#!/bin/sh\nexit 3\n"

const authkeys = "auth 1\n1 sha1 hbx-ipfail-key\n"

// haresources is one group: the VIP, node1's.
const haresources = "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"

// pair is one cluster shared by the steps of a test.
type pair struct {
	t   *testing.T
	c   *twonode.Cluster
	off [2]int
}

func needRoot(t *testing.T, stock bool) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if _, err := exec("nft"); err != nil {
		t.Skip("needs nft to cut ICMP")
	}
	if stock {
		for _, p := range []string{twonode.StockBin, "/usr/libexec/heartbeat/ipfail"} {
			if _, err := os.Stat(p); err != nil {
				t.Skipf("stock heartbeat 3.0.6 is not installed (%s)", p)
			}
		}
	}
}

func exec(name string) (string, error) {
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if _, err := os.Stat(d + "/" + name); err == nil {
			return d + "/" + name, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

func newCluster(t *testing.T, prefix string, im [2]twonode.Impl, failback string) *pair {
	c := twonode.New(t, twonode.Options{Prefix: prefix, Impl: im, HaCf: strings.ReplaceAll(haCf, "@FAILBACK@", failback),
		Haresources: haresources, Authkeys: authkeys})
	for i := range c.Node {
		c.Node[i].WriteFile(clientPath, []byte(clientScript), 0o755)
	}
	p := &pair{t: t, c: c}
	t.Cleanup(func() {
		// HBGO_IPFAIL_DUMP=1 prints both whole logs even on success.
		dump := os.Getenv("HBGO_IPFAIL_DUMP") != ""
		if t.Failed() || dump {
			for i := range c.Node {
				log := c.Log(i)
				if n := strings.Count(log, "\n"); n > 80 && !dump {
					lines := strings.Split(log, "\n")
					log = strings.Join(lines[len(lines)-81:], "\n")
				}
				t.Logf("node%d (%s) ha-log tail:\n%s", i+1, c.Opts.Impl[i].Name, log)
			}
		}
	})
	return p
}

// step runs one step as a subtest; later steps build on it.
func (p *pair) step(name string, f func()) bool {
	parent := p.t
	return parent.Run(name, func(t *testing.T) {
		p.t = t
		defer func() { p.t = parent }()
		p.off = [2]int{len(p.c.Log(0)), len(p.c.Log(1))}
		f()
		for i := range 2 {
			if loc := regexp.MustCompile(`attempted replay|ERROR: hbgo:|bad node|should_drop_message|ignored\.  Other side is in flux`).FindString(p.c.Log(i)[p.off[i]:]); loc != "" {
				t.Errorf("node%d (%s): unexpected %q", i+1, p.c.Opts.Impl[i].Name, loc)
			}
		}
	})
}

// expect waits for each pattern in node i's log, in order, after the step began.
func (p *pair) expect(i int, timeout time.Duration, pats ...string) bool {
	p.t.Helper()
	off := p.off[i]
	for _, pat := range pats {
		_, next, err := p.c.WaitLog(i, regexp.MustCompile(pat), off, timeout)
		if err != nil {
			p.t.Errorf("node%d (%s): line %q missing or out of order: %v", i+1, p.c.Opts.Impl[i].Name, pat, err)
			return false
		}
		off = next
	}
	return true
}

// holder waits until node want alone has the VIP, and that it stays so for settle.
func (p *pair) holder(want int, timeout, settle time.Duration) bool {
	p.t.Helper()
	ok := func() bool { return p.c.HasVIP(want) && !p.c.HasVIP(1-want) }
	if !twonode.WaitFor(timeout, ok) {
		p.t.Errorf("want the VIP on node%d only: node1=%v node2=%v", want+1, p.c.HasVIP(0), p.c.HasVIP(1))
		return false
	}
	end := time.Now().Add(settle)
	for time.Now().Before(end) {
		if !ok() {
			p.t.Errorf("VIP did not stay on node%d: node1=%v node2=%v", want+1, p.c.HasVIP(0), p.c.HasVIP(1))
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// cutPing drops ICMP between node i and the ping node, as the captured runs
// did (README §1 "How the ping node was cut"): ARP, the VIP and the
// heartbeat link keep working.
func (p *pair) cutPing(i int) {
	p.t.Helper()
	rules := `add table netdev hbxping
add chain netdev hbxping in_eth0 { type filter hook ingress device "eth0" priority -500; }
add chain netdev hbxping out_eth0 { type filter hook egress device "eth0" priority -500; }
add rule netdev hbxping in_eth0 ip saddr ` + twonode.Client + ` ip protocol icmp drop
add rule netdev hbxping out_eth0 ip daddr ` + twonode.Client + ` ip protocol icmp drop
`
	p.c.Node[i].WriteFile("/run/hbxping.nft", []byte(rules), 0o644)
	if out, err := p.c.Node[i].Try("nft", "-f", "/run/hbxping.nft"); err != nil {
		p.t.Fatalf("node%d: nft: %v\n%s", i+1, err, out)
	}
}

// healPing undoes cutPing.
func (p *pair) healPing(i int) {
	p.t.Helper()
	if out, err := p.c.Node[i].Try("nft", "delete", "table", "netdev", "hbxping"); err != nil {
		p.t.Fatalf("node%d: nft: %v\n%s", i+1, err, out)
	}
}

var (
	logPrefix = regexp.MustCompile(`^[A-Z][a-z]{2} +[0-9]+ [0-9:]+ \S+ heartbeat: \[[0-9]+\]: `)
	logPid    = regexp.MustCompile(`(pid |process )[0-9]+`)
	logIDs    = regexp.MustCompile(`\([0-9]+,[0-9]+\)|uid [0-9]+  gid [0-9]+`)
)

// hideIDs replaces uid/gid numbers (hacluster's differ between hosts).
func hideIDs(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = logIDs.ReplaceAllStringFunc(l, func(m string) string {
			if strings.HasPrefix(m, "(") {
				return "(U,G)"
			}
			return "uid U  gid G"
		})
	}
	return out
}

// respawnLines returns node i's heartbeat lines about the respawn client
// cmd since offset from, normalised as testdata/respawn-stock.golden.
func (p *pair) respawnLines(i int, cmd string, from int) []string {
	var out []string
	for _, l := range strings.Split(p.c.Log(i)[from:], "\n") {
		if !strings.Contains(l, cmd) || !logPrefix.MatchString(l) {
			continue
		}
		l = logPrefix.ReplaceAllString(l, "heartbeat: [P]: ")
		out = append(out, logPid.ReplaceAllString(l, "${1}P"))
	}
	return out
}

// checkRespawn waits until node i gave the client up and compares its lines
// with stock's.
func (p *pair) checkRespawn(i int) {
	p.t.Helper()
	p.off[i] = 0
	if !p.expect(i, p.c.Dead(15), `Client `+clientPath+` "respawning too fast"`) {
		return
	}
	p.golden(i, "testdata/respawn-stock.golden", p.respawnLines(i, clientPath, 0))
}

// golden compares lines of node i with a recorded file ("#" lines are comments).
func (p *pair) golden(i int, file string, got []string) {
	p.t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		p.t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		p.t.Errorf("node%d (%s): lines differ from %s (-recorded +got):\n%s", i+1, p.c.Opts.Impl[i].Name, file, diff)
	}
}
