package failover

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// TestCrashRestartOneHolder (issue 15 item 5): the holder's daemon (hbgo,
// node1) is SIGKILLed under a supervisor that does what the shipped unit
// makes systemd do: ExecStopPost (dist/hbgo-stop-post), then the restart at
// once (Restart=on-failure, RestartSec=0). The peer is stock 3.0.6, deadtime
// 4 s. Sampled every few milliseconds, the VIP is never on both nodes; one
// node holds the whole group again; the client's outage is measured.
//
//   - keep: the unit restarts the daemon (HBGO_RESTART_POLICY=on-failure), so
//     hbgo-stop-post leaves the groups up; the new daemon is back well
//     within deadtime and keeps them: nothing is stopped, the VIP never
//     leaves node1.
//   - release: no restart policy, hbgo-stop-post releases; the restarted
//     daemon takes the group back.
//
// What stock does, recorded (both variants): the restart comes back within
// deadtime, so stock never declares node1 dead and takes nothing over; it
// logs "Heartbeat restart on node node1" (the new generation) and "remote
// resource transition completed."; with the kept groups node1 joins as an
// in-place restart (heartbeat -R's adoption, which stock itself uses), and
// stock accepts it.
func TestCrashRestartOneHolder(t *testing.T) {
	needStock(t)
	bin := twonode.BuildHbgo(t)
	for _, v := range []struct{ name, prefix, policy string }{{"keep", "hbxck", "on-failure"}, {"release", "hbxcr", "no"}} {
		t.Run(v.name, func(t *testing.T) { crashRestart(t, bin, v.prefix, v.policy) })
	}
}

func crashRestart(t *testing.T, bin, prefix, policy string) {
	p := newCluster(t, prefix, [2]twonode.Impl{twonode.Hbgo(bin), twonode.Stock()}, "off")
	p.c.Opts.HaCf = strings.NewReplacer("deadtime 1\n", "deadtime 4\n", "initdead 5\n", "initdead 10\n").Replace(p.c.Opts.HaCf)
	p.haCf0 = p.c.Opts.HaCf
	p.c.Render(0)
	p.c.Render(1)
	slow := twonode.TimingsOf(p.c.Opts.HaCf)
	const hb, st = 0, 1
	if !p.step("cold-start", func() {
		p.c.Start(hb)
		p.c.Start(st)
		p.expect(hb, slow.Dead(15), `Initial resource acquisition complete`)
		p.holder(hb, slow.Dead(15), time.Second)
	}) {
		return
	}
	// ResourceManager is hbgo's binary under that name, as install makes it.
	h := p.c.Node[hb]
	h.Run("mkdir", "-p", "/run/hbx-rm")
	h.Run("ln", "-sf", bin, "/run/hbx-rm/ResourceManager")
	stopPost, err := filepath.Abs("../../../dist/hbgo-stop-post")
	if err != nil {
		t.Fatal(err)
	}

	// Samplers: both nodes' VIP and the client's pings.
	var mu sync.Mutex
	both, samples := 0, 0
	var gone, vipBack time.Time // node1's VIP first missing after the kill, then back
	var killedAt time.Time
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			a, b := p.c.HasVIP(hb), p.c.HasVIP(st)
			mu.Lock()
			switch {
			case !a && gone.IsZero() && !killedAt.IsZero():
				gone = time.Now()
			case a && !gone.IsZero() && vipBack.IsZero():
				vipBack = time.Now()
			}
			samples++
			if a && b {
				both++
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	ping := p.c.Lab.Command("client", "ping", "-D", "-n", "-i", "0.02", "-W", "1", twonode.VIP)
	var out strings.Builder
	ping.Stdout = &out
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	p.mark()
	killed := time.Now()
	mu.Lock()
	killedAt = killed
	mu.Unlock()
	p.c.Kill(hb)
	post := h.Command(stopPost)
	post.Env = append(os.Environ(), "SERVICE_RESULT=signal", "EXIT_CODE=killed", "EXIT_STATUS=KILL",
		"HBGO_RESOURCEMANAGER=/run/hbx-rm/ResourceManager", "HBGO_FENCE=false", "HBGO_RESTART_POLICY="+policy)
	if b, err := post.CombinedOutput(); err != nil {
		t.Errorf("hbgo-stop-post: %v\n%s", err, b)
	} else {
		t.Logf("hbgo-stop-post after %s:\n%s", time.Since(killed), b)
	}
	p.c.Start(hb)
	restarted := time.Since(killed)
	// Exactly one holder: node1 when the restart beat the deadtime, node2
	// when a loaded machine made it slower (stock then declared node1 dead).
	single := func() bool { return (p.holds(hb) && p.empty(st)) || (p.holds(st) && p.empty(hb)) }
	ok := twonode.WaitFor(slow.Dead(10), single)
	if ok {
		time.Sleep(time.Second)
		ok = single()
	}
	back := time.Since(killed)
	close(stop)
	wg.Wait()
	_ = ping.Process.Kill()
	_ = ping.Wait()
	mu.Lock()
	defer mu.Unlock()
	if both > 0 {
		t.Errorf("the VIP was on both nodes in %d of %d samples", both, samples)
	}
	if !ok {
		t.Fatalf("no single holder after the restart: %s; %s", p.state(hb), p.state(st))
	}
	outage := longestGap(out.String())
	hbLog := p.c.Log(hb)[p.off[hb]:]
	kept := strings.Contains(hbLog, "keeping the groups still running")
	stockDeclared := strings.Contains(p.c.Log(st)[p.off[st]:], "node node1: is dead")
	if stockDeclared {
		t.Logf("the restart took longer than deadtime on this machine: stock declared node1 dead and %s holds the group", map[bool]string{true: "node2", false: "node1"}[p.holds(st)])
	} else if !p.holds(hb) {
		t.Errorf("stock never declared node1 dead, yet node1 does not hold the group: %s; %s", p.state(hb), p.state(st))
	}
	if policy == "on-failure" && !stockDeclared {
		if !kept {
			t.Errorf("the restarted daemon did not keep the groups:\n%s", tail(hbLog, 20))
		} else {
			if !gone.IsZero() {
				t.Errorf("the VIP left node1 at %s although the groups were kept", gone.Sub(killed))
			}
			if m := regexp.MustCompile(`Running \S+ .*stop`).FindString(hbLog); m != "" {
				t.Errorf("something was stopped although the restart beat the deadtime: %s", m)
			}
		}
	} else if policy != "on-failure" && kept {
		t.Error("kept the groups without a restart policy")
	}
	if gone.IsZero() {
		t.Logf("killed → daemon restarted %s; VIP never left node1 (group held and settled for 1 s at %s); client's longest gap between replies %s; %d samples, VIP never on both nodes",
			restarted.Round(time.Millisecond), back.Round(time.Millisecond), outage.Round(time.Millisecond), samples)
	} else {
		t.Logf("killed → daemon restarted %s; VIP released %s, back %s (group held and settled for 1 s at %s); client's longest gap between replies %s; %d samples, VIP never on both nodes",
			restarted.Round(time.Millisecond), gone.Sub(killed).Round(time.Millisecond), vipBack.Sub(killed).Round(time.Millisecond),
			back.Round(time.Millisecond), outage.Round(time.Millisecond), samples)
	}
	for _, l := range regexp.MustCompile(`(?m)^.*(hbgo: restarted|keeping the groups).*$`).FindAllString(hbLog, 3) {
		t.Logf("hbgo: %s", l)
	}
	// Stock's side, recorded: no takeover, node1's restart seen.
	stockLog := p.c.Log(st)[p.off[st]:]
	if !stockDeclared && strings.Contains(stockLog, "acquire") && p.c.HasVIP(st) {
		t.Errorf("stock took resources over although it never declared node1 dead:\n%s", tail(stockLog, 30))
	}
	for _, l := range regexp.MustCompile(`(?m)^.*(restart on node|is dead|resource|standby).*$`).FindAllString(stockLog, 12) {
		t.Logf("stock: %s", l)
	}
}

// longestGap is the longest time between two replies in ping -D output.
func longestGap(out string) time.Duration {
	re := regexp.MustCompile(`(?m)^\[(\d+\.\d+)\] \d+ bytes from`)
	var prev, gap float64
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		var v float64
		for i, part := range strings.SplitN(m[1], ".", 2) {
			n := 0.0
			for _, c := range part {
				n = n*10 + float64(c-'0')
			}
			if i == 1 {
				for range part {
					n /= 10
				}
			}
			v += n
		}
		if prev > 0 && v-prev > gap {
			gap = v - prev
		}
		prev = v
	}
	return time.Duration(gap * float64(time.Second))
}
