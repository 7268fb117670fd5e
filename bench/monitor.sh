#!/usr/bin/env bash
# bench/monitor.sh - the monitor rows (issue 15): a resource that fails
# after start, repaired by hbgo, beside keepalived 2.2.7, in one sitting.
#
#   vipdel   "ip addr del" of the held VIP on node1. hbgo: restore_ms = the
#            VIP deleted -> back on node1 (both stamps from one netlink
#            watcher in node1); outage_ms = the client's outage. keepalived:
#            the same, bench/keepalived.sh vipdel, at advert_int 1 (its
#            default) and 0.1. Each run waits up to 30 s for the VIP.
#   svckill  the service (bench/monitor/benchsvc: a TCP listener on VIP:8080)
#            SIGKILLed on node1 after a random phase in [0, 2 s). hbgo: hbgo.cf
#            "monitor benchsvc interval=2s" restarts it; served_ms = the
#            client's first good connect after the kill, start_ms = the
#            restart's own start time (script start -> listening), so the
#            goal is served_ms <= 2000 + start_ms + 100 (bound_ms,
#            within_bound=1). keepalived: a
#            vrrp_script check of the same service (bench/keepalived.sh
#            svckill), at advert_int 1 and 0.1.
# The client is vipprobe probe in the cluster's client namespace: one new
# TCP connection to VIP:8080 every 2 ms (bench/vipprobe).
#
# Usage: bench/monitor.sh -b HBGO -H HARNESS -o OUTDIR [-n RUNS] [-r ROWS]
#                         [-p VIPPROBE]
#   -b HBGO      hbgo's binary (run as "HBGO -f" on both nodes)
#   -H HARNESS   a copy of the shared harness (cluster.sh builds the nodes)
#   -o OUTDIR    results.txt (RUN lines), summary.md, uptime.txt, runs/
#   -n RUNS      runs per row and implementation (default 7)
#   -r ROWS      comma list of vipdel,svckill (default both)
#   -p VIPPROBE  vipprobe binary (default: go build ./bench/vipprobe)
# Rows run one after the other; within a row the runs interleave hbgo and
# keepalived (run 1 of each, then run 2, ...) so they share the machine's
# load. uptime is recorded before and after each row.
set -uo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/local/go/bin

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
die() { echo "bench/monitor.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

HB= H= OUT= RUNS=7 ROWS=vipdel,svckill PROBE=
while (($#)); do
  case $1 in
    -b) HB=$2; shift 2;;
    -H) H=$2; shift 2;;
    -o) OUT=$2; shift 2;;
    -n) RUNS=$2; shift 2;;
    -r) ROWS=$2; shift 2;;
    -p) PROBE=$2; shift 2;;
    -h|--help) usage; exit 0;;
    *) die "unknown argument '$1' (try --help)";;
  esac
done
[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
[[ -x $HB ]] || die "no hbgo binary (-b)"
[[ -x $H/cluster.sh ]] || die "no harness copy with cluster.sh (-H)"
[[ -n $OUT ]] || die "no output directory (-o)"
mkdir -p "$OUT/runs" && OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d /tmp/hbgo-monbench.XXXXXX) || die "mktemp"
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
if [[ -z $PROBE ]]; then
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$TMP/vipprobe" ./bench/vipprobe) || die "building vipprobe failed"
  PROBE=$TMP/vipprobe
fi
SVC=$TMP/benchsvc
sed "s|@VIPPROBE@|$PROBE|" "$HERE/monitor/benchsvc" >"$SVC" && chmod 755 "$SVC"

CONF=$HERE/configs/monitor
# the service's check interval, from the monitor line of the config's hbgo.cf
INTERVAL_MS=$(awk '$1 == "monitor" && $2 == "benchsvc" {for (i = 3; i <= NF; i++) if ($i ~ /^interval=/) {v = substr($i, 10); if (v ~ /ms$/) print v + 0; else print (v + 0) * 1000}}' "$CONF/hbgo.cf")
[[ -n $INTERVAL_MS ]] || die "no 'monitor benchsvc interval=...' line in $CONF/hbgo.cf"
# another prefix than run.sh's clusters (BENCH_PREFIX, default hbxbench): hbxbenchm
export HBX_PREFIX=${BENCH_PREFIX:-hbxbench}m
export HBX_STATE=/tmp/$HBX_PREFIX
CL=$H/cluster.sh
NS1=$HBX_PREFIX-n1 NSC=$HBX_PREFIX-cl
VIP=10.77.0.100
export IMPL1="$HB -f" IMPL2="$HB -f"
RES=$OUT/results.txt
touch "$RES"

PIDS=()
bg() { "${@:2}" >"$1" 2>&1 & PIDS+=($!); disown $!; }
stop_bgs() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.2
  PIDS=()
}
trap 'stop_bgs; "$CL" down --purge >/dev/null 2>&1; rm -rf "$TMP"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/waits.sh"
ms() { [[ -n ${1:-} && -n ${2:-} ]] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (a-b)*1000}' || echo NA; }
after() { # after FILE WORD T0: stamp of the first line "STAMP WORD ..." after T0
  awk -v t0="$3" -v w="$2" '$1 > t0 && $2 == w {print $1; exit}' "$1" 2>/dev/null
}
vipshape() { # the VIP's prefix length and label on node1 (empty: not there)
  ip -n "$NS1" -o -4 addr show dev eth0 | awk -v v="$VIP/" 'index($4, v) == 1 { for (i = 1; i <= NF; i++) if ($i ~ /\\$/) l = substr($i, 1, length($i) - 1); print $4 "," l; exit }'
}
phase() { awk -v r="$RANDOM" -v s="$1" 'BEGIN{printf "%.3f", r/32768*s}'; }
up() { echo "$(date -u +%T) $1: $(uptime)" | tee -a "$OUT/uptime.txt" >&2; }

# hbgo_run ROW N: one fresh hbgo+hbgo cluster, one fault, one RUN line
hbgo_run() {
  local row=$1 n=$2 rd t0 o svclog
  rd=$OUT/runs/hbgo-$row-$n
  rm -rf "$rd"; mkdir -p "$rd"
  "$CL" down --purge >/dev/null 2>&1
  if ! HBX_START=0 "$CL" up "$CONF" >"$rd/up.log" 2>&1; then
    echo "RUN scenario=monitor impl1=hbgo impl2=hbgo config=monitor variant=$row run=$n status=fail reason=bring-up" | tee -a "$RES"
    return 1
  fi
  for i in 1 2; do install -m 755 "$SVC" "$HBX_STATE/node$i/etc-ha.d/resource.d/benchsvc"; done
  bg "$rd/n1.addr" ip netns exec "$NS1" "$PROBE" addrwatch -ip $VIP
  wait_re "$rd/n1.addr" READY 5 || die "addrwatch did not start"
  "$CL" start all >>"$rd/up.log" 2>&1
  svclog=$HBX_STATE/node1/run/benchsvc/log
  if ! wait_re "$svclog" LISTEN 60; then
    stop_bgs; cp -a "$HBX_STATE/node1/log" "$rd/node1-log" 2>/dev/null
    echo "RUN scenario=monitor impl1=hbgo impl2=hbgo config=monitor variant=$row run=$n status=fail reason=bring-up" | tee -a "$RES"
    return 1
  fi
  sleep 2 # node2 sees node1 active and settles
  local load head
  load=$(cut -d' ' -f1 /proc/loadavg)
  head="RUN scenario=monitor impl1=hbgo impl2=hbgo config=monitor variant=$row run=$n"
  bg "$rd/probe.txt" ip netns exec "$NSC" "$PROBE" probe -addr $VIP:8080 -interval 2ms -timeout 100ms -for 40s
  local probe=${PIDS[-1]}
  sleep 0.5
  case $row in
  vipdel)
    local before
    before=$(vipshape)
    t0=$EPOCHREALTIME
    ip -n "$NS1" addr del $VIP/24 dev eth0
    wait_after "$rd/n1.addr" NEW "$t0" 30
    sleep 0.3
    kill -TERM "$probe"; gone "$probe"
    local tdel tnew after
    tdel=$(after "$rd/n1.addr" DEL "$t0") tnew=$(after "$rd/n1.addr" NEW "$t0")
    o=$("$PROBE" outage -from "$t0" "$rd/probe.txt")
    after=$(vipshape)
    echo "$head del_ms=$(ms "$tdel" "$t0") restore_ms=$(ms "$tnew" "$tdel") $o vip_before=$before vip_after=$after same_shape=$([[ -n $after && $after == "$before" ]] && echo 1 || echo 0) load1=$load t0=$t0" | tee -a "$RES"
    ;;
  svckill)
    local p svcpid="" tstop tstart tlisten back
    for p in $(ip netns pids "$NS1"); do
      tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "vipprobe serve" && { svcpid=$p; break; }
    done
    [[ -n $svcpid ]] || die "no benchsvc process in $NS1"
    sleep "$(phase 2)"
    t0=$EPOCHREALTIME
    kill -KILL "$svcpid"
    # restarted: a LISTEN line after T0
    local end=$((SECONDS + 30))
    while ((SECONDS < end)); do
      [[ -n $(after "$svclog" LISTEN "$t0") ]] && break
      sleep 0.05
    done
    sleep 0.5
    kill -TERM "$probe"; gone "$probe"
    tstop=$(after "$svclog" stop "$t0") tstart=$(after "$svclog" start "$t0") tlisten=$(after "$svclog" LISTEN "$t0")
    o=$("$PROBE" outage -from "$t0" "$rd/probe.txt")
    back=$(sed -n 's/.* back=\([0-9.]*\).*/\1/p' <<<"$o"); [[ ${back:-0} =~ ^0(\.0+)?$ ]] && back=
    # the goal, run by run: served again within interval + start time + 100 ms
    local served start_ms bound
    served=$(ms "$back" "$t0") start_ms=$(ms "$tlisten" "$tstart")
    bound=$(awk -v i="$INTERVAL_MS" -v s="$start_ms" 'BEGIN {if (s == "NA") print "NA"; else printf "%.1f", i + s + 100}')
    echo "$head served_ms=$served stop_ms=$(ms "$tstop" "$t0") start_ms=$start_ms bound_ms=$bound within_bound=$(awk -v a="$served" -v b="$bound" 'BEGIN {print (a != "NA" && b != "NA" && a + 0 <= b + 0) ? 1 : 0}') $o load1=$load t0=$t0" | tee -a "$RES"
    ;;
  esac
  stop_bgs
  cp "$svclog" "$rd/benchsvc.log" 2>/dev/null
  grep -h 'hbgo-monitor' "$HBX_STATE/node1/log/ha-log" >"$rd/hbgo-monitor.txt" 2>/dev/null
  "$CL" down --purge >/dev/null 2>&1
}

ka_run() { # ka_run ROW N ADVERT
  local rd=$OUT/runs/keepalived-$1-adv$3-$2
  rm -rf "$rd"
  bash "$HERE/keepalived.sh" "$1" -r "$2" -o "$rd" -p "$PROBE" -s "$SVC" -a "$3" -c "ka-advert-$3" 2>"$rd.err" | tee -a "$RES" ||
    echo "bench/monitor.sh: keepalived.sh $1 run $2 failed (see $rd.err)" >&2
}

IFS=, read -ra ROWLIST <<<"$ROWS"
for row in "${ROWLIST[@]}"; do
  case $row in vipdel|svckill) ;; *) die "unknown row '$row' (vipdel, svckill)";; esac
  up "before $row"
  for n in $(seq "$RUNS"); do
    echo "== $row run $n ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    hbgo_run "$row" "$n"
    ka_run "$row" "$n" 1
    ka_run "$row" "$n" 0.1
  done
  up "after $row"
done

# summary.md: median [min, max] of each numeric field, per row and implementation
awk -f "$HERE/monitor/summary.awk" "$RES" >"$OUT/summary.md"
cat "$OUT/summary.md" >&2
