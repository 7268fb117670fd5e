package twonode

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"hbgo/internal/harness/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }

var record = flag.Bool("record", false, "rewrite testdata/stock-*.txt from the live stock cluster")

var fastHaCf = FastHaCf("bcast @HBIF@", "ping 10.78.0.254")

func stockInstalled(t *testing.T) {
	if _, err := os.Stat(StockBin); err != nil {
		t.Skip("stock heartbeat 3.0.6 is not installed (make test installs it as root)")
	}
}

// TestStockPair runs two stock heartbeat 3.0.6 nodes: it checks the
// namespace cluster itself (the VIP lands on node1) and records what stock's
// cl_status prints for a running cluster, the reference for hbgo's cl_status.
func TestStockPair(t *testing.T) {
	stockInstalled(t)
	c := New(t, Options{
		Prefix: "hbgotw", Impl: [2]Impl{Stock(), Stock()},
		HaCf: fastHaCf, Authkeys: Authkeys,
		Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n",
	})
	c.Start(0)
	c.Start(1)
	for i := 0; i < 2; i++ {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Initial resource acquisition complete`), 0, c.Dead(30)); err != nil {
			t.Fatal(err)
		}
	}
	if !WaitFor(c.Dead(10), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never appeared on node1; log:\n%s", c.Log(0))
	}
	if c.HasVIP(1) {
		t.Fatal("VIP on both nodes")
	}
	cmds := [][]string{
		{"hbstatus"}, {"hbstatus", "-m"}, {"listnodes"}, {"listnodes", "-n"}, {"listnodes", "-p"},
		{"listnodes", "-v"}, {"listnodes", "-m"},
		{"nodestatus", "node2"}, {"nodestatus", "-m", "node2"}, {"nodestatus", "NODE2"}, {"nodestatus", "nodeX"}, {"nodestatus"},
		{"nodestatus", "10.78.0.254"},
		{"nodetype", "node2"}, {"nodetype", "-m", "10.78.0.254"}, {"nodetype"},
		{"nodeweight", "node2"}, {"nodeweight", "-m", "node2"}, {"nodesite", "node2"}, {"nodesite", "-m", "node2"},
		{"listhblinks", "node2"}, {"listhblinks", "-m", "node2"},
		{"hblinkstatus", "node2", "eth1"}, {"hblinkstatus", "-m", "node2", "eth1"}, {"hblinkstatus", "node2", "eth9"},
		{"rscstatus"}, {"rscstatus", "-m"},
		{"hbparameter", "-p", "deadtime"}, {"hbparameter", "-p", "keepalive"}, {"hbparameter", "-p", "warntime"},
		{"hbparameter", "-p", "deadping"}, {"hbparameter", "-p", "udpport"}, {"hbparameter", "-p", "initdead"},
		{"hbparameter", "-m", "-p", "deadtime"}, {"hbparameter", "-p", "nosuch"},
		{"test"}, {"hbstatus", "-v"}, {"hbstatus", "-v", "-m"}, {"listnodes", "-v", "-m"}, {"listnodes", "-n", "-p"},
		{"listhblinks", "-v", "node2"}, {"listhblinks", "-v", "-m", "node2"}, {"listhblinks", "nodeX"}, {"listhblinks"},
		{"hblinkstatus", "node2"}, {"hblinkstatus", "nodeX", "eth1"},
		{"nodestatus", "node1"}, {"nodestatus", "node2", "extra"}, {"nodestatus", "-x", "node2"},
		{"clientstatus", "node2", "ipfail", "500"}, {"clientstatus", "node2"},
		{"nodeweight"}, {"nodesite"}, {"nodeweight", "nodeX"}, {"nodetype", "nodeX"},
		{"hbparameter"}, {"hbparameter", "-p"}, {"hbparameter", "-p", "hbversion"}, {"hbparameter", "-p", "node"},
		{"hbparameter", "-p", "auto_failback"}, {"hbparameter", "-p", "logfile"}, {"hbparameter", "-p", "ping"},
		{"rscstatus", "extra"}, {"bogus"}, {}, {"-h"},
		{"nodesite", "nodeX"}, {"clientstatus", "nodeX", "ipfail"}, {"hbstatus", "-x"}, {"listnodes", "-x"},
		{"listhblinks", "-x", "node2"}, {"rscstatus", "-v"}, {"nodestatus", "node2", "-m"}, {"listnodes", "-h"},
	}
	var b strings.Builder
	for _, a := range cmds {
		cmd := c.Node[0].Command("cl_status", a...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		rc := 0
		if err != nil {
			rc = cmd.ProcessState.ExitCode()
		}
		fmt.Fprintf(&b, "$ cl_status %s\nrc=%d\n%s", strings.Join(a, " "), rc, prefix("OUT: ", out.String()))
		b.WriteString(prefix("ERR: ", redactSyslog(errb.String())))
	}
	if got := b.String(); !strings.Contains(got, "$ cl_status nodestatus node2\nrc=0\nOUT: active\n") {
		t.Errorf("stock cl_status nodestatus node2 did not say active:\n%s", got)
	}
	// A node whose haresources has no group of its own still says "local":
	// stock sets i_hold |= local before acquiring (PROTOCOL §11.3).
	if out, _ := c.Node[1].Command("cl_status", "rscstatus").Output(); strings.TrimSpace(string(out)) != "local" {
		t.Errorf("stock node2 (no groups of its own) rscstatus = %q, want local", out)
	}
	golden := "testdata/stock-clstatus.txt"
	if *record {
		hdr := "# stock heartbeat 3.0.6 cl_status on node1 of a running two-node cluster (bcast eth1, ping 10.78.0.254,\n" +
			"# auto_failback on, node1 holding IPaddr), recorded by `go test ./internal/harness/twonode -run TestStockPair -record`.\n" +
			"# Syslog-style stderr prefixes (date, host, pid) are replaced by <prefix>.\n"
		if err := os.WriteFile(golden, []byte(hdr+b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func prefix(p, s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(p + l)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\\ (no newline)\n")
	}
	return b.String()
}

var syslogPrefix = regexp.MustCompile(`(?m)^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: `)

func redactSyslog(s string) string { return syslogPrefix.ReplaceAllString(s, "<prefix> ") }
