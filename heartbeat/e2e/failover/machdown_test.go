package failover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// machDownPath is stock's mach_down script, run when it declares a node dead.
const machDownPath = "/usr/share/heartbeat/mach_down"

// TestStockLostMachDownMessage makes stock lose mach_down's resource message
// once, as its own FIFO race does (twonode.StockRace; seen about once in 45
// takeovers by a stock node in the soak, next to hbgo or stock alike), and
// records what follows: stock takes the group but its takeover never ends,
// a graceful stop waits forever ("Shutdown delayed until current resource
// activity finishes."), and twonode.StockRace, which the soak and the
// mixed tests rely on, sees it. Stock runs on node2 with a mach_down whose
// first run sends nothing; hbgo on node1 holds the group and crashes.
func TestStockLostMachDownMessage(t *testing.T) {
	needStock(t)
	t.Parallel()
	orig, err := os.ReadFile(machDownPath)
	if err != nil {
		t.Skipf("stock's mach_down: %v", err)
	}
	if !strings.Contains(string(orig), "\tha_clustermsg <<-!MSG") {
		t.Fatalf("%s has no \"ha_clustermsg <<-!MSG\" line to silence: another version of heartbeat?", machDownPath)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	keep := filepath.Join(dir, "mach_down.orig")
	lose := filepath.Join(dir, "mach_down.lose")
	wrap := filepath.Join(dir, "mach_down")
	// The message's here-document goes to ":" instead: nothing is sent.
	silenced := strings.Replace(string(orig), "\tha_clustermsg <<-!MSG", "\t: lost by the test <<-!MSG", 1)
	for f, text := range map[string]string{
		keep: string(orig),
		lose: silenced,
		wrap: "#!/bin/sh\n# The first run loses its message (the test's stand-in for stock's FIFO race).\n" +
			"if [ ! -e /run/hbx-machdown-lost ]; then : >/run/hbx-machdown-lost; exec " + lose + " \"$@\"; fi\nexec " + keep + " \"$@\"\n",
	} {
		if err := os.WriteFile(f, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := twonode.BuildHbgo(t)
	const hg, st = 0, 1
	c := twonode.New(t, twonode.Options{Prefix: "hbxmd", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Stock()},
		HaCf: strings.ReplaceAll(haCf, "@FAILBACK@", "off"), Haresources: haresources, Authkeys: authkeys,
		LoopFS: true, DRBD: true, Overlays: [2]map[string]string{st: {machDownPath: wrap}}})
	for i := range c.Node {
		c.Node[i].WriteFile("/etc/ha.d/resource.d/"+svcName, []byte(svcScript), 0o755)
	}
	c.Node[st].WriteFile("/etc/ha.d/resource.d/drbddisk", []byte(twonode.DrbddiskScript), 0o755)
	p := &pair{t: t, c: c}
	t.Cleanup(func() {
		if t.Failed() {
			for i := range c.Node {
				t.Logf("node%d (%s) ha-log tail:\n%s", i+1, c.Opts.Impl[i].Name, tail(c.Log(i), 60))
			}
		}
		p.crash(st) // a stuck stock never stops by itself
	})
	c.Start(hg)
	c.Start(st)
	for i := range 2 {
		p.expect(i, wait.Dead(30), `Initial resource acquisition complete`)
	}
	if !p.holder(hg, wait.Dead(20), time.Second) {
		return
	}
	p.mark()
	p.crash(hg)
	p.expect(st, wait.Dead(15), `node node1: is dead`, `Resources being acquired from node1`,
		`mach_down takeover complete for node node1`)
	// The group is taken all the same: only the end of the takeover is lost.
	if !twonode.WaitFor(wait.Dead(15), func() bool { return p.holds(st) }) {
		t.Fatalf("stock did not take the group: %s", p.state(st))
	}
	if raced, stuck := c.StockRace(st, p.off[st]); !raced || !stuck {
		t.Fatalf("StockRace(node2) = %v, %v after the lost message, want true, true:\n%s", raced, stuck, tail(c.Log(st)[p.off[st]:], 30))
	}
	if raced, stuck := c.StockRace(hg, 0); raced || stuck {
		t.Errorf("StockRace(node1, hbgo) = %v, %v, want false, false", raced, stuck)
	}
	// hbgo comes back: stock answers, the cluster looks whole, and still
	// stock's takeover has not ended.
	c.Start(hg)
	p.expect(hg, wait.Dead(30), `Initial resource acquisition complete`)
	p.expect(st, wait.Dead(30), `T_STARTING received during takeover`)
	p.holder(st, wait.Dead(10), time.Second)
	off := len(c.Log(st))
	if err := c.Stop(st, wait.Dead(8)); err == nil {
		t.Fatal("stock stopped gracefully although its takeover never ended")
	}
	if l := c.Log(st)[off:]; !strings.Contains(l, "Shutdown delayed until current resource activity finishes.") {
		t.Errorf("stock did not say why it does not stop:\n%s", tail(l, 20))
	}
	if strings.Contains(c.Log(st)[off:], "Giving up all HA resources") {
		t.Error("stock began to give up its resources")
	}
}
