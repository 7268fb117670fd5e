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

	"hbgo/heartbeat/core/wire"
)

// parseNetstring is a minimal test-local reader of stock's netstring payloads
// (PROTOCOL §3.2); the real codec lives in heartbeat/core/wire.
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

type capPkt struct {
	at   time.Time
	from string
	msg  *wire.Message
}

// loadCapture reads index.tsv and every payload of the ucast-sha1 capture.
func loadCapture(t *testing.T, dir string) []capPkt {
	t.Helper()
	idx, err := os.Open(filepath.Join(dir, "payloads/index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var pkts []capPkt
	sc := bufio.NewScanner(idx)
	sc.Scan()
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		sec, err := strconv.ParseFloat(c[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "payloads", c[0]))
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, capPkt{time.Unix(0, int64(sec*1e9)), c[8], parseNetstring(t, b)})
	}
	return pkts
}

// stockLines returns the membership lines of an ha-log, one slice per daemon run.
func stockLines(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var runs [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, " heartbeat: [") {
			continue
		}
		if strings.Contains(l, "Configuration validated. Starting heartbeat") {
			runs = append(runs, nil)
		}
		if g := memberLine.FindStringSubmatch(l); g != nil && len(runs) > 0 {
			runs[len(runs)-1] = append(runs[len(runs)-1], g[1]+": "+g[2])
		}
	}
	return runs
}

// replay runs a machine playing self from the instant before its first packet
// `first` (which also gives its UUID and generation) until `until`, feeding it
// the other node's packets at their captured times.
func replay(pkts []capPkt, self string, first int, until time.Time) ([]string, Snapshot) {
	own := pkts[first]
	u, _ := own.msg.Bytes(wire.FSrcUUID)
	gen, _ := hexField(own.msg, wire.FGen)
	start := own.at.Add(-time.Millisecond)
	p := Params{Node: self, Nodes: []string{"node1", "node2"}, Links: []string{"eth1"},
		Keepalive: time.Second, Deadtime: 5 * time.Second, Warntime: 3 * time.Second,
		Initdead: 10 * time.Second, HopFudge: 1, Generation: gen, UUID: [16]byte(u)}
	m := New(p, start, rand.New(rand.NewSource(1)))
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
	collect(m.Step(Tick{Now: start}))
	tickUntil := func(t time.Time) {
		for d := m.NextDeadline(); !d.After(t); d = m.NextDeadline() {
			collect(m.Step(Tick{Now: d}))
		}
	}
	for _, pk := range pkts {
		if pk.from == self || pk.at.Before(start) || pk.at.After(until) {
			continue
		}
		tickUntil(pk.at)
		collect(m.Step(Recv{Msg: pk.msg, Link: "eth1", At: pk.at}))
	}
	tickUntil(until)
	return got, m.Snapshot()
}

// TestGoldenUcastSHA1 replays the captured packets of one stock node into a
// machine playing the other and checks it logs the membership lines the stock
// node logged, in the same order, and ends in the same node states.
func TestGoldenUcastSHA1(t *testing.T) {
	dir := "testdata/ucast-sha1"
	pkts := loadCapture(t, dir)
	capStart := time.Unix(1795393426, 286621000) // README: phase offsets are from here
	node1 := stockLines(t, filepath.Join(dir, "ha-log.node1"))
	node2 := stockLines(t, filepath.Join(dir, "ha-log.node2"))
	if len(node1) != 2 || len(node2) != 1 {
		t.Fatalf("runs in the logs: node1 %d, node2 %d", len(node1), len(node2))
	}
	firstOf := func(from string, after time.Time) int {
		for i, p := range pkts {
			if p.from == from && !p.at.Before(after) {
				return i
			}
		}
		t.Fatalf("no packet from %s after %v", from, after)
		return 0
	}
	for _, tc := range []struct {
		name      string
		self      string
		from, to  float64 // capture offsets, seconds
		want      []string
		peerState string
	}{
		// node2 runs through the whole capture: sees node1 restart and die.
		{"node2", "node2", 0, 68.5, node2[0], StDead},
		// node1's first run ends with its graceful stop (rejoin phase at 45.303).
		{"node1-run1", "node1", 0, 45.3, node1[0], StActive},
		// node1's second run ends with SIGKILL (failover phase at 53.600).
		{"node1-run2", "node1", 45.303, 53.6, node1[1], StActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := capStart.Add(time.Duration(tc.from * float64(time.Second)))
			to := capStart.Add(time.Duration(tc.to * float64(time.Second)))
			got, snap := replay(pkts, tc.self, firstOf(tc.self, from), to)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("membership log lines (-stock +machine):\n%s", diff)
			}
			peer := "node1"
			if tc.self == "node1" {
				peer = "node2"
			}
			for _, n := range snap.Nodes {
				if n.Name == peer && n.Status != tc.peerState {
					t.Errorf("%s ends %s, stock: %s", peer, n.Status, tc.peerState)
				}
			}
			if !snap.CommUp {
				t.Errorf("comm never came up")
			}
		})
	}
}
