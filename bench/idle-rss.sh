#!/usr/bin/env bash
# bench/idle-rss.sh - what is resident in an idle hbgo node, page by page.
#
# Brings up an hbgo+hbgo pair with the harness (copy in bench/.harness, made
# by bench/run.sh; HBX_PREFIX=hbxrss), with bench/run.sh's hbgo.cf
# (fast_start, metrics_textfile) and "debug 1" (the daemon logs the Go
# runtime's memory by category at each trim), waits for the VIP and SECS
# seconds of idle, then writes for each node into OUTDIR/nodeN/:
#   rollup.txt    smaps_rollup, status (Vm*, Rss*, Threads) and the run
#                 time of all threads over the idle window (schedstat)
#   smaps.txt     /proc/PID/smaps
#   touched.txt   per mapping: Rss KiB and Referenced KiB; the accessed
#                 bits are cleared at the window's start, so Referenced is
#                 what the window touched, but a page also counts when its
#                 folio is marked referenced: in 64 KiB folios it
#                 overcounts. With the daemon's page-sized faults
#                 (memtrim.go, smallFaults) Rss itself is what was touched
#                 since the trim.
#   pages.txt     bench/rsspages: the executable's present pages by section,
#                 pclntab table, package and folio size (-pages: per page)
#   faults.txt    with -f: the page faults of node1 in the idle window
#                 (perf): count, page address, instruction address
#   memtrim.txt   the daemon's trim lines (runtime/metrics' memory classes,
#                 read from runtime.MemStats)
#   gctrace.txt   GODEBUG=gctrace=1 of the daemon
# BINARY must have its symbol table (go build without -s); its load
# segments are the same as the stripped build's.
#
# Usage: bench/idle-rss.sh -b BINARY [-s SECS] [-f] [-e ENV] -o OUTDIR
#   -e ENV   extra environment for both daemons, e.g. "GOGC=50"
# Needs root.
set -uo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/local/go/bin
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
H=$HERE/.harness
CONF=fast-ka200ms-dt1 SECS=30 OUT= BIN= FAULTS=0 XENV=
die() { echo "bench/idle-rss.sh: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    -b) BIN=$2; shift 2;;
    -s) SECS=$2; shift 2;;
    -o) OUT=$2; shift 2;;
    -f) FAULTS=1; shift;;
    -e) XENV=$2; shift 2;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) die "unknown argument '$1'";;
  esac
done
[[ -n $OUT && -n $BIN ]] || die "-b BINARY and -o OUTDIR are required"
[[ $(id -u) == 0 ]] || die "needs root"
[[ -x $H/cluster.sh ]] || die "no harness copy in $H: run bench/run.sh once"
((FAULTS == 0)) || command -v perf >/dev/null || die "-f needs perf"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)

D=$(mktemp -d /tmp/hbgo-rss.XXXXXX) || die "mktemp"
chmod 755 "$D"
cp "$BIN" "$D/heartbeat" || die "cannot copy $BIN"
(cd "$ROOT" && go build -o "$D/rsspages" ./bench/rsspages) || die "go build rsspages failed"
export HBX_PREFIX=hbxrss HBX_STATE=/tmp/hbxrss
export IMPL1="env GODEBUG=gctrace=1 $XENV $D/heartbeat -f" IMPL2="env GODEBUG=gctrace=1 $XENV $D/heartbeat -f"
export EXE1=$D/heartbeat EXE2=$D/heartbeat
cleanup() { "$H/cluster.sh" down >/dev/null 2>&1; rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
conf=$D/conf
mkdir -p "$conf"
cp "$H/configs/$CONF"/* "$conf/"
sed -i '/^debug[[:space:]]/d' "$conf/ha.cf"
echo 'debug 1' >>"$conf/ha.cf"
printf 'fast_start on\nmetrics_textfile /run/hbgo.prom\n' >"$conf/hbgo.cf"
"$H/cluster.sh" up "$conf" >"$OUT/up.log" 2>&1 || die "cluster up failed (see $OUT/up.log)"
"$H/cluster.sh" wait-vip node1 60 >>"$OUT/up.log" 2>&1 || die "no VIP on node1"
sleep 5 # past the start-up trim (3 s after start and after each operation)
declare -A pid
for n in node1 node2; do
  pid[$n]=$("$H/cluster.sh" pids $n | head -1)
  [[ -n ${pid[$n]} ]] || die "no daemon pid on $n"
done
sched() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.1f", s / 1e6}'; }
s0_1=$(sched "${pid[node1]}") s0_2=$(sched "${pid[node2]}")
# Clear the accessed bits of both daemons' pages: smaps' Referenced then
# counts what the idle window itself touched (see touched.txt above).
for n in node1 node2; do echo 1 >"/proc/${pid[$n]}/clear_refs"; done
if ((FAULTS)); then
  perf record -q -e page-faults -d -p "${pid[node1]}" -o "$OUT/faults.data" -- sleep "$SECS" >/dev/null 2>&1
else
  sleep "$SECS"
fi
s1_1=$(sched "${pid[node1]}") s1_2=$(sched "${pid[node2]}")
for n in node1 node2; do
  p=${pid[$n]} o=$OUT/$n
  mkdir -p "$o"
  {
    echo "# $n pid $p, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), env: $XENV"
    if [[ $n == node1 ]]; then echo "sched_ms $s0_1 -> $s1_1 over $SECS s"; else echo "sched_ms $s0_2 -> $s1_2 over $SECS s"; fi
    grep -E '^(Vm|Rss|Threads)' "/proc/$p/status"
    cat "/proc/$p/smaps_rollup"
  } >"$o/rollup.txt"
  cat "/proc/$p/smaps" >"$o/smaps.txt"
  awk '/^[0-9a-f]+-[0-9a-f]+ / {m=$0} /^Rss:/ {r=$2} /^Referenced:/ && r > 0 {printf "%8d %8d  %s\n", r, $2, m}' \
    "$o/smaps.txt" | sort -rn >"$o/touched.txt"
  "$D/rsspages" -exe "$D/heartbeat" -pages "$p" >"$o/pages.txt" 2>&1
  log=$("$H/cluster.sh" log $n)
  grep -h 'memory trimmed' "$log" "$(dirname "$log")"/ha-debug 2>/dev/null | sort -u >"$o/memtrim.txt"
  grep -h '^gc ' "$HBX_STATE/$n/log/hbx-impl.out" >"$o/gctrace.txt" 2>/dev/null
done
if ((FAULTS)); then
  perf script -i "$OUT/faults.data" -F addr,ip 2>/dev/null |
    awk '{a = $1; sub(/^0x/, "", a); if (length(a) > 3) a = substr(a, 1, length(a) - 3) "000"; print a, $2}' |
    sort | uniq -c | sort -k2 >"$OUT/node1/faults.txt"
  rm -f "$OUT/faults.data" "$OUT/faults.data.old"
fi
echo "bench/idle-rss.sh: evidence in $OUT" >&2
