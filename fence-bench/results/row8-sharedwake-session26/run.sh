#!/bin/bash
# alternated pairs: base vs shared-wake jar, row 8 (and CF as info)
cd /tmp/s26-ab
P=probes.txt
for pair in 1 2 3; do
  if [ $((pair % 2)) = 1 ]; then order="base wake"; else order="wake base"; fi
  for j in $order; do
    echo "$pair $j before $(date +%T) $(java -cp $j.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P
    java -jar $j.jar FenceFanOutBenchmark -p waiters=1,4,16,64 -p impl=FENCE,COUNT_DOWN_LATCH,COMPLETABLE_FUTURE -f 1 -wi 2 -i 3 -prof gc -rf json -rff $j-$pair.json > $j-$pair.log 2>&1
  done
done
echo "done $(date +%T)" >> $P
