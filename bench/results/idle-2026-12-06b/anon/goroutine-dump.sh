#!/bin/bash
# goroutine-dump.sh BINARY OUTFILE (root): a pair up with the harness,
# 8 s after the VIP, node1's thread count and its goroutine dump (SIGQUIT;
# the runtime prints it on the daemon's stderr, the harness's hbx-impl.out).
H=$(cd "$(dirname "$0")/../../../.harness" && pwd) # bench/.harness, made by bench/run.sh
BIN=$1 OUT=$2
D=$(mktemp -d /tmp/hbgo-dump.XXXXXX); chmod 755 $D; cp $BIN $D/heartbeat
export HBX_PREFIX=hbxdmp HBX_STATE=/tmp/hbxdmp
export IMPL1="$D/heartbeat -f" IMPL2="$D/heartbeat -f" EXE1=$D/heartbeat EXE2=$D/heartbeat
conf=$D/conf; mkdir -p $conf; cp $H/configs/fast-ka200ms-dt1/* $conf/
printf 'fast_start on\nmetrics_textfile /run/hbgo.prom\n' >"$conf/hbgo.cf"
$H/cluster.sh up $conf > $OUT.up 2>&1
$H/cluster.sh wait-vip node1 60 >> $OUT.up 2>&1
sleep 8
p=$($H/cluster.sh pids node1 | head -1)
grep Threads /proc/$p/status > $OUT
kill -QUIT $p; sleep 1
cat /tmp/hbxdmp/node1/log/hbx-impl.out >> $OUT
$H/cluster.sh down >/dev/null 2>&1; rm -rf $D
