#!/bin/bash
# ab2.sh OUTDIR ROUNDS LABEL=BIN...   (floors with variants after each round)
cd /work/wt/idle
O=$1 R=$2; shift 2
mkdir -p $O
for n in $(seq $R); do
  for lb in "$@"; do
    L=${lb%%=*} B=${lb#*=}
    echo "$L $n $(date -u +%T) load $(cat /proc/loadavg)" >> $O/load.txt
    BENCH_FLOORS=0 bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b $B -o $O/$L-$n > $O/$L-$n.log 2>&1
    grep '^RUN' $O/$L-$n/hbgo+hbgo/results.txt | sed "s/^RUN /RUN label=$L /" >> $O/runs.txt
  done
  echo "floors $n $(date -u +%T) load $(cat /proc/loadavg)" >> $O/load.txt
  bash bench/idle-floors.sh -x -i 30 | sed "s/ run=1 / run=$n /" >> $O/runs.txt
done
echo "done $(date -u +%T)" >> $O/load.txt
