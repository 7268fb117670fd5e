import gdb
inf = gdb.selected_inferior()
h = gdb.parse_and_eval("'runtime.mheap_'")
alls = h['allspans']; n = int(alls['len']); arr = alls['array']
def rd(a, k=8): return int.from_bytes(inf.read_memory(a, k).tobytes(), 'little')
def s(p, l):
    try: return inf.read_memory(p, min(l,60)).tobytes().decode('latin1')
    except: return '?'
for i in range(n):
    sp = arr[i]
    if int(sp['state']['s']['value']) != 1: continue
    sc = int(sp['spanclass']); es = int(sp['elemsize']); base = int(sp['startAddr'])
    if sc>>1 not in (60, 39): continue
    if sc & 1: continue
    ne = int(sp['nelems']); ab = int(sp['allocBits'])
    for k in range(ne):
        if not (rd(ab + k//8, 1) >> (k%8)) & 1: continue
        o = base + k*es
        print("object class", sc>>1, "size", es)
        # skip header (8 bytes), then groups of 8 + 8*32
        g = o + 8
        shown = 0
        while g + 264 <= o + es and shown < 12:
            for j in range(8):
                kp = rd(g + 8 + j*32); kl = rd(g + 16 + j*32)
                vp = rd(g + 24 + j*32); vl = rd(g + 32 + j*32)
                if 0 < kl < 200 and kp > 0x10000:
                    print("   ", repr(s(kp, kl)), "=>", repr(s(vp, vl)))
                    shown += 1
            g += 264
