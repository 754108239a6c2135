package dev.fence.stress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;

/** What workloads share: operation and violation counters, fault-injection knobs, bounds. */
final class SoakContext {

    /** How far past its timeout a timed wait may return before it counts as a violation. */
    final long slackNanos;
    /** A wait that has not returned after this long is reported stuck by the watchdog. */
    final long stuckNanos;

    private final Map<String, LongAdder> ops = new ConcurrentHashMap<>();
    private final LongAdder violations = new LongAdder();
    private final ConcurrentLinkedQueue<String> firstViolations = new ConcurrentLinkedQueue<>();
    private final AtomicInteger reported = new AtomicInteger();
    private final LongAdder injectedThrows = new LongAdder();
    private final AtomicLong maxOvershootNanos = new AtomicLong();
    private volatile boolean stopping;

    SoakContext(long slackNanos, long stuckNanos) {
        this.slackNanos = slackNanos;
        this.stuckNanos = stuckNanos;
    }

    /** Counts one operation of kind {@code kind}. */
    void op(String kind) {
        ops.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Records a broken invariant; the run will exit non-zero. */
    void violation(String what) {
        violations.increment();
        if (reported.getAndIncrement() < 50) {
            firstViolations.add(what);
            System.err.println("VIOLATION: " + what);
        }
    }

    /** A callback is about to throw on purpose; Fences.callbackFailures() must count it. */
    void injectedThrow() {
        injectedThrows.increment();
    }

    long injectedThrows() {
        return injectedThrows.sum();
    }

    long violations() {
        return violations.sum();
    }

    List<String> firstViolations() {
        return new ArrayList<>(firstViolations);
    }

    long totalOps() {
        long n = 0;
        for (LongAdder a : ops.values()) {
            n += a.sum();
        }
        return n;
    }

    Map<String, Long> opsByKind() {
        Map<String, Long> m = new TreeMap<>();
        ops.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long maxOvershootNanos() {
        return maxOvershootNanos.get();
    }

    boolean stopping() {
        return stopping;
    }

    void stop() {
        stopping = true;
    }

    /**
     * Checks a timed wait that reported a timeout: it must not return before its timeout, nor
     * (beyond a generous slack) after it.
     */
    void checkTimeout(String what, long timeoutNanos, long elapsedNanos) {
        if (elapsedNanos < timeoutNanos) {
            violation(what + ": timed out after " + elapsedNanos + " ns, before its " + timeoutNanos
                    + " ns timeout");
        }
        checkOvershoot(what, timeoutNanos, elapsedNanos);
    }

    /** Records how late a timed wait returned; past the slack it is a violation. */
    void checkOvershoot(String what, long timeoutNanos, long elapsedNanos) {
        long over = elapsedNanos - timeoutNanos;
        maxOvershootNanos.accumulateAndGet(over, Math::max);
        if (over > slackNanos) {
            violation(what + ": returned " + TimeUnit.NANOSECONDS.toMillis(over)
                    + " ms after its timeout of " + timeoutNanos + " ns");
        }
    }

    /** Fault injection: sometimes stall the calling thread a little (inside hooks, callbacks). */
    static void maybeDelay(RandomGenerator rnd, int oneIn) {
        if (rnd.nextInt(oneIn) == 0) {
            int kind = rnd.nextInt(3);
            if (kind == 0) {
                Thread.yield();
            } else if (kind == 1) {
                for (int i = rnd.nextInt(200); i > 0; i--) {
                    Thread.onSpinWait();
                }
            } else {
                LockSupport.parkNanos(rnd.nextInt(50_000));
            }
        }
    }
}
