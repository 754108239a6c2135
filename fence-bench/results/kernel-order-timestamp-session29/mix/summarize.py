import json,sys,glob,os
def load(p):
    out={}
    for b in json.load(open(p)):
        n=b['benchmark'].split('.')[-1]; cls=b['benchmark'].split('.')[-2]
        par=b.get('params',{})
        pm=b['primaryMetric']
        if cls=='FencePingPongBenchmark':
            out['pp50.'+par['impl']]=pm['scorePercentiles']['50.0']
        elif cls=='FenceFanOutBenchmark':
            out['fo%s.%s'%(par['waiters'],par['impl'])]=pm['score']
        elif cls=='GpuRingBenchmark':
            out[n]=pm['score']/1e6
        elif cls=='FenceSignalBenchmark':
            out[n]=pm['score']
    return out
for p in sorted(glob.glob(sys.argv[1] if len(sys.argv)>1 else '/tmp/s29-ab/p*.json')):
    d=load(p)
    print(os.path.basename(p), ' '.join('%s=%.3g'%(k,v) for k,v in sorted(d.items())))
