#!/bin/bash
cd /tmp/s29-ab
P=probes5.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp /tmp/s29-ab/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { probe "before $1"; java -jar /tmp/s29-ab/$2.jar 'FenceFanOutBenchmark|FencePingPongBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=1,4 -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
for pair in 1 2 3 4; do
  if [ $((pair % 2)) = 0 ]; then one g$pair-new2 new2; one g$pair-old old; else one g$pair-old old; one g$pair-new2 new2; fi
done
probe after
echo "done $(date +%T)" >> $P
