#!/bin/bash
# ab.sh OUTDIR ROUNDS LABEL=BIN...
cd /work/wt/idle
O=$1 R=$2; shift 2
mkdir -p $O
for n in $(seq $R); do
  for lb in "$@"; do
    L=${lb%%=*} B=${lb#*=}
    echo "$L $n $(date -u +%T) load $(cat /proc/loadavg)" >> $O/load.txt
    bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b $B -o $O/$L-$n > $O/$L-$n.log 2>&1
    grep '^RUN' $O/$L-$n/results.txt | sed "s/^RUN /RUN label=$L /" >> $O/runs.txt
  done
done
echo done >> $O/load.txt
