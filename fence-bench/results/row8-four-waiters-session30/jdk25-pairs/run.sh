#!/bin/bash
# Row 8 at 4 waiters on JDK 25, more rounds: old (6abaecc) against new (62318c8), no -prof gc,
# ten alternated pairs, the VM's mode probed before every fork.
cd /tmp/s30-f25b
while ! grep -q '^exit' /tmp/ci-run30a.log 2>/dev/null; do sleep 10; done
J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $($J25 -cp /tmp/s30-f25b/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { probe "before $1"; $J25 -jar /tmp/s30-f25b/$2.jar 'FenceFanOutBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4 -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
for pair in $(seq 1 10); do
  if [ $((pair % 2)) = 0 ]; then one s$pair-new new; one s$pair-old old; else one s$pair-old old; one s$pair-new new; fi
done
probe after
echo "done $(date +%T)" >> $P
echo "done $(date +%T)" >> /tmp/s30-cpu2.txt
