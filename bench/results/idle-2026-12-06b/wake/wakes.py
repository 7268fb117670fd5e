#!/usr/bin/env python3
"""wakes.py ABDIR... - voluntary context switches per minute (wake-ups) of
each idle node's threads in ab.sh's inv-LABEL-ROUND runs, by role (sysmon:
the first thread after the main one; loop: SCHED_RR; other Ms: netpoller
and spare threads), median (min-max) over rounds x nodes; and run time."""
import sys, os, re, glob, statistics as st, collections

def threads(path):
    out = {}
    for line in open(path):
        if line.startswith('#'):
            continue
        f = line.split()
        out[f[0]] = dict(pol=int(f[2]), run=int(f[3]), vol=int(f[6]))
    return out

rows = collections.defaultdict(lambda: collections.defaultdict(list))
for d in sorted(g for a in sys.argv[1:] for g in glob.glob(os.path.join(a, 'inv-*-*'))):
    if not os.path.isdir(d):
        continue
    lab = re.match(r'inv-(.*)-\d+$', os.path.basename(d))[1]
    for nd in ('node1', 'node2'):
        try:
            a, b = threads(f'{d}/{nd}-threads-start.txt'), threads(f'{d}/{nd}-threads-end.txt')
            pid = open(f'{d}/{nd}.pid').read().strip()
        except OSError:
            continue
        tids = sorted(a, key=int)
        sysmon = next((t for t in tids if t != pid), None)
        acc = collections.Counter()
        run = 0
        for t in tids:
            if t not in b:
                continue
            v = (b[t]['vol'] - a[t]['vol']) * 2  # 30 s window -> per minute
            run += (b[t]['run'] - a[t]['run']) / 1e6 * 2
            role = 'loop' if b[t]['pol'] == 2 else 'sysmon' if t == sysmon else 'main' if t == pid else 'other Ms'
            acc[role] += v
            acc['all'] += v
        for k in ('all', 'loop', 'other Ms', 'sysmon'):
            rows[lab][k].append(acc[k])
        rows[lab]['run ms/min'].append(run)
cols = ('all', 'loop', 'other Ms', 'sysmon', 'run ms/min')
print('| binary | n | ' + ' | '.join(f'{c} (vol switches/min)' if c != 'run ms/min' else c for c in cols) + ' |')
print('|---|---|' + '---|' * len(cols))
for lab, r in rows.items():
    cells = [f'{st.median(r[c]):.0f} ({min(r[c]):.0f}-{max(r[c]):.0f})' for c in cols]
    print(f'| {lab} | {len(r["all"])} | ' + ' | '.join(cells) + ' |')
