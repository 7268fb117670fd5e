package daemon

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hbgo/authkeys"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/media"
)

// TestFloodOnOneMediumKeepsTheOther floods one of two links between two
// in-process nodes at full rate, for longer than deadtime, with forged
// statuses (a wrong key: each costs the receiver a digest). The other
// link must stay up and no node may be declared dead (issue 13 item 10).
// Before, all media shared one receive queue: the flood kept it full and
// the other link's keepalives were dropped with the garbage.
func TestFloodOnOneMediumKeepsTheOther(t *testing.T) {
	net := media.NewMemNetwork(nil)
	const links = "bcast eth0\nbcast eth1\n"
	n1 := startNode(t, net, nodeSpec{name: "node1", media: links})
	n2 := startNode(t, net, nodeSpec{name: "node2", media: links})
	for _, tn := range []*tnode{n1, n2} {
		peer := map[string]string{"node1": "node2", "node2": "node1"}[tn.name]
		for _, l := range []string{"eth0", "eth1"} {
			if !tn.waitLog("Link "+peer+":"+l+" up.", 2*testDeadtime) {
				t.Fatalf("%s never saw %s on %s:\n%s", tn.name, peer, l, tn.haLog())
			}
		}
	}

	wrong, _ := authkeys.Parse(strings.NewReader("auth 1\n1 sha1 not-the-key\n"), "forged")
	m := &wire.Message{}
	for _, kv := range [][2]string{{"t", "status"}, {"st", "active"}, {"src", "node2"}, {"seq", "7"}, {"hg", "1"}, {"ts", "65f0a0a0"}, {"ld", "0.00 0.00 0.00 1/100 1"}, {"ttl", "3"}, {"dt", "7d0"}, {"protocol", "1"}} {
		m.Add(kv[0], kv[1])
	}
	forged, err := wire.Seal(m, wrong)
	if err != nil {
		t.Fatal(err)
	}
	attacker := net.Attach("attacker", "eth0", false, media.NewQueue(1))
	var sent atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = attacker.Send(media.Outgoing{Netstring: forged})
				sent.Add(1)
			}
		}()
	}
	time.Sleep(3 * testDeadtime)
	close(stop)
	wg.Wait()

	for _, tn := range []*tnode{n1, n2} {
		var flooded, other media.Stats
		tn.onLoop(func() {
			for _, md := range tn.n.media {
				if md.Link() == "eth0" {
					flooded = md.Stats()
				} else {
					other = md.Stats()
				}
			}
		}, testDeadtime)
		t.Logf("%s: %d forged datagrams sent; eth0 dropped %d at a full queue, eth1 received %d, dropped %d",
			tn.name, sent.Load(), flooded.DroppedQueueFull, other.Received, other.DroppedQueueFull)
		if other.DroppedQueueFull != 0 {
			t.Errorf("%s: %d of the peer's eth1 keepalives dropped at a full queue: the eth0 flood crowded them out", tn.name, other.DroppedQueueFull)
		}
		log := tn.haLog()
		peer := map[string]string{"node1": "node2", "node2": "node1"}[tn.name]
		if strings.Contains(log, "node "+peer+": is dead") || strings.Contains(log, "Link "+peer+":eth1 dead.") {
			t.Errorf("%s: the flood on eth0 cost the eth1 link or the peer:\n%s", tn.name, log)
		}
	}
}
