package failover

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestMixedTakeoverThenStop is the soak's hang after an hb_takeover cycle:
// with auto_failback off, hb_takeover on either node and then a graceful
// stop of the stock node must let stock shut down (hb_rsc_isstable must
// become true again on the stock side: PROTOCOL §11.5, §11.7; COMPAT §7.2).
// HBX_TAKEOVER_ROUNDS repeats the two directions (default 1).
func TestMixedTakeoverThenStop(t *testing.T) {
	needStock(t)
	t.Parallel()
	rounds := 1
	if v, err := strconv.Atoi(os.Getenv("HBX_TAKEOVER_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	const st, hg = 0, 1 // stock on node1 (the group's primary), hbgo on node2
	p := newPair(t, "hbxtk", st, "off")
	ok := p.step("cold-start", func() {
		p.c.Start(st)
		p.c.Start(hg)
		for i := range 2 {
			p.expect(i, 30*time.Second, `Initial resource acquisition complete`)
		}
		p.holder(st, 20*time.Second, time.Second)
	})
	// restart brings the stopped stock node back and waits until it has
	// settled (it holds nothing: auto_failback off).
	restart := func() {
		p.c.Start(st)
		p.expect(st, 30*time.Second, `Initial resource acquisition complete`)
		p.expect(hg, 30*time.Second, `remote resource transition completed`)
		p.holder(hg, 10*time.Second, time.Second)
	}
	for r := 0; ok && r < rounds; r++ {
		ok = p.step("hbgo-takes-over-then-stock-stops", func() {
			if r > 0 {
				// Get the group back to stock first.
				p.run(st, "/usr/share/heartbeat/hb_takeover", "all")
				p.holder(st, 30*time.Second, time.Second)
				p.mark()
			}
			p.run(hg, "/usr/share/heartbeat/hb_takeover", "all")
			p.expect(st, 15*time.Second, `node1 wants to go standby \[all\]`)
			// The soak stops the holder as soon as the group is up; the
			// standby's last messages may still be on their way.
			p.holder(hg, 30*time.Second, 0)
			if !p.stop(st) {
				return
			}
			p.expect(st, time.Second, `node1 Heartbeat shutdown complete`)
			restart()
		})
		ok = ok && p.step("stock-takes-over-then-stock-stops", func() {
			p.run(st, "/usr/share/heartbeat/hb_takeover", "all")
			p.holder(st, 30*time.Second, 0)
			if !p.stop(st) {
				return
			}
			p.expect(st, time.Second, `node1 Heartbeat shutdown complete`)
			p.holder(hg, 10*time.Second, 0)
			restart()
		})
	}
}
