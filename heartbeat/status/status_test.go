package status

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func age(s float64) *float64 { return &s }

// bothUp is node2's view of a healthy hbgo pair: two links, node1 holds its group.
func bothUp() *Snapshot {
	return &Snapshot{
		Schema: Schema, Time: t0, Version: "hbgo 3.0.6", Local: "node2",
		Keepalive: 200, Deadtime: 1000,
		Nodes: []Node{
			{Name: "node1", Type: "normal", State: "active", Generation: 7, Software: "hbgo", LateHeartbeats: 2,
				Links: []Link{{Name: "eth1", Up: true, LastHeartbeatAge: age(0.12)}, {Name: "eth2", Up: true, LastHeartbeatAge: age(0.15)}}},
			{Name: "node2", Type: "normal", Local: true, State: "active", Generation: 4, Software: "hbgo 3.0.6",
				Links: []Link{{Name: "eth1", Up: true}, {Name: "eth2", Up: true}}},
			{Name: "10.0.0.254", Type: "ping", State: "ping",
				Links: []Link{{Name: "10.0.0.254", Up: true, LastHeartbeatAge: age(0.1)}}},
		},
		Groups: []Group{
			{Name: "10.0.0.100", Primary: "node1", Holder: "node1", Resources: []Resource{
				{Name: "10.0.0.100", State: StateStopped}, {Name: "svc", State: StateStopped}}},
			{Name: "10.0.0.200", Primary: "node2", Holder: "node2", Resources: []Resource{
				{Name: "10.0.0.200", State: StateStarted, Since: t0.Add(-time.Hour)},
				{Name: "Filesystem::/dev/loop0::/mnt::ext4", State: StateStarted, Since: t0.Add(-time.Hour)}}},
		},
		Drops:          map[string]uint64{"bad-digest": 0, "unknown-key": 0, "replay": 0, "malformed": 0},
		Transitions:    map[string]uint64{"startup": 1},
		LastTransition: &Transition{Time: t0.Add(-time.Hour), Cause: "startup", Text: "node2 acquired its own resources at start"},
		PeerConfig:     PeerConfig{State: ConfigMatch},
		Warnings:       []Warning{},
	}
}

// cases are the golden cases the issue names.
var cases = map[string]func() *Snapshot{
	"both-up": bothUp,
	"peer-dead": func() *Snapshot {
		s := bothUp()
		n := &s.Nodes[0]
		n.State = "dead"
		for i := range n.Links {
			n.Links[i].Up = false
			n.Links[i].LastHeartbeatAge = age(12.5)
		}
		s.Groups[0].Holder = "node2"
		for i := range s.Groups[0].Resources {
			s.Groups[0].Resources[i].State = StateStarted
			s.Groups[0].Resources[i].Since = t0.Add(-10 * time.Second)
		}
		s.Transitions["peer-dead"] = 1
		s.LastTransition = &Transition{Time: t0.Add(-11 * time.Second), Cause: "peer-dead",
			Text: "node1 declared dead after 1001 ms without heartbeats; node2 took over 10.0.0.100"}
		s.PeerConfig = PeerConfig{State: ConfigMatch}
		return s
	},
	"link-down": func() *Snapshot {
		s := bothUp()
		s.Nodes[0].Links[1] = Link{Name: "eth2", Up: false, LastHeartbeatAge: age(95)}
		s.Drops["bad-digest"] = 3
		return s
	},
	"failed-resource": func() *Snapshot {
		s := bothUp()
		r := &s.Groups[1].Resources[1]
		r.State, r.Failures, r.FailuresTotal, r.Since = StateFailed, 1, 1, t0.Add(-2*time.Minute)
		s.Groups[1].Holder = ""
		s.Groups[1].Resources[0].State = StateStopped
		s.Transitions["start-failed"] = 1
		s.LastTransition = &Transition{Time: t0.Add(-2 * time.Minute), Cause: "start-failed",
			Text: "Filesystem::/dev/loop0::/mnt::ext4 failed to start on node2; group 10.0.0.200 stopped"}
		return s
	},
	// monitor-failed: node2's svc was killed twice after its start and
	// restarted by the monitor (still running, 2 failures in the window);
	// node2 handed node1's group back after its VIP kept failing.
	"monitor-failed": func() *Snapshot {
		s := bothUp()
		r := &s.Groups[1].Resources[1]
		r.Failures, r.MonitorFailures, r.FailuresTotal, r.Since = 2, 2, 2, t0.Add(-30*time.Second)
		s.Groups[0].HandedOver = true
		s.Groups[0].Resources[0].Failures, s.Groups[0].Resources[0].MonitorFailures, s.Groups[0].Resources[0].FailuresTotal = 3, 3, 3
		s.Transitions["standby"] = 1
		s.LastTransition = &Transition{Time: t0.Add(-5 * time.Minute), Cause: "standby",
			Text: "node2 gives up 10.0.0.100 (standby)"}
		return s
	},
	// cleaned-up: node2's Filesystem failed 3 times (the monitor restarted
	// it), then `heartbeat cleanup`: its count and the gauge are 0 again and
	// the node healthy, the counter since the daemon started still says 3.
	"cleaned-up": func() *Snapshot {
		s := bothUp()
		r := &s.Groups[1].Resources[1]
		r.FailuresTotal, r.Since = 3, t0.Add(-30*time.Second)
		return s
	},
	"stock-peer": func() *Snapshot {
		s := bothUp()
		s.Nodes[0].Software = "heartbeat (stock)"
		s.PeerConfig = PeerConfig{State: ConfigUnknown}
		s.Warnings = []Warning{
			{Code: "crc-auth", Text: "authkeys uses crc: anyone on the link can forge heartbeats; use sha1"},
			{Code: "stock-stuck", Text: "node1 (stock heartbeat) took over from this node at 2026-12-06 11:50:00 and its mach_down message never came: it lost it and cannot stop gracefully; see docs/MIGRATION.md"},
		}
		return s
	},
	"config-mismatch": func() *Snapshot {
		s := bothUp()
		s.PeerConfig = PeerConfig{State: ConfigMismatch, Parts: []string{"timings", "haresources"}}
		s.Nodes[2].State = "dead"
		s.Nodes[2].Links[0].Up = false
		s.Drops["replay"] = 5
		return s
	},
}

var wantExit = map[string]int{"both-up": 0, "cleaned-up": 0, "peer-dead": 1, "link-down": 1, "failed-resource": 1, "stock-peer": 0, "config-mismatch": 1, "monitor-failed": 1}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

func TestGolden(t *testing.T) {
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			s := mk()
			var txt, js, prom bytes.Buffer
			if err := WriteText(&txt, s); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&js, s); err != nil {
				t.Fatal(err)
			}
			if err := WriteMetrics(&prom, s); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", txt.Bytes())
			golden(t, name+".json", js.Bytes())
			golden(t, name+".prom", prom.Bytes())
			if code, why := s.Health(); code != wantExit[name] {
				t.Errorf("Health = %d %v, want %d", code, why, wantExit[name])
			}
			back, err := ReadJSON(js.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(s, back); d != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadJSONRefusesOtherSchema(t *testing.T) {
	if _, err := ReadJSON([]byte(`{"schema":2}`)); err == nil {
		t.Fatal("schema 2 accepted")
	}
}

// parseMetrics parses exposition text with Prometheus' own parser.
func parseMetrics(t *testing.T, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, b)
	}
	return mfs
}

// value returns the sample of family name whose labels include want.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		for k, v := range want {
			ok := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					ok = true
				}
			}
			if !ok {
				continue next
			}
		}
		switch {
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsParse checks every name the issue lists parses with expfmt
// and carries the snapshot's values.
func TestMetricsParse(t *testing.T) {
	s := cases["peer-dead"]()
	s.Nodes[2].State = "dead"
	var b bytes.Buffer
	if err := WriteMetrics(&b, s); err != nil {
		t.Fatal(err)
	}
	mfs := parseMetrics(t, b.Bytes())
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hbgo_build_info", map[string]string{"version": "hbgo 3.0.6"}, 1},
		{"hbgo_node_up", map[string]string{"node": "node1"}, 0},
		{"hbgo_node_up", map[string]string{"node": "node2"}, 1},
		{"hbgo_link_up", map[string]string{"node": "node1", "link": "eth1"}, 0},
		{"hbgo_link_last_heartbeat_seconds", map[string]string{"node": "node1", "link": "eth2"}, 12.5},
		{"hbgo_late_heartbeats_total", map[string]string{"node": "node1"}, 2},
		{"hbgo_dropped_datagrams_total", map[string]string{"reason": "replay"}, 0},
		{"hbgo_group_active", map[string]string{"group": "10.0.0.100"}, 1},
		{"hbgo_resource_up", map[string]string{"group": "10.0.0.100", "resource": "svc"}, 1},
		{"hbgo_resource_failures_total", map[string]string{"resource": "svc"}, 0},
		{"hbgo_transitions_total", map[string]string{"cause": "peer-dead"}, 1},
		{"hbgo_last_transition_timestamp_seconds", nil, float64(t0.Unix() - 11)},
		{"hbgo_ping_node_up", map[string]string{"node": "10.0.0.254"}, 0},
		{"hbgo_peer_config_match", nil, 1},
	} {
		got, ok := value(mfs, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

func TestMetricsEscapesLabels(t *testing.T) {
	s := bothUp()
	s.Groups[1].Resources[1].Name = `odd"name\with` + "\nnewline"
	var b bytes.Buffer
	if err := WriteMetrics(&b, s); err != nil {
		t.Fatal(err)
	}
	mfs := parseMetrics(t, b.Bytes())
	if _, ok := value(mfs, "hbgo_resource_failures_total", map[string]string{"resource": s.Groups[1].Resources[1].Name}); !ok {
		t.Fatalf("escaped label not read back:\n%s", b.String())
	}
}

func TestMismatchAlarm(t *testing.T) {
	var a MismatchAlarm
	mm := PeerConfig{State: ConfigMismatch, Parts: []string{"timings"}}
	steps := []struct {
		at   time.Duration
		pc   PeerConfig
		logs bool
	}{
		{0, PeerConfig{State: ConfigMatch}, false},
		{time.Second, mm, true},
		{2 * time.Second, mm, false},
		{30 * time.Minute, mm, false},
		{time.Hour + time.Second, mm, true}, // once an hour while it stands
		{time.Hour + 2*time.Second, PeerConfig{State: ConfigMismatch, Parts: []string{"timings", "media"}}, true}, // on change
		{time.Hour + 3*time.Second, PeerConfig{State: ConfigUnknown}, false},
		{time.Hour + 4*time.Second, mm, true}, // it came back
	}
	for i, s := range steps {
		line := a.Check("node1", s.pc, t0.Add(s.at))
		if (line != "") != s.logs {
			t.Errorf("step %d: line %q, want a line: %v", i, line, s.logs)
		}
		if line != "" && !strings.Contains(line, strings.Join(s.pc.Parts, ", ")) {
			t.Errorf("step %d: line %q does not name the parts", i, line)
		}
	}
}

// FuzzReadJSON: whatever a daemon (or something posing as one) answers,
// reading it never panics, and what is read renders.
func FuzzReadJSON(f *testing.F) {
	for name := range cases {
		if b, err := os.ReadFile(filepath.Join("testdata", name+".json")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema":1,"nodes":[{"links":[{"last_heartbeat_age_s":1e308}]}],"last_transition":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadJSON(b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		_ = WriteText(&out, s)
		_ = WriteJSON(&out, s)
		_ = WriteMetrics(&out, s)
		s.Health()
	})
}

// TestMetricsTokenInTwoGroups: a resource token in two groups is one
// resource, whose count each group shows; the metric counts it once.
func TestMetricsTokenInTwoGroups(t *testing.T) {
	s := bothUp()
	s.Groups[0].Resources[1] = Resource{Name: "svc", State: StateStopped, Failures: 2, MonitorFailures: 2, FailuresTotal: 5}
	s.Groups[1].Resources = append(s.Groups[1].Resources, Resource{Name: "svc", State: StateStarted, Failures: 2, MonitorFailures: 2, FailuresTotal: 5})
	var b bytes.Buffer
	if err := WriteMetrics(&b, s); err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, b.Bytes())
	if v, ok := value(fams, "hbgo_resource_failures_total", map[string]string{"resource": "svc"}); !ok || v != 5 {
		t.Errorf("hbgo_resource_failures_total{resource=svc} = %v %v, want 5", v, ok)
	}
	if v, ok := value(fams, "hbgo_resource_fail_count", map[string]string{"resource": "svc"}); !ok || v != 2 {
		t.Errorf("hbgo_resource_fail_count{resource=svc} = %v %v, want 2", v, ok)
	}
}
