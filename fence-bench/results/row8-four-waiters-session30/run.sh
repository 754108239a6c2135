#!/bin/bash
# Row 8 at 4 waiters: old (6abaecc, clock read before the publication) against new (62318c8,
# the kernel order), twelve alternated single-fork pairs, JDK 17, the VM's mode probed before
# every fork.
cd /tmp/s30-f8
while ! grep -q '^done' /tmp/s30-jdk25/probes.txt 2>/dev/null; do sleep 10; done
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $(java -cp /tmp/s30-f8/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { probe "before $1"; java -jar /tmp/s30-f8/$2.jar 'FenceFanOutBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4 -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1; }
for pair in $(seq 1 12); do
  if [ $((pair % 2)) = 0 ]; then one p$pair-new new; one p$pair-old old; else one p$pair-old old; one p$pair-new new; fi
done
probe after
echo "done $(date +%T)" >> $P
echo "done $(date +%T)" >> /tmp/s30-cpu.txt
