#!/bin/bash
cd /tmp/s29-ab
P=probes4.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp /tmp/s29-ab/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
pp() { probe "before $1"; java -jar /tmp/s29-ab/diag2.jar 'FencePingPongBenchmark' -p impl=FENCE,FENCE_TS -jvmArgsAppend "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -Ddiag.doubleStore=$2" -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
fo() { probe "before $1"; java -jar /tmp/s29-ab/$2.jar 'FenceFanOutBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4,16 -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
for pair in 1 2 3 4; do
  if [ $((pair % 2)) = 0 ]; then pp e$pair-double true; pp e$pair-single false; else pp e$pair-single false; pp e$pair-double true; fi
done
for pair in 1 2 3; do
  if [ $((pair % 2)) = 0 ]; then fo f$pair-new new; fo f$pair-old old; else fo f$pair-old old; fo f$pair-new new; fi
done
probe after
echo "done $(date +%T)" >> $P
