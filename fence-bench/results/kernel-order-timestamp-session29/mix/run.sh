#!/bin/bash
cd /tmp/s29-ab
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp /tmp/s29-ab/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { probe "before $1"; java -jar /tmp/s29-ab/$2.jar 'FencePingPongBenchmark|FenceFanOutBenchmark|GpuRing|FenceSignalBenchmark.fence(CreateSignal|OneCallbackSignal|FourCallbacksSignal)$' -p impl=FENCE,SPIN_THEN_PARK -p waiters=1,4 -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
for pair in 1 2 3; do
  if [ $pair = 2 ]; then one p$pair-new new; one p$pair-old old; else one p$pair-old old; one p$pair-new new; fi
done
probe after
echo "done $(date +%T)" >> $P
