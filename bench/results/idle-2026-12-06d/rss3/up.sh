#!/usr/bin/env bash
# up.sh BIN [ENV]: an idle pair up with idle-rss.sh's config; stays up. down: up.sh down
set -uo pipefail
H=/work/wt/rss3/bench/.harness
export HBX_PREFIX=hbxr3u HBX_STATE=/tmp/hbxr3u
if [[ $1 == down ]]; then $H/cluster.sh down >/dev/null 2>&1; exit 0; fi
D=/tmp/r3/upbin; mkdir -p $D; chmod 755 $D; cp "$1" $D/heartbeat
XENV=${2:-}
export IMPL1="env $XENV $D/heartbeat -f" IMPL2="env $XENV $D/heartbeat -f" EXE1=$D/heartbeat EXE2=$D/heartbeat
conf=$D/conf; rm -rf $conf; mkdir -p $conf
cp $H/configs/fast-ka200ms-dt1/* $conf/
sed -i '/^debug[[:space:]]/d' $conf/ha.cf; echo 'debug 1' >>$conf/ha.cf
printf 'fast_start on\nmetrics_textfile /run/hbgo.prom\n' >$conf/hbgo.cf
$H/cluster.sh up $conf >/tmp/r3/up.log 2>&1 || { echo up failed; exit 1; }
$H/cluster.sh wait-vip node1 60 >>/tmp/r3/up.log 2>&1 || { echo no vip; exit 1; }
for n in node1 node2; do echo $n $($H/cluster.sh pids $n | head -1); done
