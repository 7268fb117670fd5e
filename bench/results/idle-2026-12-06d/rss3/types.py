import gdb
from collections import Counter
h = gdb.parse_and_eval("'runtime.mheap_'")
alls = h['allspans']; n = int(alls['len']); arr = alls['array']
inf = gdb.selected_inferior()
cnt = Counter()
md = gdb.parse_and_eval("'runtime.firstmoduledata'")
tbase = int(md['types']); tend = int(md['etypes'])
def sym(a):
    if not (tbase <= a < tend): return "?%x" % a
    try:
        off = int.from_bytes(inf.read_memory(a+40, 4).tobytes(), 'little', signed=True)
        p = tbase + off
        b = inf.read_memory(p, 3).tobytes()
        # varint length after flag byte
        l = 0; shift = 0; i = 1
        while True:
            c = inf.read_memory(p+i, 1).tobytes()[0]; i += 1
            l |= (c & 0x7f) << shift; shift += 7
            if c < 0x80: break
        return inf.read_memory(p+i, l).tobytes().decode()
    except Exception as e:
        return "err %s" % e
def sym_old(a):
    try:
        s = gdb.execute("info symbol 0x%x" % a, to_string=True).strip()
        return s.split(' in section')[0]
    except Exception as e:
        return "?%x" % a
for i in range(n):
    s = arr[i]
    if int(s['state']['s']['value']) != 1: continue
    sc = int(s['spanclass']); es = int(s['elemsize']); base = int(s['startAddr'])
    if sc & 1: continue
    if sc >> 1 == 0:
        t = int(s['largeType'])
        cnt[(0, es, sym(t) if t else 'nil')] += 1
        continue
    if es <= 512: continue
    ne = int(s['nelems'])
    ab = int(s['allocBits'])
    for k in range(ne):
        byte = int.from_bytes(inf.read_memory(ab + k//8, 1).tobytes(), 'little')
        if not (byte >> (k % 8)) & 1: continue
        w = int.from_bytes(inf.read_memory(base + k*es, 8).tobytes(), 'little')
        cnt[(sc>>1, es, sym(w) if w else 'nil')] += 1
for (c, es, name), v in sorted(cnt.items(), key=lambda x: -x[0][1]*x[1]):
    print("%4d x class %2d %6d B  %s" % (v, c, es, name))
