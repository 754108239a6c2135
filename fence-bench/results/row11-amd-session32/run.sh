#!/bin/bash
# Thirty-second session: row 11 alone on the AMD host after the table's first miss there (1.42x
# in run 2). Eight single forks of GpuRingBenchmark (all three groups), -f 1 -wi 2 -i 3, the jar
# at 31ecd2c (/tmp/s32/new.jar, not kept), JDK 17, the probe before each fork, nothing else running.
cd "$(dirname "$0")"
J=/tmp/s32/new.jar
: > probes.txt
for i in $(seq 1 ${FORKS:-8}); do
  echo "before f$i $(date +%T) $(java -cp $J dev.fence.bench.CrossCpuProbe | tail -1)" >> probes.txt
  java -jar $J GpuRingBenchmark -f 1 -wi 2 -i 3 -rf json -rff f$i.json > /dev/null 2>&1
done
echo "after $(date +%T) $(java -cp $J dev.fence.bench.CrossCpuProbe | tail -1)" >> probes.txt
