package failover

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// haCf is a two-media pair with fast timings; @FAILBACK@ is the
// auto_failback mode of the step.
var haCf = twonode.HaCf{Media: []string{"ucast @HBIF@ @PEER_HBIP@", "bcast @LANIF@"}, Failback: "@FAILBACK@"}.String()

const authkeys = "auth 1\n1 sha1 hbx-failover-key\n"

// wait holds haCf's timings: every wait for the cluster is a number of
// deadtimes, so it stretches with the configuration (and a busy machine
// gets the same margin a fast configuration has: make test-loaded).
var wait = twonode.TimingsOf(haCf)

// svcName is the group's service: a resource.d script of our own.
const svcName = "hbx-svc"

// haresources is the classic DRBD pair's group with our service last.
const haresources = "@NODE1@ drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 IPaddr::@VIPCIDR@/@LANIF@ " + svcName + "\n"

// svcScript is a tiny LSB-style service: a sleeping process with a pid
// file. Its start fails while /etc/ha.d/hbx-svc.fail exists (the start
// failure tests).
var svcScript = twonode.ServiceScript("/run/hbx-svc.pid",
	"\tif [ -e /etc/ha.d/hbx-svc.fail ]; then echo \"hbx-svc: refusing to start\" >&2; exit 1; fi\n"+
		"\tsetsid sh -c 'echo $$ >/run/hbx-svc.pid; exec sleep 100000' </dev/null >/dev/null 2>&1 &\n"+
		"\twhile ! running; do sleep 0.01; done\n", "")

// pair is one long-lived mixed cluster shared by the steps of a test.
type pair struct {
	t   *testing.T
	c   *twonode.Cluster
	off [2]int // log offsets where the current step began
	// raced: a wait failed because a stock node hit its own FIFO race
	// (twonode.StockRace); the waits after it return at once and
	// sequence runs the steps again from a cold cluster.
	raced bool
	haCf0 string // ha.cf the cluster was made with
	// restarted: node i's daemon was stopped during the current step
	// (see replayAfterRestart).
	restarted [2]bool
}

// sequence runs seq, a chain of steps on the cluster, and again from a cold
// cluster when stock's own FIFO race spoiled it, up to three times.
func (p *pair) sequence(seq func()) {
	for attempt := 1; ; attempt++ {
		p.raced = false
		seq()
		if !p.raced {
			return
		}
		if attempt == 3 {
			p.t.Errorf("stock's own FIFO race spoiled %d attempts in a row", attempt)
			p.raced = false // said
			return
		}
		p.t.Logf("attempt %d was spoiled by stock's FIFO race: the sequence again from a cold start", attempt)
		p.reset()
	}
}

// reset makes the cluster cold again: both daemons killed, what they held
// cleared as a reboot would, links healed, ha.cf as it was made.
func (p *pair) reset() {
	for i := range 2 {
		p.crash(i)
		p.c.Uncut(i)
	}
	p.c.Opts.HaCf = p.haCf0
	p.c.Render(0)
	p.c.Render(1)
}

// stockRaced reports, when a wait has failed, whether stock's FIFO race
// explains it; it then marks the pair so the rest of the step is skipped.
func (p *pair) stockRaced() bool {
	for i := range 2 {
		if raced, _ := p.c.StockRace(i, p.off[i]); raced {
			p.t.Logf("node%d (stock) hit its own FIFO race (%q, or mach_down's message never arrived): not hbgo's failure; this sequence is spoiled:\n%s",
				i+1, twonode.FIFORaceLine, tail(p.c.Log(i)[p.off[i]:], 30))
			p.raced = true
			if dir := os.Getenv("HBX_RACE_LOGS"); dir != "" {
				// Both nodes' whole logs, to tell the race from what it hides.
				for j := range 2 {
					name := fmt.Sprintf("%s-%d-node%d.ha-log", strings.ReplaceAll(p.t.Name(), "/", "_"), time.Now().UnixMilli(), j+1)
					_ = os.WriteFile(filepath.Join(dir, name), []byte(p.c.Log(j)), 0o644)
				}
			}
			return true
		}
	}
	return false
}

func needStock(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if _, err := os.Stat(twonode.StockBin); err != nil {
		t.Skip("stock heartbeat 3.0.6 is not installed")
	}
}

// newPair builds a cluster with stock on node stockAt (0 or 1) and hbgo on
// the other.
func newPair(t *testing.T, prefix string, stockAt int, failback string) *pair {
	bin := twonode.BuildHbgo(t)
	var im [2]twonode.Impl
	im[stockAt] = twonode.Stock()
	im[1-stockAt] = twonode.Hbgo(bin)
	return newCluster(t, prefix, im, failback)
}

// newCluster builds a cluster of the given daemons with the group's
// scripts in place; nothing is started.
func newCluster(t *testing.T, prefix string, im [2]twonode.Impl, failback string) *pair {
	c := twonode.New(t, twonode.Options{Prefix: prefix, Impl: im, HaCf: strings.ReplaceAll(haCf, "@FAILBACK@", failback),
		Haresources: haresources, Authkeys: authkeys, LoopFS: true, DRBD: true})
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(svcScript), 0o755)
	}
	for i := range c.Node {
		if im[i].Exe == twonode.StockBin {
			c.Node[i].WriteFile("/etc/ha.d/resource.d/drbddisk", []byte(twonode.DrbddiskScript), 0o755)
		}
	}
	p := &pair{t: t, c: c, haCf0: c.Opts.HaCf}
	t.Cleanup(func() {
		if t.Failed() {
			for i := range c.Node {
				t.Logf("node%d (%s) ha-log tail:\n%s", i+1, c.Opts.Impl[i].Name, tail(c.Log(i), 60))
			}
		}
	})
	t.Cleanup(func() { // runs before the dump above
		// Steps outside pair.sequence end early on a race: never a pass.
		if p.raced {
			t.Error("stock's own FIFO race spoiled the steps after it (see the log); not hbgo's failure, but nothing after it was tested")
		}
	})
	return p
}

// mark starts a step: key lines are looked for after this point.
func (p *pair) mark() { p.off = [2]int{len(p.c.Log(0)), len(p.c.Log(1))} }

// expect waits for each pattern in node i's log in order after the mark.
func (p *pair) expect(i int, timeout time.Duration, pats ...string) bool {
	p.t.Helper()
	if p.raced {
		return false
	}
	off := p.off[i]
	for _, pat := range pats {
		_, next, err := p.c.WaitLog(i, regexp.MustCompile(pat), off, timeout)
		if err != nil {
			if p.stockRaced() {
				return false
			}
			p.t.Errorf("node%d (%s): key line %q missing or out of order: %v", i+1, p.c.Opts.Impl[i].Name, pat, err)
			return false
		}
		off = next
	}
	return true
}

// absent fails the test if node i's log since the mark matches pat.
func (p *pair) absent(i int, pat string) {
	p.t.Helper()
	if p.raced {
		return
	}
	if loc := regexp.MustCompile(pat).FindString(p.c.Log(i)[p.off[i]:]); loc != "" {
		p.t.Errorf("node%d (%s): unexpected %q", i+1, p.c.Opts.Impl[i].Name, loc)
	}
}

// state is what node i holds of the group, for messages.
func (p *pair) state(i int) string { return p.c.GroupState(i, svcName) }

func (p *pair) holds(i int) bool { return p.c.HoldsGroup(i, svcName) }

func (p *pair) empty(i int) bool { return p.c.HoldsNone(i, svcName) }

// holder waits until node want (or nobody, want = -1) holds the whole
// group and the other node holds none of it, and that stays so for settle.
func (p *pair) holder(want int, timeout, settle time.Duration) bool {
	p.t.Helper()
	if p.raced {
		return false
	}
	return waitHolder(p.t, want, timeout, settle, p.holds, p.empty, p.state, p.stockRaced)
}

// waitHolder waits until node want holds the whole group (holds) and the
// other none of it (empty; want = -1: nobody holds any of it), then checks
// that it lasts for settle; failures name both nodes' state.
func waitHolder(t *testing.T, want int, timeout, settle time.Duration, holds, empty func(int) bool, state func(int) string, excused func() bool) bool {
	t.Helper()
	ok := func() bool {
		if want < 0 {
			return empty(0) && empty(1)
		}
		return holds(want) && empty(1-want)
	}
	if !twonode.WaitFor(timeout, ok) {
		if !excused() {
			t.Errorf("want holder node%d: %s; %s", want+1, state(0), state(1))
		}
		return false
	}
	end := time.Now().Add(settle)
	for time.Now().Before(end) {
		if !ok() {
			if !excused() {
				t.Errorf("holder node%d did not last: %s; %s", want+1, state(0), state(1))
			}
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// crash kills node i's daemon and then clears what it held, as the reboot
// of a crashed machine would.
func (p *pair) crash(i int) {
	p.c.Kill(i)
	h := p.c.Node[i]
	_, _ = h.Try("/etc/ha.d/resource.d/"+svcName, "stop")
	p.c.AfterCrash(i)
}

// setFailback re-renders both nodes' ha.cf with another auto_failback mode
// (takes effect at the next start).
func (p *pair) setFailback(mode string) {
	p.c.Opts.HaCf = strings.ReplaceAll(haCf, "@FAILBACK@", mode)
	p.c.Render(0)
	p.c.Render(1)
}

func (p *pair) stop(i int) bool {
	p.t.Helper()
	if p.raced {
		return false
	}
	p.restarted[i] = true
	if err := p.c.Stop(i, wait.Dead(30)); err != nil {
		if !p.stockRaced() {
			p.t.Error(err)
		}
		return false
	}
	return true
}

func (p *pair) run(i int, cmd ...string) {
	p.t.Helper()
	if out, err := p.c.Node[i].Try(cmd[0], cmd[1:]...); err != nil {
		p.t.Errorf("node%d: %v: %v\n%s", i+1, cmd, err, out)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
