# bench/monitor/summary.awk - median [min, max] of every numeric field of
# RUN lines (failover-bench.sh's format), per variant (row), implementation
# and config, as one markdown table. Fields that are stamps or counters of
# the run itself (run, t0, first_fail, back, load1) are left out; NA values
# are counted, not averaged. Used by bench/monitor.sh and bench/run.sh -monitor.
  $1 == "RUN" {
    delete r; for (i = 2; i <= NF; i++) { e = index($i, "="); r[substr($i, 1, e - 1)] = substr($i, e + 1) }
    k = r["variant"] " | " r["impl1"] " | " r["config"]
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    tot[k]++
    if (r["status"] == "fail") next
    for (i = 2; i <= NF; i++) {
      f = substr($i, 1, index($i, "=") - 1)
      if (f ~ /^(run|t0|first_fail|back|load1)$/ || r[f] !~ /^-?[0-9.]+$/ && r[f] != "NA") continue
      if (!((k, f) in fseen)) { fseen[k, f] = 1; fl[k] = fl[k] " " f }
      if (r[f] == "NA") { na[k, f]++; continue }
      m = ++cnt[k, f]; v[k, f, m] = r[f] + 0
    }
  }
  function cell(k, f,   m, a, b, x, y, med, s) {
    m = cnt[k, f] + 0
    if (m == 0) return "NA x" na[k, f]
    for (a = 1; a <= m; a++) x[a] = v[k, f, a]
    for (a = 2; a <= m; a++) { y = x[a]; b = a - 1; while (b > 0 && x[b] > y) { x[b + 1] = x[b]; b-- } x[b + 1] = y }
    med = (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
    s = sprintf("%g [%g, %g] n=%d", med, x[1], x[m], m)
    if (na[k, f]) s = s ", NA x" na[k, f]
    return s
  }
  END {
    print "| row | implementation | config | runs | metric | median [min, max] |"
    print "|---|---|---|---|---|---|"
    for (j = 1; j <= nk; j++) {
      k = order[j]; nf = split(fl[k], fs, " ")
      for (i = 1; i <= nf; i++) printf "| %s | %d | %s | %s |\n", k, tot[k], fs[i], cell(k, fs[i])
    }
  }
