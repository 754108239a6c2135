#!/usr/bin/env bash
# CI step for fence-stress: the whole jcstress suite in a bounded quick mode, then a 30 s soak.
# Needs fence-stress/target/jcstress.jar (built by `mvn verify` / `mvn package`).
# Uses $JAVA_HOME/bin/java if JAVA_HOME is set, else `java` from PATH.
# Then FenceWaitTests again with the waiters' spin off (the park path; see run_jcstress below),
# and WwMutexTests with the wound-wait chain back-off off.
# Fails (non-zero) if any jcstress test fails or errs, if no test ran, or on any soak violation.
#
# Bounded mode (measured in docs/stress.md): one JVM configuration (-jvmArgs disables the
# flag matrix), no split compilation, 2 CPUs, 1 iteration of 50 ms per fork, 1 normal +
# 1 stress fork per test (jcstress plans no stress fork on JDK 25). The suite has 160 tests
# (thirty-second session; 158 in dev.fence.stress, 2 in dev.fence.core). docs/stress.md (Commands
# table, CI row) has no timing for that count: its latest is for 129 tests (twenty-second
# session, quiet machine): 410 s on JDK 17 and 219 s on JDK 25. Plus the 30 s soak and the
# FenceWaitTests and WwMutexTests reruns above. Most of each fork's time is JVM start-up and
# warm-up, not sampling; the races these tests look for show within a few thousand samples (see
# the CI result table in docs/stress.md).
# Override with FENCE_JCSTRESS_ARGS / FENCE_SOAK_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=fence-stress/target/jcstress.jar
ARGS=${FENCE_JCSTRESS_ARGS:-"-m quick -c 2 -sc false -iters 1 -time 50"}
SOAK_SECONDS=${FENCE_SOAK_SECONDS:-30}

if [ ! -f "$JAR" ]; then
  echo "fence-stress: $JAR missing; run mvn package first" >&2
  exit 1
fi

# run_jcstress LABEL JVM_ARGS [jcstress args...]: one bounded jcstress run; fails the script if
# any test fails or errs, or if not every planned test passed (or none ran)
run_jcstress() {
  local label=$1 jvm_args=$2
  shift 2
  local out
  out=$(mktemp -d "${TMPDIR:-/tmp}/fence-jcstress.XXXXXX")
  echo "== fence-stress: jcstress $label $ARGS $* -jvmArgs \"$jvm_args\" ($("$JAVA" -version 2>&1 | head -n 1)); report in $out"
  local start rc summary
  start=$(date +%s)
  set +e
  # shellcheck disable=SC2086
  (cd "$out" && "$JAVA" -jar "$OLDPWD/$JAR" $ARGS "$@" -jvmArgs "$jvm_args" -r "$out/results") \
    > "$out/jcstress.log" 2>&1
  rc=$?
  set -e
  echo "== fence-stress: jcstress $label took $(( $(date +%s) - start )) s, exit code $rc"
  # the last progress line: (Results: N planned; P passed, F failed, S soft errs, H hard errs)
  summary=$(grep -E '^\(Results: [0-9]+ planned' "$out/jcstress.log" | tail -n 1 || true)
  echo "   $summary"
  grep -E '^\.\.\.\.\.* \[(FAILED|ERROR)\]' "$out/jcstress.log" | sort -u || true
  if [ "$rc" -ne 0 ]; then
    grep -A 40 'Failed tests:' "$out/jcstress.log" | head -n 80 || true
    echo "fence-stress: jcstress $label failed (exit code $rc)" >&2
    exit 1
  fi
  if [[ ! "$summary" =~ ^\(Results:\ ([0-9]+)\ planned\;\ ([0-9]+)\ passed,\ 0\ failed,\ [0-9]+\ soft\ errs,\ 0\ hard\ errs\) ]] \
     || [ "${BASH_REMATCH[1]}" -eq 0 ] || [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ]; then
    tail -n 60 "$out/jcstress.log"
    echo "fence-stress: jcstress $label did not pass every planned test (or ran none)" >&2
    exit 1
  fi
}

run_jcstress "(all tests)" "-Xmx256m"
# A fence waiter spins (up to dev.fence.spinNanos, 20 us) before it parks, and in the run above
# the signal nearly always lands inside the spin, so the park path is hardly reached. The wait
# tests again with the spin off: the mutation audit of 2026-12-07 (docs/stress.md) found a lost
# wake-up on the park path that only this run catches.
run_jcstress "(FenceWaitTests, spin off)" "-Xmx256m -Ddev.fence.spinNanos=0" -t FenceWaitTests
# WwMutex's wound-wait chain back-off (dev.fence.reservation.woundWaitChainBackoff, default on)
# backs a context off before the wound check of a queued waiter can matter: the mutation audit of
# the twenty-sixth session found a wound check ignoring the wounded flag passed the default run
# (0 of 594 K forbidden) and hung with the back-off off. The WwMutex tests again with it off.
run_jcstress "(WwMutexTests, chain back-off off)" \
  "-Xmx256m -Ddev.fence.reservation.woundWaitChainBackoff=false" -t WwMutexTests

echo "== fence-stress: soak ${SOAK_SECONDS} s"
"$JAVA" -cp "$JAR" dev.fence.stress.Soak --seconds "$SOAK_SECONDS" --threads 6
