#!/bin/bash
# Row 8 at 4 waiters on JDK 25: the WAKING suspect. diag.jar = main at 4f9aad4 plus
# diag-pend.patch: with -Ddev.fence.diag.pend=true, signal() raises WAKING by one before it
# publishes SIGNALED (when callbacks or waiters are linked) and lowers it after running them, so
# a released spinner that goes on to the next await sees a wake-up coming. Off, it is the
# current library. old.jar = 6abaecc (before the kernel order). Eight rounds, rotating order.
cd /tmp/s30-pend
J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $($J25 -cp /tmp/s30-pend/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { # name jar pend
  probe "before $1"
  $J25 -jar /tmp/s30-pend/$2.jar 'FenceFanOutBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4 -f 1 -wi 2 -i 3 -jvmArgsAppend "-Ddev.fence.diag.pend=$3" -rf json -rff $1.json > $1.log 2>&1
}
C=(old:old:false off:diag:false on:diag:true)
for round in $(seq 1 8); do
  for k in 0 1 2; do
    c=${C[$(( (k + round) % 3 ))]}
    IFS=: read name jar pend <<< "$c"
    one t$round-$name $jar $pend
  done
done
probe after
echo "done $(date +%T)" >> $P
