#!/bin/sh
# pcs.sh written by `heartbeat export pacemaker`: the same configuration as
# cib.xml, step by step. Run it on one node of the running cluster; it edits
# a copy of the CIB and pushes it once at the end.
set -eu
f=${1:-hbgo-cib.xml}
pcs cluster cib "$f"
pcs -f "$f" property set stonith-enabled=false
pcs -f "$f" resource defaults update resource-stickiness=200
pcs -f "$f" resource create drbd_r0 ocf:linbit:drbd drbd_resource=r0 op monitor interval=29s timeout=20s role=Promoted op monitor interval=31s timeout=20s role=Unpromoted promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true --force
# pcs names the clone drbd_r0-clone
pcs -f "$f" resource create fs_data ocf:heartbeat:Filesystem device=/dev/drbd0 directory=/data fstype=ext4 op monitor interval=10s timeout=40s --group grp_mysql --force
pcs -f "$f" resource create ip_192.0.2.10 ocf:heartbeat:IPaddr2 ip=192.0.2.10 cidr_netmask=24 nic=eth0 op monitor interval=10s timeout=20s --group grp_mysql --force
pcs -f "$f" resource create mysql lsb:mysql op monitor interval=10s timeout=20s --group grp_mysql --force
pcs -f "$f" constraint location grp_mysql prefers node1=100
pcs -f "$f" constraint colocation add grp_mysql with Promoted drbd_r0-clone INFINITY
pcs -f "$f" constraint order promote drbd_r0-clone then start grp_mysql
pcs cluster cib-push "$f" --config
