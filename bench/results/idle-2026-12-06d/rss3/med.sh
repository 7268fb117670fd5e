#!/bin/bash
# med.sh runs.txt: per label, median n1/n2 RSS and CPU (ms per minute: sched_ms / idle_s * 60), and n
python3 - "$@" <<'P'
import sys, statistics as st, collections
d=collections.defaultdict(lambda: collections.defaultdict(list))
for f in sys.argv[1:]:
    for l in open(f):
        kv=dict(x.split('=',1) for x in l.split()[1:] if '=' in x)
        lab=kv.get('label','?'); s=float(kv['idle_s'])
        for n in ('n1','n2'):
            d[lab][n+'_rss'].append(int(kv[n+'_rss_kb'])); d[lab][n+'_cpu'].append(float(kv[n+'_sched_ms'])/s*60)
        d[lab]['load'].append(float(kv['load1']))
for lab,v in d.items():
    print(f"{lab:6s} n={len(v['n1_rss'])} node1 RSS {st.median(v['n1_rss']):.0f} ({min(v['n1_rss'])}-{max(v['n1_rss'])})  node2 RSS {st.median(v['n2_rss']):.0f} ({min(v['n2_rss'])}-{max(v['n2_rss'])})  CPU ms/min n1 {st.median(v['n1_cpu']):.1f} ({min(v['n1_cpu']):.1f}-{max(v['n1_cpu']):.1f}) n2 {st.median(v['n2_cpu']):.1f} ({min(v['n2_cpu']):.1f}-{max(v['n2_cpu']):.1f})  load1 {min(v['load']):.1f}-{max(v['load']):.1f}")
P
