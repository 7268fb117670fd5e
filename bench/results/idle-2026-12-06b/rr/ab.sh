#!/bin/bash
# ab.sh OUTDIR ROUNDS LABEL=BIN...: idle-2026-12-06/ab2.sh's method from this
# worktree: per round one bench/run.sh idle call per binary (order reversed
# every other round), BENCH_FLOORS=0, then bench/idle-floors.sh -x. Own
# cluster prefix (hbxrr) and floor ports, beside other engineers' benches.
cd "$(dirname "$0")/../../../.." || exit 1
O=$1 R=$2; shift 2
mkdir -p "$O"
for n in $(seq "$R"); do
  bins=("$@")
  if ((n % 2 == 0)); then bins=(); for ((i = $#; i >= 1; i--)); do bins+=("${!i}"); done; fi
  for lb in "${bins[@]}"; do
    L=${lb%%=*} B=${lb#*=}
    echo "$L $n $(date -u +%T) load $(cat /proc/loadavg)" >> "$O/load.txt"
    BENCH_PREFIX=hbxrr BENCH_FLOORS=0 bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b "$B" -o "$O/$L-$n" > "$O/$L-$n.log" 2>&1
    grep '^RUN' "$O/$L-$n/hbgo+hbgo/results.txt" | sed "s/^RUN /RUN label=$L /" >> "$O/runs.txt"
  done
  echo "floors $n $(date -u +%T) load $(cat /proc/loadavg)" >> "$O/load.txt"
  bash bench/idle-floors.sh -x -i 30 -P 47821 | sed "s/ run=1 / run=$n /" >> "$O/runs.txt"
done
echo "done $(date -u +%T) load $(cat /proc/loadavg)" >> "$O/load.txt"
