#!/bin/bash
# ab.sh OUTDIR ROUNDS LABEL=BIN...   bench/results/idle-2026-12-06/ab2.sh's
# method (one bench/run.sh idle call per binary and round, interleaved,
# BENCH_FLOORS=0, the floors after each round, without -x), plus per round
# and binary an inv.sh run for the per-thread switches (strace in round 1).
# BENCH_PREFIX hbxwake: other sittings use hbxbench. NOFLOORS=1: no floors;
# NOSTRACE=1: no strace window in round 1 either.
W=$(cd "$(dirname "$0")" && pwd)
cd "$W/../../../.."
O=$1 R=$2; shift 2
mkdir -p $O
export BENCH_PREFIX=hbxwake
for n in $(seq $R); do
  for lb in "$@"; do
    L=${lb%%=*} B=${lb#*=}
    echo "$L $n $(date -u +%T) load $(cat /proc/loadavg)" >> $O/load.txt
    BENCH_FLOORS=0 bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b $B -o $O/$L-$n > $O/$L-$n.log 2>&1
    grep '^RUN' $O/$L-$n/hbgo+hbgo/results.txt | sed "s/^RUN /RUN label=$L /" >> $O/runs.txt
  done
  for lb in "$@"; do
    L=${lb%%=*} B=${lb#*=}
    echo "inv $L $n $(date -u +%T) load $(cat /proc/loadavg)" >> $O/load.txt
    NOSTRACE=$([[ $n == 1 && ${NOSTRACE:-0} != 1 ]] && echo 0 || echo 1) bash "$W/inv.sh" $B $O/inv-$L-$n 30 > $O/inv-$L-$n.log 2>&1
  done
  [[ ${NOFLOORS:-0} == 1 ]] && continue
  echo "floors $n $(date -u +%T) load $(cat /proc/loadavg)" >> $O/load.txt
  bash bench/idle-floors.sh -i 30 | sed "s/ run=1 / run=$n /" >> $O/runs.txt
done
echo "done $(date -u +%T)" >> $O/load.txt
