#!/usr/bin/env python3
"""summ.py INVDIR... - (strace files plain or .xz) per node and thread of an inv.sh run: run time and
voluntary/involuntary switches over the window (per minute), and the
system calls strace saw each thread make (per minute), naming its role."""
import sys, os, re, collections, lzma

def threads(path):
    out = {}
    for line in open(path):
        if line.startswith('#'):
            continue
        f = line.split()
        # tid comm policy run wait slices vol nonvol
        out[f[0]] = dict(comm=f[1], pol=int(f[2]), run=int(f[3]), vol=int(f[6]), nonvol=int(f[7]))
    return out

def strace(path, secs):
    calls = collections.defaultdict(collections.Counter)
    first = last = None
    for line in (lzma.open(path, 'rt') if path.endswith('.xz') else open(path)):
        m = re.match(r'(\d+)\s+(\d+):(\d+):([\d.]+) (<\.\.\. )?(\w+)', line)
        if not m:
            continue
        t = int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4])
        first = t if first is None else first
        last = t
        if m[5]:
            continue  # a resumed call, counted when it began
        calls[m[1]][m[6]] += 1
    return calls, (last - first) if first is not None else secs

def role(c, pol):
    if pol == 2:
        return 'loop (SCHED_RR)'
    if c.get('nanosleep', 0) > 10:
        return 'sysmon'
    if c.get('renameat', 0):
        return 'netpoller/M (+ textfile writer)'
    if c.get('epoll_pwait', 0):
        return 'netpoller/M'
    return '?'

for d in sys.argv[1:]:
    for nd in ('node1', 'node2'):
        s, e = os.path.join(d, nd + '-threads-start.txt'), os.path.join(d, nd + '-threads-end.txt')
        if not os.path.exists(e):
            continue
        a, b = threads(s), threads(e)
        secs = 30.0
        hdr = open(e).readline()
        m = re.search(r'after (\d+) s', hdr)
        if m:
            secs = float(m[1])
        st = os.path.join(d, nd + '-strace.txt')
        st = st if os.path.exists(st) else st + '.xz'
        calls, ssecs = strace(st, secs) if os.path.exists(st) else ({}, secs)
        print(f'## {d} {nd} ({hdr.strip()[2:]})')
        print('| tid | role | run ms/min | vol/min | nonvol/min | syscalls/min under strace (top) |')
        print('|---|---|---|---|---|---|')
        tv = tr = 0
        for tid in sorted(b, key=int):
            if tid not in a:
                continue
            k = 60.0 / secs
            run = (b[tid]['run'] - a[tid]['run']) / 1e6 * k
            vol = (b[tid]['vol'] - a[tid]['vol']) * k
            nv = (b[tid]['nonvol'] - a[tid]['nonvol']) * k
            tv += vol; tr += run
            c = calls.get(tid, collections.Counter())
            top = ', '.join(f'{n} {v * 60 / ssecs:.0f}' for n, v in c.most_common(6))
            print(f'| {tid} | {role(c, b[tid]["pol"]) if c else ("loop (SCHED_RR)" if b[tid]["pol"] == 2 else "")} | {run:.1f} | {vol:.0f} | {nv:.0f} | {top} |')
        print(f'| all | | {tr:.1f} | {tv:.0f} | | |')
        print()
