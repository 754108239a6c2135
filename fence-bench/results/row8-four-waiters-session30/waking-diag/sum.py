import json,glob,statistics,re
pr={}
for l in open('probes.txt'):
    m=re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns',l)
    if m: pr[m.group(1)]=int(m.group(2))
d={}
for f in sorted(glob.glob('t*.json')):
    k=f[:-5]; r,c=k.split('-')
    try:
        v={x['params']['impl']:x['primaryMetric']['score'] for x in json.load(open(f))}
    except Exception: continue
    d[(int(r[1:]),c)]=(v['FENCE'],v['COUNT_DOWN_LATCH'],v['FENCE']/v['COUNT_DOWN_LATCH'],pr[k])
rounds=sorted({r for r,_ in d})
for r in rounds:
    print(r,' '.join(f"{c}: {d[(r,c)][0]:.1f}/{d[(r,c)][1]:.1f}={d[(r,c)][2]:.2f} ({d[(r,c)][3]})" for c in ('old','off','on') if (r,c) in d))
for c in ('old','off','on'):
    xs=[v[2] for k,v in d.items() if k[1]==c]
    print(c,len(xs),'ratio median',round(statistics.median(xs),3),'met',sum(x<=1 for x in xs),'fence median',round(statistics.median([v[0] for k,v in d.items() if k[1]==c]),1),'latch median',round(statistics.median([v[1] for k,v in d.items() if k[1]==c]),1))
full=[r for r in rounds if all((r,c) in d for c in ('old','off','on'))]
print('on below off in',sum(d[(r,'on')][2]<d[(r,'off')][2] for r in full),'of',len(full),'; off above old in',sum(d[(r,'off')][2]>d[(r,'old')][2] for r in full))
