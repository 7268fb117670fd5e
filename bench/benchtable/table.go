package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// The pairings compared: hbgo on both nodes and the mixed cluster, each
// against stock on both nodes.
const (
	stockPair = "stock+stock"
	hbgoPair  = "hbgo+hbgo"
	fastConf  = "fast-ka200ms-dt1"
	// the Go floor's rows (bench/idle-floors.sh, beside every idle round):
	// over loopback, and over a veth between two namespaces, the path of
	// hbgo's ucast in the harness
	goFloorPair   = "floor-go+floor-go"
	floorConf     = "loopback-200ms"
	goFloorNsPair = "floor-go-ns+floor-go-ns"
	floorNsConf   = "veth-200ms"
	floorPrefix   = "floor-"
)

// metricOrder lists the metrics in the order the harness's README explains
// them; anything else found follows in name order.
var failoverMetrics = []string{"detect_ms", "lasthb_detect_ms", "release_ms", "vip_ms", "garp_ms", "arp_ms",
	"svc_ms", "detect_vip_ms", "vip_garp_ms", "garps", "startup_vip_ms", "load1"}

var idleMetrics = []string{"n1_nprocs", "n1_rss_kb", "n1_pss_kb", "n1_cpu_s", "n1_sched_ms", "n1_sched_ms_per_min",
	"n2_nprocs", "n2_rss_kb", "n2_pss_kb", "n2_cpu_s", "n2_sched_ms", "n2_sched_ms_per_min", "idle_s", "load1"}

var variantOrder = []string{"kill", "cut", "standby", "idle"}

func fmtV(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	if math.Abs(x) < 10 {
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

func ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return a / b
}

func fmtR(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}

// Render writes the markdown table: per config and variant, the median of
// each metric for every pairing and the ratios to stock+stock; then the
// goals, each met or missed.
func (s *Set) Render(w io.Writer) {
	fmt.Fprintf(w, "# hbgo vs stock heartbeat 3.0.6: medians per pairing (node1+node2)\n\n")
	fmt.Fprintf(w, "Cells: median (n). Ratios: pairing median / %s median.", stockPair)
	if s.failed > 0 {
		fmt.Fprintf(w, " Failed runs left out: %d.", s.failed)
	}
	fmt.Fprintf(w, "\n\n")
	for _, c := range s.configs {
		for _, v := range s.variants(c) {
			// the pairings with runs here; ratios only where stock ran
			cols, others, hasStock := []string{}, []string{}, false
			for _, p := range s.pairs {
				if len(s.runs[key{p, c, v}]) == 0 {
					continue
				}
				if p == stockPair {
					hasStock = true
					cols = append([]string{p}, cols...)
					continue
				}
				cols = append(cols, p)
			}
			if hasStock {
				others = cols[1:]
			}
			fmt.Fprintf(w, "## %s / %s\n\n| metric |", c, v)
			for _, p := range cols {
				fmt.Fprintf(w, " %s |", p)
			}
			for _, p := range others {
				fmt.Fprintf(w, " %s / stock |", p)
			}
			fmt.Fprintf(w, "\n|---|")
			fmt.Fprintf(w, "%s\n", strings.Repeat("---|", len(cols)+len(others)))
			for _, m := range s.metrics(c, v) {
				fmt.Fprintf(w, "| %s |", m)
				base, _ := s.median(stockPair, c, v, m)
				for _, p := range cols {
					x, n := s.median(p, c, v, m)
					if n == 0 {
						fmt.Fprintf(w, " - |")
						continue
					}
					fmt.Fprintf(w, " %s (%d) |", fmtV(x), n)
				}
				for _, p := range others {
					x, _ := s.median(p, c, v, m)
					if m == "load1" {
						fmt.Fprintf(w, " |")
						continue
					}
					fmt.Fprintf(w, " %s |", fmtR(ratio(x, base)))
				}
				fmt.Fprintf(w, "\n")
			}
			fmt.Fprintf(w, "\n")
		}
	}
	s.renderIdle(w)
	s.renderGoals(w)
}

// idleRow is one row of the idle comparison: a pairing in a config.
type idleRow struct{ pair, config string }

// idleRows are the rows of the idle comparison: the pairings measured
// idle in the fast config (hbgo+hbgo first, keepalived's among them),
// then the floors, the Go floor on each path first.
func (s *Set) idleRows() []idleRow {
	has := func(p, c string) bool { return len(s.runs[key{p, c, "idle"}]) > 0 }
	var rows []idleRow
	seen := map[idleRow]bool{}
	add := func(p, c string) {
		r := idleRow{p, c}
		if has(p, c) && !seen[r] {
			seen[r] = true
			rows = append(rows, r)
		}
	}
	add(hbgoPair, fastConf)
	for _, p := range s.pairs {
		if !strings.HasPrefix(p, floorPrefix) {
			add(p, fastConf)
		}
	}
	add(goFloorPair, floorConf)
	add(goFloorNsPair, floorNsConf)
	add("floor-c+floor-c", floorConf)
	add("floor-c-ns+floor-c-ns", floorNsConf)
	for _, p := range s.pairs {
		if strings.HasPrefix(p, floorPrefix) {
			for _, c := range s.configs {
				add(p, c)
			}
		}
	}
	return rows
}

// both is the median of a per-node metric over both nodes' values.
func (s *Set) both(pair, config, metric string) (float64, int) {
	v := append(s.values(pair, config, "idle", "n1_"+metric), s.values(pair, config, "idle", "n2_"+metric)...)
	return Median(v), len(v)
}

// rowName is a pairing's name in the idle table: one name when both nodes
// run the same.
func rowName(pair string) string {
	if a, b, ok := strings.Cut(pair, "+"); ok && a == b {
		return a
	}
	return pair
}

// renderIdle writes the idle comparison of issue 16 item 5: every idle
// pairing of the fast config beside the floors of the same sitting, CPU
// and RSS as ratios to the Go floor over loopback and over the veth path
// (the one hbgo's heartbeats take), side by side. Nothing when no floor
// was measured.
func (s *Set) renderIdle(w io.Writer) {
	lo, _ := s.both(goFloorPair, floorConf, "sched_ms_per_min")
	ns, _ := s.both(goFloorNsPair, floorNsConf, "sched_ms_per_min")
	loR, _ := s.both(goFloorPair, floorConf, "rss_kb")
	nsR, _ := s.both(goFloorNsPair, floorNsConf, "rss_kb")
	if math.IsNaN(lo) && math.IsNaN(ns) {
		return
	}
	fmt.Fprintf(w, "## Idle beside the floors (keepalive / advert 200 ms, same sitting)\n\n")
	fmt.Fprintf(w, "CPU: run time of all the node's processes per minute of idle; cells: median over both nodes (values), then each node's median. ")
	fmt.Fprintf(w, "Ratios: row median / %s median (loopback) and / %s median (a veth between two namespaces, the path of hbgo's ucast in the harness).\n\n",
		rowName(goFloorPair), rowName(goFloorNsPair))
	fmt.Fprintf(w, "| row | config | CPU ms/min | n1 | n2 | CPU / floor-go | CPU / floor-go-ns | RSS KiB | RSS / floor-go | RSS / floor-go-ns | PSS KiB |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range s.idleRows() {
		cpu, n := s.both(r.pair, r.config, "sched_ms_per_min")
		c1, _ := s.median(r.pair, r.config, "idle", "n1_sched_ms_per_min")
		c2, _ := s.median(r.pair, r.config, "idle", "n2_sched_ms_per_min")
		rss, nr := s.both(r.pair, r.config, "rss_kb")
		pss, _ := s.both(r.pair, r.config, "pss_kb")
		fmt.Fprintf(w, "| %s | %s | %s (%d) | %s | %s | %s | %s | %s (%d) | %s | %s | %s |\n", rowName(r.pair), r.config,
			fmtV(cpu), n, fmtV(c1), fmtV(c2), fmtR(ratio(cpu, lo)), fmtR(ratio(cpu, ns)),
			fmtV(rss), nr, fmtR(ratio(rss, loR)), fmtR(ratio(rss, nsR)), fmtV(pss))
	}
	fmt.Fprintf(w, "\n")
}

// variants are the config's variants present, in the harness's order.
func (s *Set) variants(config string) []string {
	var out []string
	for _, v := range variantOrder {
		for k := range s.runs {
			if k.config == config && k.variant == v {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// metrics are the metrics present for config and variant, in README order.
func (s *Set) metrics(config, variant string) []string {
	order := failoverMetrics
	if variant == "idle" {
		order = idleMetrics
	}
	have := map[string]bool{}
	for k, rs := range s.runs {
		if k.config != config || k.variant != variant {
			continue
		}
		for _, r := range rs {
			for m := range r.Metrics {
				have[m] = true
			}
		}
	}
	var out []string
	for _, m := range order {
		if have[m] {
			out = append(out, m)
		}
	}
	return out
}

// Goal is one of the targets, evaluated on the medians.
type Goal struct {
	What   string  // the goal in words
	Target string  // the bound in words
	Stock  float64 // stock+stock median, NaN when not compared
	Hbgo   float64 // hbgo+hbgo median
	Ratio  float64 // Hbgo / Stock
	Met    bool
	Known  bool // false when a side has no runs: not evaluated
}

// Goals evaluates the goals on the medians present.
func (s *Set) Goals() []Goal {
	var gs []Goal
	med := func(p, c, v, m string) float64 { x, _ := s.median(p, c, v, m); return x }
	// kill -> VIP on the survivor, fast config: <= 0.55 x stock.
	{
		st, hb := med(stockPair, fastConf, "kill", "vip_ms"), med(hbgoPair, fastConf, "kill", "vip_ms")
		r := ratio(hb, st)
		gs = append(gs, Goal{What: "kill -> VIP on survivor (vip_ms, " + fastConf + ")", Target: "<= 0.55 x stock",
			Stock: st, Hbgo: hb, Ratio: r, Met: r <= 0.55, Known: !math.IsNaN(r)})
	}
	// "is dead" -> VIP, every config (kill and cut): <= 5 ms.
	for _, c := range s.configs {
		for _, v := range []string{"kill", "cut"} {
			st, hb := med(stockPair, c, v, "detect_vip_ms"), med(hbgoPair, c, v, "detect_vip_ms")
			if math.IsNaN(hb) && math.IsNaN(st) {
				continue
			}
			gs = append(gs, Goal{What: "\"is dead\" -> VIP (detect_vip_ms, " + c + ", " + v + ")", Target: "<= 5 ms",
				Stock: st, Hbgo: hb, Ratio: ratio(hb, st), Met: hb <= 5, Known: !math.IsNaN(hb)})
		}
	}
	// VIP -> first gratuitous ARP: <= 1 ms.
	for _, v := range []string{"kill", "cut", "standby"} {
		st, hb := med(stockPair, fastConf, v, "vip_garp_ms"), med(hbgoPair, fastConf, v, "vip_garp_ms")
		if math.IsNaN(hb) && math.IsNaN(st) {
			continue
		}
		gs = append(gs, Goal{What: "VIP -> first gratuitous ARP (garp_ms - vip_ms, " + fastConf + ", " + v + ")", Target: "<= 1 ms",
			Stock: st, Hbgo: hb, Ratio: ratio(hb, st), Met: hb <= 1, Known: !math.IsNaN(hb)})
	}
	// hb_standby -> VIP on the peer: <= 100 ms.
	{
		st, hb := med(stockPair, fastConf, "standby", "vip_ms"), med(hbgoPair, fastConf, "standby", "vip_ms")
		gs = append(gs, Goal{What: "hb_standby -> VIP on peer (vip_ms, " + fastConf + ", standby)", Target: "<= 100 ms",
			Stock: st, Hbgo: hb, Ratio: ratio(hb, st), Met: hb <= 100, Known: !math.IsNaN(hb)})
	}
	// both started -> VIP on node1: <= 2000 ms, from the standby runs
	// (bench/run.sh gives hbgo+hbgo fast_start there, not in kill and cut).
	{
		st, hb := med(stockPair, fastConf, "standby", "startup_vip_ms"), med(hbgoPair, fastConf, "standby", "startup_vip_ms")
		gs = append(gs, Goal{What: "both started -> VIP on node1 (startup_vip_ms, " + fastConf + ", standby runs)", Target: "<= 2000 ms",
			Stock: st, Hbgo: hb, Ratio: ratio(hb, st), Met: hb <= 2000, Known: !math.IsNaN(hb)})
	}
	// idle, per node: one process; RSS <= stock's PSS sum; CPU <= 0.1 x stock.
	for _, n := range []string{"n1", "n2"} {
		np := med(hbgoPair, fastConf, "idle", n+"_nprocs")
		gs = append(gs, Goal{What: "idle " + n + " processes (" + n + "_nprocs)", Target: "= 1",
			Stock: med(stockPair, fastConf, "idle", n+"_nprocs"), Hbgo: np, Ratio: math.NaN(), Met: np == 1, Known: !math.IsNaN(np)})
		st, hb := med(stockPair, fastConf, "idle", n+"_pss_kb"), med(hbgoPair, fastConf, "idle", n+"_rss_kb")
		r := ratio(hb, st)
		gs = append(gs, Goal{What: "idle " + n + " memory (hbgo " + n + "_rss_kb vs stock " + n + "_pss_kb)", Target: "<= 1.0 x stock PSS",
			Stock: st, Hbgo: hb, Ratio: r, Met: r <= 1, Known: !math.IsNaN(r)})
		st, hb = med(stockPair, fastConf, "idle", n+"_sched_ms_per_min"), med(hbgoPair, fastConf, "idle", n+"_sched_ms_per_min")
		r = ratio(hb, st)
		gs = append(gs, Goal{What: "idle " + n + " CPU ms/min (" + n + "_sched_ms_per_min, keepalive 200 ms)", Target: "<= 0.1 x stock",
			Stock: st, Hbgo: hb, Ratio: r, Met: r <= 0.1, Known: !math.IsNaN(r)})
	}
	// issue 16 item 5, with the metrics and watches on: idle CPU <= 1.2 x
	// the Go floor of the same sitting (its median goes in the stock
	// column), RSS <= 6 MB.
	// The floor twice: over loopback, and over the veth path hbgo's ucast
	// takes (floor-go-ns), the same work per send.
	for _, n := range []string{"n1", "n2"} {
		hb := med(hbgoPair, fastConf, "idle", n+"_sched_ms_per_min")
		for _, f := range []struct{ pair, conf, what string }{
			{goFloorPair, floorConf, "floor-go, loopback"},
			{goFloorNsPair, floorNsConf, "floor-go-ns, veth as hbgo's ucast"},
		} {
			fl := med(f.pair, f.conf, "idle", n+"_sched_ms_per_min")
			r := ratio(hb, fl)
			gs = append(gs, Goal{What: "idle " + n + " CPU ms/min vs the Go floor (stock column: " + f.what + ", same sitting)", Target: "<= 1.2 x Go floor",
				Stock: fl, Hbgo: hb, Ratio: r, Met: r <= 1.2, Known: !math.IsNaN(r)})
		}
		rss := med(hbgoPair, fastConf, "idle", n+"_rss_kb")
		gs = append(gs, Goal{What: "idle " + n + " RSS (" + n + "_rss_kb)", Target: "<= 6144 KiB",
			Stock: math.NaN(), Hbgo: rss, Ratio: math.NaN(), Met: rss <= 6144, Known: !math.IsNaN(rss)})
	}
	return gs
}

func (s *Set) renderGoals(w io.Writer) {
	fmt.Fprintf(w, "## Goals (%s medians vs %s medians, same sitting)\n\n", hbgoPair, stockPair)
	fmt.Fprintf(w, "| goal | target | stock+stock | hbgo+hbgo | hbgo / stock | verdict |\n|---|---|---|---|---|---|\n")
	met, missed := 0, 0
	for _, g := range s.Goals() {
		verdict := "not measured"
		if g.Known {
			if g.Met {
				verdict = "met"
				met++
			} else {
				verdict = "MISSED"
				missed++
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", g.What, g.Target, fmtV(g.Stock), fmtV(g.Hbgo), fmtR(g.Ratio), verdict)
	}
	fmt.Fprintf(w, "\nGoals met: %d, missed: %d.\n", met, missed)
}
