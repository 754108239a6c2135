#!/bin/bash
# Thirty-second session (AMD EPYC host): row 8 at 4 waiters on JDK 25, old (6abaecc: the clock
# read before one store) against new (31ecd2c: the kernel order, SIGNALED published, then the
# clock, then a second store). Phase 1: alternated pairs without a profiler (does the thirtieth
# session's cost show today?). Phase 2: async-profiler 3.0 (itimer: this VM has no perf events)
# on the FENCE fork of each jar, alternated, flat and collapsed output, all threads.
# Expects /tmp/s32/old.jar, /tmp/s32/new.jar and /tmp/s32/ap/libasyncProfiler.so.
cd "$(dirname "$0")"
J25=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
P=probes.txt
probe() { echo "$1 $(date +%T) $($J25 -cp /tmp/s32/old.jar dev.fence.bench.CrossCpuProbe | tail -1)" >> $P; }
pair() { # name jar
  probe "before $1"
  $J25 -jar /tmp/s32/$2.jar FenceFanOutBenchmark -p impl=FENCE,COUNT_DOWN_LATCH -p waiters=4 \
    -f 1 -wi 2 -i 3 -rf json -rff $1.json > /dev/null 2>&1
}
prof() { # name jar event [extra profiler options]
  probe "before $1"
  $J25 -jar /tmp/s32/$2.jar FenceFanOutBenchmark -p impl=FENCE -p waiters=4 -f 1 -wi 2 -i 3 \
    -prof "async:libPath=/tmp/s32/ap/libasyncProfiler.so;event=$3;output=text,collapsed;traces=40;flat=60;interval=1000000;dir=prof-$1" \
    -rf json -rff $1.json > $1.log 2>&1
}
if [ "${PHASE:-1}" = 1 ]; then
  : > $P
  for round in $(seq 1 ${ROUNDS:-8}); do
    if [ $((round % 2)) = 1 ]; then pair p$round-old old; pair p$round-new new
    else pair p$round-new new; pair p$round-old old; fi
  done
elif [ "$PHASE" = 2 ]; then
  for round in $(seq 1 ${ROUNDS:-3}); do
    prof c$round-old old itimer; prof c$round-new new itimer
  done
fi
probe "after phase ${PHASE:-1}"
