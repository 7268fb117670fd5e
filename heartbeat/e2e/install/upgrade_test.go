package install

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
)

// TestUpgradeRestartsInPlace is what the package's postinst does on an
// upgrade of hbgo (dist/deb/postinst): dpkg has put the new program in place
// by rename under the running daemon, then `heartbeat -r`. The daemon
// restarts in place (same PID, heartbeat -R) on the new file, and keeps its
// resources. The daemon runs from the DESTDIR's path, not a bind mount, so
// the rename is seen as an upgrade is.
func TestUpgradeRestartsInPlace(t *testing.T) {
	h, d := installedNode(t, "hbinsu", "n3")
	writeConf(t, h, oneNode)
	h.WriteFile("/etc/ha.d/haresources", []byte("n3 Delay::1::0\n"), 0o644)
	prog := d + exe
	logf := t.TempDir() + "/daemon.out"
	h.Start(logf, prog, "-f")
	waitStable(t, h)
	if out := h.Run("/usr/bin/cl_status", "rscstatus"); out != "all\n" {
		t.Fatalf("before the upgrade: rscstatus %q, want all", out)
	}
	pids := h.Pids("heartbeat")
	if len(pids) != 1 {
		t.Fatalf("heartbeat processes %v, want 1", pids)
	}
	pid := pids[0]

	// dpkg's way: the new file beside, then rename over the old one.
	b, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog+".dpkg-new", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(prog+".dpkg-new", prog); err != nil {
		t.Fatal(err)
	}
	var newIno uint64
	if st, err := os.Stat(prog); err == nil {
		newIno = st.Sys().(*syscall.Stat_t).Ino
	}
	h.Run(prog, "-r")

	// Keepalive 200 ms, deadtime 1 s: the restart (1 s shutdown phase, then
	// exec) is over within a few deadtimes; the bound is the run's -timeout
	// (budget), which a busy machine cannot outlast.
	deadline := time.Now().Add(budget.Left(t))
	for {
		st, err := os.Stat("/proc/" + itoa(pid) + "/exe")
		if err == nil && st.Sys().(*syscall.Stat_t).Ino == newIno {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(h.Path("/var/log/ha-log"))
			t.Fatalf("pid %d never ran the new program (%v); ha-log:\n%s", pid, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitStable(t, h)
	if out := h.Run("/usr/bin/cl_status", "rscstatus"); out != "all\n" {
		t.Errorf("after the upgrade: rscstatus %q, want all", out)
	}
	log, _ := os.ReadFile(h.Path("/var/log/ha-log"))
	for _, want := range []string{"the heartbeat program was replaced (upgrade): restarting in place", "Performing heartbeat restart exec.", "hbgo: restart: keeping resources all (running: Delay::1::0)"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("ha-log has no %q:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "resource.d/Delay 1 0 stop") || strings.Contains(string(log), "Releasing resource group") {
		t.Errorf("the restart gave its resources up:\n%s", log)
	}
}

func itoa(n int) string {
	s := ""
	for n > 0 || s == "" {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
