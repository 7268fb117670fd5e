package status

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	hbstatus "hbgo/heartbeat/status"
	"hbgo/internal/harness/twonode"
)

// Two links (ucast on the heartbeat veth, bcast on the LAN), fast timings.
var haCf = twonode.FastHaCf("ucast @HBIF@ @PEER_HBIP@", "bcast @LANIF@")

const (
	haresources = "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"
	groupKey    = "IPaddr::" + twonode.VIPCIDR + "/" + twonode.LANIf
	textfile    = "/run/hbgo.prom"
	listen      = "127.0.0.1:9794"
	hbgoCf      = "fast_start on\nmetrics_textfile " + textfile + "\nmetrics_listen " + listen + "\n"
	// keepalive of FastHaCf: waits below are counted in it.
	keepalive = 200 * time.Millisecond
)

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
}

func parse(t *testing.T, what string, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: expfmt: %v\n%s", what, err, b)
	}
	return mfs
}

// sample returns the value of family name whose labels are exactly want.
func sample(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.Metric {
		if len(m.Label) != len(want) {
			continue
		}
		ok := true
		for _, lp := range m.Label {
			if want[lp.GetName()] != lp.GetValue() {
				ok = false
			}
		}
		switch {
		case !ok:
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

type want struct {
	name   string
	labels map[string]string
	value  float64
}

func check(t *testing.T, what string, mfs map[string]*dto.MetricFamily, ws []want) {
	t.Helper()
	for _, w := range ws {
		if v, ok := sample(mfs, w.name, w.labels); !ok || v != w.value {
			t.Errorf("%s: %s%v = %v (present %v), want %v", what, w.name, w.labels, v, ok, w.value)
		}
	}
}

// statusOf runs `heartbeat status [args]` in node i as user nobody (the
// control socket must answer any local user) and returns output and exit code.
func statusOf(t *testing.T, c *twonode.Cluster, bin string, i int, args ...string) (string, int) {
	t.Helper()
	argv := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin, "status"}, args...)
	out, err := c.Node[i].Try("setpriv", argv...)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("heartbeat status: %v\n%s", err, out)
	}
	return out, code
}

// noSecret fails the test if what a local user or a scraper reads shows
// the authkeys secret of twonode.Authkeys.
func noSecret(t *testing.T, what, got string) {
	t.Helper()
	if strings.Contains(got, "testkey-sha1") {
		t.Errorf("%s shows the authkeys secret", what)
	}
}

// TestPairStatusAndMetricsAfterFailover runs an hbgo pair with both sinks
// on, kills node1 and checks node2's `heartbeat status`, its --json, the
// textfile and the HTTP listener (parsed with Prometheus' own parser)
// against what the cluster did; none of them shows the authkeys secret,
// and the killed node's `heartbeat status` exits 3 (no daemon).
func TestPairStatusAndMetricsAfterFailover(t *testing.T) {
	needRoot(t)
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgost", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: haCf + "ping " + twonode.Client + "\n", Haresources: haresources, Authkeys: twonode.Authkeys, HbgoCf: hbgoCf})
	t.Cleanup(func() {
		if t.Failed() {
			for i := range 2 {
				t.Logf("node%d log:\n%s", i+1, c.Log(i))
			}
		}
	})
	started := time.Now()
	c.Start(0)
	c.Start(1)
	if !twonode.WaitFor(c.Dead(50), func() bool { return c.HasVIP(0) }) {
		t.Fatal("VIP never on node1")
	}
	// Both links up on both sides, config compared: healthy.
	var out string
	var code int
	if !twonode.WaitFor(50*keepalive, func() bool {
		out, code = statusOf(t, c, bin, 1)
		return code == 0
	}) {
		t.Fatalf("node2 status exit %d before the failover, want 0:\n%s", code, out)
	}
	t.Logf("node2 `heartbeat status`, both up:\n%s", out)
	for _, s := range []string{"node1", "hbgo", "link eth1", "link eth0", "held by node1", "Peer configuration: matches",
		twonode.Client + "             ping node, reachable"} {
		if !strings.Contains(out, s) {
			t.Errorf("status lacks %q:\n%s", s, out)
		}
	}
	noSecret(t, "status", out)
	js0, _ := statusOf(t, c, bin, 1, "--json")
	noSecret(t, "status --json", js0)
	if _, err := hbstatus.ReadJSON([]byte(js0)); err != nil {
		t.Errorf("--json before the failover: %v\n%s", err, js0)
	}

	// For its first 5 s a node advertises its deadtime plus 2000 ms
	// (PROTOCOL §10.3, as stock does), and fast_start brings the VIP up well
	// before that: kill only after it (initdead is 5 s here too), so the
	// recorded status shows a death declared one deadtime after the last
	// heartbeat, not three.
	if d := twonode.TimingsOf(haCf).Initdead - time.Since(started); d > 0 {
		time.Sleep(d + 2*keepalive)
	}
	killed := time.Now()
	c.Kill(0)
	t.Logf("node1 killed at %s (took %v)", killed.Format("15:04:05.000"), time.Since(killed))
	if !twonode.WaitFor(100*keepalive, func() bool { return c.HasVIP(1) }) {
		t.Fatal("VIP never moved to node2")
	}
	// The takeover's operation has reported; the next keepalive publishes.
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`mach_down takeover complete`), 0, 50*keepalive); err != nil {
		t.Fatal(err)
	}
	// The sinks get a snapshot at most once per hbstatus.PublishEvery.
	if !twonode.WaitFor(10*keepalive+3*hbstatus.PublishEvery, func() bool {
		b, _ := os.ReadFile(c.Node[1].Path(textfile))
		return bytes.Contains(b, []byte(`hbgo_transitions_total{cause="peer-dead"} 1`)) &&
			bytes.Contains(b, []byte(`hbgo_resource_up{group="`+groupKey+`",resource="`+groupKey+`"} 1`))
	}) {
		t.Error("the textfile never showed the takeover")
	}

	out, code = statusOf(t, c, bin, 1)
	t.Logf("node2 `heartbeat status` after node1 died:\n%s", out)
	if code != hbstatus.ExitDegraded || !strings.Contains(out, "DEGRADED: peer node1 dead") || !strings.Contains(out, "held by node2") ||
		!strings.Contains(out, "(peer-dead): node1 declared dead") {
		t.Errorf("status after the failover: exit %d, want 1:\n%s", code, out)
	}
	js, code := statusOf(t, c, bin, 1, "--json")
	noSecret(t, "status --json after the failover", js)
	snap, err := hbstatus.ReadJSON([]byte(js))
	if err != nil || code != hbstatus.ExitDegraded {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, js)
	}
	if snap.Groups[0].Holder != "node2" || snap.Groups[0].Resources[0].State != hbstatus.StateStarted ||
		snap.Nodes[0].State != "dead" || snap.LastTransition == nil || snap.LastTransition.Cause != "peer-dead" {
		t.Errorf("--json after the failover: %+v", snap)
	}
	if os.Getenv("HBX_RECORD") == "1" && !t.Failed() {
		recordSnapshot(t, js)
	}

	ws := []want{
		{"hbgo_node_up", map[string]string{"node": "node1"}, 0},
		{"hbgo_node_up", map[string]string{"node": "node2"}, 1},
		{"hbgo_link_up", map[string]string{"node": "node1", "link": "eth1"}, 0},
		{"hbgo_link_up", map[string]string{"node": "node1", "link": "eth0"}, 0},
		{"hbgo_group_active", map[string]string{"group": groupKey}, 1},
		{"hbgo_resource_up", map[string]string{"group": groupKey, "resource": groupKey}, 1},
		{"hbgo_resource_failures_total", map[string]string{"resource": groupKey}, 0},
		{"hbgo_resource_fail_count", map[string]string{"resource": groupKey}, 0},
		{"hbgo_transitions_total", map[string]string{"cause": "peer-dead"}, 1},
		{"hbgo_peer_config_match", map[string]string{}, 1},
		{"hbgo_dropped_datagrams_total", map[string]string{"reason": "bad-digest"}, 0},
		{"hbgo_ping_node_up", map[string]string{"node": twonode.Client}, 1},
	}
	b, err := os.ReadFile(c.Node[1].Path(textfile))
	if err != nil {
		t.Fatal(err)
	}
	noSecret(t, "textfile", string(b))
	tf := parse(t, "textfile", b)
	check(t, "textfile", tf, ws)
	if age, ok := sample(tf, "hbgo_link_last_heartbeat_seconds", map[string]string{"node": "node1", "link": "eth1"}); !ok || age < 1 {
		t.Errorf("textfile: last heartbeat on eth1 %v s ago (present %v), want at least deadtime", age, ok)
	}
	if ts, ok := sample(tf, "hbgo_last_transition_timestamp_seconds", map[string]string{}); !ok || time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("textfile: last transition at %v", ts)
	}
	body := c.Node[1].Run("curl", "-sf", "http://"+listen+"/metrics")
	noSecret(t, "listener", body)
	check(t, "listener", parse(t, "listener", []byte(body)), ws)

	// node1's daemon is gone: its `heartbeat status` says so with exit 3,
	// the Nagios-style "unknown" a probe must tell from "degraded".
	out, code = statusOf(t, c, bin, 0)
	if code != hbstatus.ExitNotRunning || !strings.Contains(out, "no hbgo daemon answers") {
		t.Errorf("node1's status with its daemon killed: exit %d, want %d:\n%s", code, hbstatus.ExitNotRunning, out)
	}

	// node1's listener is gone with it; node2's refuses nothing it should
	// serve, and the daemon never opened a non-loopback port.
	if ss := c.Node[1].Run("ss", "-Htln"); strings.Contains(ss, "0.0.0.0:9794") || !strings.Contains(ss, listen) {
		t.Errorf("listening sockets:\n%s", ss)
	}
}

// recorded is where HBX_RECORD=1 writes node2's `heartbeat status --json`
// after the failover: README's sample is its text rendering
// (heartbeat/status TestRecordedReadme).
const recorded = "../../status/testdata/recorded-failover.json"

// recordSnapshot rewrites the committed snapshot with this run's, as the
// daemon served it (WriteJSON's indented form, key material never in it).
func recordSnapshot(t *testing.T, js string) {
	t.Helper()
	if strings.Contains(js, "testkey-sha1") {
		t.Fatal("the snapshot holds the authkeys secret; not recorded")
	}
	if err := os.WriteFile(recorded, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s; run go test ./heartbeat/status -run TestRecordedReadme -update", recorded)
}

// TestPairConfigMismatch: node2's ha.cf says warntime 600ms, node1's
// 500ms. Each node logs one WARN naming the timings, once, and shows the
// mismatch in status (exit 1) and in the metrics.
func TestPairConfigMismatch(t *testing.T) {
	needRoot(t)
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgocm", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: haCf, Haresources: haresources, Authkeys: twonode.Authkeys, HbgoCf: hbgoCf})
	hacf := c.Node[1].Path("/etc/ha.d/ha.cf")
	b, err := os.ReadFile(hacf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hacf, bytes.Replace(b, []byte("warntime 500ms"), []byte("warntime 600ms"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i := range 2 {
				t.Logf("node%d log:\n%s", i+1, c.Log(i))
			}
		}
	})
	c.Start(0)
	c.Start(1)
	re := regexp.MustCompile(`WARN: hbgo: the configuration of node\d differs from ours in timings;`)
	for i := range 2 {
		if _, _, err := c.WaitLog(i, re, 0, c.Dead(50)); err != nil {
			t.Fatalf("node%d: %v", i+1, err)
		}
	}
	time.Sleep(10 * keepalive) // many keepalives: still one line (the next is due in an hour)
	for i := range 2 {
		if n := len(re.FindAllString(c.Log(i), -1)); n != 1 {
			t.Errorf("node%d logged the mismatch %d times, want once", i+1, n)
		}
	}
	out, code := statusOf(t, c, bin, 1)
	if code != hbstatus.ExitDegraded || !strings.Contains(out, "Peer configuration: DIFFERS in timings") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	var tf []byte
	twonode.WaitFor(10*keepalive+3*hbstatus.PublishEvery, func() bool {
		tf, _ = os.ReadFile(c.Node[1].Path(textfile))
		return bytes.Contains(tf, []byte("hbgo_peer_config_match 0"))
	})
	check(t, "textfile", parse(t, "textfile", tf), []want{{"hbgo_peer_config_match", map[string]string{}, 0}})
}
