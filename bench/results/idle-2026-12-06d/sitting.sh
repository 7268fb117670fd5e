#!/usr/bin/env bash
# The closing sitting of issue 16 item 5 (2026-12-06, evening 2):
#   sitting.sh OUT ROUNDS AFTER LABEL=BIN[:ARGS] ...
# Per round, in alternating order: make bench's idle call on AFTER
# (bench/run.sh -p hbgo+hbgo,keepalived -v idle -n 1 -i 30, with the floors
# on both paths and the Go floor at SCHED_RR beside them: BENCH_FLOORS=rr),
# and each other binary alone (BENCH_FLOORS=0); ARGS after a colon go to
# its daemon (BENCH_HBGO_ARGS, e.g. -l: normal scheduling). RUN lines with
# label= go to OUT/runs.txt, AFTER's, keepalived's and the floors' to
# OUT/results.txt (bench/benchtable's input), time and load to OUT/load.txt.
set -u
cd "$(dirname "$0")/../../.."
O=$1 R=$2 A=$3; shift 3
mkdir -p "$O"
after() {
  local n=$1 f
  echo "after $n $(date -u +%T) $(cat /proc/loadavg)" >>"$O/load.txt"
  BENCH_FLOORS=rr bash bench/run.sh -p hbgo+hbgo,keepalived -v idle -n 1 -i 30 -b "$A" -o "$O/after-$n" >"$O/after-$n.log" 2>&1
  for f in "$O/after-$n/hbgo+hbgo/results.txt" "$O/after-$n/keepalived/results.txt" "$O/after-$n/floors/results.txt"; do
    grep -h '^RUN' "$f" | sed "s/ run=1 / run=$n /"
  done >>"$O/results.txt"
  grep -h '^RUN' "$O/after-$n/hbgo+hbgo/results.txt" | sed "s/ run=1 / run=$n /; s/^RUN /RUN label=after /" >>"$O/runs.txt"
}
other() {
  local n=$1 lb=$2 L B X=
  L=${lb%%=*} B=${lb#*=}
  [[ $B == *:* ]] && X=${B#*:} B=${B%%:*}
  echo "$L $n $(date -u +%T) $(cat /proc/loadavg)" >>"$O/load.txt"
  BENCH_HBGO_ARGS=$X BENCH_FLOORS=0 bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b "$B" -o "$O/$L-$n" >"$O/$L-$n.log" 2>&1
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
