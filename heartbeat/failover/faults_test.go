package failover

import (
	"os"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/twonode"
)

// fltName is the fault tests' service, placed between the mount and the
// VIP: its start hangs while /etc/ha.d/hbx-flt.hang exists and its stop
// fails (leaving it running) while /etc/ha.d/hbx-flt.stopfail exists.
const fltName = "hbx-flt"

const fltScript = `#!/bin/sh
PIDF=/run/hbx-flt.pid
running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
case "$1" in
start)
	running && exit 0
	while [ -e /etc/ha.d/hbx-flt.hang ]; do sleep 0.1; done
	setsid sh -c 'echo $$ >/run/hbx-flt.pid; exec sleep 100000' </dev/null >/dev/null 2>&1 &
	while ! running; do sleep 0.01; done
	;;
stop)
	if [ -e /etc/ha.d/hbx-flt.stopfail ]; then echo "hbx-flt: refusing to stop" >&2; exit 1; fi
	if running; then kill "$(cat "$PIDF")"; while running; do sleep 0.01; done; fi
	rm -f "$PIDF"
	;;
status)
	if running; then echo running; else echo stopped; fi
	;;
*)
	echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
exit 0
`

const (
	fltHang     = "/etc/ha.d/hbx-flt.hang"
	fltStopFail = "/etc/ha.d/hbx-flt.stopfail"
)

// fltHaresources is the DRBD pair's group with the fault service between
// the mount and the VIP.
const fltHaresources = "@NODE1@ drbddisk::r0 Filesystem::@LOOPDEV@::@MNT@::ext4 " + fltName + " IPaddr::@VIPCIDR@/@LANIF@\n"

// faults is the fault tests' cluster: two hbgo nodes.
type faults struct {
	*pair
	haCf string // ha.cf template as newFaults rendered it
}

func newFaults(t *testing.T) *faults {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	bin := twonode.BuildHbgo(t)
	hacf := strings.ReplaceAll(haCf, "@FAILBACK@", "on")
	c := twonode.New(t, twonode.Options{Prefix: "hbxft", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: hacf, Haresources: fltHaresources, Authkeys: authkeys, LoopFS: true, DRBD: true})
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/"+fltName, []byte(fltScript), 0o755)
	}
	p := &pair{t: t, c: c}
	t.Cleanup(func() {
		if t.Failed() {
			for i := range c.Node {
				t.Logf("node%d ha-log tail:\n%s", i+1, tail(c.Log(i), 80))
			}
		}
	})
	return &faults{pair: p, haCf: hacf}
}

// flt reports whether node i runs the fault service.
func (f *faults) flt(i int) bool {
	out, _ := f.c.Node[i].Try("/etc/ha.d/resource.d/"+fltName, "status")
	return strings.TrimSpace(out) == "running"
}

func (f *faults) fltHolds(i int) bool {
	return f.c.HasVIP(i) && f.c.Mounted(i) && f.flt(i) && f.primary(i)
}

func (f *faults) fltEmpty(i int) bool {
	return !f.c.HasVIP(i) && !f.c.Mounted(i) && !f.flt(i) && !f.primary(i)
}

func (f *faults) state(i int) string {
	return "node" + string(rune('1'+i)) + ": vip=" + yes(f.c.HasVIP(i)) + " mount=" + yes(f.c.Mounted(i)) +
		" flt=" + yes(f.flt(i)) + " drbd-primary=" + yes(f.primary(i))
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// waitHolder waits until node want holds the whole group and the other
// none of it (want = -1: nobody holds any of it), then checks that it lasts.
func (f *faults) waitHolder(want int, timeout, settle time.Duration) bool {
	f.t.Helper()
	ok := func() bool {
		if want < 0 {
			return f.fltEmpty(0) && f.fltEmpty(1)
		}
		return f.fltHolds(want) && f.fltEmpty(1-want)
	}
	if !twonode.WaitFor(timeout, ok) {
		f.t.Errorf("want holder node%d: %s; %s", want+1, f.state(0), f.state(1))
		return false
	}
	end := time.Now().Add(settle)
	for time.Now().Before(end) {
		if !ok() {
			f.t.Errorf("holder node%d did not last: %s; %s", want+1, f.state(0), f.state(1))
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// setHaCf writes node i's ha.cf: the cluster's template with extra lines,
// or with node2's line left out when alone.
func (f *faults) setHaCf(i int, alone bool, extra ...string) {
	text := f.haCf
	if alone {
		text = strings.Replace(text, "node @NODE2@\n", "", 1)
	}
	text += strings.Join(extra, "\n") + "\n"
	f.c.Opts.HaCf = text
	f.c.Render(i)
	f.c.Opts.HaCf = f.haCf
}

func (f *faults) setHbgoCf(i int, text string) {
	f.c.Node[i].WriteFile("/etc/ha.d/hbgo.cf", []byte(text), 0o644)
}

func (f *faults) flag(i int, path string, on bool) {
	if on {
		f.c.Node[i].WriteFile(path, nil, 0o644)
		return
	}
	_ = os.Remove(f.c.Node[i].Path(path))
}

// TestFaults runs the failing-resource, STONITH and one-node cases on one
// cluster of two hbgo nodes (issue #8 "Failing resources"). The fence by
// reboot(2) ends node1's PID namespace, so it comes last.
func TestFaults(t *testing.T) {
	f := newFaults(t)
	const n1, n2 = 0, 1
	ok := f.step("alone", func() {
		// A node alone in ha.cf starts its group and stops (planner departure e).
		f.setHaCf(n1, true)
		f.c.Start(n1)
		f.expect(n1, 30*time.Second, `hbgo: no other node in ha.cf`, `Initial resource acquisition complete`)
		f.waitHolder(n1, 20*time.Second, time.Second)
		if f.stop(n1) {
			f.expect(n1, 5*time.Second, `All HA resources relinquished`, `Heartbeat shutdown complete`)
		}
		f.waitHolder(-1, 10*time.Second, 0)
		f.setHaCf(n1, false)
	})
	_ = ok
}
