package interop

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/twonode"
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
		t.Skip("recording only: HBGO_RECORD=1 go test -run TestRecordStockRestart ./heartbeat/interop")
	}
	needStock(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgorr", Impl: [2]twonode.Impl{twonode.Stock(), twonode.Stock()},
		HaCf: fastUcast, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	if !twonode.WaitFor(40*time.Second, func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	time.Sleep(12 * time.Second) // past stock's RQSTDELAY: both stable
	off0, off1 := len(c.Log(0)), len(c.Log(1))
	hacf := c.Node[0].Path("/etc/ha.d/ha.cf")
	b, _ := os.ReadFile(hacf)
	os.WriteFile(hacf, []byte(strings.Replace(string(b), "warntime 500ms", "warntime 700ms", 1)), 0o644)
	out, err := c.Node[0].Try(twonode.StockBin, "-r")
	t.Logf("heartbeat -r: %v\n%s", err, out)
	if _, _, err := c.WaitLog(0, regexp.MustCompile(`Comm_now_up`), off0, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(12 * time.Second)
	head := "# stock heartbeat 3.0.6 on both nodes (heartbeat/twonode, FastHaCf ucast, auto_failback on,\n" +
		"# node1 holding IPaddr), node1's ha.cf warntime edited, then `heartbeat -r` on node1;\n" +
		"# recorded by HBGO_RECORD=1 go test -run TestRecordStockRestart ./heartbeat/interop.\n" +
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
