#!/usr/bin/env bash
# bench/run.sh - hbgo side by side with stock heartbeat 3.0.6 on one machine.
#
# Runs the shared harness (failover-bench.sh, see its README for IMPL1=/IMPL2=
# and every metric) for every pairing in one sitting, one run per call with
# the pairings interleaved so all see the same machine load, then prints one
# table (bench/benchtable): per metric the medians of each pairing and the
# ratio to stock, and the issue's goals marked met or missed. hbgo+hbgo runs
# get an hbgo.cf with "fast_start on" beside the harness's config files in
# the standby and idle runs (not kill and cut: see below), with the metrics
# textfile on. Beside each idle round the floor programs (bench/floor/) are
# rebuilt and measured by bench/idle-floors.sh (rows floor-c, floor-go over
# loopback, floor-c-ns, floor-go-ns over a veth between two namespaces).
#
# Usage: bench/run.sh [-quick|-full|-monitor] [-p PAIRS] [-c CONFS] [-v VARIANTS]
#                     [-n RUNS] [-i IDLE_SECS] [-o OUTDIR] [-b BINARY]
#                     [-H HARNESS] [-M]
#   -quick        (default) fast-ka200ms-dt1, kill,standby,idle, 3 runs, 30 s
#                 idle: about 4 minutes per pairing
#   -full         both configs, kill,cut,standby,idle, 5 runs, 60 s idle:
#                 about 25 minutes per pairing
#   -monitor      the monitor rows beside keepalived 2.2.7 (bench/README.md):
#                 kill -> VIP at keepalived's timing (bench/configs/
#                 ka100ms-dt300ms, pairs hbgo+hbgo,keepalived, kill, 7 runs),
#                 then bench/monitor.sh (VIP deleted -> back, service killed
#                 -> served again) into OUTDIR/monitor; about 15 minutes
#   -p PAIRS      comma list of stock+stock,hbgo+hbgo,stock+hbgo,keepalived
#                 (default the first three; node1+node2; keepalived is
#                 bench/keepalived.sh: kill at advert_int 0.1, and idle at
#                 advert_int = the config's keepalive)
#   -c -v -n -i   override the mode's configs, variants, runs, idle seconds
#   -o OUTDIR     default bench/results/DATE-MACHINE (MACHINE: uname -n,
#                 cores, memory)
#   -b BINARY     hbgo binary (default: make build, then bin/heartbeat); it is
#                 copied to a private temp directory first, so a rebuild
#                 during the run cannot change it
#   -H HARNESS    harness directory (default ../shared/harness beside the
#                 repository, else /work/shared/harness); it is never
#                 written: a copy in bench/.harness is run
#   -R            only remake the tables of an existing -o OUTDIR (after
#                 an interrupted run, or a change of bench/benchtable)
#   -M            also run the Go micro-benchmarks (go test -bench) into
#                 OUTDIR/micro-bench.txt after the cluster runs
# Needs root (network namespaces). Writes OUTDIR/results.txt (RUN and SUMMARY
# lines of all pairings, impl1/impl2 named heartbeat-3.0.6 or hbgo),
# OUTDIR/summary.md (the table), OUTDIR/env.txt, and per pairing
# OUTDIR/PAIR/ (results.txt and summary.md of the harness's summariser, and
# per call CONF-N-VARIANT/ with the harness's log and runs/ evidence).
set -uo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/local/go/bin

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
STOCK=/usr/libexec/heartbeat/heartbeat
STOCK_STANDBY=/usr/share/heartbeat/hb_standby

die() { echo "bench/run.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

MODE=quick PAIRS=
CONFS= VARIANTS= RUNS= IDLE= OUT= BIN= HARNESS= MICRO=0 REMAKE=0
while (($#)); do
  case $1 in
    -quick) MODE=quick; shift;;
    -full) MODE=full; shift;;
    -monitor) MODE=monitor; shift;;
    -p) PAIRS=$2; shift 2;;
    -c) CONFS=$2; shift 2;;
    -v) VARIANTS=$2; shift 2;;
    -n) RUNS=$2; shift 2;;
    -i) IDLE=$2; shift 2;;
    -o) OUT=$2; shift 2;;
    -b) BIN=$2; shift 2;;
    -H) HARNESS=$2; shift 2;;
    -M) MICRO=1; shift;;
    -R) REMAKE=1; shift;;
    -h|--help) usage; exit 0;;
    *) die "unknown argument '$1' (try --help)";;
  esac
done
if [[ $MODE == monitor ]]; then
  : "${PAIRS:=hbgo+hbgo,keepalived}" "${CONFS:=$HERE/configs/ka100ms-dt300ms}" "${VARIANTS:=kill}" "${RUNS:=7}" "${IDLE:=0}"
elif [[ $MODE == quick ]]; then
  : "${CONFS:=fast-ka200ms-dt1}" "${VARIANTS:=kill,standby,idle}" "${RUNS:=3}" "${IDLE:=30}"
else
  : "${CONFS:=classic-ka2-dt10,fast-ka200ms-dt1}" "${VARIANTS:=kill,cut,standby,idle}" "${RUNS:=5}" "${IDLE:=60}"
fi
: "${PAIRS:=stock+stock,hbgo+hbgo,stock+hbgo}"
[[ $(id -u) == 0 ]] || die "needs root (network namespaces): run sudo make bench"
IFS=, read -ra PAIRLIST <<<"$PAIRS"
for p in "${PAIRLIST[@]}"; do
  case $p in stock+stock|hbgo+hbgo|stock+hbgo|hbgo+stock|keepalived) ;; *) die "unknown pairing '$p' (stock+stock, hbgo+hbgo, stock+hbgo, hbgo+stock, keepalived)";; esac
done

# ------------------------------------------------------------ harness copy
if [[ -z $HARNESS ]]; then
  for h in "$ROOT/../shared/harness" /work/shared/harness; do
    [[ -x $h/failover-bench.sh ]] && { HARNESS=$h; break; }
  done
fi
[[ -n $HARNESS && -x $HARNESS/failover-bench.sh ]] || die "no harness (failover-bench.sh) found; pass -H DIR"
HARNESS=$(cd "$HARNESS" && pwd)
H=$HERE/.harness
mkdir -p "$H"
# Fresh copy each time, but keep the built helper (.bin) and old outputs.
find "$H" -mindepth 1 -maxdepth 1 ! -name .bin ! -name out -exec rm -rf {} +
(cd "$HARNESS" && tar --exclude=./.bin --exclude=./out --exclude=./results -cf - .) | (cd "$H" && tar -xf -) ||
  die "copying $HARNESS failed"
chmod -R u+w "$H"

# ------------------------------------------------------------ hbgo binary
if ((REMAKE)); then
  [[ -n $OUT && -d $OUT ]] || die "-R needs -o OUTDIR of an earlier run"
elif [[ -z $BIN ]]; then
  make -C "$ROOT" build >&2 || die "make build failed"
  BIN=$ROOT/bin/heartbeat
fi
if ((!REMAKE)); then
  [[ -x $BIN ]] || die "no hbgo binary at $BIN"
  HBDIR=$(mktemp -d /tmp/hbgo-bench.XXXXXX) || die "mktemp failed"
  chmod 755 "$HBDIR"
  cp "$BIN" "$HBDIR/heartbeat" && chmod 755 "$HBDIR/heartbeat"
  ln -s heartbeat "$HBDIR/hb_standby"
  # the monitor rows' client, service and address watcher
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$HBDIR/vipprobe" ./bench/vipprobe) || die "building bench/vipprobe failed"
  trap 'rm -rf "$HBDIR"' EXIT
fi

# ------------------------------------------------------------ output
machine() { echo "$(uname -n)-$(nproc)c-$(awk '/MemTotal/ {printf "%.0fG", $2/1048576}' /proc/meminfo)"; }
[[ -n $OUT ]] || OUT=$HERE/results/$(date -u +%F)-$(machine)
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
((REMAKE)) || {
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(machine); $(uname -srm); $(nproc) cores; $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mode: $MODE pairs=$PAIRS configs=$CONFS variants=$VARIANTS runs=$RUNS idle_secs=$IDLE"
  echo "hbgo: binary $BIN, sha256 $(sha256sum <"$BIN" | cut -c1-16); bench from $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
  echo "stock: heartbeat $(dpkg-query -W -f='${Version}' heartbeat 2>/dev/null), resource-agents $(dpkg-query -W -f='${Version}' resource-agents 2>/dev/null)"
  echo "go: $(go version 2>/dev/null)"
  echo "harness: $HARNESS (run from a copy in $H)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# hbgo+hbgo configs: the same files plus hbgo.cf with "fast_start on"
# (cluster.sh copies every extra file of a config directory into
# /etc/ha.d). Same directory name, so the rows line up in the table.
hbgo_conf() { # hbgo_conf NAME -> path of the variant directory
  local src=$1 d
  [[ -d $src ]] || src=$H/configs/$1
  d=$OUT/conf-hbgo/$(basename "$src")
  mkdir -p "$d"
  cp "$src"/* "$d/"
  printf '# bench/run.sh: both nodes run hbgo, so the 10 s RQSTDELAY wait is not needed\nfast_start on\n' >"$d/hbgo.cf"
  # the idle figures are taken with the metrics sink on (issue 16); /run is each node's own
  printf 'metrics_textfile /run/hbgo.prom\n' >>"$d/hbgo.cf"
  echo "$d"
}

impl_of() { # impl_of stock|hbgo
  case $1 in stock) echo "$STOCK";; hbgo) echo "$HBDIR/heartbeat -f${BENCH_HBGO_ARGS:+ $BENCH_HBGO_ARGS}";; esac
}

# summarize: per pairing SUMMARY lines and summary.md (the harness's
# summariser), then the combined OUTDIR/results.txt.
summarize() {
  local p f
  : >"$OUT/results.txt"
  for p in "${PAIRLIST[@]}"; do
    f=$OUT/$p/results.txt
    [[ -r $f ]] || continue
    sed -i '/^SUMMARY /d; /^$/d' "$f"
    grep '^RUN ' "$f" >>"$OUT/results.txt"
    if grep -q '^RUN .* idle_s=\|^RUN .* vip_ms=' "$f"; then
      echo >>"$f"
      "$H/.bin/hbxtool" summarize -by scenario,impl1,impl2,config,variant "$f" >>"$f" 2>/dev/null
      "$H/.bin/hbxtool" summarize -md -by impl1,impl2,config,variant "$f" >"$OUT/$p/summary.md" 2>/dev/null
    fi
  done
  grep -s '^RUN ' "$OUT/floors/results.txt" >>"$OUT/results.txt"
  echo >>"$OUT/results.txt"
  for p in "${PAIRLIST[@]}"; do grep -s '^SUMMARY ' "$OUT/$p/results.txt" >>"$OUT/results.txt"; done
}

# ------------------------------------------------------------ the sitting
# One failover-bench.sh call per config, run number, variant and pairing,
# the pairings interleaved so they share the machine's load as closely as
# possible. Between calls the ext4 image is deleted once its loop device is
# gone: cluster.sh reuses the image path, and a mount left by the kill
# variant (both nodes mount it) that is still being torn down wrote stale
# metadata into the next run's fresh mkfs ("group descriptors corrupted",
# Filesystem start failed) when the calls ran back to back.
# Two sittings at once must not share a prefix (each tears the other's
# clusters down): BENCH_PREFIX names another.
export HBX_PREFIX=${BENCH_PREFIX:-hbxbench}
# BENCH_HBGO_ARGS: more arguments for hbgo's daemon (e.g. -l: normal
# scheduling, realtime off, to price SCHED_RR).
export HBX_STATE=/tmp/$HBX_PREFIX
export KA_PREFIX=hbka${HBX_PREFIX#hbx} # keepalived.sh's namespaces (also under monitor.sh), named alike
# advert_of CONF: the config's keepalive in seconds, keepalived's advert_int
advert_of() {
  local f=$1/ha.cf
  [[ -r $f ]] || f=$H/configs/$1/ha.cf
  awk '$1 == "keepalive" {v = $2; if (v ~ /ms$/) {sub(/ms$/, "", v); v /= 1000} print v + 0; exit}' "$f"
}
settle() {
  local k
  for k in $(seq 150); do
    [[ -z $(losetup -j "$HBX_STATE/fs.img" 2>/dev/null) ]] && break
    sleep 0.1
  done
  rm -f "$HBX_STATE/fs.img"
}
if ((REMAKE)); then
  summarize
else
[[ $MODE == monitor ]] && echo "$(date -u +%T) before kill: $(uptime)" | tee -a "$OUT/uptime.txt" >&2
IFS=, read -ra CONFLIST <<<"$CONFS"
IFS=, read -ra VARLIST <<<"$VARIANTS"
calls=() # "VARIANTS-OF-ONE-CALL": idle rides inside standby when both are asked for
for v in "${VARLIST[@]}"; do
  case $v in
    idle) [[ ,$VARIANTS, == *,standby,* ]] || calls+=(idle);;
    standby) [[ ,$VARIANTS, == *,idle,* ]] && calls+=(standby,idle) || calls+=(standby);;
    kill|cut) calls+=("$v");;
    *) die "unknown variant '$v' (kill, cut, standby, idle)";;
  esac
done
for p in "${PAIRLIST[@]}"; do mkdir -p "$OUT/$p"; : >"$OUT/$p/results.txt"; done
rm -f "$OUT/floors/results.txt"
for c in "${CONFLIST[@]}"; do
  for n in $(seq "$RUNS"); do
    for v in "${calls[@]}"; do
      for p in "${PAIRLIST[@]}"; do
        n1=${p%+*} n2=${p#*+}
        if [[ $p == keepalived && $v == *idle* ]]; then
          # keepalived 2.2.7's idle beside hbgo's: advert_int = the config's
          # keepalive, adverts unicast over a veth like hbgo's ucast
          # (bench/keepalived.sh idle), labelled with the config
          d=$OUT/$p/$(basename "$c")-$n-idle
          rm -rf "$d"
          echo "== $p $(basename "$c") idle run $n ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
          bash "$HERE/keepalived.sh" idle -r "$n" -o "$d" -i "$IDLE" -a "$(advert_of "$c")" -c "$(basename "$c")" \
            >"$d.log" 2>&1 || echo "bench/run.sh: keepalived.sh idle run $n exited $? (see $d.log)" >&2
          grep '^RUN ' "$d.log" | tee -a "$OUT/$p/results.txt" >&2
          continue
        fi
        if [[ $p == keepalived ]]; then
          # keepalived 2.2.7 at advert_int 0.1 in its own namespaces, the
          # same RUN format (bench/keepalived.sh), labelled with the config
          [[ $v == kill ]] || continue
          d=$OUT/$p/$(basename "$c")-$n-kill
          rm -rf "$d"
          echo "== $p $(basename "$c") kill run $n ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
          bash "$HERE/keepalived.sh" kill -r "$n" -o "$d" -p "$HBDIR/vipprobe" -a 0.1 -c "$(basename "$c")" \
            >"$d.log" 2>&1 || echo "bench/run.sh: keepalived.sh kill run $n exited $? (see $d.log)" >&2
          grep '^RUN ' "$d.log" | tee -a "$OUT/$p/results.txt" >&2
          continue
        fi
        conf=$c
        # fast_start only where no failure is timed: after a start of 0.3 s
        # the kill comes within 5 s of it, while node1 still advertises
        # deadtime + 2 s (COMPAT §5.2), and detection took 3 s instead of 1.
        [[ $p == hbgo+hbgo && $v != kill && $v != cut ]] && conf=$(hbgo_conf "$c")
        standby=$STOCK_STANDBY
        [[ $n1 == hbgo ]] && standby=$HBDIR/hb_standby
        # A kill or cut run in which node2 declared node1 dead before T0
        # (late heartbeats on a loaded machine: a false failover during
        # the bring-up) times no kill; it is kept as status=fail and run
        # again, up to twice.
        for try in 1 2 3; do
          d=$OUT/$p/$(basename "$c")-$n-${v%%,*}
          ((try > 1)) && { mv "$d" "$d-invalid$((try - 1))"; mv "$d.log" "$d-invalid$((try - 1)).log"; } 2>/dev/null
          rm -rf "$d"
          settle
          echo "== $p $(basename "$c") $v run $n ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
          IMPL1=$(impl_of "$n1") IMPL2=$(impl_of "$n2") STANDBY1=$standby \
            "$H/failover-bench.sh" -n 1 -c "$conf" -v "$v" -i "$IDLE" -l "$p" -o "$d" >"$d.log" 2>&1 ||
            echo "bench/run.sh: failover-bench.sh for $p $c $v run $n exited $? (see $d.log)" >&2
          grep '^RUN ' "$d.log" >&2
          [[ $v == kill || $v == cut ]] || break
          t0=$(sed -n 's/^RUN .* t0=\([0-9.]*\).*/\1/p' "$d/results.txt" 2>/dev/null | tail -1)
          [[ -n $t0 ]] && awk -v t0="$t0" '$1 < t0 && /node node1: is dead/ {f = 1} END {exit !f}' "$d"/runs/*/*/1/n2.log 2>/dev/null || break
          echo "bench/run.sh: $p $v run $n: node2 declared node1 dead before the kill (load $(cut -d' ' -f1 /proc/loadavg)); not counted$( ((try < 3)) && echo ", running it again")" >&2
          sed -i -E '/^RUN /s/^(RUN .* run=1) .* (load1=[^ ]*) (t0=[^ ]*)$/\1 status=fail reason=dead-before-kill \2 \3/' "$d/results.txt"
          ((try < 3)) && sed -nE '/^RUN /{s/(impl[12])=heartbeat( |$)/\1=hbgo\2/g; s/ run=1( |$)/ run='"$n"'\1/; p}' "$d/results.txt" >>"$OUT/$p/results.txt"
        done
        # The harness names an implementation after its executable's base
        # name ("heartbeat" for hbgo): name it hbgo. Each call is its run 1.
        [[ -r $d/results.txt ]] &&
          sed -nE '/^(RUN|#)/{s/(impl[12])=heartbeat( |$)/\1=hbgo\2/g; s/ run=1( |$)/ run='"$n"'\1/; p}' "$d/results.txt" >>"$OUT/$p/results.txt"
      done
      # The floors (bench/idle-floors.sh: C, and Go with GOMAXPROCS=1)
      # rebuilt and measured beside each idle round (issue 16 item 5).
      # BENCH_FLOORS=0 leaves them out, BENCH_FLOORS=x adds gofloor's variants,
      # BENCH_FLOORS=LIST only those named (idle-floors.sh -X, e.g. rr).
      if [[ $v == *idle* && ${BENCH_FLOORS:-1} != 0 ]]; then
        echo "== floors run $n ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        mkdir -p "$OUT/floors"
        bash "$HERE/idle-floors.sh" -i "$IDLE" $(case ${BENCH_FLOORS:-1} in 1) ;; x) echo -x;; *) echo -X "$BENCH_FLOORS";; esac) 2>>"$OUT/floors/log.txt" | sed -E 's/ run=1( |$)/ run='"$n"'\1/' | tee -a "$OUT/floors/results.txt" >&2
      fi
    done
  done
done
settle
summarize
if [[ $MODE == monitor ]]; then
  echo "$(date -u +%T) after kill: $(uptime)" | tee -a "$OUT/uptime.txt" >&2
  # rows 1 and 2 (VIP deleted, service killed): their own clusters
  BENCH_PREFIX=$HBX_PREFIX bash "$HERE/monitor.sh" -b "$HBDIR/heartbeat" -H "$H" -o "$OUT/monitor" \
    -n "$RUNS" -p "$HBDIR/vipprobe" || echo "bench/run.sh: bench/monitor.sh exited $?" >&2
fi
fi

if ((MICRO)); then
  echo "== go test -bench ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  (cd "$ROOT" && go test -run '^$' -bench . -benchmem ./... 2>&1) | tee "$OUT/micro-bench.txt" >&2
fi

if [[ $MODE == monitor ]]; then
  # no stock pairing to take ratios against: medians per implementation
  awk -f "$HERE/monitor/summary.awk" "$OUT/results.txt" >"$OUT/summary.md" && cat "$OUT/summary.md"
else
  (cd "$ROOT" && go run ./bench/benchtable -o "$OUT/summary.md" "$OUT/results.txt") || die "benchtable failed"
fi
echo "bench/run.sh: results in $OUT" >&2
