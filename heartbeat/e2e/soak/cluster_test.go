package soak

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
)

// Environment of the soak child processes (the test binary re-executed as
// the service's record writer).
const (
	envWriter  = "HBGO_SOAK_WRITER"
	envNode    = "HBGO_SOAK_NODE"
	envPidfile = "HBGO_SOAK_PIDFILE"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envWriter); path != "" {
		if err := RunWriter(path, os.Getenv(envNode), os.Getenv(envPidfile), 10*time.Millisecond); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testnet.Main(m)
}

// haCf: fast timings, a private ucast link and a broadcast on the LAN (the
// segment the client, and so the flood, shares). auto_failback off keeps
// the group where the last fault put it, so every cycle moves it.
var haCf = twonode.HaCf{Media: []string{"ucast @HBIF@ @PEER_HBIP@", "bcast @LANIF@"}, Failback: "off"}.String()

const authText = "auth 1\n1 sha1 hbx-soak-key\n"

const (
	svcName = "hbx-recsvc"
	writer  = "hbx-writer" // the writer's command name (a symlink to the test binary)
	recFile = twonode.Mnt + "/records"
	recPid  = "/run/hbx-writer.pid"
)

// haresources is the classic DRBD pair's group with the record service last.
const haresources = "@NODE1@ drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 IPaddr::@VIPCIDR@/@LANIF@ " + svcName + "\n"

// svcScript is an LSB-style service that runs the record writer on the
// mount; @WRITER@ is the writer's path.
var svcScript = twonode.ServiceScript(recPid,
	"\trm -f \"$PIDF\"\n"+
		"\t"+envWriter+"="+recFile+" "+envNode+"=$(uname -n) "+envPidfile+"=$PIDF setsid @WRITER@ </dev/null >>/var/log/hbx-writer.out 2>&1 &\n"+
		"\ti=0; while ! running; do sleep 0.01; i=$((i+1)); [ $i -gt 500 ] && exit 1; done\n", "")

// envInt returns an integer setting of the soak from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// envDur returns a duration setting of the soak from the environment.
func envDur(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// soakCluster is one long-lived cluster with the record service.
type soakCluster struct {
	t      *testing.T
	c      *twonode.Cluster
	name   string // pairing, e.g. "stock+hbgo"
	clst   [2]string
	holder int
	// windows are the spans [from, to] in which two writers may run at
	// once (a partition): the sequence may jump there.
	windows [][2]time.Time
	verOff  int64  // bytes of the record file verified so far
	last    Record // last verified record
	hasLast bool
	base    [2]int // daemon process count after the first settle (per node)
	lives   map[int]*life
}

// life is what one daemon process looked like at its first and last check.
type life struct {
	node      int
	first     int               // fds at its first check
	fds0, fds map[string]string // fd number → what it is open on (first check as holder, last)
	rss0, rss int               // VmRSS kB (first check as holder, last)
	checks    int
}

func newSoak(t *testing.T, prefix, name string, im [2]twonode.Impl, bin string) *soakCluster {
	cf := haCf
	if os.Getenv("HBGO_SOAK_DEBUG") != "" {
		// Stock then logs its resource state (hb_rsc_isstable's terms,
		// the standby state machine) to /var/log/ha-debug.
		cf += "debug 1\n"
	}
	c := twonode.New(t, twonode.Options{Prefix: prefix, Impl: im, HaCf: cf, Haresources: haresources,
		Authkeys: authText, LoopFS: true, DRBD: true})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := filepath.Join(t.TempDir(), writer)
	os.Chmod(filepath.Dir(w), 0o755)
	if err := os.Symlink(self, w); err != nil {
		t.Fatal(err)
	}
	s := &soakCluster{t: t, c: c, name: name, lives: map[int]*life{}}
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(strings.ReplaceAll(svcScript, "@WRITER@", w)), 0o755)
		s.clst[i] = "cl_status"
		if im[i].Exe == twonode.StockBin {
			c.Node[i].WriteFile("/etc/ha.d/resource.d/drbddisk", []byte(twonode.DrbddiskScript), 0o755)
		} else {
			s.clst[i] = clStatus(t, bin)
		}
	}
	t.Cleanup(func() {
		s.keep()
		if t.Failed() {
			s.dump()
		}
	})
	return s
}

// clStatus is hbgo's cl_status (argv[0] dispatch) next to its binary.
func clStatus(t *testing.T, bin string) string {
	p := filepath.Join(filepath.Dir(bin), "hbgo-cl_status")
	if err := os.Symlink(bin, p); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	return p
}

// keep copies the nodes' whole logs to HBGO_SOAK_KEEP, if set, for reading
// after the namespaces are gone.
func (s *soakCluster) keep() {
	dir := os.Getenv("HBGO_SOAK_KEEP")
	if dir == "" {
		return
	}
	for i := range s.c.Node {
		for _, f := range []string{"ha-log", "ha-debug", "impl.out"} {
			if b, err := os.ReadFile(s.c.Node[i].Path("/var/log/" + f)); err == nil {
				name := fmt.Sprintf("%s-node%d-%s", strings.ReplaceAll(s.name, "+", "-"), i+1, f)
				_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
		}
	}
}

func (s *soakCluster) dump() {
	for i := range s.c.Node {
		s.t.Logf("%s node%d (%s) ha-log tail:\n%s", s.name, i+1, s.c.Opts.Impl[i].Name, tail(s.c.Log(i), 40))
		out, _ := os.ReadFile(s.c.Node[i].Path("/var/log/impl.out"))
		if len(out) > 0 {
			s.t.Logf("node%d daemon output tail:\n%s", i+1, tail(string(out), 10))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *soakCluster) holds(i int) bool { return s.c.HoldsGroup(i, svcName) }

func (s *soakCluster) empty(i int) bool { return s.c.HoldsNone(i, svcName) }

func (s *soakCluster) state() string {
	var b []string
	for i := range 2 {
		b = append(b, fmt.Sprintf("%s daemon=%v", s.c.GroupState(i, svcName), s.c.Running(i)))
	}
	return strings.Join(b, "; ")
}

// sole waits until exactly one node holds the whole group and the other
// none of it, stable for settle, and returns that node.
func (s *soakCluster) sole(timeout, settle time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		h := -1
		for i := range 2 {
			if s.holds(i) && s.empty(1-i) {
				h = i
			}
		}
		if h >= 0 {
			stable := true
			end := time.Now().Add(settle)
			for time.Now().Before(end) {
				if !(s.holds(h) && s.empty(1-h)) {
					stable = false
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if stable {
				return h, nil
			}
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("no single holder of the group within %v: %s", timeout, s.state())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// takes waits until node i holds the whole group (the other may hold it too).
func (s *soakCluster) takes(i int, timeout time.Duration) error {
	if !twonode.WaitFor(timeout, func() bool { return s.holds(i) }) {
		return fmt.Errorf("node%d did not take the group within %v: %s", i+1, timeout, s.state())
	}
	return nil
}

// joined waits until each node's cl_status says the other is active.
func (s *soakCluster) joined(timeout time.Duration) error {
	for i := range 2 {
		peer := fmt.Sprintf("node%d", 2-i)
		var out string
		if !twonode.WaitFor(timeout, func() bool {
			out, _ = s.c.Node[i].Try(s.clst[i], "nodestatus", peer)
			return strings.TrimSpace(out) == "active"
		}) {
			return fmt.Errorf("node%d: cl_status nodestatus %s = %q after %v", i+1, peer, strings.TrimSpace(out), timeout)
		}
	}
	return nil
}

// crash is a machine dying: its links go dead, the daemon and everything
// else on it are SIGKILLed; then the "reboot" clears what it held.
func (s *soakCluster) crash(i int) {
	h := s.c.Node[i]
	s.c.Cut(i, "all")
	s.c.Kill(i)
	_, _ = h.Try("kill", "-KILL", "-1") // every other process of the node
	twonode.WaitFor(s.c.Dead(5), func() bool { return len(s.procs(i)) == 0 })
	s.c.AfterCrash(i)
	_ = os.Remove(h.Path(recPid))
}

// proc is one process of a node.
type proc struct {
	pid   int // inside the node
	state string
	comm  string
	args  string
}

// procs lists node i's processes but its init and the ps that lists them.
func (s *soakCluster) procs(i int) []proc {
	out, err := s.c.Node[i].Try("ps", "-eo", "pid=,stat=,comm=,args=")
	if err != nil {
		return nil
	}
	var ps []proc
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		if pid == 1 || f[2] == "ps" {
			continue
		}
		ps = append(ps, proc{pid: pid, state: f[1], comm: f[2], args: strings.Join(f[3:], " ")})
	}
	return ps
}

// leaks returns what node i runs, holds or has open that it should not,
// given whether it is the group's holder.
func (s *soakCluster) leaks(i int, holder bool) []string {
	var bad []string
	var daemons, writers int
	for _, p := range s.procs(i) {
		switch {
		case strings.HasPrefix(p.state, "Z"):
			bad = append(bad, fmt.Sprintf("zombie %d %s", p.pid, p.comm))
		case p.comm == "heartbeat":
			daemons++
		case p.comm == writer:
			writers++
		default:
			bad = append(bad, fmt.Sprintf("process %d %s (%s) %s", p.pid, p.comm, p.state, p.args))
		}
	}
	if daemons == 0 {
		bad = append(bad, "no daemon process")
	}
	if s.base[i] == 0 {
		s.base[i] = daemons
	} else if daemons > s.base[i] {
		bad = append(bad, fmt.Sprintf("%d daemon processes, %d at the first check", daemons, s.base[i]))
	}
	if want := b2i(holder); writers != want {
		bad = append(bad, fmt.Sprintf("%d record writers, want %d", writers, want))
	}
	// Addresses: lo, eth0 and eth1 of the node, the VIP on the holder only.
	out, _ := s.c.Node[i].Try("ip", "-4", "-o", "addr", "show")
	want := map[string]bool{"127.0.0.1/8": true, fmt.Sprintf("%s.%d/24", twonode.LANNet, i+1): true,
		fmt.Sprintf("%s.%d/24", twonode.HBNet, i+1): true}
	n := 0
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		n++
		if f[3] == twonode.VIPCIDR && holder {
			continue
		}
		if !want[f[3]] {
			bad = append(bad, "address "+f[3]+" on "+f[1])
		}
	}
	if want := 3 + b2i(holder); n != want {
		bad = append(bad, fmt.Sprintf("%d IPv4 addresses, want %d:\n%s", n, want, out))
	}
	mounts, _ := s.c.Node[i].Try("cat", "/proc/self/mounts")
	if m := strings.Count(mounts, " "+twonode.Mnt+" "); m != b2i(holder) {
		bad = append(bad, fmt.Sprintf("%s mounted %d times, want %d", twonode.Mnt, m, b2i(holder)))
	}
	return bad
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loops returns the loop devices over the test's image (one: twonode's own).
func (s *soakCluster) loops() (int, string) {
	dev := filepath.Base(s.c.LoopDev)
	b, err := os.ReadFile("/sys/block/" + dev + "/loop/backing_file")
	if err != nil {
		return 0, err.Error()
	}
	out, _ := hostOutput("losetup", "-j", strings.TrimSpace(string(b)))
	return strings.Count(out, "\n"), out
}

// resources checks each daemon's main process: open fds and VmRSS. A
// daemon opens some sockets the first time it runs the group's agents and
// keeps them, so its baseline is its first check as the group's holder:
// from then on its fd count must not grow.
func (s *soakCluster) resources(h int) []string {
	var bad []string
	for i := range 2 {
		pid := twonode.MainPid(s.c.Node[i].Pids(s.c.Opts.Impl[i].Exe))
		if pid == 0 {
			continue
		}
		fds := fdTargets(pid)
		rss := vmRSS(pid)
		l := s.lives[pid]
		if l == nil {
			l = &life{node: i, first: len(fds)}
			s.lives[pid] = l
		}
		l.fds, l.rss = fds, rss
		l.checks++
		if l.fds0 == nil && i == h {
			l.fds0, l.rss0 = fds, rss
		}
		if l.fds0 != nil && len(l.fds) > len(l.fds0) {
			bad = append(bad, fmt.Sprintf("node%d daemon pid %d: %d open fds, %d at its first check as holder; new: %s", i+1, pid,
				len(l.fds), len(l.fds0), strings.Join(newFds(l.fds0, l.fds), ", ")))
		}
	}
	return bad
}

// fdTargets returns a process's open fds and what each is open on.
func fdTargets(pid int) map[string]string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(dir)
	m := map[string]string{}
	for _, e := range ents {
		t, _ := os.Readlink(filepath.Join(dir, e.Name()))
		m[e.Name()] = t
	}
	return m
}

// newFds lists the fds of now that were not open (on the same thing) before.
func newFds(before, now map[string]string) []string {
	var out []string
	for fd, t := range now {
		if before[fd] != t {
			out = append(out, fd+"->"+t)
		}
	}
	sort.Strings(out)
	return out
}

// vmRSS is a process's resident set in kB.
func vmRSS(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// records reads the record file's new part through the holder's daemon's
// mount namespace, verifies it (checksums; sequence and time order outside
// partition windows) and returns the new records and what is wrong.
func (s *soakCluster) records(h int) ([]Record, []string) {
	pid := twonode.MainPid(s.c.Node[h].Pids(s.c.Opts.Impl[h].Exe))
	if pid == 0 {
		return nil, []string{fmt.Sprintf("node%d: no daemon to read the record file through", h+1)}
	}
	path := fmt.Sprintf("/proc/%d/root%s", pid, recFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, []string{err.Error()}
	}
	defer f.Close()
	if _, err := f.Seek(s.verOff, 0); err != nil {
		return nil, []string{err.Error()}
	}
	recs, errs := ReadRecords(f, recFile, s.verOff)
	var bad []string
	damaged := 0
	for k, e := range errs {
		// A torn tail may be the writer's write in progress: the next
		// check reads it again from the last whole record; a torn record
		// the writer wrote past shows there as damaged records.
		var re *RecordError
		if k == len(errs)-1 && errors.As(e, &re) && strings.HasPrefix(re.Reason, "torn record") {
			continue
		}
		if errors.As(e, &re) {
			damaged++
		}
		bad = append(bad, e.Error())
	}
	off := s.verOff
	for k, r := range recs {
		prev, ok := s.last, s.hasLast
		if k > 0 {
			prev, ok = recs[k-1], true
		}
		if ok && !s.inWindow(prev.At) && !s.inWindow(r.At) {
			if r.Seq != prev.Seq+1 {
				bad = append(bad, fmt.Sprintf("record @%d: seq %d after %d (%s after %s)", off, r.Seq, prev.Seq, r.Node, prev.Node))
			}
			if r.At.Before(prev.At) {
				bad = append(bad, fmt.Sprintf("record @%d: time %s before the previous record's %s", off, r.At.Format("15:04:05.000"), prev.At.Format("15:04:05.000")))
			}
		}
		off += RecordSize
	}
	if len(recs) > 0 {
		s.last, s.hasLast = recs[len(recs)-1], true
	}
	s.verOff = off + int64(damaged)*RecordSize
	if len(bad) > 5 {
		bad = append(bad[:5], fmt.Sprintf("... and %d more", len(bad)-5))
	}
	return recs, bad
}

func (s *soakCluster) inWindow(at time.Time) bool {
	for _, w := range s.windows {
		if !at.Before(w[0]) && !at.After(w[1]) {
			return true
		}
	}
	return false
}

// outage is the longest time between consecutive records written in [from, to].
func outage(prev Record, hasPrev bool, recs []Record, from, to time.Time) time.Duration {
	var max time.Duration
	for k, r := range recs {
		p, ok := prev, hasPrev
		if k > 0 {
			p, ok = recs[k-1], true
		}
		if !ok || r.At.Before(from) || p.At.After(to) {
			continue
		}
		if d := r.At.Sub(p.At); d > max {
			max = d
		}
	}
	return max
}

// stats is the outage figures of one cycle kind.
type stats struct {
	runs, fails int
	races       int // cycles spoiled by stock's own FIFO race (not failures)
	outages     []time.Duration
}

func (st *stats) line() string {
	if len(st.outages) == 0 {
		return fmt.Sprintf("%6d %6d %10s %10s %10s %d", st.runs, st.fails, "-", "-", "-", st.races)
	}
	o := append([]time.Duration(nil), st.outages...)
	sort.Slice(o, func(a, b int) bool { return o[a] < o[b] })
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("%6d %6d %10s %10s %10s %d", st.runs, st.fails, r(o[0]), r(o[len(o)/2]), r(o[len(o)-1]), st.races)
}

var kinds = []string{"crash", "cut+heal", "hb_standby", "hb_takeover", "stop+start"}

// stockRace is a cycle that stock's own FIFO race spoiled: the cluster was
// recovered, the cycle is not hbgo's failure.
type stockRace struct {
	node int
	// stuck: the lost message was mach_down's resource message, the only
	// one that clears stock's takeover_in_progress; until that process
	// dies hb_rsc_isstable is false and a graceful stop waits forever.
	stuck    bool
	evidence string
}

func (e *stockRace) Error() string {
	what := "the ip-request-resp was lost and it never took its group"
	if e.stuck {
		what = "mach_down's resource message was lost, so its takeover never ends (takeover_in_progress stays set) and it cannot be stopped gracefully (shown: \"Shutdown delayed until current resource activity finishes.\")"
	}
	return fmt.Sprintf("stock FIFO race on node%d: its req_resource and mach_down wrote to the FIFO at once (ha_clustermsg writes >>>, the body and <<< separately), %s:\n%s", e.node+1, what, e.evidence)
}

// raceLines are the lines of a stock log that show its FIFO race.
const raceLines = `NV failure|line doesn't contain|mach_down|Local Resource acquisition|>>>`

// stockFifoRace returns the race if node i is stock and its log since off
// shows its FIFO reader rejecting a message, or its running process is
// stuck in a takeover.
func (s *soakCluster) stockFifoRace(i, off int) *stockRace {
	raced, stuck := s.c.StockRace(i, off)
	if !raced {
		return nil
	}
	return &stockRace{node: i, stuck: stuck, evidence: grepLines(s.c.Log(i)[off:], raceLines, 12)}
}

// recoverRace brings back a cluster whose stock node i lost FIFO messages:
// when it is stuck it first shows that a graceful stop cannot finish, then
// it crashes node i as an admin would have to, the peer takes the group
// and node i starts again.
func (s *soakCluster) recoverRace(race *stockRace) error {
	i := race.node
	if err := s.joined(s.c.Dead(30)); err != nil {
		return err
	}
	if race.stuck {
		off := len(s.c.Log(i))
		if err := s.c.Stop(i, 10*time.Second); err == nil {
			return fmt.Errorf("node%d stopped gracefully: its takeover was not stuck after all", i+1)
		}
		if !strings.Contains(s.c.Log(i)[off:], "Shutdown delayed until current resource activity finishes.") {
			return fmt.Errorf("node%d did not stop and did not say why:\n%s", i+1, tail(s.c.Log(i)[off:], 20))
		}
	}
	s.crash(i)
	if err := s.takes(1-i, s.c.Dead(30)); err != nil {
		return err
	}
	off := len(s.c.Log(i))
	s.c.Heal(i, "all")
	s.c.Start(i)
	if _, _, err := s.c.WaitLog(i, regexp.MustCompile(`Initial resource acquisition complete|Local Resource acquisition completed`), off, s.c.Dead(40)); err != nil {
		return err
	}
	return nil
}

// cycle runs one fault of kind on the cluster and waits until the cluster
// has settled with both nodes joined.
func (s *soakCluster) cycle(kind string) (err error) {
	h := s.holder
	o := 1 - h
	off := [2]int{len(s.c.Log(0)), len(s.c.Log(1))}
	switch kind {
	case "crash":
		s.crash(h)
		terr := s.takes(o, s.c.Dead(20))
		var race *stockRace
		if terr != nil {
			if race = s.stockFifoRace(o, off[o]); race == nil {
				return terr
			}
		}
		s.c.Heal(h, "all")
		s.c.Start(h)
		if _, _, err := s.c.WaitLog(h, regexp.MustCompile(`Initial resource acquisition complete|Local Resource acquisition completed`), off[h], s.c.Dead(40)); err != nil {
			return err
		}
		if race != nil {
			// Stock believes it holds its group and nobody does, or
			// it is stuck in its takeover.
			if err := s.recoverRace(race); err != nil {
				return fmt.Errorf("%v; recovering: %w", race, err)
			}
			defer func() {
				if err == nil {
					err = race
				}
			}()
		}
	case "cut+heal":
		from := time.Now()
		s.c.Cut(h, "all")
		if terr := s.takes(o, s.c.Dead(20)); terr != nil {
			race := s.stockFifoRace(o, off[o])
			if race == nil {
				s.c.Heal(h, "all")
				return terr
			}
			// The heal's partition recovery makes both nodes give up
			// and renegotiate: the cluster recovers by itself.
			defer func() {
				if err == nil {
					err = race
				}
			}()
		}
		time.Sleep(500 * time.Millisecond)
		s.c.Heal(h, "all")
		// Two writers ran until the heal's renegotiation stopped one.
		if _, err := s.sole(s.c.Dead(60), 2*time.Second); err != nil {
			s.windows = append(s.windows, [2]time.Time{from, time.Now()})
			return err
		}
		s.windows = append(s.windows, [2]time.Time{from, time.Now()})
	case "hb_standby":
		if out, err := s.c.Node[h].Try("/usr/share/heartbeat/hb_standby", "all"); err != nil {
			return fmt.Errorf("hb_standby: %v: %s", err, out)
		}
		if err := s.takes(o, s.c.Dead(30)); err != nil {
			return err
		}
	case "hb_takeover":
		if out, err := s.c.Node[o].Try("/usr/share/heartbeat/hb_takeover", "all"); err != nil {
			return fmt.Errorf("hb_takeover: %v: %s", err, out)
		}
		if err := s.takes(o, s.c.Dead(30)); err != nil {
			return err
		}
	case "stop+start":
		if err := s.c.Stop(h, s.c.Dead(60)); err != nil {
			return err
		}
		if err := s.takes(o, s.c.Dead(20)); err != nil {
			return err
		}
		s.c.Start(h)
		if _, _, err := s.c.WaitLog(h, regexp.MustCompile(`Initial resource acquisition complete|Local Resource acquisition completed`), off[h], s.c.Dead(40)); err != nil {
			return err
		}
	}
	if err := s.joined(s.c.Dead(30)); err != nil {
		return err
	}
	nh, err := s.sole(s.c.Dead(30), 1500*time.Millisecond)
	if err != nil {
		return err
	}
	s.holder = nh
	// A race that lost only mach_down's message leaves the cluster
	// looking whole (the group was taken) with a stock node that can
	// never stop gracefully: found here, not at its next stop.
	for i := range 2 {
		race := s.stockFifoRace(i, off[i])
		if race == nil || !race.stuck {
			continue
		}
		if rerr := s.recoverRace(race); rerr != nil {
			return fmt.Errorf("%v; recovering: %w", race, rerr)
		}
		if err := s.joined(s.c.Dead(30)); err != nil {
			return fmt.Errorf("%v; recovering: %w", race, err)
		}
		if s.holder, err = s.sole(s.c.Dead(30), 1500*time.Millisecond); err != nil {
			return fmt.Errorf("%v; recovering: %w", race, err)
		}
		return race
	}
	return nil
}

// hostOutput runs a command on the host and returns its output.
func hostOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
