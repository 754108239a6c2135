import json,glob,statistics,re
pr={}
for l in open('probes.txt'):
    m=re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns',l)
    if m: pr[m.group(1)]=int(m.group(2))
d={}
for f in sorted(glob.glob('s*.json')):
    k=f[:-5]; p,j=k.split('-')
    v={x['params']['impl']:x['primaryMetric']['score'] for x in json.load(open(f))}
    d[(int(p[1:]),j)]=(v['FENCE'],v['COUNT_DOWN_LATCH'],v['FENCE']/v['COUNT_DOWN_LATCH'],pr[k])
for p in range(1,11):
    print(p,' '.join(f"{j}: {d[(p,j)][0]:.1f}/{d[(p,j)][1]:.1f}={d[(p,j)][2]:.2f} ({d[(p,j)][3]})" for j in ('old','new')))
for j in ('old','new'):
    xs=[v[2] for k,v in d.items() if k[1]==j]; sl=[v[2] for k,v in d.items() if k[1]==j and v[3]>=150]
    print(j,len(xs),'ratio median',round(statistics.median(xs),3),'met',sum(x<=1 for x in xs),'slow-mode',len(sl),round(statistics.median(sl),3),'fence median',round(statistics.median([v[0] for k,v in d.items() if k[1]==j]),1),'latch median',round(statistics.median([v[1] for k,v in d.items() if k[1]==j]),1))
print('new ratio higher in',sum(1 for p in range(1,11) if d[(p,'new')][2]>d[(p,'old')][2]),'of 10 pairs')
