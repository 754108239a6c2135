#!/bin/bash
cd /tmp/s29-ab
P=probes2.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp /tmp/s29-ab/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { probe "before $1"; java -jar /tmp/s29-ab/$2.jar 'FencePingPongBenchmark' -p impl=FENCE,FENCE_TS,SPIN_THEN_PARK -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
for pair in 1 2 3; do
  if [ $pair = 2 ]; then one d$pair-new diag-new; one d$pair-old diag-old; else one d$pair-old diag-old; one d$pair-new diag-new; fi
done
probe after
echo "done $(date +%T)" >> $P
