#!/bin/bash
# How the *.golden files here were produced (2026-11-23, Debian heartbeat 3.0.6 on this build host):
#   for f in *.cf; do ./record.sh $f > ${f%.cf}.out; done
# then each .out was reduced to .golden: exit code, the ha-log lines up to "Configuration validated"
# (timestamps and pids cut), and the fprintf text stock prints on stderr. Run as root only: it
# builds private net/pid/mount/uts namespaces, bind-mounts a temp /etc/ha.d and never touches the host one.
CF=$1
mkdir -p /tmp/hacf-rec
unshare --net --pid --fork --mount-proc --mount --uts --propagation private bash -c '
set -u
hostname node1
ip link set lo up
ip link add eth1 type veth peer name eth1p && ip link set eth1p up && ip addr add 10.78.0.1/24 brd 10.78.0.255 dev eth1 && ip link set eth1 up
T=$(mktemp -d /tmp/hacf-rec/ns.XXXX)
mkdir -p $T/etc $T/lib $T/run $T/log
cp -a /etc/ha.d/. $T/etc/ 2>/dev/null
cp "'"$CF"'" $T/etc/ha.cf
printf "auth 1\n1 sha1 secret\n" > $T/etc/authkeys; chmod 600 $T/etc/authkeys
echo "node1 10.78.0.100" > $T/etc/haresources
rm -f $T/etc/nodeinfo
mount --bind $T/etc /etc/ha.d
mount -t tmpfs tmpfs /var/lib/heartbeat; chown hacluster:haclient /var/lib/heartbeat 2>/dev/null
mount -t tmpfs tmpfs /run; mkdir -p /run/heartbeat /run/resource-agents
mount --bind $T/log /var/log
timeout -s KILL 4 /usr/libexec/heartbeat/heartbeat -f >$T/stdout 2>$T/stderr
echo "exit=$?"
echo "--- stderr"; cat $T/stderr
echo "--- ha-log"; cat /var/log/ha-log 2>/dev/null | sed -E "s/^.{15} node1 heartbeat: \[[0-9]+\]: //"
rm -rf $T
'
