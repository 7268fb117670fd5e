import gdb
h = gdb.parse_and_eval("'runtime.mheap_'")
alls = h['allspans']; n = int(alls['len']); arr = alls['array']
from collections import defaultdict
cls = defaultdict(lambda: [0,0,0,0,0])
man = [0,0]
for i in range(n):
    s = arr[i]
    st = int(s['state']['s']['value'])
    if st == 2: man[0]+=1; man[1]+=int(s['npages'])
    if st != 1: continue
    sc = int(s['spanclass'])
    c = cls[sc]
    c[0] += 1; c[1] += int(s['npages']); c[2] += int(s['nelems']); c[3] += int(s['allocCount']); c[4] = int(s['elemsize'])
rows=[]
for sc,(sp,pg,ne,al,es) in cls.items():
    rows.append(((pg*8192 - al*es)//1024, sc>>1, sc&1, sp, pg, ne, al, es))
rows.sort(reverse=True)
print("waste_KiB class noscan spans pages elems alloc elemsize")
for r in rows: print("%6d %3d %d %3d %4d %5d %5d %6d" % r)
print("inuse pages", sum(r[4] for r in rows), "live KiB", sum(r[6]*r[7] for r in rows)//1024, "waste KiB", sum(r[0] for r in rows), "manual(stack) spans", man)
