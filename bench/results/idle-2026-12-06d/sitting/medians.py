import re,statistics,sys
O=sys.argv[1]
def parse(line):
    return dict(kv.split('=',1) for kv in line.split()[1:] if '=' in kv)
rows={}
for line in open(O+'/runs.txt'):
    d=parse(line); lab=d['label']
    for n in ('n1','n2'):
        rows.setdefault(lab,{'cpu':[],'rss':[],'pss':[],'n1cpu':[],'n2cpu':[],'n1rss':[],'n2rss':[]})
        cpu=float(d[n+'_sched_ms'])*60/float(d['idle_s']); rss=int(d[n+'_rss_kb'])
        rows[lab]['cpu'].append(cpu); rows[lab]['rss'].append(rss); rows[lab]['pss'].append(int(d[n+'_pss_kb']))
        rows[lab][n+'cpu'].append(cpu); rows[lab][n+'rss'].append(rss)
fl={}
for line in open(O+'/results.txt'):
    d=parse(line)
    if d.get('scenario')!='floor' and not d.get('impl1','').startswith('keepalived'): continue
    name=d['impl1']
    for n in ('n1','n2'):
        fl.setdefault(name,{'cpu':[],'rss':[]})
        fl[name]['cpu'].append(float(d[n+'_sched_ms'])*60/float(d['idle_s'])); fl[name]['rss'].append(int(d[n+'_rss_kb']))
med=statistics.median
fg=med(fl['floor-go']['cpu']) if 'floor-go' in fl else None
fgn=med(fl['floor-go-ns']['cpu']) if 'floor-go-ns' in fl else None
fr=med(fl['floor-go-rr']['cpu']) if 'floor-go-rr' in fl else None
frn=med(fl['floor-go-rr-ns']['cpu']) if 'floor-go-rr-ns' in fl else None
print('| row | CPU ms/min median (min-max) | x floor-go | x floor-go-ns | x floor-go-rr | x floor-go-rr-ns | RSS KiB median (min-max) | node1 RSS | node2 RSS |')
print('|---|---|---|---|---|---|---|---|---|')
for lab,r in rows.items():
    c=med(r['cpu'])
    print(f"| hbgo {lab} | {c:.0f} ({min(r['cpu']):.0f}-{max(r['cpu']):.0f}) | {c/fg:.2f} | {c/fgn:.2f} | {c/fr:.2f} | {c/frn:.2f} | {med(r['rss']):.0f} ({min(r['rss'])}-{max(r['rss'])}) | {med(r['n1rss']):.0f} | {med(r['n2rss']):.0f} |")
for name,r in fl.items():
    c=med(r['cpu'])
    print(f"| {name} | {c:.1f} ({min(r['cpu']):.0f}-{max(r['cpu']):.0f}) | | | | | {med(r['rss']):.0f} | | |")
