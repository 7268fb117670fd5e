package membership

import (
	"bufio"
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/wire"
)

// parseNetstring is a minimal test-local reader of stock's netstring payloads
// (PROTOCOL §3.2); the real codec lives in heartbeat/wire.
func parseNetstring(t *testing.T, b []byte) *wire.Message {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("###\n")) {
		t.Fatalf("not netstring")
	}
	b = b[4:]
	m := &wire.Message{}
	for !bytes.HasPrefix(b, []byte("%%%\n")) {
		i := bytes.IndexByte(b, ':')
		n, err := strconv.Atoi(string(b[:i]))
		if err != nil || i+1+n >= len(b) || b[i+1+n] != ',' {
			t.Fatalf("bad netstring at %q", b[:min(len(b), 20)])
		}
		f := b[i+1 : i+1+n]
		b = b[i+2+n:]
		eq := bytes.IndexByte(f, '=')
		typ, name, val := f[1], string(f[3:eq]), append([]byte(nil), f[eq+1:]...)
		if typ == '1' {
			m.AddBinary(name, val)
		} else {
			m.Add(name, string(val))
		}
	}
	return m
}

var memberLine = regexp.MustCompile(`(info|WARN|ERROR|CRIT): ((Link |Status update|Comm_now_up|Local status|Heartbeat restart|node .*: is dead|Late heartbeat|.* lost packet|No pkts missing|Cluster node|should_drop).*)$`)

// TestGoldenUcastSHA1 replays node1's captured packets into a machine playing node2
// and checks it logs the membership lines stock node2 logged, in the same order.
func TestGoldenUcastSHA1(t *testing.T) {
	dir := "testdata/ucast-sha1"
	logf, err := os.ReadFile(filepath.Join(dir, "ha-log.node2"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(logf), "\n") {
		if strings.Contains(l, " heartbeat: [") {
			if g := memberLine.FindStringSubmatch(l); g != nil {
				want = append(want, g[1]+": "+g[2])
			}
		}
	}
	idx, err := os.Open(filepath.Join(dir, "payloads/index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	type pkt struct {
		at  time.Time
		msg *wire.Message
	}
	var pkts []pkt
	var node2Start time.Time
	sc := bufio.NewScanner(idx)
	sc.Scan()
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		sec, _ := strconv.ParseFloat(c[1], 64)
		at := time.Unix(0, int64(sec*1e9))
		if c[5] == "node2->node1" && node2Start.IsZero() {
			node2Start = at.Add(-time.Millisecond)
		}
		if c[5] != "node1->node2" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "payloads", c[0]))
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, pkt{at, parseNetstring(t, b)})
	}
	p := Params{Node: "node2", Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: 1795393430}
	// node2's own UUID, from its first status: node1 addresses repnodes to it by destuuid.
	b, err := os.ReadFile(filepath.Join(dir, "payloads/0007-status.bin"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := parseNetstring(t, b).Bytes(wire.FSrcUUID)
	p.UUID = [16]byte(u)
	m := New(p, node2Start, rand.New(rand.NewSource(1)))
	var got []string
	collect := func(acts []Action) {
		for _, a := range acts {
			if l, ok := a.(Log); ok {
				if g := memberLine.FindStringSubmatch(string(l.Level) + ": " + l.Text); g != nil {
					got = append(got, g[1]+": "+g[2])
				}
			}
		}
	}
	collect(m.Step(Tick{Now: node2Start}))
	tickUntil := func(t time.Time) {
		for d := m.NextDeadline(); !d.After(t); d = m.NextDeadline() {
			collect(m.Step(Tick{Now: d}))
		}
	}
	for _, pk := range pkts {
		if pk.at.Before(node2Start) {
			continue
		}
		tickUntil(pk.at)
		collect(m.Step(Recv{Msg: pk.msg, Link: "eth1", At: pk.at}))
	}
	tickUntil(pkts[len(pkts)-1].at.Add(10 * time.Second))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("membership log lines (-stock node2 +machine):\n%s", diff)
	}
	if s := m.Snapshot(); s.Nodes[0].Status != StDead || !s.CommUp {
		t.Errorf("final state: %+v", s)
	}
}
