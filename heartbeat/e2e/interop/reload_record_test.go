package interop

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// daemonLine matches a daemon line of ha-log in syslog format and keeps "level: text".
var daemonLine = regexp.MustCompile(`^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ heartbeat: \[\d+\]: (.*)$`)

// daemonLines returns log's daemon lines as "level: text", PIDs replaced by N.
func daemonLines(log string) []string {
	var out []string
	pid := regexp.MustCompile(`\b(pid|process) \d+`)
	for _, l := range strings.Split(log, "\n") {
		if m := daemonLine.FindStringSubmatch(l); m != nil {
			out = append(out, pid.ReplaceAllString(m[1], "$1 N"))
		}
	}
	return out
}

// TestRecordStockRestart records stock 3.0.6's own quick restart (ha.cf
// touched, heartbeat -r on the holder node1, a stock node2) into
// testdata/stock-restart.node{1,2}.txt. It runs only with HBGO_RECORD=1:
// the files are data the other tests compare hbgo with.
func TestRecordStockRestart(t *testing.T) {
	if os.Getenv("HBGO_RECORD") == "" {
		t.Skip("recording only: HBGO_RECORD=1 go test -run TestRecordStockRestart ./heartbeat/e2e/interop")
	}
	needStock(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgorr", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Stock()},
		HaCf: fastUcast, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	if !twonode.WaitFor(c.Dead(40), func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	time.Sleep(12 * time.Second) // past stock's RQSTDELAY: both stable
	off0, off1 := len(c.Log(0)), len(c.Log(1))
	hacf := c.Node[0].Path("/etc/ha.d/ha.cf")
	b, _ := os.ReadFile(hacf)
	os.WriteFile(hacf, []byte(strings.Replace(string(b), "warntime 500ms", "warntime 700ms", 1)), 0o644)
	out, err := c.Node[0].Try(twonode.StockBin, "-r")
	t.Logf("heartbeat -r: %v\n%s", err, out)
	if _, _, err := c.WaitLog(0, regexp.MustCompile(`Comm_now_up`), off0, c.Dead(30)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(12 * time.Second)
	head := "# stock heartbeat 3.0.6 on both nodes (internal/harness/twonode, FastHaCf ucast, auto_failback on,\n" +
		"# node1 holding IPaddr), node1's ha.cf warntime edited, then `heartbeat -r` on node1;\n" +
		"# recorded by HBGO_RECORD=1 go test -run TestRecordStockRestart ./heartbeat/e2e/interop.\n" +
		"# Daemon lines of %s's ha-log from the reload on, as level: text (PIDs as N).\n"
	for i, off := range []int{off0, off1} {
		name := []string{"node1", "node2"}[i]
		data := strings.Replace(head, "%s", name, 1) + strings.Join(daemonLines(c.Log(i)[off:]), "\n") + "\n"
		if err := os.WriteFile("testdata/stock-restart."+name+".txt", []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("heartbeat -r output: %q", out)
}

// TestRecordStockNoResources records stock 3.0.6 with -M (membership only)
// on node2 next to a normal stock node1 holding the group, then node2's
// graceful stop, into testdata/stock-M.node{1,2}.txt (HBGO_RECORD=1 only).
func TestRecordStockNoResources(t *testing.T) {
	if os.Getenv("HBGO_RECORD") == "" {
		t.Skip("recording only: HBGO_RECORD=1 go test -run TestRecordStockNoResources ./heartbeat/e2e/interop")
	}
	needStock(t)
	m := twonode.Stock()
	m.Cmd = append(m.Cmd, "-M")
	c := twonode.New(t, twonode.Options{Prefix: "hbgorm", Impl: [2]twonode.Impl{twonode.Stock(), m},
		HaCf: fastUcast, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n@NODE2@ IPaddr::10.77.0.101/24/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	time.Sleep(25 * time.Second)
	vip2, _ := c.Node[1].Try("ip", "-4", "-o", "addr", "show", "dev", twonode.LANIf)
	off0 := len(c.Log(0))
	if err := c.Stop(1, c.Dead(30)); err != nil {
		t.Error(err)
	}
	time.Sleep(5 * time.Second)
	head := "# stock heartbeat 3.0.6: node1 normal, node2 started with -f -M (twonode, FastHaCf ucast,\n" +
		"# auto_failback on, one IPaddr group per node); 25 s, then SIGTERM to node2, 5 s more.\n" +
		"# recorded by HBGO_RECORD=1 go test -run TestRecordStockNoResources ./heartbeat/e2e/interop.\n" +
		"# Daemon lines of %s's ha-log as level: text (PIDs as N); node2's addresses after 25 s:\n# " +
		strings.ReplaceAll(strings.TrimSpace(vip2), "\n", "\n# ") + "\n"
	for i := range 2 {
		name := []string{"node1", "node2"}[i]
		log := c.Log(i)
		data := strings.Replace(head, "%s", name, 1) + strings.Join(daemonLines(log), "\n") + "\n"
		if i == 0 {
			data += "# (node2 stopped at byte " + fmt.Sprint(off0) + ")\n"
		}
		if err := os.WriteFile("testdata/stock-M."+name+".txt", []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
