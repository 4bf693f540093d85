#!/usr/bin/env python3
"""test_layers.py SOURCE_ROOT BUILD_ROOT - the tree's layering, checked.

The folders form one road, each built as its own static library that may
use only the ones below it:

    lib < capture < analysis < rules < incidents < output < src

1. includes: no source or header of a folder includes a header of a higher
   folder.  A header in include/ belongs to the folder of the file its
   opening comment names (e.g. "(analysis/flow/flow.c)"); the few that name
   none are listed in HEADER_LAYER below.  A public header that names no
   file and is not listed fails the test, so every new header says where it
   lives.
2. calls: from the object files of the build, an edge A -> B for every
   global symbol A uses and B defines.  Any cycle between two files (or
   more) fails, and so does any edge from a lower folder to a higher one
   (the link-time view of rule 1).
3. size: no source file is over 800 lines.
"""
import os
import re
import subprocess
import sys

LAYERS = ["lib", "capture", "analysis", "rules", "incidents", "output", "src"]
RANK = {name: i for i, name in enumerate(LAYERS)}
# Public headers whose opening comment names no implementing file.
HEADER_LAYER = {
    "xm_common.h": "lib", "xm_rd.h": "lib", "xm_config.h": "lib",
    "xm_pkt.h": "capture", "xm_proc.h": "analysis", "xm_rules.h": "rules",
    "xm_field.h": "lib",   # types only: rule-field descriptors (no .c)
    # generated at build time by analysis/proc/bpf/meson.build
    "vmlinux.h": "analysis", "attrib.skel.h": "analysis",
}
MAX_LINES = 800
PATH_RE = re.compile(r"\b(lib|capture|analysis|rules|incidents|output|src)/[A-Za-z0-9_/]*\.c\b")
INC_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def header_layer(root, path):
    rel = os.path.relpath(path, root)
    top = rel.split(os.sep)[0]
    if top in RANK:
        return top
    name = os.path.basename(path)
    if name in HEADER_LAYER:
        return HEADER_LAYER[name]
    with open(path, encoding="utf-8") as f:
        head = "".join(f.readline() for _ in range(8))
    m = PATH_RE.search(head)
    return m.group(1) if m else None


def sources(root):
    inc = os.path.join(root, "include")
    for f in sorted(os.listdir(inc)):
        path = os.path.join(inc, f)
        layer = header_layer(root, path) if f.endswith(".h") else None
        if layer:
            yield layer, path
    for layer in LAYERS:
        for d, _, files in os.walk(os.path.join(root, layer)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield layer, os.path.join(d, f)


def resolve(root, src, inc):
    for base in (os.path.dirname(src), os.path.join(root, "include")):
        p = os.path.normpath(os.path.join(base, inc))
        if os.path.exists(p):
            return p
    return None  # generated (xm_config.h) or a system header in quotes


def check_includes(root):
    errors = []
    for layer, src in sources(root):
        text = open(src, encoding="utf-8").read()
        for inc in INC_RE.findall(text):
            path = resolve(root, src, inc)
            hl = header_layer(root, path) if path else HEADER_LAYER.get(os.path.basename(inc))
            rel = os.path.relpath(src, root)
            if hl is None:
                errors.append(f"{rel}: includes {inc}, whose folder is unknown "
                              "(name the implementing file in its opening comment)")
            elif RANK[hl] > RANK[layer]:
                errors.append(f"{rel}: includes {inc} of {hl}/ (above {layer}/)")
    return errors


def nm(obj, *flags):
    out = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def objects(build):
    """{object path: (layer, source name)} of every layer library."""
    objs = {}
    for layer in LAYERS:
        for d, _, files in os.walk(os.path.join(build, layer)):
            if ".a.p" not in d:
                continue
            for f in files:
                if f.endswith(".o"):
                    objs[os.path.join(d, f)] = (layer, f[:-len(".c.o")])
    return objs


def call_graph(build):
    objs = objects(build)
    owner = {}
    for o in objs:
        for sym in nm(o, "-g", "--defined-only"):
            owner[sym] = o
    edges = {o: set() for o in objs}
    for o in objs:
        for sym in nm(o, "-u"):
            if sym in owner and owner[sym] != o:
                edges[o].add(owner[sym])
    return objs, edges


def cycles(edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def check_calls(build):
    objs, edges = call_graph(build)
    if not objs:
        return ["no object files under " + build]
    errors = []
    for a, outs in edges.items():
        for b in outs:
            if RANK[objs[b][0]] > RANK[objs[a][0]]:
                errors.append(f"{objs[a][0]}/{objs[a][1]} calls up into {objs[b][0]}/{objs[b][1]}")
    for comp in cycles(edges):
        names = sorted(f"{objs[o][0]}/{objs[o][1]}" for o in comp)
        errors.append("circular calls between " + ", ".join(names))
    return errors


def check_sizes(root):
    errors = []
    for _, src in sources(root):
        n = sum(1 for _ in open(src, encoding="utf-8"))
        if src.endswith(".c") and n > MAX_LINES:
            errors.append(f"{os.path.relpath(src, root)}: {n} lines (max {MAX_LINES})")
    return errors


def main():
    root, build = sys.argv[1], sys.argv[2]
    errors = check_includes(root) + check_calls(build) + check_sizes(root)
    for e in errors:
        print("FAIL", e)
    print(f"{len(errors)} layering problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
