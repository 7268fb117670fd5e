package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
	"hbgo/internal/harness/twonode"
)

// complaints are log words that must not appear while both nodes run.
var complaints = []string{"replay", "authentication", "Rexmit", "lost a lot", "is dead", "Cannot rexmit", "bad node"}

// clStatus returns a cl_status for the hbgo binary bin (argv[0] picks the command).
func clStatus(t *testing.T, bin string) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(bin), "hbgo-cl_status")
	if _, err := os.Lstat(p); err != nil {
		if err := os.Symlink(bin, p); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	return p
}

// waitLine polls node i's ha-log every 2 ms and returns the moment a line
// matching re (after offset from) reached the file, and the offset past it.
func waitLine(c *twonode.Cluster, i int, re *regexp.Regexp, from int, timeout time.Duration) (time.Time, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(c.Node[i].Path("/var/log/ha-log"))
		now := time.Now()
		if from < len(b) {
			rest := string(b[from:])
			off := 0
			for {
				nl := strings.IndexByte(rest[off:], '\n')
				if nl < 0 {
					break
				}
				if re.MatchString(rest[off : off+nl]) {
					return now, from + off + nl + 1, nil
				}
				off += nl + 1
			}
		}
		if now.After(deadline) {
			return time.Time{}, from, fmt.Errorf("node%d: no line matching %q within %v; log tail:\n%s", i+1, re, timeout, lastLines(string(b), 20))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// capture runs tcpdump in node i's namespace on iface for UDP datagrams from
// src; lastBefore reads the time of the last one before a moment.
type capture struct{ path string }

func startCapture(t *testing.T, c *twonode.Cluster, i int, iface, src string) capture {
	t.Helper()
	p := c.Node[i].Path(fmt.Sprintf("/var/log/cap-%s-%d.txt", iface, time.Now().UnixNano()))
	cmd := c.Node[i].Start(p, "tcpdump", "-i", iface, "-n", "-tt", "-l", "-U", "-p", "udp and src host "+src)
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// tcpdump says "listening on" once its socket is open (its stderr goes
	// to the same file; times skips the line): no fixed pause, which a busy
	// machine can outlast.
	if !budget.Poll(t, func() bool { b, _ := os.ReadFile(p); return strings.Contains(string(b), "listening on") }) {
		t.Fatalf("tcpdump on node%d %s did not start listening", i+1, iface)
	}
	return capture{path: p}
}

// times returns the capture times of every datagram seen so far.
func (cp capture) times() []time.Time {
	b, _ := os.ReadFile(cp.path)
	var ts []time.Time
	for _, l := range strings.Split(string(b), "\n") {
		fs := strings.Fields(l)
		if len(fs) == 0 {
			continue
		}
		if sec, err := strconv.ParseFloat(fs[0], 64); err == nil {
			ts = append(ts, time.Unix(0, int64(sec*1e9)))
		}
	}
	return ts
}

// lastBefore returns the capture time of the last datagram seen before t.
func (cp capture) lastBefore(t time.Time) (time.Time, bool) {
	var last time.Time
	for _, at := range cp.times() {
		if at.Before(t) {
			last = at
		}
	}
	return last, !last.IsZero()
}

// detect kills node victim and measures how long node watcher takes to log
// `node <victim>: is dead` after the last datagram from it (cp, if any) or
// after the kill; bound is the generous limit that catches a broken detector.
func detect(t *testing.T, c *twonode.Cluster, victim, watcher int, cp *capture, bound time.Duration) {
	t.Helper()
	off := len(c.Log(watcher))
	if cp != nil {
		// The capture has caught up to "now": it shows a datagram the
		// victim sent after this moment (one a keepalive, while it lives).
		now := time.Now()
		if !twonode.WaitFor(c.Dead(5), func() bool { last, ok := cp.lastBefore(now.Add(time.Hour)); return ok && last.After(now) }) {
			t.Fatalf("the capture shows no datagram from node%d since %s", victim+1, now.Format(time.StampMilli))
		}
	}
	killAt := time.Now()
	c.Kill(victim)
	seen, _, err := waitLine(c, watcher, regexp.MustCompile(fmt.Sprintf(`node node%d: is dead`, victim+1)), off, bound+c.Dead(2))
	if err != nil {
		t.Fatal(err)
	}
	from, what := killAt, "the kill"
	if cp != nil {
		time.Sleep(100 * time.Millisecond)
		if last, ok := cp.lastBefore(seen); ok {
			from, what = last, "the last heartbeat on the wire"
		}
	}
	d := seen.Sub(from)
	t.Logf("%s detected %s dead %v after %s", c.Opts.Impl[watcher].Name, c.Opts.Impl[victim].Name, d.Round(time.Millisecond), what)
	if d > bound {
		t.Errorf("%s took %v (> %v) to declare %s dead", c.Opts.Impl[watcher].Name, d, bound, c.Opts.Impl[victim].Name)
	}
}

// mixedMedium runs stock 3.0.6 (node1) and hbgo (node2) over one medium and
// checks, on one cluster: both report the other active (each through its
// own cl_status), a quiet steady window, stock detecting hbgo's death,
// hbgo's restart seen as a restart (not a replay), and hbgo detecting
// stock's death. extra runs after the steady window (the flood test).
func mixedMedium(t *testing.T, prefix, medium, iface string, serial bool, extra func(*twonode.Cluster)) {
	needStock(t)
	bin := twonode.BuildHbgo(t)
	cls := clStatus(t, bin)
	c := twonode.New(t, twonode.Options{Prefix: prefix, Impl: [2]twonode.Impl{twonode.Stock(), twonode.Hbgo(bin)},
		HaCf: twonode.FastHaCf(medium), Authkeys: keys, Serial: serial})
	c.Start(0)
	c.Start(1)
	started := time.Now()
	for i, peer := range []string{"node2", "node1"} {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node `+peer+`: status active`), 0, c.Dead(30)); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := c.Node[0].Try("cl_status", "nodestatus", "node2"); strings.TrimSpace(out) != "active" {
		t.Errorf("stock's cl_status says node2 is %q", out)
	}
	if out, _ := c.Node[1].Try(cls, "nodestatus", "node1"); strings.TrimSpace(out) != "active" {
		t.Errorf("hbgo's cl_status says node1 is %q", out)
	}
	time.Sleep(2 * time.Second)
	for i := 0; i < 2; i++ {
		log := c.Log(i)
		for _, bad := range complaints {
			if strings.Contains(log, bad) {
				t.Errorf("node%d log mentions %q:\n%s", i+1, bad, lastLines(log, 30))
			}
		}
	}
	if extra != nil {
		extra(c)
	}
	var cp0, cp1 *capture
	if iface != "" {
		a := startCapture(t, c, 0, iface, twonode.HBNet+".2")
		b := startCapture(t, c, 1, iface, twonode.HBNet+".1")
		if iface == twonode.LANIf {
			a = startCapture(t, c, 0, iface, twonode.LANNet+".2")
			b = startCapture(t, c, 1, iface, twonode.LANNet+".1")
		}
		cp0, cp1 = &a, &b
	}
	// A node advertises deadtime + 2 s for its first 5 s (PROTOCOL §10.3):
	// kill only once both advertise the plain deadtime.
	time.Sleep(time.Until(started.Add(6 * time.Second)))
	// Stock watches hbgo die: deadtime + 0.5 s (stock's slack) + one
	// keepalive, and a deadtime's room on a loaded machine.
	tm := twonode.TimingsOf(c.Opts.HaCf)
	detect(t, c, 1, 0, cp0, tm.Deadtime+500*time.Millisecond+tm.Keepalive+tm.Deadtime)
	// hbgo comes back with the same identity: a restart, not a replay.
	off := len(c.Log(0))
	c.Start(1)
	started = time.Now()
	off1 := len(c.Log(1))
	if _, _, err := c.WaitLog(0, regexp.MustCompile(`Heartbeat restart on node node2`), off, c.Dead(20)); err != nil {
		out, _ := c.Node[1].Try("cat", "/var/log/impl.out")
		t.Fatalf("%v\nhbgo's log since its restart:\n%s\nhbgo's output:\n%s", err, lastLines(c.Log(1)[off1:], 30), lastLines(out, 10))
	}
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`Status update for node node1: status active`), 0, c.Dead(20)); err != nil {
		t.Fatal(err)
	}
	if l := c.Log(0)[off:]; strings.Contains(l, "replay") {
		t.Errorf("stock took hbgo's restart for a replay:\n%s", l)
	}
	time.Sleep(time.Until(started.Add(6 * time.Second)))
	// hbgo watches stock die: deadtime + one keepalive, plus the same room.
	detect(t, c, 0, 1, cp1, tm.Deadtime+tm.Keepalive+tm.Deadtime)
}

func TestMixedMedia(t *testing.T) {
	cases := []struct {
		name, prefix, medium, iface string
		serial                      bool
	}{
		{"ucast", "hbgomu", "ucast @HBIF@ @PEER_HBIP@", twonode.HBIf, false},
		{"bcast", "hbgomb", "bcast @HBIF@", twonode.HBIf, false},
		{"mcast", "hbgomm", "mcast @HBIF@ 239.0.0.43 694 1 0", twonode.HBIf, false},
		{"serial", "hbgoms", "baud 115200\nserial @SERIAL@", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var extra func(*twonode.Cluster)
			if tc.name == "ucast" {
				extra = func(c *twonode.Cluster) { flood(t, c) }
			}
			mixedMedium(t, tc.prefix, tc.medium, tc.iface, tc.serial, extra)
		})
	}
}
