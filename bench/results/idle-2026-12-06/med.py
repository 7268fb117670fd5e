import sys,re,statistics as st
rows={}
for f in sys.argv[1:]:
  for line in open(f):
    if not line.startswith('RUN'): continue
    kv=dict(x.split('=',1) for x in line.split()[1:] if '=' in x)
    lab=kv.get('label') if kv.get('impl1')=='hbgo' else kv['impl1']
    if 'n1_sched_ms' not in kv: continue
    r=rows.setdefault(lab,{'cpu':[],'rss':[],'pss':[],'load':[]})
    for n in ('n1','n2'):
      r['cpu'].append(float(kv[n+'_sched_ms'])*60/float(kv['idle_s']))
      r['rss'].append(int(kv[n+'_rss_kb'])); r['pss'].append(int(kv[n+'_pss_kb']))
    r['load'].append(float(kv['load1']))
print("| row | runs×nodes | CPU ms/min median (min-max) | RSS KiB median (min-max) | PSS KiB median | load1 |")
print("|---|---|---|---|---|---|")
for lab,r in rows.items():
  print(f"| {lab} | {len(r['cpu'])} | {st.median(r['cpu']):.0f} ({min(r['cpu']):.0f}-{max(r['cpu']):.0f}) | {st.median(r['rss']):.0f} ({min(r['rss'])}-{max(r['rss'])}) | {st.median(r['pss']):.0f} | {min(r['load']):.1f}-{max(r['load']):.1f} |")
