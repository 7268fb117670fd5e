#!/usr/bin/env bash
# bench/keepalived.sh - keepalived 2.2.7 (VRRP) beside hbgo in the same
# sitting: one measured run per call, printed as a RUN line in
# failover-bench.sh's format (bench/README.md, "Monitor rows").
#
#   hbka-n1 (10.89.0.1, MASTER, priority 150) --veth--+
#   hbka-n2 (10.89.0.2, BACKUP, priority 100) --veth--+-- br0 in hbka-cl (10.89.0.50)
#   VIP 10.89.0.100/24, virtual_router_id 89, VRRP version 3
#   and a direct veth hbka-n1 eth1 10.90.0.1/24 <-> hbka-n2 eth1 10.90.0.2/24,
#   the harness's heartbeat link (the idle case's adverts)
# Everything stays inside these three namespaces (IPv6 off in them). Two
# calls at once need different names: KA_PREFIX=hbkaNAME (default hbka).
#
# Usage: bench/keepalived.sh CASE -r RUN -o RUNDIR [-p VIPPROBE] [-a ADVERT]
#                            [-c CONFIG] [-s BENCHSVC] [-i IDLE_SECS]
#   kill     SIGSTOP then SIGKILL to both n1 keepalived processes (a crash;
#            T0 just before the SIGSTOP), after a random phase in [0, advert):
#            vip_ms = VIP added on n2 (netlink, stamped when read)
#   vipdel   "ip addr del" of the VIP on n1 (T0 just before): restore_ms = VIP
#            back on n1, outage_ms = the client's outage (vipprobe probe, one
#            TCP connect to VIP:8080 every 2 ms); waits 30 s, NA = not within
#   svckill  the service (benchsvc, on both nodes as a keepalived admin runs
#            it) SIGKILLed on n1 after a random phase in [0, 2 s); n1 checks
#            it with a vrrp_script (benchsvc status, interval 2, keepalived's
#            default fall/rise 1) in track_script: served_ms = first good
#            client connect after T0, vip_ms = VIP added on n2, fault_ms = n1
#            logged its FAULT state; waits 30 s
#   idle     nothing happens for IDLE_SECS (-i, default 30) once n1 is
#            MASTER and n2 BACKUP (7 s after: past the MASTER's delayed
#            second gratuitous ARP burst, then the harness's 3 s): CPU
#            and memory of each node's keepalived processes (the parent and
#            its VRRP child, every keepalived in the node's namespace),
#            measured as failover-bench.sh measures a node: nN_nprocs,
#            nN_rss_kb, nN_pss_kb (sums at the end), nN_cpu_s (utime+stime),
#            nN_sched_ms (/proc/PID/task/*/schedstat run time). The adverts
#            go unicast (unicast_src_ip, unicast_peer) over the eth1 veth,
#            the path hbgo's ucast takes in the harness; the VIP on eth0.
#            No client and no address watcher run.
#   -a ADVERT    advert_int (default 0.1, keepalived's fastest common setting;
#                VRRPv3 takes it in centiseconds, 0.01 to 40.95)
#   -p VIPPROBE  bench/vipprobe (every case but idle)
#   -c CONFIG    the config label of the RUN line (default ka-advert-ADVERT)
#   -s BENCHSVC  benchsvc script with vipprobe's path filled in (svckill,
#                vipdel: the service the client connects to)
# Needs root, keepalived, iproute2. Only PIDs it started are signalled.
set -uo pipefail
export LC_ALL=C

KA_PREFIX=${KA_PREFIX:-hbka}
NS1=$KA_PREFIX-n1 NS2=$KA_PREFIX-n2 NSC=$KA_PREFIX-cl
VIP=10.89.0.100 IP1=10.89.0.1 IP2=10.89.0.2 CLIP=10.89.0.50
HBIP1=10.90.0.1 HBIP2=10.90.0.2
MAC1=02:89:00:00:00:01 MAC2=02:89:00:00:00:02 MACC=02:89:00:00:00:32
die() { echo "bench/keepalived.sh: $*" >&2; exit 2; }

CASE=${1:-}; shift || true
RUN=1 RD= PROBE= ADV=0.1 CONF= SVC= IDLE=30
while (($#)); do
  case $1 in
    -r) RUN=$2; shift 2;;
    -o) RD=$2; shift 2;;
    -p) PROBE=$2; shift 2;;
    -a) ADV=$2; shift 2;;
    -c) CONF=$2; shift 2;;
    -s) SVC=$2; shift 2;;
    -i) IDLE=$2; shift 2;;
    *) die "unknown argument '$1'";;
  esac
done
case $CASE in kill|vipdel|svckill|idle) ;; *) die "case is kill, vipdel, svckill or idle";; esac
[[ -n $RD ]] || die "needs -o RUNDIR"
[[ $CASE == idle || -x $PROBE ]] || die "$CASE needs -p VIPPROBE"
[[ $CASE == kill || $CASE == idle || -x $SVC ]] || die "$CASE needs -s BENCHSVC"
[[ $KA_PREFIX =~ ^hbka[a-z0-9]{0,8}$ ]] || die "KA_PREFIX must be hbka plus up to 8 of [a-z0-9]"
[[ $(id -u) == 0 ]] || die "needs root"
: "${CONF:=ka-advert-$ADV}"
mkdir -p "$RD"
RD=$(cd "$RD" && pwd)
KAVER=$(keepalived --version 2>&1 | awk 'NR==1 {sub(/^v/, "", $2); print $2}')

PIDS=()
bg() { # bg OUTFILE CMD...: start CMD, remember its PID
  "${@:2}" >"$1" 2>&1 &
  PIDS+=($!)
  disown $! # no "Killed" report from bash when a fault case kills it
}
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
cleanup() {
  local p ns i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 100); do alive "$p" || break; sleep 0.02; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  PIDS=()
  for ns in $NS1 $NS2 $NSC; do
    [[ -e /run/netns/$ns ]] || continue
    # keepalived daemonises nothing here (-n) but its VRRP child and the
    # services are not our children: stop what is left in our namespaces
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "${BASH_SOURCE[0]}")/waits.sh"
stamp_of() { # stamp_of FILE EV T0: first "STAMP EV VIP/..." line after T0
  awk -v t0="$3" -v ev="$2" -v v="$VIP/" '$1 > t0 && $2 == ev && index($3, v) == 1 {print $1; exit}' "$1"
}
ms() { [[ -n ${1:-} && -n ${2:-} ]] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (a-b)*1000}' || echo NA; }

# ------------------------------------------------------------ network
cleanup
for ns in $NS1 $NS2 $NSC; do
  ip netns add "$ns" || die "ip netns add $ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n $NSC link add br0 address $MACC type bridge stp_state 0 forward_delay 0
ip link add eth0 netns $NS1 address $MAC1 type veth peer name vn1 netns $NSC || die "veth n1"
ip link add eth0 netns $NS2 address $MAC2 type veth peer name vn2 netns $NSC || die "veth n2"
for l in vn1 vn2 br0; do ip -n $NSC link set $l up; done
ip -n $NSC link set vn1 master br0; ip -n $NSC link set vn2 master br0
ip -n $NSC addr add $CLIP/24 dev br0
ip -n $NS1 addr add $IP1/24 dev eth0; ip -n $NS1 link set eth0 up
ip -n $NS2 addr add $IP2/24 dev eth0; ip -n $NS2 link set eth0 up
ip -n $NS1 link add eth1 address 02:90:00:00:00:01 type veth peer name eth1 netns $NS2 address 02:90:00:00:00:02 || die "veth eth1"
ip -n $NS1 addr add $HBIP1/24 dev eth1; ip -n $NS1 link set eth1 up
ip -n $NS2 addr add $HBIP2/24 dev eth1; ip -n $NS2 link set eth1 up

# ------------------------------------------------------------ configs
conf() { # conf NODE
  local n=$1 prio=100 state=BACKUP self=$HBIP2 peer=$HBIP1
  ((n == 1)) && prio=150 state=MASTER self=$HBIP1 peer=$HBIP2
  echo "global_defs {"
  echo "    router_id hbka-n$n"
  echo "}"
  if [[ $CASE == svckill ]]; then
    echo "vrrp_script chk_svc {"
    echo "    script \"/usr/bin/env BENCHSVC_DIR=$RD/svc$n $SVC status\""
    echo "    interval 2"
    echo "}"
  fi
  echo "vrrp_instance VI_1 {"
  echo "    state $state"
  if [[ $CASE == idle ]]; then
    echo "    interface eth1"
    echo "    unicast_src_ip $self"
    printf '    unicast_peer {\n        %s\n    }\n' "$peer"
  else
    echo "    interface eth0"
  fi
  echo "    virtual_router_id 89"
  echo "    version 3"
  echo "    priority $prio"
  echo "    advert_int $ADV"
  echo "    virtual_ipaddress {"
  echo "        $VIP/24 dev eth0"
  echo "    }"
  [[ $CASE == svckill ]] && printf '    track_script {\n        chk_svc\n    }\n'
  echo "}"
}
for n in 1 2; do conf $n >"$RD/keepalived-n$n.conf"; done

# ------------------------------------------------------------ bring up
# the service first (keepalived admins run it on both nodes, outside VRRP)
if [[ $CASE != kill && $CASE != idle ]]; then
  for n in 1 2; do
    ns=NS$n
    BENCHSVC_DIR=$RD/svc$n ip netns exec "${!ns}" "$SVC" start || die "benchsvc did not start on n$n"
  done
fi
if [[ $CASE != idle ]]; then
  bg "$RD/n1.addr" ip netns exec $NS1 "$PROBE" addrwatch -ip $VIP
  bg "$RD/n2.addr" ip netns exec $NS2 "$PROBE" addrwatch -ip $VIP
  wait_re "$RD/n1.addr" READY 5 && wait_re "$RD/n2.addr" READY 5 || die "addrwatch did not start"
fi
# -G: keepalived would log to /dev/console through syslog's LOG_CONS otherwise;
# -l: log lines to stderr, here the node's log file
for n in 1 2; do
  ns=NS$n
  bg "$RD/n$n.log" ip netns exec "${!ns}" keepalived -f "$RD/keepalived-n$n.conf" -p "$RD/n$n.pid" \
    -r "$RD/n$n.vrrp.pid" -n -l -D -G --vrrp
  if ((n == 1)) && [[ $CASE == idle ]]; then
    wait_re "$RD/n1.log" 'Entering MASTER STATE' 30 || die "n1 never became MASTER"
  elif ((n == 1)); then
    wait_re "$RD/n1.addr" "NEW $VIP/" 30 || die "VIP never came up on n1"
  fi
done
wait_re "$RD/n2.log" 'Entering BACKUP STATE' 30 || die "n2 never became BACKUP"
sleep 1
read -r P1 <"$RD/n1.pid"; read -r C1 <"$RD/n1.vrrp.pid"
LOAD=$(cut -d' ' -f1 /proc/loadavg)
HEAD="RUN scenario=monitor impl1=keepalived-$KAVER impl2=keepalived-$KAVER config=$CONF variant=$CASE run=$RUN"
[[ $CASE == kill || $CASE == idle ]] && HEAD=${HEAD/scenario=monitor/scenario=failover}

phase() { awk -v r="$RANDOM" -v s="$1" 'BEGIN{printf "%.3f", r/32768*s}'; }
probe_start() { # the client: one TCP connect to VIP:8080 every 2 ms
  bg "$RD/probe.txt" ip netns exec $NSC "$PROBE" probe -addr $VIP:8080 -interval 2ms -timeout 100ms -for "$1"
  PROBE_PID=${PIDS[-1]}
  sleep 0.5
}
probe_stop() { kill -TERM "$PROBE_PID" 2>/dev/null; gone "$PROBE_PID"; }
outage() { "$PROBE" outage -from "$1" "$RD/probe.txt"; }

# node_stat NS: "nprocs rss_kb pss_kb cpu_ticks sched_ns" summed over the
# namespace's keepalived processes (the harness's hbxtool procs -stat sums)
node_stat() {
  local p n=0 rss=0 pss=0 tck=0 sch=0 v
  for p in $(ip netns pids "$1" 2>/dev/null); do
    [[ $(readlink "/proc/$p/exe" 2>/dev/null) == */keepalived ]] || continue
    n=$((n + 1))
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); rss=$((rss + ${v:-0}))
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); pss=$((pss + ${v:-0}))
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'); tck=$((tck + ${v:-0}))
    v=$(cat /proc/"$p"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'); sch=$((sch + ${v:-0}))
  done
  echo "$n $rss $pss $tck $sch"
}

case $CASE in
idle)
  # past the MASTER's second gratuitous ARP burst (vrrp_garp_master_delay,
  # 5 s after it took the VIP), then 3 s as the harness waits
  sleep 7
  x0=$(ip netns exec $NS2 cat /sys/class/net/eth1/statistics/rx_packets)
  t0=$EPOCHREALTIME a1=$(node_stat $NS1) a2=$(node_stat $NS2)
  sleep "$IDLE"
  t1=$EPOCHREALTIME b1=$(node_stat $NS1) b2=$(node_stat $NS2)
  x1=$(ip netns exec $NS2 cat /sys/class/net/eth1/statistics/rx_packets)
  # the advert rate check: n2's eth1 received ~IDLE/advert_int packets
  printf '%s\n' "n1_start: $a1" "n1_end: $b1" "n2_start: $a2" "n2_end: $b2" \
    "n2_eth1_rx_packets: $((x1 - x0)) in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') s (advert_int $ADV)" >"$RD/idle.txt"
  # both nodes still in their roles: a flap would have been no idle
  roles=$(grep -c 'Entering MASTER STATE' "$RD/n1.log")/$(grep -c 'Entering BACKUP STATE' "$RD/n2.log")/$(grep -c 'Entering MASTER STATE' "$RD/n2.log")
  st=
  [[ $roles == 1/1/0 ]] || st=" status=fail reason=role-change-$roles"
  echo "$HEAD$st $(awk -v a1="$a1" -v b1="$b1" -v a2="$a2" -v b2="$b2" -v tck="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" 'BEGIN {
    printf "idle_s=%.1f", t1 - t0
    for (j = 1; j <= 2; j++) {
      split(j == 1 ? a1 : a2, a, " "); split(j == 1 ? b1 : b2, b, " ")
      printf " n%d_nprocs=%d n%d_rss_kb=%d n%d_pss_kb=%d n%d_cpu_s=%.2f n%d_sched_ms=%.1f", j, b[1], j, b[2], j, b[3], j, (b[4] - a[4]) / tck, j, (b[5] - a[5]) / 1e6
    }
  }') load1=$LOAD"
  ;;
kill)
  sleep "$(phase "$ADV")"
  T0=$EPOCHREALTIME
  kill -STOP "$P1" "$C1"; kill -KILL "$P1" "$C1"
  wait_after "$RD/n2.addr" NEW "$T0" 10
  sleep 0.2
  echo "$HEAD vip_ms=$(ms "$(stamp_of "$RD/n2.addr" NEW "$T0")" "$T0") load1=$LOAD t0=$T0"
  ;;
vipdel)
  probe_start 40s
  T0=$EPOCHREALTIME
  ip -n $NS1 addr del $VIP/24 dev eth0
  # the goal's wait: 30 s for the VIP to come back on n1
  wait_after "$RD/n1.addr" NEW "$T0" 30
  sleep 0.3
  probe_stop
  tdel=$(stamp_of "$RD/n1.addr" DEL "$T0") tnew=$(stamp_of "$RD/n1.addr" NEW "$T0")
  o=$(outage "$T0")
  held=none
  ip -n $NS1 -o addr show dev eth0 | grep -q " $VIP/" && held=n1
  ip -n $NS2 -o addr show dev eth0 | grep -q " $VIP/" && held=${held/none/}n2
  echo "$HEAD del_ms=$(ms "$tdel" "$T0") restore_ms=$(ms "$tnew" "$tdel") $o waited_s=$(ms $EPOCHREALTIME "$T0" | awk '{printf "%.0f", $1/1000}') vip_on=$held load1=$LOAD t0=$T0"
  ;;
svckill)
  svcpid=$(cat "$RD/svc1/pid")
  probe_start 40s
  sleep "$(phase 2)"
  T0=$EPOCHREALTIME
  kill -KILL "$svcpid"
  # keepalived does not restart a service: served again only when n2 takes over
  wait_after "$RD/n2.addr" NEW "$T0" 30
  sleep 1
  probe_stop
  o=$(outage "$T0")
  back=$(sed -n 's/.* back=\([0-9.]*\).*/\1/p' <<<"$o")
  [[ ${back:-0} =~ ^0(\.0+)?$ ]] && back=
  echo "$HEAD served_ms=$(ms "$back" "$T0") vip_ms=$(ms "$(stamp_of "$RD/n2.addr" NEW "$T0")" "$T0") n1_fault=$(grep -c 'Entering FAULT STATE' "$RD/n1.log") $o load1=$LOAD t0=$T0"
  ;;
esac
