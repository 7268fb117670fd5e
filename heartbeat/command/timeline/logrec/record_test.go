package logrec

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hbgo/heartbeat/edge/hblog"
	"hbgo/internal/harness/twonode"
)

// TestRecord runs each sequence on a real namespaced cluster and writes its
// logs, journals and the client's measured outages to
// ../testdata/recorded/<pairing>-<sequence>/ (see that README). It needs
// root and HBX_RECORD=1 (it rewrites committed testdata); HBX_RECORD_ONLY
// picks sequences by a regexp on the directory name.
func TestRecord(t *testing.T) {
	if os.Getenv("HBX_RECORD") != "1" {
		t.Skip("rewrites testdata: run with HBX_RECORD=1 (root)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	only := regexp.MustCompile(os.Getenv("HBX_RECORD_ONLY"))
	bin := twonode.BuildHbgo(t)
	impls := map[string][2]twonode.Impl{
		"hbgo":  {twonode.Hbgo(bin), twonode.Hbgo(bin)},
		"stock": {twonode.Stock(), twonode.Stock()},
	}
	for _, pairing := range []string{"hbgo", "stock"} {
		for _, sq := range sequences {
			name := pairing + "-" + sq.name
			if !only.MatchString(name) {
				continue
			}
			if pairing == "stock" && sq.hbgoCf != "" {
				continue // hbgo.cf: watches stock has not
			}
			if pairing == "stock" {
				if _, err := os.Stat(twonode.StockBin); err != nil {
					t.Skip("stock heartbeat 3.0.6 is not installed")
				}
			}
			t.Run(name, func(t *testing.T) {
				r := newRec(t, name, impls[pairing], sq.hbgoCf)
				r.bin = bin
				sq.run(r)
				r.save()
			})
		}
	}
}

// svcPort is where the group's service answers on the VIP.
const svcPort = 8080

// svcName is the group's service: socat on the VIP answering "served by <node>".
const svcName = "hbx-echo"

var svcScript = twonode.ServiceScript("/run/"+svcName+".pid",
	"\tNAME=$(hostname) setsid sh -c 'echo $$ >/run/"+svcName+".pid; exec socat TCP-LISTEN:"+strconv.Itoa(svcPort)+",bind="+twonode.VIP+",fork,reuseaddr \"SYSTEM:echo served by $NAME\"' </dev/null >/dev/null 2>&1 &\n"+
		"\ti=0; until ss -Hltn 'sport = :"+strconv.Itoa(svcPort)+"' | grep -q .; do i=$((i+1)); [ $i -gt 500 ] && exit 1; sleep 0.01; done\n", "")

// haresources is the classic DRBD pair's group, the service last.
const haresources = "@NODE1@ drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 IPaddr::@VIPCIDR@/@LANIF@ " + svcName + "\n"

// haCf: the fast timings of the demo and the bench, both media.
var haCf = twonode.FastHaCf("bcast @HBIF@", "ucast @LANIF@ @PEER_LANIP@")

// probePeriod is how often the client asks the service.
const probePeriod = 10 * time.Millisecond

type probe struct {
	at     time.Time
	server string // "" = no answer
}

// rec is one recording: the cluster and the client's probes.
type rec struct {
	t      *testing.T
	name   string
	c      *twonode.Cluster
	stock  bool
	mu     sync.Mutex
	probes []probe
	notes  []string
	cancel context.CancelFunc
	bin    string // the hbgo binary (heartbeat cleanup)
}

func newRec(t *testing.T, name string, im [2]twonode.Impl, hbgoCf string) *rec {
	c := twonode.New(t, twonode.Options{Prefix: "hbxlr", Impl: im, HaCf: haCf, Haresources: haresources,
		Authkeys: twonode.Authkeys, LoopFS: true, DRBD: true, HbgoCf: hbgoCf})
	r := &rec{t: t, name: name, c: c, stock: im[0].Exe == twonode.StockBin}
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(svcScript), 0o755)
		if r.stock {
			c.Node[i].WriteFile("/etc/ha.d/resource.d/drbddisk", []byte(twonode.DrbddiskScript), 0o755)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	t.Cleanup(cancel)
	addr := net.JoinHostPort(twonode.VIP, strconv.Itoa(svcPort))
	go c.Lab.Do("client", func() {
		for ctx.Err() == nil {
			start := time.Now()
			s := ask(addr)
			r.mu.Lock()
			r.probes = append(r.probes, probe{time.Now(), s})
			r.mu.Unlock()
			if d := probePeriod - time.Since(start); d > 0 {
				time.Sleep(d)
			}
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			for i := range c.Node {
				t.Logf("node%d ha-log:\n%s", i+1, c.Log(i))
			}
		}
	})
	return r
}

// ask connects to the service on the VIP and returns the node it names.
func ask(addr string) string {
	conn, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
	if err != nil {
		return ""
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(line), "served by ")
}

// note records what the recording did and when, for measured.txt.
func (r *rec) note(format string, args ...any) {
	r.notes = append(r.notes, time.Now().UTC().Format(hblog.JournalTimeFormat)+" "+fmt.Sprintf(format, args...))
}

// served waits until the client is served by node i (0/1) steadily for settle.
func (r *rec) served(i int, timeout time.Duration) {
	r.t.Helper()
	want := fmt.Sprintf("node%d", i+1)
	since := time.Time{}
	ok := twonode.WaitFor(timeout, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.probes) == 0 {
			return false
		}
		p := r.probes[len(r.probes)-1]
		if p.server != want {
			since = time.Time{}
			return false
		}
		if since.IsZero() {
			since = p.at
		}
		return p.at.Sub(since) > time.Second
	})
	if !ok {
		r.t.Fatalf("client not served by %s within %v; %s; %s", want, timeout, r.c.GroupState(0, svcName), r.c.GroupState(1, svcName))
	}
}

// settled waits until node i holds the group, the other none, and both
// logs are quiet (nothing written for quiet).
func (r *rec) settled(i int, timeout time.Duration) {
	r.t.Helper()
	r.served(i, timeout)
	if !twonode.WaitFor(timeout, func() bool { return r.c.HoldsGroup(i, svcName) && r.c.HoldsNone(1-i, svcName) }) {
		r.t.Fatalf("node%d does not hold the group alone: %s; %s", i+1, r.c.GroupState(0, svcName), r.c.GroupState(1, svcName))
	}
	quiet := 2 * time.Second
	var sizes [2]int
	var since time.Time
	twonode.WaitFor(timeout, func() bool {
		cur := [2]int{len(r.c.Log(0)), len(r.c.Log(1))}
		if cur != sizes || since.IsZero() {
			sizes, since = cur, time.Now()
			return false
		}
		return time.Since(since) > quiet
	})
}

// sole waits until one node holds the group alone, steadily for 3 s, and returns it.
func (r *rec) sole(timeout time.Duration) int {
	r.t.Helper()
	h, since := -1, time.Time{}
	ok := twonode.WaitFor(timeout, func() bool {
		cur := -1
		for i := range 2 {
			if r.c.HoldsGroup(i, svcName) && r.c.HoldsNone(1-i, svcName) {
				cur = i
			}
		}
		if cur < 0 || cur != h {
			h, since = cur, time.Now()
			return false
		}
		return time.Since(since) > 3*time.Second
	})
	if !ok {
		r.t.Fatalf("nobody holds the group alone: %s; %s", r.c.GroupState(0, svcName), r.c.GroupState(1, svcName))
	}
	return h
}

func (r *rec) run(i int, cmd ...string) {
	r.t.Helper()
	r.note("node%d: %s", i+1, strings.Join(cmd, " "))
	if out, err := r.c.Node[i].Try(cmd[0], cmd[1:]...); err != nil {
		r.t.Fatalf("node%d: %v: %v\n%s", i+1, cmd, err, out)
	}
}

// startBoth starts both daemons and waits for node1 to serve.
func (r *rec) startBoth() {
	r.note("start node1 and node2")
	r.c.Start(0)
	r.c.Start(1)
	r.settled(0, 60*time.Second)
}

// crash kills node i's daemon and cuts its links at once (the demo's crash).
func (r *rec) crash(i int) {
	r.note("crash node%d (SIGKILL and links cut)", i+1)
	done := make(chan struct{})
	go func() { defer close(done); r.c.Kill(i) }()
	r.c.Cut(i, "all")
	<-done
	// What a reboot clears; its links stay cut, so nobody sees this.
	_, _ = r.c.Node[i].Try("/etc/ha.d/resource.d/"+svcName, "stop")
	r.c.AfterCrash(i)
}

// outages are the gaps in the client's answers: from the last answer before
// each run of failures (or change of server) to the first answer after it.
type outage struct {
	from, to     time.Time
	before, then string
}

func (r *rec) outages() []outage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []outage
	var last probe
	for _, p := range r.probes {
		if p.server == "" {
			continue
		}
		if last.server != "" && (p.server != last.server || p.at.Sub(last.at) > 3*probePeriod+100*time.Millisecond) {
			out = append(out, outage{last.at, p.at, last.server, p.server})
		}
		last = p
	}
	return out
}

// save copies logs, journals and ha.cf, and writes measured.txt.
func (r *rec) save() {
	r.cancel()
	time.Sleep(50 * time.Millisecond)
	dir := filepath.Join("..", "testdata", "recorded", r.name)
	if err := os.RemoveAll(dir); err != nil {
		r.t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.t.Fatal(err)
	}
	for i := range r.c.Node {
		node := fmt.Sprintf("node%d", i+1)
		copyFile(r.t, r.c.Node[i].Path("/var/log/ha-log"), filepath.Join(dir, "ha-log."+node))
		if !r.stock {
			j := r.c.Node[i].Path(hblog.DefaultJournalPath)
			var b []byte
			for _, p := range []string{j + ".1", j} {
				x, _ := os.ReadFile(p)
				b = append(b, x...)
			}
			if err := os.WriteFile(filepath.Join(dir, "hbgo-journal."+node), b, 0o644); err != nil {
				r.t.Fatal(err)
			}
		}
	}
	copyFile(r.t, r.c.Node[0].Path("/etc/ha.d/ha.cf"), filepath.Join(dir, "ha.cf"))
	if r.c.Opts.HbgoCf != "" {
		copyFile(r.t, r.c.Node[0].Path("/etc/ha.d/hbgo.cf"), filepath.Join(dir, "hbgo.cf"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: recorded by logrec.TestRecord; client probes %s:%d every %v\n", r.name, twonode.VIP, svcPort, probePeriod)
	for _, n := range r.notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	b.WriteString("# outage <last answer> <first answer after> <from> <to> <seconds>\n")
	for _, o := range r.outages() {
		fmt.Fprintf(&b, "outage %s %s %s %s %.3f\n", o.from.UTC().Format(hblog.JournalTimeFormat), o.to.UTC().Format(hblog.JournalTimeFormat),
			o.before, o.then, o.to.Sub(o.from).Seconds())
	}
	if err := os.WriteFile(filepath.Join(dir, "measured.txt"), []byte(b.String()), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("%s:\n%s", dir, b.String())
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sequences are the recorded scenarios of issue 17.
var sequences = []struct {
	name   string
	hbgoCf string // hbgo.cf of both nodes; set: hbgo pairing only
	run    func(r *rec)
}{
	{"five-moves", "", func(r *rec) {
		// hb_standby and hb_takeover both ways: five planned moves.
		r.startBoth()
		steps := []struct {
			on     int
			cmd    string
			holder int
		}{
			{0, "hb_standby", 1}, {0, "hb_takeover", 0}, {1, "hb_takeover", 1}, {1, "hb_standby", 0}, {0, "hb_standby", 1},
		}
		for _, s := range steps {
			r.run(s.on, "/usr/share/heartbeat/"+s.cmd, "all")
			r.settled(s.holder, 60*time.Second)
		}
	}},
	{"crash", "", func(r *rec) {
		// node1 crashes, node2 takes over; node1 comes back (rebooted)
		// and auto_failback moves the group home.
		r.startBoth()
		r.crash(0)
		r.settled(1, 60*time.Second)
		r.note("node1 back: links healed, heartbeat started")
		r.c.Heal(0, "all")
		r.c.Start(0)
		r.settled(0, 60*time.Second)
	}},
	{"cut-heal", "", func(r *rec) {
		// node1's links cut (it keeps running, isolated), then healed.
		r.startBoth()
		r.note("cut node1's links")
		off := len(r.c.Log(1))
		r.c.Cut(0, "all")
		if _, _, err := r.c.WaitLog(1, regexp.MustCompile(`mach_down takeover complete\.`), off, r.c.Dead(30)); err != nil {
			r.t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		r.note("heal node1's links")
		r.c.Heal(0, "all")
		// A healed partition restarts both daemons (COMPAT §5.8); wait
		// until one node holds the group again and the logs are quiet.
		r.settled(r.sole(120*time.Second), 120*time.Second)
	}},
	{"standby-during-takeover", "", func(r *rec) {
		// hb_takeover on node2, and while its takeover runs, hb_standby on node2.
		r.startBoth()
		off := len(r.c.Log(1))
		r.note("node2: hb_takeover all")
		go r.c.Node[1].Try("/usr/share/heartbeat/hb_takeover", "all")
		// The standby lands while node1 is still giving the group up.
		_, _, err := r.c.WaitLog(1, regexp.MustCompile(`wants to go standby|hb_takeover`), off, r.c.Dead(10))
		if err != nil {
			r.t.Fatal(err)
		}
		r.run(1, "/usr/share/heartbeat/hb_standby", "all")
		r.settled(r.sole(60*time.Second), 60*time.Second)
	}},
	{"monitor", monitorCf, func(r *rec) {
		// issue 15's watches on node1: the VIP deleted (restored in place),
		// claimed by the client too (re-announced), the mount unmounted and
		// the service killed (each restarts the group from it), the service
		// killed again (the second failure hands the group to node2), then
		// heartbeat cleanup on node1.
		r.startBoth()
		logged := func(i int, re string) {
			r.t.Helper()
			if _, _, err := r.c.WaitLog(i, regexp.MustCompile(re), 0, r.c.Dead(10)); err != nil {
				r.t.Fatal(err)
			}
		}
		r.run(0, "ip", "addr", "del", twonode.VIPCIDR, "dev", twonode.LANIf)
		logged(0, `hbgo-monitor: \S+ vanished \(netlink RTM_DELADDR\); restored in`)
		r.settled(0, 60*time.Second)
		r.note("client: claims the VIP too (ip addr add, arping -U)")
		if out, err := r.c.Lab.Command("client", "ip", "addr", "add", twonode.VIP+"/32", "dev", "cl0").CombinedOutput(); err != nil {
			r.t.Fatalf("client: %v\n%s", err, out)
		}
		out, err := r.c.Lab.Command("client", "arping", "-U", "-c", "2", "-I", "cl0", "-s", twonode.VIP, twonode.VIP).CombinedOutput()
		_ = r.c.Lab.Command("client", "ip", "addr", "del", twonode.VIP+"/32", "dev", "cl0").Run()
		if err != nil {
			r.t.Fatalf("client arping: %v\n%s", err, out)
		}
		logged(0, `hbgo-monitor: \S+ is claimed by another node too`)
		r.settled(0, 60*time.Second)
		r.run(0, "umount", twonode.Mnt)
		logged(0, `hbgo-monitor: group drbddisk::r0 restarted`)
		r.settled(0, 60*time.Second)
		pid := func() string {
			b, _ := os.ReadFile(r.c.Node[0].Path("/run/" + svcName + ".pid"))
			return strings.TrimSpace(string(b))
		}
		r.run(0, "kill", "-9", pid())
		logged(0, `hbgo-monitor: `+svcName+` failed .*failure 1 of 2`)
		r.settled(0, 60*time.Second)
		r.run(0, "kill", "-9", pid())
		logged(0, `hbgo-monitor: group drbddisk::r0 handed over`)
		r.settled(1, 60*time.Second)
		r.run(0, r.bin, "cleanup")
		logged(0, `hbgo-monitor: failure counts of every resource cleared`)
		r.settled(1, 60*time.Second)
	}},
}

// monitorCf watches the mount (mountinfo) and the service (its status every
// second) besides the VIP (vip_watch is on by default); the second failure
// of one resource within the window hands the group over.
const monitorCf = "monitor Filesystem\nmonitor " + svcName + " interval=1 timeout=5\nfailover_threshold 2\n"
