package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"hbgo/heartbeat/edge/hblog"
	"hbgo/internal/harness/testnet"
	"hbgo/internal/harness/twonode"
)

// haCf is the classic DRBD pair's ha.cf (ha.d-examples) with the demo's
// fast timings: a dedicated heartbeat link plus the LAN.
var haCf = twonode.FastHaCf("bcast @HBIF@", "ucast @LANIF@ @PEER_LANIP@")

// haresources is the classic DRBD pair's group with the demo service in
// place of mysql.
const haresources = "@NODE1@ drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 IPaddr::@VIPCIDR@/@LANIF@ " + svcName + "\n"

const authkeys = "auth 1\n1 sha1 hbgo-demo-key\n"

// svcName is the demo service's resource.d script.
const svcName = "hbgo-demo-svc"

// svcPort is where the demo service listens on the VIP.
const svcPort = 8080

// svcScript is an LSB-style resource script: a socat TCP service on the
// VIP that answers "served by <hostname>". Every start and stop is
// stamped into /var/log/hbgo-demo-svc.log for the timeline.
var svcScript = `#!/bin/sh
# ` + svcName + `: the demo's stand-in for mysql, written by hbgo-demo.
PIDF=/run/` + svcName + `.pid
LOG=/var/log/` + svcName + `.log
running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
case "$1" in
start)
	running && { echo running; exit 0; }
	echo "$(date +%s.%N) start $(hostname)" >>"$LOG"
	PIDF=$PIDF NAME=$(hostname) setsid sh -c 'echo $$ >"$PIDF"; exec socat TCP-LISTEN:` + strconv.Itoa(svcPort) + `,bind=` + twonode.VIP + `,fork,reuseaddr "SYSTEM:echo served by $NAME"' </dev/null >>"$LOG.out" 2>&1 &
	i=0
	until ss -Hltn 'sport = :` + strconv.Itoa(svcPort) + `' | grep -q .; do
		i=$((i+1)); [ $i -gt 300 ] && { echo "socat did not start" >&2; exit 1; }
		sleep 0.01
	done
	echo "$(date +%s.%N) listening $(hostname)" >>"$LOG"
	;;
stop)
	if running; then
		kill "$(cat "$PIDF")"
		while running; do sleep 0.01; done
	fi
	rm -f "$PIDF"
	echo "$(date +%s.%N) stop $(hostname)" >>"$LOG"
	;;
status)
	if running; then echo running; else echo stopped; fi
	;;
*)
	echo "usage: $0 start|stop|status" >&2; exit 2
	;;
esac
exit 0
`

// Config is one demo run.
type Config struct {
	Prefix    string        // namespace prefix
	Heartbeat string        // hbgo binary; "" builds ./cmd/heartbeat
	Out       io.Writer     // the story
	Startup   time.Duration // how long node1 may take to hold the group
	Failover  time.Duration // how long node2 may take to serve the client
}

// Result is what a run measured.
type Result struct {
	T0       time.Time
	Steps    []Step
	Outage   time.Duration // last answer from node1 to first from node2, as the client saw it
	Startup  time.Duration // daemons started to node1 serving the client
	StaleVIP bool          // node1 still had the VIP configured after the crash
}

// Step reports whether the timeline has what, and its time.
func (r *Result) Step(what string) (time.Time, bool) {
	for _, s := range r.Steps {
		if s.What == what {
			return s.At, !s.At.IsZero()
		}
	}
	return time.Time{}, false
}

// Run builds the cluster, crashes node1 once node1 serves the client, and
// measures node2's takeover. Everything it makes is removed by t's cleanups.
func Run(ctx context.Context, t testnet.T, cfg Config) (*Result, error) {
	t.Helper()
	out := cfg.Out
	began := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "[%6.2fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	bin := cfg.Heartbeat
	if bin == "" {
		say("building hbgo (go build ./cmd/heartbeat)")
		bin = twonode.BuildHbgo(t)
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(bin)) })
	}
	say("building namespaces %s-{node1,node2,client}: LAN bridge %s.0/24, heartbeat link %s.0/24, ext4 image on a loop device",
		cfg.Prefix, twonode.LANNet, twonode.HBNet)
	c := twonode.New(t, twonode.Options{
		Prefix: cfg.Prefix, Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: haCf, Haresources: haresources, Authkeys: authkeys, LoopFS: true, DRBD: true,
	})
	for i := range c.Node {
		h := c.Node[i]
		h.WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(svcScript), 0o755)
	}
	hares, _ := os.ReadFile(c.Node[0].Path("/etc/ha.d/haresources"))
	say("haresources: %s", bytes.TrimSpace(hares))

	// The client, polling the service on the VIP.
	var crashAt time.Time
	var crashMu sync.Mutex
	rel := func(t time.Time) string {
		crashMu.Lock()
		defer crashMu.Unlock()
		if crashAt.IsZero() {
			return ""
		}
		return fmt.Sprintf(" (%+.0f ms after the crash)", Ms(t.Sub(crashAt)))
	}
	pr := &prober{notify: func(_, cur Probe) {
		if cur.Server == "" {
			say("client: no answer from %s:%d%s", twonode.VIP, svcPort, rel(cur.At))
			return
		}
		say("client: served by %s%s", cur.Server, rel(cur.At))
	}}
	vipAddr := net.JoinHostPort(twonode.VIP, strconv.Itoa(svcPort))
	if err := pr.run(ctx, c.Lab.NS("client"), vipAddr, 100*time.Millisecond); err != nil {
		return nil, err
	}

	// What node2 and the client see, stamped as it happens.
	var seen stamps
	node2MAC, _ := net.ParseMAC("02:77:00:00:00:02") // twonode's fixed LAN MAC of node2
	vip := net.ParseIP(twonode.VIP)
	arpFD, err := packetSocket(c.Lab.NS("client"), ethPARP)
	if err != nil {
		return nil, err
	}
	go readFrames(ctx, arpFD, func(f []byte, at time.Time) {
		if IsGARP(f, node2MAC, vip) {
			seen.first("garp", at, crashTime(&crashMu, &crashAt))
		}
	})
	hbFD, err := packetSocket(c.Lab.NS("node2"), ethPIP)
	if err != nil {
		return nil, err
	}
	peerIPs := []net.IP{net.ParseIP(twonode.HBNet + ".1"), net.ParseIP(twonode.LANNet + ".1")}
	go readFrames(ctx, hbFD, func(f []byte, at time.Time) {
		for _, ip := range peerIPs {
			if IsHeartbeat(f, ip, 694) {
				seen.set("heartbeat", at)
			}
		}
	})
	if err := watchAddr(ctx, c.Lab.NS("node2"), vip, func(at time.Time) {
		seen.first("vip", at, crashTime(&crashMu, &crashAt))
	}); err != nil {
		return nil, err
	}

	// node2's mount table, seen through the /proc entry of a process that
	// lives in node2's mount namespace as long as the node (nsenter joins
	// it before forking into the PID namespace).
	anchor := c.Node[1].Start("", "sleep", "infinity")

	say("starting hbgo on node1 and node2 (keepalive 200ms, deadtime 1, auto_failback on)")
	started := time.Now()
	c.Start(0)
	c.Start(1)
	if !twonode.WaitFor(5*time.Second, func() bool { return c.Running(1) }) {
		return nil, fmt.Errorf("hbgo did not start on node2:\n%s", readTail(c.Node[1].Path("/var/log/impl.out")))
	}
	if err := watchMount(ctx, anchor.Process.Pid, twonode.Mnt, func(at time.Time) {
		seen.first("mount", at, crashTime(&crashMu, &crashAt))
	}); err != nil {
		return nil, err
	}
	say("waiting for node1 to acquire the group (heartbeat's start-up wait for the peer's resources, RQSTDELAY, takes 10 s)")
	if err := waitUntil(ctx, cfg.Startup, func() bool { return !pr.firstServed("node1", started).IsZero() }); err != nil {
		return nil, fmt.Errorf("node1 never served the client within %v: %w\nnode1's ha-log:\n%s", cfg.Startup, err, tailString(c.Log(0), 20))
	}
	res := &Result{Startup: pr.firstServed("node1", started).Sub(started)}
	say("node1 holds the group (drbd primary, %s mounted, VIP %s, %s) %.1f s after start", twonode.Mnt, twonode.VIP, svcName, res.Startup.Seconds())
	// Let the client see node1 serve a few times.
	if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
		return nil, err
	}

	say("CRASH: node1's daemon SIGKILLed and both its links cut, at once")
	crashMu.Lock()
	crashAt = time.Now()
	crashMu.Unlock()
	res.T0 = crashAt
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Kill(0)
	}()
	c.Cut(0, "all")
	<-done

	takeover := func() bool {
		return !pr.firstServed("node2", res.T0).IsZero()
	}
	if err := waitUntil(ctx, cfg.Failover, takeover); err != nil {
		return nil, fmt.Errorf("node2 never served the client within %v of the crash: %w\nnode2's ha-log:\n%s", cfg.Failover, err, tailString(c.Log(1), 25))
	}
	// The journal's op_done and the last ARPs land a moment after.
	if err := sleepCtx(ctx, 400*time.Millisecond); err != nil {
		return nil, err
	}
	res.StaleVIP = c.HasVIP(0)
	if res.StaleVIP {
		say("node1 (crashed) still has %s configured: only cutting its links keeps it off the LAN", twonode.VIP)
	}

	src := Sources{T0: res.T0, Dead: "node1", LastHeartbeat: seen.get("heartbeat"),
		Mounted: seen.get("mount"), VIPAdded: seen.get("vip"), GARP: seen.get("garp"),
		Served: pr.firstServed("node2", res.T0)}
	if src.LastHeartbeat.After(res.T0.Add(time.Second)) {
		src.LastHeartbeat = time.Time{}
	}
	jpath := c.Node[1].Path(hblog.DefaultJournalPath)
	if src.Journal, err = hblog.ReadJournal(jpath+".1", jpath); err != nil {
		return nil, err
	}
	if src.Drbdadm, err = readCalls(c.Node[1].Path("/var/log/drbdadm.calls")); err != nil {
		return nil, err
	}
	if src.Service, err = readCalls(c.Node[1].Path("/var/log/" + svcName + ".log")); err != nil {
		return nil, err
	}
	res.Steps = Timeline(src)
	if last := pr.lastServed("node1", res.T0.Add(time.Hour)); !last.IsZero() {
		res.Outage = src.Served.Sub(last)
	}
	cancel()
	fmt.Fprintln(out)
	WriteTimeline(out, res.T0, res.Steps)
	if dead, ok := res.Step("node1 declared dead"); ok && !src.LastHeartbeat.IsZero() {
		fmt.Fprintf(out, "node1 was declared dead %.0f ms after its last heartbeat (deadtime 1 s)\n", Ms(dead.Sub(src.LastHeartbeat)))
	}
	if vip, ok := res.Step("VIP added"); ok {
		if take, ok := res.Step("takeover started"); ok {
			fmt.Fprintf(out, "takeover to VIP up: %.0f ms\n", Ms(vip.Sub(take)))
		}
	}
	fmt.Fprintf(out, "client outage: %.0f ms (last answer from node1 to first from node2, polling every 100 ms)\n\n", Ms(res.Outage))
	return res, nil
}

// Ethertypes, host order.
const (
	ethPARP = 0x0806
	ethPIP  = 0x0800
)

func crashTime(mu *sync.Mutex, t *time.Time) time.Time {
	mu.Lock()
	defer mu.Unlock()
	if t.IsZero() {
		// Before the crash nothing counts yet: a time in the far future
		// keeps stamps.first from recording startup events.
		return time.Unix(1<<40, 0)
	}
	return *t
}

func readCalls(path string) ([]Call, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseCalls(f, path)
}

// waitUntil polls cond every 10 ms until it holds, ctx ends or timeout passes.
func waitUntil(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	return tailString(string(b), 20)
}

func tailString(s string, n int) string {
	lines := bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
