#!/bin/bash
# sitting.sh OUT ROUNDS AFTER_BIN LABEL=BIN...
# issue 16 item 5's closing sitting. Per round, in alternating order: the
# final binary (AFTER) through make bench's own idle call with keepalived's
# idle and both floor paths (bench/run.sh: floors rebuilt and measured after
# the pairings), and each LABEL=BIN beside it (floors off). Both nodes of
# every pair are counted. RUN lines: results.txt (bench/benchtable's input,
# the final binary's rows, keepalived and the floors) and runs.txt (every
# hbgo row with label=).
set -u
cd "$(dirname "$0")/../../.."
O=$1 R=$2 A=$3; shift 3
mkdir -p "$O"
after() {
  local n=$1 f
  echo "after $n $(date -u +%T) $(cat /proc/loadavg)" >>"$O/load.txt"
  bash bench/run.sh -p hbgo+hbgo,keepalived -v idle -n 1 -i 30 -b "$A" -o "$O/after-$n" >"$O/after-$n.log" 2>&1
  for f in "$O/after-$n/hbgo+hbgo/results.txt" "$O/after-$n/keepalived/results.txt" "$O/after-$n/floors/results.txt"; do
    grep -h '^RUN' "$f" | sed "s/ run=1 / run=$n /"
  done >>"$O/results.txt"
  grep -h '^RUN' "$O/after-$n/hbgo+hbgo/results.txt" | sed "s/ run=1 / run=$n /; s/^RUN /RUN label=after /" >>"$O/runs.txt"
}
other() {
  local n=$1 lb=$2 L B
  L=${lb%%=*} B=${lb#*=}
  echo "$L $n $(date -u +%T) $(cat /proc/loadavg)" >>"$O/load.txt"
  BENCH_FLOORS=0 bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b "$B" -o "$O/$L-$n" >"$O/$L-$n.log" 2>&1
  grep -h '^RUN' "$O/$L-$n/hbgo+hbgo/results.txt" | sed "s/ run=1 / run=$n /; s/^RUN /RUN label=$L /" >>"$O/runs.txt"
}
for n in $(seq "$R"); do
  if ((n % 2)); then
    for lb in "$@"; do other "$n" "$lb"; done
    after "$n"
  else
    after "$n"
    for lb in "$@"; do other "$n" "$lb"; done
  fi
done
echo "done $(date -u +%T) $(cat /proc/loadavg)" >>"$O/load.txt"
go run ./bench/benchtable "$O/results.txt" >"$O/summary.md" 2>&1
grep -v impl1=hbgo "$O/results.txt" >"$O/others.tmp"
python3 bench/results/idle-2026-12-06/med.py "$O/runs.txt" "$O/others.tmp" >"$O/medians.md"; rm -f "$O/others.tmp"
