#!/usr/bin/env bash
# CI smoke test for fence-bench: the shaded jar exists and one tiny benchmark runs to completion.
# Fails (non-zero exit) if the jar is missing, JMH reports an error, or no result is printed.
# Usage: fence-bench/ci-smoke.sh   (after `mvn -B -pl fence-bench -am package -DskipTests`)
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  echo "ci-smoke: $JAR not found; build it first" >&2
  exit 1
fi
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
# -foe true: fail on error; about 1 s of measurement plus JVM start-up
java -jar "$JAR" 'FenceQueryBenchmark.fenceIsSignaled' -f 1 -wi 0 -i 1 -r 1s -foe true | tee "$OUT"
grep -q 'FenceQueryBenchmark.fenceIsSignaled .*ns/op' "$OUT" || {
  echo "ci-smoke: no benchmark result in the output" >&2
  exit 1
}
echo "ci-smoke: OK"
