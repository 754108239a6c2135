import json,re,statistics,glob
probes={}
for l in open('probes.txt'):
    m=re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns',l)
    if m: probes[m.group(1)]=int(m.group(2))
res={}
for f in sorted(glob.glob('q*.json')):
    k=f[:-5]
    d=json.load(open(f))
    v={x['params']['impl']:x['primaryMetric']['score'] for x in d}
    if 'FENCE' not in v or 'COUNT_DOWN_LATCH' not in v: continue
    rnd,jar,gc=k.split('-')
    res.setdefault((jar,gc),[]).append((int(rnd[1:]),v['FENCE'],v['COUNT_DOWN_LATCH'],v['FENCE']/v['COUNT_DOWN_LATCH'],probes.get(k)))
for key in sorted(res):
    rows=sorted(res[key])
    print(key,' '.join(f"r{r}:{f:.1f}/{l:.1f}={x:.2f}({p})" for r,f,l,x,p in rows))
    rs=[x for _,_,_,x,_ in rows]
    print('   ratio median',round(statistics.median(rs),3),'range',round(min(rs),2),'-',round(max(rs),2),'met',sum(1 for x in rs if x<=1.0),'of',len(rs),
          'fence median',round(statistics.median([f for _,f,_,_,_ in rows]),1),'latch median',round(statistics.median([l for _,_,l,_,_ in rows]),1))
