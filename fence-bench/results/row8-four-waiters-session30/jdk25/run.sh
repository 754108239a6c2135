#!/bin/bash
# Row 8 at 4 waiters on JDK 25: old (6abaecc) against new (62318c8), each with and without
# -prof gc (the table runs with it), seven rounds of four single-fork sets in a rotating order,
# the VM's mode probed before every fork set.
cd /tmp/s30-f25
J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
P=probes.txt
: > $P
probe() { echo "$1 $(date +%T) $($J25 -cp /tmp/s30-f25/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
one() { # name jar gc|nogc
  probe "before $1"
  if [ "$3" = gc ]; then G="-prof gc"; else G=""; fi
  $J25 -jar /tmp/s30-f25/$2.jar 'FenceFanOutBenchmark' -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4 -f 1 -wi 2 -i 3 $G -rf json -rff $1.json > $1.log 2>&1
}
C=(old:gc new:gc old:nogc new:nogc)
for round in $(seq 1 7); do
  for k in 0 1 2 3; do
    c=${C[$(( (k + round) % 4 ))]}
    one q$round-${c%%:*}-${c##*:} ${c%%:*} ${c##*:}
  done
done
probe after
echo "done $(date +%T)" >> $P
