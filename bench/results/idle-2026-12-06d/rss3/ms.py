import gdb
m = gdb.parse_and_eval("'runtime.allm'")
while int(m) != 0:
    g0 = m['g0']; gs = m['gsignal']
    lg = int(m['lockedg']) if 'lockedg' in [f.name for f in m.dereference().type.fields()] else 0
    print("M", int(m['id']), "tid", int(m['procid']), "g0", hex(int(g0['stack']['lo'])), hex(int(g0['stack']['hi'])),
          "gsignal", hex(int(gs['stack']['lo'])) if int(gs) else 0, hex(int(gs['stack']['hi'])) if int(gs) else 0, "lockedg", hex(int(m['lockedg'])))
    m = m['alllink']
