#!/bin/bash
# round.sh LABEL BIN ROUNDS OUTDIR
cd /work/wt/idle
L=$1 B=$2 R=$3 O=$4
mkdir -p $O
for n in $(seq $R); do
  echo "load $(cat /proc/loadavg)" >> $O/load.txt
  nice -n 0 bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i 30 -b $B -o $O/$L-$n > $O/$L-$n.log 2>&1
  grep '^RUN' $O/$L-$n/results.txt | sed "s/^RUN /RUN label=$L /" >> $O/runs.txt
  bash bench/idle-floors.sh -i 30 >> $O/runs.txt 2>>$O/floors.err
done
