package soak

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/heartbeat/edge/capture"
	"hbgo/heartbeat/edge/control"
	"hbgo/internal/harness/twonode"
)

// TestReplaySoak records an hbgo+hbgo cluster's heartbeat traffic with
// tcpdump while the group moves (hb_standby, hb_takeover, hb_standby
// failback), crashes node1 and, once node2 holds the group, replays every
// datagram node1 sent at node2 from node1's namespace: at 10× speed, then
// back to back. node2 must still hold everything, log at most one line per
// drop reason per minute, and send nothing it would not have sent anyway
// (no retransmission, no NAK). Then the same with node2 restarted before
// the replay (it must remember node1's generation: hbgo_peer_generations).
// `make soak` runs it (HBGO_SOAK_REPLAY=1); HBGO_SOAK_REPLAY_RECORD is the
// recording's length (default 60s); HBGO_SOAK_REPLAY_OUT, if set, is a file
// the figures are appended to.
func TestReplaySoak(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("replay soak: needs root for network namespaces, a loop device and mounts")
	}
	if os.Getenv("HBGO_SOAK_REPLAY") == "" {
		t.Skip("replay soak: make soak runs it (HBGO_SOAK_REPLAY=1)")
	}
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed")
	}
	record := envDur("HBGO_SOAK_REPLAY_RECORD", 60*time.Second)
	bin := twonode.BuildHbgo(t)
	for _, restart := range []bool{false, true} {
		name := "node2-running"
		if restart {
			name = "node2-restarted"
		}
		t.Run(name, func(t *testing.T) { replaySoak(t, bin, record, restart) })
	}
}

// keepalive is the soak ha.cf's.
const keepalive = 200 * time.Millisecond

func replaySoak(t *testing.T, bin string, record time.Duration, restart bool) {
	s := newSoak(t, "hbxrp", "hbgo+hbgo", [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)}, bin)
	s.c.Start(0)
	s.c.Start(1)
	if err := s.joined(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	h, err := s.sole(60*time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if h != 0 {
		t.Fatalf("node%d holds the group after the start, want node1 (haresources)", h+1)
	}

	// 1. Record node1's side of the heartbeat traffic (both media).
	pcap := filepath.Join(t.TempDir(), "node1.pcap")
	dump := exec.Command("ip", "netns", "exec", s.c.Lab.NS("node1"), "tcpdump", "-i", "any", "-U", "-s", "0", "-w", pcap, "udp", "port", "694")
	var dumpErr strings.Builder
	dump.Stderr = &dumpErr
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dump.Process.Kill(); _ = dump.Wait() })
	started := time.Now()
	step := func(i int, args ...string) {
		t.Helper()
		if out, err := s.c.Node[i].Try(args[0], args[1:]...); err != nil {
			t.Fatalf("node%d %v: %v: %s", i+1, args, err, out)
		}
	}
	pause := record / 8
	time.Sleep(pause)
	step(0, "/usr/share/heartbeat/hb_standby", "all") // standby: node2 takes
	if err := s.takes(1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	step(0, "/usr/share/heartbeat/hb_takeover", "all") // takeover: node1 takes
	if err := s.takes(0, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	step(0, "/usr/share/heartbeat/hb_standby", "all")
	if err := s.takes(1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	step(1, "/usr/share/heartbeat/hb_standby", "failback") // failback: node1's group home
	if err := s.takes(0, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if h, err := s.sole(30*time.Second, time.Second); err != nil || h != 0 {
		t.Fatalf("before the crash: holder node%d, %v", h+1, err)
	}
	if rest := record - time.Since(started); rest > 0 {
		time.Sleep(rest)
	}
	_ = dump.Process.Signal(syscall.SIGINT)
	_ = dump.Wait()
	recorded := time.Since(started)

	// 2. node1 crashes; node2 takes over (and, in the second run, restarts).
	s.crash(0)
	if err := s.takes(1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if restart {
		if err := s.c.Stop(1, 60*time.Second); err != nil {
			t.Fatal(err)
		}
		s.c.Start(1)
		if err := s.takes(1, 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if h, err := s.sole(30*time.Second, 2*time.Second); err != nil || h != 1 {
		t.Fatalf("after the crash: holder node%d, %v", h+1, err)
	}
	s.c.Uncut(0) // node1's links up again for the replay; its daemon stays dead

	pkts, err := capture.ReadFile(pcap, capture.DefaultPort)
	if err != nil {
		t.Fatalf("reading the capture: %v (tcpdump: %s)", err, dumpErr.String())
	}
	node1Addrs := map[netip.Addr]bool{
		netip.MustParseAddr(twonode.HBNet + ".1"):  true,
		netip.MustParseAddr(twonode.LANNet + ".1"): true,
	}
	var replay []capture.Packet
	for _, p := range pkts {
		if p.Err == nil && node1Addrs[p.Src.Addr()] {
			replay = append(replay, p)
		}
	}
	if len(replay) < int(recorded/keepalive)/2 {
		t.Fatalf("only %d of node1's datagrams in %d captured in %v", len(replay), len(pkts), recorded.Round(time.Second))
	}

	// node2's own work after the takeover (or its start) is over when its
	// log has been quiet for a few keepalives; then what it sends alone.
	if !quiet(s, 1, 15*keepalive, 60*time.Second) {
		t.Fatalf("node2's log never went quiet before the replay:\n%s", tail(s.c.Log(1), 20))
	}
	base := 5 * time.Second
	b0 := counters(t, s)
	time.Sleep(base)
	rate := float64(counters(t, s)["membership.sent"]-b0["membership.sent"]) / base.Seconds()

	// 3. Replay at node2 from node1's namespace, 10× and then full rate.
	exe := s.c.Opts.Impl[1].Exe
	pid := twonode.MainPid(s.c.Node[1].Pids(exe))
	off := len(s.c.Log(1))
	c0 := counters(t, s)
	from := time.Now()
	d10 := send(t, s, replay, 10)
	dFull := send(t, s, replay, 0)
	time.Sleep(2 * time.Second) // the last datagrams processed
	elapsed := time.Since(from)
	c1 := counters(t, s)

	// 4. What node2 did about it.
	if twonode.MainPid(s.c.Node[1].Pids(exe)) != pid {
		t.Errorf("node2's daemon is not the one that ran before the replay")
	}
	if !s.holds(1) || !s.empty(0) {
		t.Errorf("after the replay: %s", s.state())
	}
	allowed := int(elapsed/time.Minute) + 1
	lines := map[string]int{}
	digits := regexp.MustCompile(`[0-9]+`)
	var logged []string
	for _, l := range strings.Split(strings.TrimSpace(s.c.Log(1)[off:]), "\n") {
		if l == "" {
			continue
		}
		// "Dec 06 12:00:00 node2 heartbeat: [10]: WARN: text": the reason is the text without numbers.
		_, text, ok := strings.Cut(l, "]: ")
		if !ok {
			text = l
		}
		key := digits.ReplaceAllString(text, "N")
		lines[key]++
		logged = append(logged, l)
	}
	for k, n := range lines {
		if n > allowed {
			t.Errorf("node2 logged %d lines like %q in %v (at most %d)", n, k, elapsed.Round(time.Second), allowed)
		}
	}
	delta := func(k string) int64 { return int64(c1[k]) - int64(c0[k]) }
	if n := delta("membership.rexmit-served"); n != 0 {
		t.Errorf("node2 retransmitted %d messages for replayed requests", n)
	}
	// node2 alone sends its status every keepalive and its self-ACKs:
	// the rate measured before the replay.
	expect := int64(rate*elapsed.Seconds()) + 3
	if n := delta("membership.sent"); n > expect {
		t.Errorf("node2 sent %d messages in %v, at most %d expected at its rate alone (%.1f/s)", n, elapsed.Round(time.Millisecond), expect, rate)
	}
	var drops []string
	for k := range c1 {
		if strings.HasPrefix(k, "drop.") && delta(k) > 0 {
			drops = append(drops, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "drop."), delta(k)))
		}
	}
	sort.Strings(drops)
	received := delta("membership.received")
	kind := "running"
	if restart {
		kind = "restarted"
	}
	fig := fmt.Sprintf("replay at node2 (%s): %d of node1's datagrams recorded in %v; replayed 2× (10× speed in %v, full rate in %v = %.0f/s); node2 received %d, dropped %s; sent %d in %v (%.1f/s before the replay: nothing extra %v), rexmit served %d; %d log lines (%d kinds), holder node2: %v",
		kind, len(replay), recorded.Round(time.Second), d10.Round(time.Millisecond), dFull.Round(time.Millisecond),
		float64(len(replay))/dFull.Seconds(), received, strings.Join(drops, " "), delta("membership.sent"), elapsed.Round(time.Millisecond),
		rate, delta("membership.sent") <= expect, delta("membership.rexmit-served"), len(logged), len(lines), s.holds(1) && s.empty(0))
	t.Log(fig)
	if len(logged) > 0 {
		t.Logf("node2's lines during the replay:\n%s", strings.Join(logged, "\n"))
	}
	if out := os.Getenv("HBGO_SOAK_REPLAY_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			fmt.Fprintf(f, "- %s\n", fig)
			for _, l := range logged {
				fmt.Fprintf(f, "    %s\n", l)
			}
			f.Close()
		}
	}
	if received < int64(len(replay)) {
		t.Errorf("node2's membership received %d datagrams, %d were replayed twice: the replay did not reach it", received, len(replay))
	}
}

// send replays pkts from node1's namespace to their destinations with
// their recorded spacing divided by speed (0: back to back).
func send(t *testing.T, s *soakCluster, pkts []capture.Packet, speed int) time.Duration {
	t.Helper()
	var took time.Duration
	s.c.Lab.Do("node1", func() {
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
				if serr == nil {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}}
		pc, err := lc.ListenPacket(context.Background(), "udp4", ":694")
		if err != nil {
			t.Errorf("replay socket in node1: %v", err)
			return
		}
		defer pc.Close()
		start := time.Now()
		t0 := pkts[0].Time
		for _, p := range pkts {
			if speed > 0 {
				at := start.Add(p.Time.Sub(t0) / time.Duration(speed))
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
			}
			if _, err := pc.WriteTo(p.Payload, net.UDPAddrFromAddrPort(p.Dst)); err != nil {
				t.Errorf("replay to %v: %v", p.Dst, err)
				return
			}
		}
		took = time.Since(start)
	})
	return took
}

// quiet waits until node i's log has not grown for d (at most timeout).
func quiet(s *soakCluster, i int, d, timeout time.Duration) bool {
	end := time.Now().Add(timeout)
	n, since := len(s.c.Log(i)), time.Now()
	for time.Now().Before(end) {
		time.Sleep(100 * time.Millisecond)
		if m := len(s.c.Log(i)); m != n {
			n, since = m, time.Now()
		}
		if time.Since(since) >= d {
			return true
		}
	}
	return false
}

// counters is node2's cl_status counters (hbgo's control socket).
func counters(t *testing.T, s *soakCluster) map[string]uint64 {
	t.Helper()
	r, err := control.Do(s.c.Node[1].Path(control.DefaultPath), control.Request{Op: control.OpStatus}, 10*time.Second)
	if err != nil || r.Status == nil {
		t.Fatalf("node2: control status: %v", err)
	}
	return r.Status.Counters
}
