package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Run is one RUN line of the harness's results.txt: its identity and its
// numeric fields.
type Run struct {
	Pair    string // "stock+stock", "hbgo+hbgo", "stock+hbgo" (node1+node2)
	Config  string
	Variant string
	N       int
	Metrics map[string]float64
}

// notMetrics are numeric RUN fields that are identity or context, not
// measurements to take medians of.
var notMetrics = map[string]bool{"run": true, "t0": true}

// implName maps the harness's implementation label to the table's name:
// stock heartbeat is labelled heartbeat-<version> (failover-bench.sh's
// impl_label), anything else keeps its label.
func implName(label string) string {
	if strings.HasPrefix(label, "heartbeat-") {
		return "stock"
	}
	return label
}

// ParseResults reads the RUN lines of a failover-bench.sh results.txt;
// failed runs (status=fail) are counted, not returned. Other lines
// (comments, SUMMARY) are skipped.
func ParseResults(r io.Reader, name string) (runs []Run, failed int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "RUN" {
			continue
		}
		kv := map[string]string{}
		for _, w := range f[1:] {
			k, v, ok := strings.Cut(w, "=")
			if !ok || k == "" {
				return nil, 0, fmt.Errorf("%s:%d: field %q is not key=value", name, line, w)
			}
			kv[k] = v
		}
		if kv["status"] == "fail" {
			failed++
			continue
		}
		for _, k := range []string{"impl1", "impl2", "config", "variant", "run"} {
			if kv[k] == "" {
				return nil, 0, fmt.Errorf("%s:%d: RUN line without %s=", name, line, k)
			}
		}
		n, err := strconv.Atoi(kv["run"])
		if err != nil {
			return nil, 0, fmt.Errorf("%s:%d: run=%q: %w", name, line, kv["run"], err)
		}
		ru := Run{Pair: implName(kv["impl1"]) + "+" + implName(kv["impl2"]), Config: kv["config"],
			Variant: kv["variant"], N: n, Metrics: map[string]float64{}}
		for k, v := range kv {
			if notMetrics[k] {
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				continue // NA, labels
			}
			ru.Metrics[k] = x
		}
		derive(&ru)
		runs = append(runs, ru)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	return runs, failed, nil
}

// derive adds the metrics the goals are stated in but the harness does not
// print: VIP -> first gratuitous ARP, and idle CPU per minute.
func derive(r *Run) {
	m := r.Metrics
	if v, ok := m["vip_ms"]; ok {
		if g, ok := m["garp_ms"]; ok {
			m["vip_garp_ms"] = round1(g - v)
		}
	}
	if s, ok := m["idle_s"]; ok && s > 0 {
		for _, n := range []string{"n1", "n2"} {
			if c, ok := m[n+"_sched_ms"]; ok {
				m[n+"_sched_ms_per_min"] = round1(c * 60 / s)
			}
		}
	}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// Median is the median of xs, the mean of the middle two for an even count
// (as failover-bench.sh's summariser does); NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// key identifies one cell group: pairing, config and variant.
type key struct{ pair, config, variant string }

// Set is the runs indexed for the table.
type Set struct {
	runs    map[key][]Run
	pairs   []string // in first-seen order
	configs []string
	failed  int
}

// NewSet indexes runs.
func NewSet(runs []Run, failed int) *Set {
	s := &Set{runs: map[key][]Run{}, failed: failed}
	seenP, seenC := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		k := key{r.Pair, r.Config, r.Variant}
		s.runs[k] = append(s.runs[k], r)
		if !seenP[r.Pair] {
			seenP[r.Pair] = true
			s.pairs = append(s.pairs, r.Pair)
		}
		if !seenC[r.Config] {
			seenC[r.Config] = true
			s.configs = append(s.configs, r.Config)
		}
	}
	return s
}

// values are the metric's values over the pairing's runs of config and
// variant; variant "" means every variant.
func (s *Set) values(pair, config, variant, metric string) []float64 {
	var out []float64
	for k, rs := range s.runs {
		if k.pair != pair || k.config != config || (variant != "" && k.variant != variant) {
			continue
		}
		for _, r := range rs {
			if v, ok := r.Metrics[metric]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// median is the median of values(...) and how many there were.
func (s *Set) median(pair, config, variant, metric string) (float64, int) {
	v := s.values(pair, config, variant, metric)
	return Median(v), len(v)
}
