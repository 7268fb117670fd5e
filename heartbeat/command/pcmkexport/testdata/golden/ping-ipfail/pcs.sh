#!/bin/sh
# pcs.sh written by `heartbeat export pacemaker`: the same configuration as
# cib.xml, step by step. Run it on one node of the running cluster; it edits
# a copy of the CIB and pushes it once at the end.
set -eu
f=${1:-hbgo-cib.xml}
pcs cluster cib "$f"
pcs -f "$f" property set stonith-enabled=false
pcs -f "$f" resource defaults update resource-stickiness=0
pcs -f "$f" resource create ping ocf:pacemaker:ping 'host_list=192.0.2.254 192.0.2.253' name=pingd dampen=10s multiplier=1000 op monitor interval=10s timeout=20s clone
pcs -f "$f" resource create ip_192.0.2.60 ocf:heartbeat:IPaddr2 ip=192.0.2.60 cidr_netmask=24 nic=eth0 op monitor interval=10s timeout=20s --group grp_nginx --force
pcs -f "$f" resource create nginx lsb:nginx op monitor interval=10s timeout=20s --group grp_nginx --force
pcs -f "$f" constraint location grp_nginx prefers node1=100
pcs -f "$f" constraint location grp_nginx rule score-attribute=pingd defined pingd
pcs cluster cib-push "$f" --config
