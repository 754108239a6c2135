# Folds async-profiler collapsed stacks (prof-*/*/collapsed-itimer.csv) into a few buckets per
# fork: where the CPU time of row 8 at 4 waiters goes, old jar against new.
import glob, sys, collections
BUCKETS = [  # first match wins, tested against the whole stack, leaf last
    ('unpark', ('Unsafe.unpark', 'Unsafe_Unpark')),
    ('park', ('Unsafe.park', 'Unsafe_Park')),
    ('spin (awaitSlow)', ('Fence.awaitSlow',)),
    ('signal', ('Fence.signal',)),
    ('latch/ack (bench)', ('FenceFanOutBenchmark',)),
    ('jit/gc/vm', ('Compile', 'G1', 'GC', 'Thread::', 'VMThread')),
]
rows = []
for d in sorted(glob.glob(sys.argv[1] if len(sys.argv) > 1 else 'prof-*')):
    c = collections.Counter()
    total = 0
    for line in open(glob.glob(d + '/*/collapsed-itimer.csv')[0]):
        stack, n = line.rsplit(' ', 1)
        n = int(n)
        total += n
        for name, keys in BUCKETS:
            if any(k in stack for k in keys):
                c[name] += n
                break
        else:
            c['other'] += n
    rows.append((d, total, c))
names = [b[0] for b in BUCKETS] + ['other']
print('fork', 'samples', *names, sep='\t')
for d, total, c in rows:
    print(d, total, *(f"{100 * c[k] / total:.1f}%" for k in names), sep='\t')
