#!/bin/bash
# Waits for the table run's "done", hides it from the helpers (moves it to table-probes.txt),
# builds the woken-count jar, then runs alternated pairs base vs woken; writes "done" at the end.
T=/tmp/s27-jdk17
while ! grep -q '^done' $T/probes.txt 2>/dev/null; do sleep 0.2; done
mv $T/probes.txt $T/table-probes.txt
echo "A/B of the woken-count rule running (the table run's probes are in table-probes.txt)" > $T/probes.txt
cd <a copy of the working tree with the change> && mvn -B -q -o -pl fence-bench -am package -DskipTests > /tmp/s27-ab/build.log 2>&1
cp <a copy of the working tree with the change>/fence-bench/target/benchmarks.jar /tmp/s27-ab/woken.jar
cd /tmp/s27-ab
P=probes.txt
for pair in 1 2 3; do
  if [ $((pair % 2)) = 1 ]; then order="base woken"; else order="woken base"; fi
  for j in $order; do
    echo "$pair $j before $(date +%T) $(java -cp $j.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P
    java -jar $j.jar FenceFanOutBenchmark -p waiters=1,4,16,64 -p impl=FENCE,COUNT_DOWN_LATCH,COMPLETABLE_FUTURE -f 1 -wi 2 -i 3 -prof gc -rf json -rff fanout-$j-$pair.json > fanout-$j-$pair.log 2>&1
    java -jar $j.jar FencePingPongBenchmark -p impl=FENCE,COUNT_DOWN_LATCH -f 1 -wi 2 -i 3 -rf json -rff pingpong-$j-$pair.json > pingpong-$j-$pair.log 2>&1
    java -jar $j.jar GpuRingBenchmark -f 1 -wi 2 -i 3 -rf json -rff ring-$j-$pair.json > ring-$j-$pair.log 2>&1
  done
done
echo "ab done $(date +%T)" >> $P
cat $P >> $T/probes.txt
echo "done $(date +%T) (table run and the A/B after it)" >> $T/probes.txt
