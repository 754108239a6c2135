import json,re,statistics
rows=[]
probes={}
for l in open('probes.txt'):
    m=re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns',l)
    if m: probes[m.group(1)]=int(m.group(2))
for p in range(1,13):
    r={}
    for side in ('old','new'):
        k=f'p{p}-{side}'
        d=json.load(open(k+'.json'))
        v={x['params']['impl']:x['primaryMetric']['score'] for x in d}
        r[side]=(v['FENCE'],v['COUNT_DOWN_LATCH'],v['FENCE']/v['COUNT_DOWN_LATCH'],probes[k])
    rows.append(r)
    print(p, ' '.join(f"{s}: fence {r[s][0]:.1f} latch {r[s][1]:.1f} ratio {r[s][2]:.2f} probe {r[s][3]}" for s in ('old','new')))
for side in ('old','new'):
    allr=[r[side][2] for r in rows]
    slow=[r[side][2] for r in rows if r[side][3]>300]
    print(side,'median ratio all',round(statistics.median(allr),3),'slow-mode',round(statistics.median(slow),3),len(slow),'met',sum(1 for x in allr if x<=1.0),'of',len(allr))
    print(side,'fence median',round(statistics.median([r[side][0] for r in rows]),1),'latch median',round(statistics.median([r[side][1] for r in rows]),1))
both=[r for r in rows if r['old'][3]>300 and r['new'][3]>300]
print('pairs both slow',len(both),'new<old ratio in',sum(1 for r in both if r['new'][2]<r['old'][2]))
print('all pairs new<old ratio in',sum(1 for r in rows if r['new'][2]<r['old'][2]),'of 12; new fence < old fence in',sum(1 for r in rows if r['new'][0]<r['old'][0]))
