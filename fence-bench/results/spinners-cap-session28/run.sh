#!/bin/bash
cd /tmp/s28-ab
J=/tmp/s28-ab/diag.jar
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp $J dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { # $1 tag, $2 uncapped flag
  probe "before $1"
  java -jar $J 'FencePingPongBenchmark|FenceFanOutBenchmark' -p impl=FENCE,SPIN_THEN_PARK -p waiters=1 \
    -f 1 -wi 2 -i 3 -rf json -rff $1.json \
    -jvmArgsAppend "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -Ddev.fence.diag.uncapped=$2" > $1.log 2>&1
}
for pair in 1 2 3; do
  if [ $pair = 2 ]; then one p${pair}-uncapped true; one p${pair}-capped false;
  else one p${pair}-capped false; one p${pair}-uncapped true; fi
done
probe after
echo "done $(date +%T)" >> $P
