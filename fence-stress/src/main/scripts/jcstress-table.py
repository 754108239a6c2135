#!/usr/bin/env python3
"""Turns the RUN RESULTS section of a `jcstress -v` log into the markdown table of docs/stress.md:
one row per test. jcstress already sums each test over its JVM configurations and forks in that
section ("Results across all configurations"); a test listed more than once is summed here too.

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
    # Should a test be listed more than once, sum its outcomes and keep the worst status.
    tests = OrderedDict()
    current = None
    for line in text.splitlines():
        m = HEAD.search(line)
        if m:
            current = tests.setdefault(m.group(2), {'status': 'OK', 'rows': OrderedDict()})
            if STATUS_RANK[m.group(1)] > STATUS_RANK[current['status']]:
                current['status'] = m.group(1)
            continue
        m = ROW.match(line)
        if m and current is not None:
            key = m.group(1).strip()
            n, expect = int(m.group(2).replace(',', '')), m.group(4)
            prev = current['rows'].get(key, (0, expect))
            current['rows'][key] = (prev[0] + n, expect)
    total = 0
    failures = 0
    print('| test | samples | outcomes seen (samples) | interesting | status |')
    print('|---|---:|---|---:|---|')
    for name, t in sorted(tests.items()):
        rows = sorted(t['rows'].items())
        n = sum(r[1][0] for r in rows)
        total += n
        seen = ', '.join('`%s` %s' % (k, format(v[0], ',')) for k, v in rows if v[0] > 0)
        inter = sum(v[0] for k, v in rows if v[1] == 'Interesting')
        forb = sum(v[0] for k, v in rows if v[1] == 'Forbidden')
        if t['status'] != 'OK' or forb:
            failures += 1
        print('| %s | %s | %s | %s | %s |' % (name, format(n, ','), seen, format(inter, ','),
                                              t['status']))
    print()
    print('%d tests, %s samples, %d failed' % (len(tests), format(total, ','), failures))


if __name__ == '__main__':
    main(sys.argv[1])
