#!/usr/bin/env bash
# bench/idle-floors.sh - the idle floors of this machine, to set beside hbgo.
#
# Builds bench/floor/floor.c (gcc -O2) and bench/floor/gofloor.go (go build,
# run with GOMAXPROCS=1) and runs each as a pair (every 200 ms one 250-byte
# UDP datagram to the peer, the peer's read) on two paths:
#   lo   both in the root namespace over loopback (127.0.0.1, ports -P and
#        -P+1): rows floor-c, floor-go, config=loopback-200ms
#   ns   one in each of two network namespaces made for the run, joined as
#        the harness (cluster.sh) joins the nodes' heartbeat link: a veth
#        pair, eth1 10.78.0.1/24 <-> eth1 10.78.0.2/24 (MACs 02:78:..), IPv6
#        off; each binds 0.0.0.0:694 and sends to the peer's address port
#        694, as hbgo's ucast does on the harness's fast-ka200ms-dt1
#        ("ucast eth1 PEER_HBIP", udpport 694): rows floor-c-ns,
#        floor-go-ns, config=veth-200ms. The namespaces (hbfl<PID>-n1, -n2)
#        are deleted on exit, also on failure or a signal.
# After 3 s it measures IDLE_SECS of idle exactly as the harness measures a
# node: run time summed over all threads (/proc/PID/task/*/schedstat) and,
# at the end, VmRSS and Pss (/proc/PID/smaps_rollup). Prints one RUN line
# per pair and run in the harness's idle format (impl1=impl2=floor-c,
# floor-go, floor-c-ns, ...). With -n RUNS the floors and paths are
# interleaved: run 1 of each, then run 2, ...
#
# Usage: bench/idle-floors.sh [-i IDLE_SECS] [-n RUNS] [-m PATHS] [-P PORT] [-x | -X LIST]
#   -i   idle window (default 30)     -n   runs per floor (default 1)
#   -m   comma list of paths, lo and ns (default lo,ns; ns needs root)
#   -P   first of the two loopback UDP ports (default 47601 + 2 x (PID mod
#        1000): two calls at once on the machine must not meet on one port;
#        a floor that cannot bind exits and its row is left out)
#   -x   also gofloor's variants (see bench/floor/gofloor.go): floor-go-locked
#        (the loop on a locked thread, as hbgo's was) and floor-go-epoll (a
#        locked thread in its own epoll_wait) and floor-go-rr (every thread
#        SCHED_RR, the loop unlocked, as hbgo's is; needs root); -ns
#        suffixed on the ns path
#   -X   LIST: only these of -x's variants, a comma list of locked, epoll,
#        rr (floor-go-rr is the Go floor at hbgo's own scheduling policy)
set -uo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/local/go/bin
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IDLE=30 RUNS=1 PORT=$((47601 + 2 * ($$ % 1000))) VARIANTS= PATHS=lo,ns
die() { echo "bench/idle-floors.sh: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    -i) IDLE=$2; shift 2;;
    -n) RUNS=$2; shift 2;;
    -m) PATHS=$2; shift 2;;
    -P) PORT=$2; shift 2;;
    -x) VARIANTS=locked,epoll,rr; shift;;
    -X) VARIANTS=$2; shift 2;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) die "unknown argument '$1'";;
  esac
done
for v in ${VARIANTS//,/ }; do
  case $v in locked|epoll|rr) ;; *) die "unknown variant '$v' (-X takes locked, epoll, rr)";; esac
done
IFS=, read -ra PATHLIST <<<"$PATHS"
for m in "${PATHLIST[@]}"; do
  case $m in lo) ;; ns) [[ $(id -u) == 0 ]] || die "the ns path needs root (network namespaces); -m lo runs loopback only";; *) die "unknown path '$m' (lo, ns)";; esac
done
# the namespace pair: the harness's heartbeat link (cluster.sh make_net)
NS1=hbfl$$-n1 NS2=hbfl$$-n2 NSPORT=694
HBIP1=10.78.0.1 HBIP2=10.78.0.2 HBMAC1=02:78:00:00:00:01 HBMAC2=02:78:00:00:00:02
D=$(mktemp -d /tmp/hbgo-floors.XXXXXX) || die "mktemp"
PIDS=()
cleanup() {
  local p ns
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for ns in $NS1 $NS2; do [[ -e /run/netns/$ns ]] && ip netns del "$ns"; done
  rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
make_ns() {
  local i ns mac ip
  for ns in $NS1 $NS2; do
    ip netns add "$ns" || die "ip netns add $ns failed"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
    ip -n "$ns" link set lo up
  done
  ip -n $NS1 link add eth1 type veth peer name eth1 netns $NS2 || die "veth failed"
  for i in 1 2; do
    eval "ns=\$NS$i mac=\$HBMAC$i ip=\$HBIP$i"
    ip -n "$ns" link set eth1 address "$mac"
    ip -n "$ns" addr add "$ip/24" brd + dev eth1
    ip -n "$ns" link set eth1 up
  done
}
[[ ,$PATHS, == *,ns,* ]] && make_ns
gcc -O2 -o "$D/floor-c" "$HERE/floor/floor.c" || die "gcc failed"
(cd "$HERE/floor" && CGO_ENABLED=0 go build -trimpath -o "$D/floor-go" gofloor.go) || die "go build failed"

sched_ns() { # sched_ns PID: run time of all its threads, ns
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'
}
mem_kb() { # mem_kb PID: "RSS PSS" in KiB
  echo "$(awk '/^VmRSS:/ {print $2}' /proc/"$1"/status) $(awk '/^Pss:/ {print $2}' /proc/"$1"/smaps_rollup)"
}
one() { # one NAME PATH N MODE CMD...: CMD ME PEER [MODE]
  local name=$1 path=$2 n=$3 mode=$4 p1 p2 a1 a2 b1 b2 t0 t1 conf
  shift 4
  if [[ $path == ns ]]; then
    # ip netns exec and env exec the floor: $! is its PID
    ip netns exec $NS1 "$@" 0.0.0.0:$NSPORT $HBIP2:$NSPORT $mode & p1=$!
    ip netns exec $NS2 "$@" 0.0.0.0:$NSPORT $HBIP1:$NSPORT $mode & p2=$!
    name=$name-ns conf=veth-200ms
  else
    "$@" "$PORT" $((PORT + 1)) $mode & p1=$!
    "$@" $((PORT + 1)) "$PORT" $mode & p2=$!
    conf=loopback-200ms
  fi
  PIDS=("$p1" "$p2")
  sleep 3
  kill -0 "$p1" 2>/dev/null && kill -0 "$p2" 2>/dev/null || { echo "bench/idle-floors.sh: $name run $n: a floor exited" >&2; return 1; }
  t0=$EPOCHREALTIME a1=$(sched_ns "$p1") a2=$(sched_ns "$p2")
  sleep "$IDLE"
  t1=$EPOCHREALTIME b1=$(sched_ns "$p1") b2=$(sched_ns "$p2")
  read -r r1 s1 <<<"$(mem_kb "$p1")"
  read -r r2 s2 <<<"$(mem_kb "$p2")"
  kill "$p1" "$p2" 2>/dev/null; wait "$p1" "$p2" 2>/dev/null
  PIDS=()
  awk -v name="$name" -v conf="$conf" -v n="$n" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" \
      -v d1=$((b1 - a1)) -v d2=$((b2 - a2)) -v r1="$r1" -v s1="$s1" -v r2="$r2" -v s2="$s2" -v ld="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "RUN scenario=floor impl1=%s impl2=%s config=%s variant=idle run=%d idle_s=%.1f", name, name, conf, n, secs
    printf " n1_nprocs=1 n1_rss_kb=%s n1_pss_kb=%s n1_sched_ms=%.1f n2_nprocs=1 n2_rss_kb=%s n2_pss_kb=%s n2_sched_ms=%.1f load1=%s\n", r1, s1, d1/1e6, r2, s2, d2/1e6, ld
  }'
}
for n in $(seq "$RUNS"); do
  for m in "${PATHLIST[@]}"; do
    one floor-c "$m" "$n" "" "$D/floor-c"
    one floor-go "$m" "$n" "" env GOMAXPROCS=1 "$D/floor-go"
    for v in ${VARIANTS//,/ }; do
      one "floor-go-$v" "$m" "$n" "$v" env GOMAXPROCS=1 "$D/floor-go"
    done
  done
done
