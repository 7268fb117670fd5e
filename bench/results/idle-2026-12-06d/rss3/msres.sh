#!/bin/bash
# msres.sh PID: per M, resident KiB of its g0 and gsignal stacks
P=$1
timeout 120 gdb -q -batch -p $P -x /tmp/r3/ms.py 2>/dev/null | grep "^M " > /tmp/r3/ms-$P.txt
python3 - $P <<'PY'
import sys,struct
P=int(sys.argv[1]); pm=open(f'/proc/{P}/pagemap','rb')
def res(lo,hi):
    n=0
    for a in range(lo - lo%4096, hi, 4096):
        pm.seek(a//4096*8); v=struct.unpack('<Q',pm.read(8))[0]; n+= (v>>63)&1
    return n*4
tot=0
for l in open(f'/tmp/r3/ms-{P}.txt'):
    f=l.split(); g0=(int(f[5],16),int(f[6],16)); gs=(int(f[8],16),int(f[9],16))
    a=res(*g0) if g0[0] else 0; b=res(*gs) if gs[0] else 0; tot+=a+b
    print(f"M{f[1]} tid {f[3]} g0 {(g0[1]-g0[0])//1024}K res {a}K gsignal {(gs[1]-gs[0])//1024}K res {b}K lockedg {f[11]}")
print("total resident g0+gsignal KiB", tot)
PY
