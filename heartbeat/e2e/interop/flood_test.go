package interop

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/control"
	"hbgo/internal/harness/twonode"
)

// flood sends garbage, wrong-key, bad-digest and replayed (old generation)
// datagrams from node1's namespace at hbgo's port on node2 for 3 s, while
// stock keeps sending real heartbeats: hbgo must declare nobody dead, log
// one line per reason, and count every drop.
func flood(t *testing.T, c *twonode.Cluster) {
	t.Helper()
	seal := func(authText string, m *wire.Message) []byte { return twonode.Seal(t, authText, m) }
	msg := func(gen int) *wire.Message {
		m := &wire.Message{}
		m.Add(wire.FType, "status")
		m.Add("st", "active")
		m.Add(wire.FSrc, "node1")
		m.Add(wire.FSeq, "1")
		m.Add(wire.FGen, strconv.FormatInt(int64(gen), 16))
		m.Add(wire.FTime, strconv.FormatInt(time.Now().Unix(), 16))
		m.Add("dt", "3e8")
		return m
	}
	kinds := [][]byte{
		[]byte("this is not a heartbeat message\x00\xff"),
		seal("auth 2\n2 sha1 some-other-key\n", msg(1)),
		seal("auth 1\n1 sha1 wrong-secret\n", msg(1)),
		seal(keys, msg(1)), // generation 1 < stock's: a replay
		seal(keys, func() *wire.Message { m := msg(1); m.Set(wire.FSrc, "node9"); return m }()),
	}
	off := len(c.Log(1))
	cp := startCapture(t, c, 0, twonode.HBIf, twonode.HBNet+".2") // hbgo's own datagrams, seen by stock
	start := time.Now()
	var sent int
	c.Lab.Do("node1", func() {
		conn, err := net.Dial("udp4", twonode.HBNet+".2:694")
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		end := time.Now().Add(3 * time.Second)
		for time.Now().Before(end) {
			for _, k := range kinds {
				if _, err := conn.Write(k); err == nil {
					sent++
				}
			}
			time.Sleep(200 * time.Microsecond)
		}
	})
	end := time.Now()
	time.Sleep(500 * time.Millisecond)
	// hbgo's keepalives kept going out on time while it was flooded.
	var gap time.Duration
	var prev time.Time
	for _, at := range cp.times() {
		if at.Before(start) || at.After(end) {
			continue
		}
		if !prev.IsZero() && at.Sub(prev) > gap {
			gap = at.Sub(prev)
		}
		prev = at
	}
	t.Logf("flood: longest gap between hbgo's datagrams on the wire: %v (keepalive 200ms)", gap.Round(time.Millisecond))
	if gap == 0 || gap > c.Dead(1) {
		t.Errorf("hbgo's heartbeats stalled during the flood: longest gap %v", gap)
	}
	log := c.Log(1)[off:]
	t.Logf("flood: %d datagrams in 3 s", sent)
	if strings.Contains(log, "is dead") || strings.Contains(c.Log(0), "is dead") {
		t.Errorf("a flood caused a death:\n%s", lastLines(log, 30))
	}
	for _, re := range []string{`Invalid authentication \[2\]`, `authentication failed`, `attempted replay attack`, `malformed|bad message`, `bad node \[node9\]`} {
		if n := len(regexp.MustCompile(re).FindAllString(log, -1)); n != 1 {
			t.Errorf("hbgo logged %d lines matching %q during the flood, want 1:\n%s", n, re, lastLines(log, 30))
		}
	}
	rep, err := control.Do(c.Node[1].Path(control.DefaultPath), control.Request{Op: control.OpStatus}, 5*time.Second)
	if err != nil || rep.Status == nil {
		t.Fatalf("control status: %v %+v", err, rep)
	}
	cn := rep.Status.Counters
	t.Logf("flood counters: %s", fmtCounters(cn, "drop."))
	for _, k := range []string{"drop.malformed", "drop.unknown-key", "drop.bad-digest", "drop.replay", "drop.bad-node"} {
		if cn[k] < uint64(sent/len(kinds)/2) {
			t.Errorf("counter %s = %d after %d datagrams of each kind", k, cn[k], sent/len(kinds))
		}
	}
}

func fmtCounters(c map[string]uint64, prefix string) string {
	var s []string
	for k, v := range c {
		if strings.HasPrefix(k, prefix) {
			s = append(s, fmt.Sprintf("%s=%d", k, v))
		}
	}
	return strings.Join(s, " ")
}
