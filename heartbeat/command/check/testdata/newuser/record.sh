#!/bin/bash
# record.sh: how each <case>/stock.golden here was produced (Debian heartbeat 3.0.6 on the build host).
#   bash record.sh [case...]  # as root; rewrites every (or each named) <case>/stock.golden
# For each case directory it starts stock /usr/libexec/heartbeat/heartbeat -f in private
# net/pid/mount/uts namespaces (hostname node1, veth interfaces eth0 and eth1), with a temp
# copy of /etc/ha.d bind-mounted over /etc/ha.d and the case's ha.cf, haresources and
# authkeys copied in (a file the case lacks is absent; authkeys mode 600, or the mode in <case>/authkeys.mode). The host's
# /etc/ha.d is never read by heartbeat nor written. Golden format: "exit N" (137 = still
# running after 4 s, i.e. the configuration was accepted), then stock's ERROR lines from ha-log and stderr, sorted, without the
# two that depend on the environment (core directory, memory locking).
set -u
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=("$here"/*/)
for c in "${cases[@]}"; do
	c=$here/$(basename "$c")
	out=$(CASE=$c unshare --net --pid --fork --mount-proc --mount --uts --propagation private bash -c '
	hostname node1
	ip link set lo up
	for i in 0 1; do
		ip link add eth$i type veth peer name eth${i}p
		ip link set eth${i}p up; ip addr add 192.0.2.$((i+1))/24 dev eth$i 2>/dev/null || ip addr add 198.51.100.1/24 dev eth$i; ip link set eth$i up
	done
	T=$(mktemp -d /tmp/check-rec.XXXX)
	mkdir -p $T/etc $T/log
	cp -a /etc/ha.d/. $T/etc/
	for f in ha.cf haresources authkeys; do [ -f $CASE/$f ] && cp $CASE/$f $T/etc/; done
	mode=600; [ -f $CASE/authkeys.mode ] && mode=$(cat $CASE/authkeys.mode)
	chmod $mode $T/etc/authkeys
	rm -f $T/etc/nodeinfo
	mount --bind $T/etc /etc/ha.d
	mount -t tmpfs tmpfs /var/lib/heartbeat; chown hacluster:haclient /var/lib/heartbeat
	mount -t tmpfs tmpfs /run; mkdir -p /run/heartbeat /run/resource-agents
	mount --bind $T/log /var/log
	timeout -s KILL 4 /usr/libexec/heartbeat/heartbeat -f >$T/stdout 2>$T/stderr
	echo "exit $?"
	{ cat /var/log/ha-log 2>/dev/null; cat $T/stderr; } | grep -a "ERROR:" | sed -E "s/^.*heartbeat: \[[0-9]+\]: //" | grep -v -e "Cannot chdir to" -e "Cannot lock ourselves" | sort -u
	rm -rf $T
	')
	{
		echo "# Stock heartbeat 3.0.6 starting with this directory's files (see ../record.sh)."
		echo "$out"
	} > "$c/stock.golden"
done
