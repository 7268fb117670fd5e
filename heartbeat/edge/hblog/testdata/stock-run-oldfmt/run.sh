#!/bin/bash
# Runs inside: unshare --net --pid --fork --mount-proc --mount --uts --propagation private
set -e
S=/tmp/hblog-stock/state
rm -rf $S; mkdir -p $S/etc $S/lib $S/run $S/log $S/dev
cp -a /etc/ha.d $S/etc/ha.d
cat > $S/etc/ha.d/ha.cf <<CF
logfile /var/log/ha-log
debugfile /var/log/ha-debug
logfacility local0
syslogmsgfmt false
keepalive 1
deadtime 5
warntime 3
initdead 10
udpport 694
ucast lo 127.0.0.2
auto_failback on
crm no
node node1
CF
printf 'auth 1\n1 crc\n' > $S/etc/ha.d/authkeys; chmod 600 $S/etc/ha.d/authkeys
: > $S/etc/ha.d/haresources
hostname node1
ip link set lo up
mount --bind $S/etc/ha.d /etc/ha.d
mkdir -p /var/lib/heartbeat; mount --bind $S/lib /var/lib/heartbeat
mount --bind $S/run /run
mount --bind $S/log /var/log
# private /dev with the few device nodes heartbeat needs plus our /dev/log listener
mount -t tmpfs tmpfs $S/dev
for d in null zero urandom random tty; do touch $S/dev/$d; mount --bind /dev/$d $S/dev/$d; done
mount --bind $S/dev /dev
python3 - <<'PY' &
import socket, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open("/tmp/hblog-stock/state/syslog.txt", "w") as f:
    while True:
        d = s.recv(65536)
        f.write(repr(d) + "\n"); f.flush()
PY
sleep 3
mkdir -p /run/heartbeat /var/lib/heartbeat
chown -R hacluster:haclient /var/lib/heartbeat 2>/dev/null || true
/usr/libexec/heartbeat/heartbeat || echo "heartbeat exit $?"
sleep 3; mv /var/log/ha-log /var/log/ha-log.1; sleep 62
/usr/libexec/heartbeat/heartbeat -k || true
sleep 15; kill $(cat /run/heartbeat.pid) 2>/dev/null; sleep 1
