# threads.py PROFDIR...: per-thread run time and voluntary switches over the
# profile's window (threads-start.txt -> threads-end.txt of idle-profile.sh),
# with each thread's policy (0 SCHED_OTHER, 2 SCHED_RR) at the end.
import sys
for d in sys.argv[1:]:
    def rd(f):
        out = {}
        for l in open(f"{d}/{f}"):
            if l.startswith('#'): continue
            x = l.split()
            out[x[0]] = (x[2], int(x[3]), int(x[6]), int(x[7]))
        return out
    a, b = rd('threads-start.txt'), rd('threads-end.txt')
    rows = []
    for t, (pol, run, vol, nv) in b.items():
        p0 = a.get(t, (pol, 0, 0, 0))
        rows.append((run - p0[1], vol - p0[2], nv - p0[3], t, pol, t not in a))
    rows.sort(reverse=True)
    tr = sum(r[0] for r in rows) / 1e6; tv = sum(r[1] for r in rows)
    print(f"== {d}: {len(rows)} threads, run {tr:.1f} ms, voluntary switches {tv}, policies {sorted(set(r[4] for r in rows))}")
    for r in rows:
        print(f"  tid {r[3]} policy {r[4]} run {r[0]/1e6:6.1f} ms  vol {r[1]:4d}  nonvol {r[2]:3d}{'  (new in window)' if r[5] else ''}")
