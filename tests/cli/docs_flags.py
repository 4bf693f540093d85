#!/usr/bin/env python3
"""docs_flags.py EXFILMON SOURCE_ROOT - the flags `exfilmon --help` lists,
the OPTIONS of docs/man/exfilmon.8 and the README's flag table must be the
same set (long and short flags), so the three cannot drift apart.  Prints
every difference and exits 1 if there is one."""
import re
import subprocess
import sys

FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])')


def from_help(exe):
    text = subprocess.run([exe, '--help'], capture_output=True, text=True,
                          check=True).stdout
    flags = set()
    for line in text.splitlines():
        if not re.match(r'^\s+-', line):
            continue                        # usage lines, prose
        spec = re.split(r'\s{2,}', line.strip())[0]
        flags |= set(FLAG.findall(spec))
    return flags


def from_man(path):
    lines = open(path, encoding='utf-8').read().splitlines()
    flags, in_opts = set(), False
    for i, line in enumerate(lines):
        if line.startswith('.SH'):
            in_opts = line.strip() == '.SH OPTIONS'
        if in_opts and i and lines[i - 1] == '.TP':
            plain = line.replace('\\-', '-').replace('\\fR', ' ').replace('\\fB', ' ')
            plain = re.sub(r'^\.B[IR]?\s+', '', plain).replace('"', ' ')
            flags |= set(FLAG.findall(plain))
    return flags


def from_readme(path):
    flags = set()
    for line in open(path, encoding='utf-8'):
        if line.startswith('| `-'):
            first = line.split('|')[1]
            for code in re.findall(r'`([^`]*)`', first):
                flags |= set(FLAG.findall(code))
    return flags


def main():
    exe, root = sys.argv[1], sys.argv[2]
    helpf = from_help(exe)
    docs = {'docs/man/exfilmon.8': from_man(root + '/docs/man/exfilmon.8'),
            'README.md flag table': from_readme(root + '/README.md')}
    bad = 0
    print('--help lists %d flags: %s' % (len(helpf), ' '.join(sorted(helpf))))
    for name, got in docs.items():
        for f in sorted(helpf - got):
            print('MISSING in %s: %s (listed by --help)' % (name, f))
            bad += 1
        for f in sorted(got - helpf):
            print('EXTRA in %s: %s (not in --help)' % (name, f))
            bad += 1
        print('%s: %d flags' % (name, len(got)))
    print('docs_flags: %d differences' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
