package status

import (
	"fmt"
	"io"
	"strings"

	"github.com/VictoriaMetrics/metrics"
)

// WriteMetrics writes the snapshot in Prometheus' text exposition format,
// the metric names of docs/CONFIG.md's "Metrics" section. Counters end in
// _total; every family is written untyped (no TYPE lines, which the
// library only offers as a process-wide switch). A snapshot whose names
// the library refuses writes nothing and returns the error.
func WriteMetrics(w io.Writer, s *Snapshot) (err error) {
	defer func() {
		if r := recover(); r != nil { // metrics panics on an invalid name
			err = fmt.Errorf("status: metrics: %v", r)
		}
	}()
	set := metrics.NewSet()
	gauge := func(name string, v float64) { set.NewGauge(name, func() float64 { return v }) }
	counter := func(name string, v uint64) { set.NewCounter(name).Set(v) }
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}

	gauge("hbgo_build_info"+labels("version", s.Version), 1)
	for _, n := range s.Nodes {
		if n.Type == "ping" {
			gauge("hbgo_ping_node_up"+labels("node", n.Name), b2f(n.State != "dead"))
			continue
		}
		gauge("hbgo_node_up"+labels("node", n.Name), b2f(n.State != "dead" && n.State != "init"))
		if n.Local {
			continue
		}
		counter("hbgo_late_heartbeats_total"+labels("node", n.Name), n.LateHeartbeats)
		for _, l := range n.Links {
			gauge("hbgo_link_up"+labels("node", n.Name, "link", l.Name), b2f(l.Up))
			if l.LastHeartbeatAge != nil {
				gauge("hbgo_link_last_heartbeat_seconds"+labels("node", n.Name, "link", l.Name), *l.LastHeartbeatAge)
			}
		}
	}
	drops := map[string]uint64{}
	for _, r := range DropReasons {
		drops[r] = 0
	}
	for k, v := range s.Drops {
		drops[k] = v
	}
	for _, k := range sortedKeys(drops) {
		counter("hbgo_dropped_datagrams_total"+labels("reason", k), drops[k])
	}
	failures := map[string]uint64{} // a token in two groups is one resource
	for _, g := range s.Groups {
		gauge("hbgo_group_active"+labels("group", g.Name), b2f(g.Holder == s.Local && s.Local != ""))
		for _, r := range g.Resources {
			gauge("hbgo_resource_up"+labels("group", g.Name, "resource", r.Name), b2f(r.State == StateStarted))
			failures[r.Name] += r.Failures
		}
	}
	for _, k := range sortedKeys(failures) {
		counter("hbgo_resource_failures_total"+labels("resource", k), failures[k])
	}
	for _, k := range sortedKeys(s.Transitions) {
		counter("hbgo_transitions_total"+labels("cause", k), s.Transitions[k])
	}
	if t := s.LastTransition; t != nil {
		gauge("hbgo_last_transition_timestamp_seconds", float64(t.Time.UnixMilli())/1000)
	}
	match := -1.0 // unknown: a stock peer, or not heard yet
	switch s.PeerConfig.State {
	case ConfigMatch:
		match = 1
	case ConfigMismatch:
		match = 0
	}
	gauge("hbgo_peer_config_match", match)
	set.WritePrometheus(w)
	return nil
}

// labels renders {k="v",...} with the exposition format's escapes.
func labels(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
