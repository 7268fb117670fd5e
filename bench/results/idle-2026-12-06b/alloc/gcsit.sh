#!/usr/bin/env bash
# gcsit.sh LABEL BIN SECS OUT: an hbgo+hbgo pair (harness cluster, prefix
# hbxalloc), idle SECS seconds after the VIP, with GODEBUG=gctrace=1; the
# daemons' stdout (the trace) and RSS/CPU are kept in OUT/LABEL-*.
set -uo pipefail
label=$1 bin=$2 secs=$3 out=$4
H=/work/shared/harness
mkdir -p "$out"
conf=$(mktemp -d /tmp/hbxalloc-conf.XXXXXX)
cp $H/configs/fast-ka200ms-dt1/* "$conf/"
printf 'fast_start on\nmetrics_textfile /run/hbgo.prom\n' >"$conf/hbgo.cf"
export HBX_PREFIX=hbxalloc HBX_STATE=/tmp/hbxalloc
export IMPL1="env GODEBUG=gctrace=1 $bin -f" IMPL2="env GODEBUG=gctrace=1 $bin -f" EXE1=$bin EXE2=$bin
trap '$H/cluster.sh down >/dev/null 2>&1; rm -rf "$conf"' EXIT
$H/cluster.sh up "$conf" >"$out/$label-up.log" 2>&1 || { echo "up failed"; exit 1; }
$H/cluster.sh wait-vip node1 60 >>"$out/$label-up.log" 2>&1 || { echo "no vip"; exit 1; }
sleep 10
for n in node1 node2; do
  f=$HBX_STATE/$n/log/hbx-impl.out; echo "$(wc -l <"$f")" >"$out/$label-$n.start"
done
$H/cluster.sh stat node1 >"$out/$label-stat-start.txt" 2>&1
$H/cluster.sh stat node2 >>"$out/$label-stat-start.txt" 2>&1
date -u +%T >"$out/$label-window.txt"
sleep "$secs"
date -u +%T >>"$out/$label-window.txt"
$H/cluster.sh stat node1 >"$out/$label-stat-end.txt" 2>&1
$H/cluster.sh stat node2 >>"$out/$label-stat-end.txt" 2>&1
for n in node1 node2; do
  f=$HBX_STATE/$n/log/hbx-impl.out; s=$(cat "$out/$label-$n.start")
  tail -n +$((s+1)) "$f" | grep '^gc ' >"$out/$label-$n-gctrace.txt"
  echo "$label $n: $(wc -l <"$out/$label-$n-gctrace.txt") GCs in ${secs}s"
done
