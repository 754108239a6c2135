#!/bin/bash
# Row 8 at 4 waiters and row 6 on JDK 25: old (6abaecc, clock read before one store), new
# (6a18423, the kernel order: two stores), cond (new plus cond.patch: the kernel order only when
# nothing is linked; with callbacks or waiters linked the clock is read first and one store made).
# Ten rounds, rotating order; the VM's CrossCpuProbe before each.
cd "$(dirname "$0")"
J25=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $($J25 -cp /tmp/s31/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { # name jar
  probe "before $1"
  $J25 -jar /tmp/s31/$2.jar 'FenceFanOutBenchmark|FencePingPongBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4 -f 1 -wi 2 -i 3 -rf json -rff $1.json > $1.log 2>&1
}
C=(old new cond)
for round in $(seq 1 ${ROUNDS:-10}); do
  for k in 0 1 2; do
    c=${C[$(( (k + round) % 3 ))]}
    one t$round-$c $c
  done
done
probe after
echo "done $(date +%T)" >> $P
