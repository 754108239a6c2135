# Phase 1 of run.sh: fence / latch per fork, per jar, and the within-pair sign count.
import json, glob, statistics, re
probe = {}
for line in open('probes.txt'):
    m = re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns', line)
    if m:
        probe[m.group(1)] = int(m.group(2))
d = {}
for f in sorted(glob.glob('p*-*.json')):
    k = f[:-5]
    p, jar = k.split('-')
    try:
        v = {x['params']['impl']: x['primaryMetric']['score'] for x in json.load(open(f))}
    except ValueError:
        continue  # a fork still running
    d[(int(p[1:]), jar)] = (v['FENCE'], v['COUNT_DOWN_LATCH'],
                            v['FENCE'] / v['COUNT_DOWN_LATCH'], probe.get(k, -1))
rounds = sorted({p for p, _ in d})
for p in rounds:
    print(p, ' '.join(f"{j}: {d[(p, j)][0]:.1f}/{d[(p, j)][1]:.1f}={d[(p, j)][2]:.2f} "
                      f"({d[(p, j)][3]} ns)" for j in ('old', 'new') if (p, j) in d))
for j in ('old', 'new'):
    xs = [v for k, v in d.items() if k[1] == j]
    print(j, len(xs), 'ratio median', round(statistics.median(v[2] for v in xs), 3),
          'met', sum(v[2] <= 1 for v in xs),
          'fence median', round(statistics.median(v[0] for v in xs), 1),
          'latch median', round(statistics.median(v[1] for v in xs), 1))
both = [p for p in rounds if (p, 'old') in d and (p, 'new') in d]
print('new ratio higher in', sum(d[(p, 'new')][2] > d[(p, 'old')][2] for p in both),
      'of', len(both), 'pairs')
