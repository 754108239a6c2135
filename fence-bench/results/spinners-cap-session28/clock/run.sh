#!/bin/bash
cd /tmp/s28-ab2
J=/tmp/s28-ab/diag2.jar
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp $J dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
for pair in 1 2 3; do
  probe "before p$pair"
  java -jar $J 'FencePingPongBenchmark' -p impl=FENCE,FENCE_TS,SPIN_THEN_PARK \
    -f 1 -wi 2 -i 3 -rf json -rff p$pair.json > p$pair.log 2>&1
done
probe after
echo "done $(date +%T)" >> $P
