#!/usr/bin/env bash
# bench/idle-floors.sh - the idle floors of this machine, to set beside hbgo.
#
# Builds bench/floor/floor.c (gcc -O2) and bench/floor/gofloor.go (go build,
# run with GOMAXPROCS=1), runs each as a pair over loopback (every 200 ms one
# 250-byte UDP datagram to the peer, the peer's read), waits 3 s, then
# measures IDLE_SECS of idle exactly as the harness measures a node: run time
# summed over all threads (/proc/PID/task/*/schedstat) and, at the end, VmRSS
# and Pss (/proc/PID/smaps_rollup). Prints one RUN line per pair and run in
# the harness's idle format (impl1=impl2=floor-c or floor-go).
#
# Usage: bench/idle-floors.sh [-i IDLE_SECS] [-n RUNS] [-P PORT] [-x]
#   -i   idle window (default 30)     -n   runs per floor (default 1)
#   -P   first of the two loopback UDP ports (default 47601)
#   -x   also gofloor's variants (see bench/floor/gofloor.go): floor-go-locked
#        (the loop on a locked thread, as hbgo's was), floor-go-epoll (a
#        locked thread in its own epoll_wait) and floor-go-rr (every thread
#        SCHED_RR, the loop unlocked, as hbgo's is; needs root)
set -uo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/local/go/bin
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IDLE=30 RUNS=1 PORT=47601 VARIANTS=0
die() { echo "bench/idle-floors.sh: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    -i) IDLE=$2; shift 2;;
    -n) RUNS=$2; shift 2;;
    -P) PORT=$2; shift 2;;
    -x) VARIANTS=1; shift;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) die "unknown argument '$1'";;
  esac
done
D=$(mktemp -d /tmp/hbgo-floors.XXXXXX) || die "mktemp"
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
gcc -O2 -o "$D/floor-c" "$HERE/floor/floor.c" || die "gcc failed"
(cd "$HERE/floor" && CGO_ENABLED=0 go build -trimpath -o "$D/floor-go" gofloor.go) || die "go build failed"

sched_ns() { # sched_ns PID: run time of all its threads, ns
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'
}
mem_kb() { # mem_kb PID: "RSS PSS" in KiB
  echo "$(awk '/^VmRSS:/ {print $2}' /proc/"$1"/status) $(awk '/^Pss:/ {print $2}' /proc/"$1"/smaps_rollup)"
}
one() { # one NAME N MODE CMD...: CMD MYPORT PEERPORT [MODE]
  local name=$1 n=$2 mode=$3 p1 p2 a1 a2 b1 b2 t0 t1
  shift 3
  "$@" "$PORT" $((PORT + 1)) $mode & p1=$!
  "$@" $((PORT + 1)) "$PORT" $mode & p2=$!
  PIDS=("$p1" "$p2")
  sleep 3
  t0=$EPOCHREALTIME a1=$(sched_ns "$p1") a2=$(sched_ns "$p2")
  sleep "$IDLE"
  t1=$EPOCHREALTIME b1=$(sched_ns "$p1") b2=$(sched_ns "$p2")
  read -r r1 s1 <<<"$(mem_kb "$p1")"
  read -r r2 s2 <<<"$(mem_kb "$p2")"
  kill "$p1" "$p2" 2>/dev/null; wait "$p1" "$p2" 2>/dev/null
  PIDS=()
  awk -v name="$name" -v n="$n" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" \
      -v d1=$((b1 - a1)) -v d2=$((b2 - a2)) -v r1="$r1" -v s1="$s1" -v r2="$r2" -v s2="$s2" -v ld="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "RUN scenario=floor impl1=%s impl2=%s config=loopback-200ms variant=idle run=%d idle_s=%.1f", name, name, n, secs
    printf " n1_nprocs=1 n1_rss_kb=%s n1_pss_kb=%s n1_sched_ms=%.1f n2_nprocs=1 n2_rss_kb=%s n2_pss_kb=%s n2_sched_ms=%.1f load1=%s\n", r1, s1, d1/1e6, r2, s2, d2/1e6, ld
  }'
}
for n in $(seq "$RUNS"); do
  one floor-c "$n" "" "$D/floor-c"
  one floor-go "$n" "" env GOMAXPROCS=1 "$D/floor-go"
  if ((VARIANTS)); then
    one floor-go-locked "$n" locked env GOMAXPROCS=1 "$D/floor-go"
    one floor-go-epoll "$n" epoll env GOMAXPROCS=1 "$D/floor-go"
    one floor-go-rr "$n" rr env GOMAXPROCS=1 "$D/floor-go"
  fi
done
