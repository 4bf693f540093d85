#!/usr/bin/env python3
"""cycles.py BUILDDIR - call/reference cycles between source files, from nm
of the static libraries' objects (a file-level SCC with more than one file)."""
import subprocess, sys, glob, os, collections
build = sys.argv[1]
objs = [o for d in ('lib', 'capture', 'analysis', 'rules', 'output', 'src')
        for o in glob.glob(os.path.join(build, d, '*.p', '**', '*.o'), recursive=True)]
objs += glob.glob(os.path.join(build, 'src', 'exfilmon.p', '*.o'))
defs, uses = {}, collections.defaultdict(set)
for o in objs:
    name = os.path.basename(o).replace('.c.o', '.c').replace('_', '/', 0)
    key = o.split('.p/')[1].replace('.c.o', '.c').replace('_', '/')
    key = os.path.basename(os.path.dirname(o.split('.p/')[0])) + ':' + o.split('.p/')[1].replace('.c.o', '.c')
    for line in subprocess.run(['nm', o], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'TDRBC':
            defs[p[2]] = key
        elif len(p) == 2 and p[0] == 'U':
            uses[key].add(p[1])
g = collections.defaultdict(set)
for f, syms in uses.items():
    for s in syms:
        if s in defs and defs[s] != f:
            g[f].add(defs[s])
# Tarjan
idx, low, st, on, out, n = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
    for w in g[v]:
        if w not in idx:
            sc(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: out.append(sorted(comp))
for v in list(set(g) | set(defs.values())):
    if v not in idx: sc(v)
for c in out: print('cycle:', ' '.join(c))
print(len(out), 'cycles')
