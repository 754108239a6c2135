import json,glob,statistics,re,sys
pr={}
for l in open('probes.txt'):
    m=re.match(r'before (\S+) \S+ cross-cpu round trip: (\d+) ns',l)
    if m: pr[m.group(1)]=int(m.group(2))
C=('old','new','cond')
d={}
for f in sorted(glob.glob('t*.json')):
    k=f[:-5]; r,c=k.split('-')
    try: js=json.load(open(f))
    except Exception: continue
    v={}
    for x in js:
        b=x['benchmark'].split('.')[-1]; i=x['params']['impl']
        if b=='broadcast': v['f8' if i=='FENCE' else 'l8']=x['primaryMetric']['score']
        else: v['pp' if i=='FENCE' else 'lpp']=x['primaryMetric']['scorePercentiles']['50.0']
    if len(v)<4: continue
    d[(int(r[1:]),c)]=dict(v,ratio=v['f8']/v['l8'],probe=pr.get(k))
rounds=sorted({r for r,_ in d})
for r in rounds:
    print(r,' | '.join(f"{c}: {d[(r,c)]['f8']:.1f}/{d[(r,c)]['l8']:.1f}={d[(r,c)]['ratio']:.2f} pp {d[(r,c)]['pp']:.0f} lpp {d[(r,c)]['lpp']:.0f} ({d[(r,c)]['probe']})" for c in C if (r,c) in d))
for c in C:
    xs=[v for k,v in d.items() if k[1]==c]
    if not xs: continue
    med=lambda key: round(statistics.median([v[key] for v in xs]),3)
    print(c,len(xs),'row8 ratio median',med('ratio'),'met',sum(v['ratio']<=1 for v in xs),'fence',med('f8'),'latch',med('l8'),'| pp50 fence',med('pp'),'latch',med('lpp'))
full=[r for r in rounds if all((r,c) in d for c in C)]
for a,b in (('new','old'),('cond','old'),('cond','new')):
    print(f'{a} ratio above {b} in',sum(d[(r,a)]['ratio']>d[(r,b)]['ratio'] for r in full),'of',len(full),
          f'; {a} pp above {b} in',sum(d[(r,a)]['pp']>d[(r,b)]['pp'] for r in full))
