#!/usr/bin/env bash
# inv.sh BIN OUTDIR [SECS] [CONFDIR] - every wake-up of an idle hbgo node.
# Brings up hbgo+hbgo with the harness copy bench/run.sh made (bench/.harness,
# HBX_PREFIX=hbxwakeinv), waits for the VIP and 5 s more, then over SECS
# (30) on each node's daemon: per-thread voluntary/involuntary switches and
# run time before and after (/proc/PID/task/*), then a second window of SECS
# under `strace -f -tt` (which slows it, but names what each thread wakes
# for). CONFDIR defaults to bench/run.sh's hbgo+hbgo config (metrics_textfile on).
set -uo pipefail
BIN=$1 OUT=$2 SECS=${3:-30}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
H=$ROOT/bench/.harness
CONF=${4:-/tmp/wake-setup/conf-hbgo/fast-ka200ms-dt1}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
export HBX_PREFIX=hbxwakeinv HBX_STATE=/tmp/hbxwakeinv
export IMPL1="$BIN -f" IMPL2="$BIN -f" EXE1=$BIN EXE2=$BIN
trap '"$H/cluster.sh" down >/dev/null 2>&1' EXIT
"$H/cluster.sh" up "$CONF" >"$OUT/up.log" 2>&1 || { echo "cluster up failed"; exit 1; }
"$H/cluster.sh" wait-vip node1 60 >>"$OUT/up.log" 2>&1 || { echo "no VIP"; exit 1; }
sleep 5
threads() { for t in /proc/$1/task/*; do echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $41}' "$t/stat") $(cat "$t/schedstat") $(awk '/ctxt_switches/ {printf "%s ", $2}' "$t/status")"; done; }
for nd in node1 node2; do
  pid=$("$H/cluster.sh" pids $nd | head -1)
  echo "$pid" >"$OUT/$nd.pid"
  { echo "# $nd pid $pid $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"; echo "# tid comm policy run_ns wait_ns slices vol nonvol"; threads "$pid"; } >"$OUT/$nd-threads-start.txt"
done
sleep "$SECS"
for nd in node1 node2; do
  pid=$(cat "$OUT/$nd.pid")
  { echo "# $nd after $SECS s $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"; threads "$pid"; } >"$OUT/$nd-threads-end.txt"
done
[[ ${NOSTRACE:-0} == 1 ]] && exit 0
for nd in node1 node2; do
  pid=$(cat "$OUT/$nd.pid")
  timeout -s INT "$SECS" strace -f -tt -qq -o "$OUT/$nd-strace.txt" -p "$pid" 2>/dev/null &
done
wait
cp "$HBX_STATE/node1/log/hbx-impl.out" "$OUT/node1-impl.out" 2>/dev/null
