#!/usr/bin/env python3
"""Turns the RUN RESULTS section of a `jcstress -v` log into the markdown table of docs/stress.md:
one row per test, as jcstress sums it over its JVM configurations and forks ("Results across all
configurations"). A test can be listed in more than one section of RUN RESULTS (interesting and
failed, say) with the same figures: its first listing counts, and the worst status is kept.

usage: jcstress-table.py jcstress.log
"""
import re
import sys
from collections import OrderedDict

HEAD = re.compile(r'\[(OK|FAILED|ERROR)\]\s+dev\.fence\.stress\.(\S+)')
ROW = re.compile(r'^\s+(.+?)\s+([\d,]+)\s+(<?[\d.]+%)\s+(Acceptable|Interesting|Forbidden)\s+(.*)$')

STATUS_RANK = {'OK': 0, 'FAILED': 1, 'ERROR': 2}


def main(path):
    text = open(path, encoding='utf-8', errors='replace').read()
    if 'RUN RESULTS:' not in text:
        sys.exit('no RUN RESULTS section in ' + path)
    text = text[text.index('RUN RESULTS:'):]
    tests = OrderedDict()
    current = None
    for line in text.splitlines():
        m = HEAD.search(line)
        if m:
            name, status = m.group(2), m.group(1)
            if name in tests:
                if STATUS_RANK[status] > STATUS_RANK[tests[name]['status']]:
                    tests[name]['status'] = status
                current = None  # the same figures again: do not count them twice
            else:
                current = tests[name] = {'status': status, 'rows': []}
            continue
        m = ROW.match(line)
        if m and current is not None:
            current['rows'].append((m.group(1).strip(), int(m.group(2).replace(',', '')), m.group(4)))
    total = 0
    failures = 0
    print('| test | samples | outcomes seen (samples) | interesting | status |')
    print('|---|---:|---|---:|---|')
    for name, t in sorted(tests.items()):
        n = sum(r[1] for r in t['rows'])
        total += n
        seen = ', '.join('`%s` %s' % (r[0], format(r[1], ',')) for r in t['rows'] if r[1] > 0)
        inter = sum(r[1] for r in t['rows'] if r[2] == 'Interesting')
        forb = sum(r[1] for r in t['rows'] if r[2] == 'Forbidden')
        if t['status'] != 'OK' or forb:
            failures += 1
        print('| %s | %s | %s | %s | %s |' % (name, format(n, ','), seen, format(inter, ','), t['status']))
    print()
    print('%d tests, %s samples, %d failed' % (len(tests), format(total, ','), failures))


if __name__ == '__main__':
    main(sys.argv[1])
