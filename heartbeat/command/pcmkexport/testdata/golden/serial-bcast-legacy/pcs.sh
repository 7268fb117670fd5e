#!/bin/sh
# pcs.sh written by `heartbeat export pacemaker`: the same configuration as
# cib.xml, step by step. Run it on one node of the running cluster; it edits
# a copy of the CIB and pushes it once at the end.
set -eu
f=${1:-hbgo-cib.xml}
pcs cluster cib "$f"
pcs -f "$f" property set stonith-enabled=false
pcs -f "$f" resource defaults update resource-stickiness=0
pcs -f "$f" resource create ip_192.0.2.50 ocf:heartbeat:IPaddr2 ip=192.0.2.50 op monitor interval=10s timeout=20s --group grp_squid --force
pcs -f "$f" resource create delay ocf:heartbeat:Delay startdelay=2 stopdelay=0 mondelay=0 op monitor interval=10s timeout=20s --group grp_squid --force
pcs -f "$f" resource create squid lsb:squid op monitor interval=10s timeout=20s --group grp_squid --force
pcs -f "$f" resource create ip_192.0.2.51 ocf:heartbeat:IPaddr2 ip=192.0.2.51 op monitor interval=10s timeout=20s --group grp_bind9 --force
pcs -f "$f" resource create bind9 lsb:bind9 op monitor interval=10s timeout=20s --group grp_bind9 --force
pcs -f "$f" constraint location grp_squid prefers node1=100
pcs -f "$f" constraint location grp_bind9 prefers node2=100
pcs cluster cib-push "$f" --config
