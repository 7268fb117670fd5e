#!/bin/sh
# Runs inside: unshare --mount --propagation private
mount --bind /tmp/hbgoagt-fs/etc-ha.d /etc/ha.d
mount -t tmpfs none /run
mount --bind /tmp/hbgoagt-fs/log /var/log
mount --bind /tmp/hbgoagt-fs/varlib /var/lib/heartbeat
mkdir -p /run/resource-agents
export HA_LOGFILE=/tmp/hbgoagt-fs/ha-log HA_DEBUGLOG=/tmp/hbgoagt-fs/ha-debug HA_LOGD=no HA_DATEFMT='%Y/%m/%d_%T	' HA_DIR=/etc/ha.d HA_FUNCS=/etc/ha.d/shellfuncs OCF_ROOT=/usr/lib/ocf
DEV=$(losetup --find --show /tmp/hbgoagt-fs/img)
echo "DEV=$DEV" >> /tmp/hbgoagt-fs/out
R=/etc/ha.d/resource.d/Filesystem
$R $DEV /tmp/hbgoagt-fs/mnt/fs1 ext4 start >> /tmp/hbgoagt-fs/out 2>&1; echo "rc=$?" >> /tmp/hbgoagt-fs/out
$R $DEV /tmp/hbgoagt-fs/mnt/fs1 ext4 status >> /tmp/hbgoagt-fs/out 2>&1; echo "rc=$?" >> /tmp/hbgoagt-fs/out
(cd /tmp/hbgoagt-fs/mnt/fs1 && exec sleep 300) &
BUSY=$!
echo "BUSY=$BUSY" >> /tmp/hbgoagt-fs/out
sleep 0.5
$R $DEV /tmp/hbgoagt-fs/mnt/fs1 ext4 stop >> /tmp/hbgoagt-fs/out 2>&1; echo "rc=$?" >> /tmp/hbgoagt-fs/out
$R $DEV /tmp/hbgoagt-fs/mnt/fs1 ext4 status >> /tmp/hbgoagt-fs/out 2>&1; echo "rc=$?" >> /tmp/hbgoagt-fs/out
kill -9 $BUSY 2>/dev/null
losetup -d $DEV
