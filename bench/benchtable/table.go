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
	// the Go floor's rows (bench/idle-floors.sh, beside every idle round)
	goFloorPair = "floor-go+floor-go"
	floorConf   = "loopback-200ms"
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
	others := []string{}
	for _, p := range s.pairs {
		if p != stockPair {
			others = append(others, p)
		}
	}
	cols := append([]string{stockPair}, others...)
	for _, c := range s.configs {
		for _, v := range s.variants(c) {
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
	s.renderGoals(w)
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
	for _, n := range []string{"n1", "n2"} {
		fl, hb := med(goFloorPair, floorConf, "idle", n+"_sched_ms_per_min"), med(hbgoPair, fastConf, "idle", n+"_sched_ms_per_min")
		r := ratio(hb, fl)
		gs = append(gs, Goal{What: "idle " + n + " CPU ms/min vs the Go floor (stock column: floor-go, same sitting)", Target: "<= 1.2 x Go floor",
			Stock: fl, Hbgo: hb, Ratio: r, Met: r <= 1.2, Known: !math.IsNaN(r)})
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
