#!/bin/bash
# alternated pairs: woken (HEAD before the probe) vs probe
cd /tmp/s27-ab2
P=probes.txt
for pair in 1 2 3; do
  if [ $((pair % 2)) = 1 ]; then order="woken probe"; else order="probe woken"; fi
  for j in $order; do
    echo "$pair $j before $(date +%T) $(java -cp $j.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P
    java -jar $j.jar FenceFanOutBenchmark -p waiters=1,4,16,64 -p impl=FENCE,COUNT_DOWN_LATCH,COMPLETABLE_FUTURE -f 1 -wi 2 -i 3 -prof gc -rf json -rff fanout-$j-$pair.json > fanout-$j-$pair.log 2>&1
    echo "$pair $j mid $(date +%T) $(java -cp $j.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P
    java -jar $j.jar FencePingPongBenchmark -p impl=FENCE,COUNT_DOWN_LATCH -f 1 -wi 2 -i 3 -rf json -rff pingpong-$j-$pair.json > pingpong-$j-$pair.log 2>&1
    java -jar $j.jar GpuRingBenchmark -f 1 -wi 2 -i 3 -rf json -rff ring-$j-$pair.json > ring-$j-$pair.log 2>&1
    echo "$pair $j after $(date +%T) $(java -cp $j.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P
  done
done
echo "done $(date +%T)" >> $P
