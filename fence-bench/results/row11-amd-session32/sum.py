# Per fork: each ring's emitter rate per measured iteration (M jobs/s) and the row-11 ratio
# (parking ring / CF ring, mean of the iterations), with the probe read before the fork.
import json, glob, re
probe = {m.group(1): m.group(2) for m in
         (re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns', l) for l in open('probes.txt')) if m}
for f in sorted(glob.glob('f*.json'), key=lambda x: int(x[1:-5])):
    rates = {}
    for x in json.load(open(f)):
        for k, v in x['secondaryMetrics'].items():
            if k.endswith('Emit'):
                rates[k] = (v['score'] / 1e6, [round(i / 1e6, 1) for i in v['rawData'][0]])
    ratio = rates['fenceWokenEmit'][0] / rates['cfEmit'][0]
    print(f[:-5], probe[f[:-5]] + ' ns', f"11 {ratio:.2f}x {'met' if ratio >= 1.5 else 'MISSED'}",
          *(f"{k[:-4]} {v[1]}" for k, v in sorted(rates.items())))
