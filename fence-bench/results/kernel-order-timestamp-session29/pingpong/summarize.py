import json,sys,glob,os
for p in sorted(glob.glob('/tmp/s29-ab/d*.json')):
    try: data=json.load(open(p))
    except Exception: continue
    print(os.path.basename(p), ' '.join('%s=%d'%(b['params']['impl'], b['primaryMetric']['scorePercentiles']['50.0']) for b in data))
