#!/usr/bin/env bash
# ab.sh OUT ROUNDS bin... : interleaved idle A/B with run.sh, order reversed every other round
cd /work/wt/rss3
export BENCH_PREFIX=hbxr3 BENCH_FLOORS=0
OUT=$1; R=$2; shift 2; mkdir -p $OUT
for r in $(seq 1 $R); do
  bins=("$@"); if ((r % 2 == 0)); then bins=($(printf '%s\n' "$@" | tac)); fi
  for b in "${bins[@]}"; do
    echo "$(date -u +%T) round $r $b load $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/load.txt
    nice bash bench/run.sh -p hbgo+hbgo -v idle -n 1 -i ${IDLE:-30} -b /tmp/r3/s-$b -o $OUT/$b-$r > $OUT/$b-$r.log 2>&1
    grep '^RUN' $OUT/$b-$r/results.txt | sed "s/^RUN/RUN label=$b round=$r/" >> $OUT/runs.txt
  done
done
echo done >> $OUT/load.txt
