#!/usr/bin/env bash
# bench/idle-profile.sh - where an idle hbgo node's CPU and memory go.
#
# Builds hbgo with symbols (make build strips them), brings up an hbgo+hbgo
# cluster with the harness (copy in bench/.harness, made by bench/run.sh;
# HBX_PREFIX=hbxprof), waits for the VIP, then for SECS seconds of idle
# records on node1's daemon: perf CPU samples with call graphs, per-thread
# schedstat and context switches, /proc/PID/smaps_rollup and status, and the
# Go runtime's GC trace (GODEBUG=gctrace=1, the daemon's stdout). The daemon
# is not changed: everything is read from outside.
#
# Usage: bench/idle-profile.sh [-c CONF] [-s SECS] [-b BIN] [-P PREFIX] -o OUTDIR
#   -b BIN     profile this hbgo binary instead of building this tree's
#   -P PREFIX  the cluster's name prefix (default hbxprof), to run beside
#              another profile or bench
# Needs root and perf.
set -uo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/local/go/bin
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
H=$HERE/.harness
CONF=fast-ka200ms-dt1 SECS=30 OUT= BIN= PREFIX=hbxprof
die() { echo "bench/idle-profile.sh: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    -c) CONF=$2; shift 2;;
    -s) SECS=$2; shift 2;;
    -o) OUT=$2; shift 2;;
    -b) BIN=$2; shift 2;;
    -P) PREFIX=$2; shift 2;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) die "unknown argument '$1'";;
  esac
done
[[ -n $OUT ]] || die "-o OUTDIR is required"
[[ $(id -u) == 0 ]] || die "needs root"
[[ -x $H/cluster.sh ]] || die "no harness copy in $H: run bench/run.sh once"
command -v perf >/dev/null || die "needs perf"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)

D=$(mktemp -d /tmp/hbgo-prof.XXXXXX) || die "mktemp"
chmod 755 "$D"
if [[ -n $BIN ]]; then
  cp "$BIN" "$D/heartbeat" || die "no binary $BIN"
else
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$D/heartbeat" ./cmd/heartbeat) || die "go build failed"
fi
export HBX_PREFIX=$PREFIX HBX_STATE=/tmp/$PREFIX
export IMPL1="env GODEBUG=gctrace=1 $D/heartbeat -f" IMPL2="env GODEBUG=gctrace=1 $D/heartbeat -f"
export EXE1=$D/heartbeat EXE2=$D/heartbeat
cleanup() { "$H/cluster.sh" down >/dev/null 2>&1; rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
conf=$CONF
[[ -d $conf ]] || conf=$H/configs/$CONF
# Page faults of the start-up, system-wide (the daemon is not there yet to
# attach to), kept for the daemon's threads only: where its memory is first
# touched.
perf record -q -e page-faults -g -a -o "$OUT/faults.data" -- sleep 15 >/dev/null 2>&1 &
fpid=$!
sleep 1
"$H/cluster.sh" up "$conf" >"$OUT/up.log" 2>&1 || die "cluster up failed (see $OUT/up.log)"
"$H/cluster.sh" wait-vip node1 60 >>"$OUT/up.log" 2>&1 || die "no VIP on node1"
wait "$fpid"
perf report -i "$OUT/faults.data" --comm heartbeat --stdio --children --percent-limit 2 --sort symbol -g none 2>/dev/null >"$OUT/faults-children.txt"
rm -f "$OUT/faults.data" "$OUT/faults.data.old"
sleep 5
pid=$("$H/cluster.sh" pids node1 | head -1)
[[ -n $pid ]] || die "no daemon pid on node1"
{
  echo "# node1 daemon pid $pid, config $CONF, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# threads: tid comm policy schedstat(run_ns wait_ns slices) voluntary/nonvoluntary ctxt switches, at start"
  for t in /proc/$pid/task/*; do
    echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $41}' "$t/stat") $(cat "$t/schedstat") $(awk '/ctxt_switches/ {printf "%s ", $2}' "$t/status")"
  done
} >"$OUT/threads-start.txt"
perf record -q -F 2000 -g -p "$pid" -o "$OUT/perf.data" -- sleep "$SECS" >/dev/null 2>&1
{
  echo "# same, after $SECS s"
  for t in /proc/$pid/task/*; do
    echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $41}' "$t/stat") $(cat "$t/schedstat") $(awk '/ctxt_switches/ {printf "%s ", $2}' "$t/status")"
  done
} >"$OUT/threads-end.txt"
cat "/proc/$pid/smaps_rollup" >"$OUT/smaps_rollup.txt"
grep -E '^(Vm|Rss|Threads)' "/proc/$pid/status" >"$OUT/status.txt"
awk '/^[0-9a-f]+-[0-9a-f]+ / {m=$0} /^Rss:/ && $2 > 256 {print $2 " kB  " m}' "/proc/$pid/smaps" | sort -rn >"$OUT/smaps-top.txt"
perf report -i "$OUT/perf.data" --stdio --no-children --percent-limit 1.5 --sort symbol -g none 2>/dev/null >"$OUT/perf-self.txt"
perf report -i "$OUT/perf.data" --stdio --children --percent-limit 3 --sort symbol -g none 2>/dev/null >"$OUT/perf-children.txt"
perf script -i "$OUT/perf.data" 2>/dev/null | wc -l >"$OUT/perf-lines.txt"
rm -f "$OUT/perf.data" "$OUT/perf.data.old"
cp "$HBX_STATE/node1/log/hbx-impl.out" "$OUT/node1-impl.out" 2>/dev/null
echo "bench/idle-profile.sh: evidence in $OUT" >&2
