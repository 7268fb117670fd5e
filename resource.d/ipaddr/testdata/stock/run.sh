#!/bin/sh
# Runs inside: ip netns exec hbgoagt-sa unshare --mount --propagation private
mount --bind /tmp/hbgoagt-stock/etc-ha.d /etc/ha.d
mount -t tmpfs none /run
mount --bind /tmp/hbgoagt-stock/log /var/log
mount --bind /tmp/hbgoagt-stock/varlib /var/lib/heartbeat 2>/dev/null
mkdir -p /run/resource-agents
export HA_LOGFILE=/tmp/hbgoagt-stock/ha-log HA_DEBUGLOG=/tmp/hbgoagt-stock/ha-debug HA_LOGD=no HA_DATEFMT='%Y/%m/%d_%T	' HA_DIR=/etc/ha.d HA_FUNCS=/etc/ha.d/shellfuncs OCF_ROOT=/usr/lib/ocf
for cmd in "IPaddr 10.77.0.100 start" "IPaddr 10.77.0.100 status" "IPaddr2 10.77.0.150/24/eth0:vip start" "IPaddr 10.77.0.101/24/eth0 start"; do
  echo "== $cmd" >> /tmp/hbgoagt-stock/out
  /etc/ha.d/resource.d/$cmd >> /tmp/hbgoagt-stock/out 2>&1; echo "rc=$?" >> /tmp/hbgoagt-stock/out
  ip -4 addr show dev eth0 >> /tmp/hbgoagt-stock/out
done
sleep 7
ip neigh >> /tmp/hbgoagt-stock/out
for cmd in "IPaddr 10.77.0.100 stop" "IPaddr 10.77.0.100 status" "IPaddr2 10.77.0.150/24/eth0:vip stop" "IPaddr 10.77.0.101/24/eth0 stop"; do
  echo "== $cmd" >> /tmp/hbgoagt-stock/out
  /etc/ha.d/resource.d/$cmd >> /tmp/hbgoagt-stock/out 2>&1; echo "rc=$?" >> /tmp/hbgoagt-stock/out
done
ip -4 addr show dev eth0 >> /tmp/hbgoagt-stock/out
