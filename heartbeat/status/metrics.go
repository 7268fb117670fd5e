package status

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
)

// family is one metric family of the exposition: its name, type and help.
type family struct{ name, typ, help string }

// families are the metrics hbgo exposes, in the order they are written.
var families = []family{
	{"hbgo_build_info", "gauge", "hbgo's version, always 1."},
	{"hbgo_node_up", "gauge", "1 when the node is up or active as this node sees it, else 0."},
	{"hbgo_link_up", "gauge", "1 when the link to the node is up, else 0."},
	{"hbgo_link_last_heartbeat_seconds", "gauge", "Seconds since the last packet from the node on the link."},
	{"hbgo_late_heartbeats_total", "counter", "Status messages from the node that came later than warntime."},
	{"hbgo_dropped_datagrams_total", "counter", "Received datagrams dropped, by reason."},
	{"hbgo_group_active", "gauge", "1 when this node holds the resource group, else 0."},
	{"hbgo_resource_up", "gauge", "1 when the resource runs on this node, else 0."},
	{"hbgo_resource_failures_total", "counter", "Failures of the resource on this node (failed starts and stops, monitor failures) since the daemon started; heartbeat cleanup does not reset it."},
	{"hbgo_resource_fail_count", "gauge", "The resource monitor's failures of the resource within failure_window, the count failover_threshold is compared with; heartbeat cleanup resets it."},
	{"hbgo_transitions_total", "counter", "Resource transitions on this node, by cause."},
	{"hbgo_last_transition_timestamp_seconds", "gauge", "Unix time of the last resource transition on this node."},
	{"hbgo_ping_node_up", "gauge", "1 when the ping node answers, else 0."},
	{"hbgo_peer_config_match", "gauge", "1 when the peer's configuration hash matches ours, 0 when it differs, -1 unknown (stock peer)."},
}

// sample is one line of a family: its label pairs and value.
type sample struct {
	labels []string // name, value, name, value, ...
	value  float64
}

// WriteMetrics writes the snapshot in Prometheus' text exposition format
// (version 0.0.4): each family of docs/CONFIG.md's list with its HELP and
// TYPE lines, label values escaped as the format says. It is written here
// rather than with a metrics library: both candidates link net/http into
// the daemon, which cost 0.9-1.8 MB of idle RSS whether metrics are on or
// not (bench/results/metrics-lib-2026-12-06.md); the tests parse the output
// with Prometheus' own parser (prometheus/common/expfmt).
func WriteMetrics(w io.Writer, s *Snapshot) error {
	out := map[string][]sample{}
	add := func(name string, v float64, labels ...string) {
		out[name] = append(out[name], sample{labels, v})
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	add("hbgo_build_info", 1, "version", s.Version)
	for _, n := range s.Nodes {
		if n.Type == "ping" {
			add("hbgo_ping_node_up", b2f(n.State != "dead"), "node", n.Name)
			continue
		}
		add("hbgo_node_up", b2f(n.State != "dead" && n.State != "init"), "node", n.Name)
		if n.Local {
			continue
		}
		add("hbgo_late_heartbeats_total", float64(n.LateHeartbeats), "node", n.Name)
		for _, l := range n.Links {
			add("hbgo_link_up", b2f(l.Up), "node", n.Name, "link", l.Name)
			if l.LastHeartbeatAge != nil {
				add("hbgo_link_last_heartbeat_seconds", *l.LastHeartbeatAge, "node", n.Name, "link", l.Name)
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
		add("hbgo_dropped_datagrams_total", float64(drops[k]), "reason", k)
	}
	// A token in two groups is one resource, its counts shown in each.
	failures, failCount := map[string]uint64{}, map[string]uint64{}
	for _, g := range s.Groups {
		add("hbgo_group_active", b2f(g.Holder == s.Local && s.Local != ""), "group", g.Name)
		for _, r := range g.Resources {
			add("hbgo_resource_up", b2f(r.State == StateStarted), "group", g.Name, "resource", r.Name)
			failures[r.Name] = max(failures[r.Name], r.FailuresTotal)
			failCount[r.Name] = max(failCount[r.Name], r.MonitorFailures)
		}
	}
	for _, k := range sortedKeys(failures) {
		add("hbgo_resource_failures_total", float64(failures[k]), "resource", k)
		add("hbgo_resource_fail_count", float64(failCount[k]), "resource", k)
	}
	for _, k := range sortedKeys(s.Transitions) {
		add("hbgo_transitions_total", float64(s.Transitions[k]), "cause", k)
	}
	if t := s.LastTransition; t != nil {
		add("hbgo_last_transition_timestamp_seconds", float64(t.Time.UnixMilli())/1000)
	}
	match := -1.0 // unknown: a stock peer, or not heard yet
	switch s.PeerConfig.State {
	case ConfigMatch:
		match = 1
	case ConfigMismatch:
		match = 0
	}
	add("hbgo_peer_config_match", match)

	bw := bufio.NewWriter(w)
	for _, f := range families {
		ss := out[f.name]
		if len(ss) == 0 {
			continue
		}
		sort.SliceStable(ss, func(i, j int) bool { return labelKey(ss[i].labels) < labelKey(ss[j].labels) })
		bw.WriteString("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.typ + "\n")
		prev := ""
		for _, smp := range ss {
			line := f.name + labelText(smp.labels)
			if line == prev {
				continue // the same series twice (a name in two places): the first wins
			}
			prev = line
			bw.WriteString(line + " " + formatValue(smp.value) + "\n")
		}
	}
	return bw.Flush()
}

func labelKey(kv []string) string { return strings.Join(kv, "\x00") }

// labelText renders {k="v",...} with the format's escapes (\\, \", \n).
func labelText(kv []string) string {
	if len(kv) == 0 {
		return ""
	}
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

// formatValue writes a sample value as the format reads it (+Inf, -Inf, NaN).
func formatValue(v float64) string {
	switch {
	case v != v:
		return "NaN"
	case v > 1.7976931348623157e308:
		return "+Inf"
	case v < -1.7976931348623157e308:
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
