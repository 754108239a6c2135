package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-thread adaptive spin budget ({@code FenceThread.spinNanos}) is halved only when a spin
 * ran its whole budget and the thread went on to park. A timed wait whose timeout is shorter than
 * the budget spins for the timeout only and returns without parking: that says nothing about
 * whether spinning pays, so it leaves the budget alone. Before, every such short poll halved it,
 * so a thread polling with {@code awaitNanos(1)} (or {@code await(1, MICROSECONDS)}) a few times
 * spun only an eighth of the ceiling on its next real wait and parked where it would have caught
 * the signal spinning (failed: budget 10000 after one poll, with the default 20000).
 */
@Timeout(10)
class SpinBudgetTest {

    @Test
    void aTimedOutWaitShorterThanTheBudgetLeavesTheBudgetAlone() throws InterruptedException {
        assumeTrue(Fence.SPIN_NANOS > 8, "spinning is off (one CPU, or dev.fence.spinNanos)");
        FenceThread self = FenceThread.current();
        self.spinNanos = Fence.SPIN_NANOS;
        Fence f = mockFence();
        for (int i = 0; i < 4; i++) {
            assertTrue(f.awaitNanos(1L) <= 0L, "pending: timed out");
            assertEquals(Fence.SPIN_NANOS, self.spinNanos, "after poll " + i);
        }
        assertTrue(!f.await(1, TimeUnit.NANOSECONDS));
        assertEquals(Fence.SPIN_NANOS, self.spinNanos);
    }

    @Test
    void aSpinThatRanItsWholeBudgetStillHalvesIt() throws InterruptedException {
        assumeTrue(Fence.SPIN_NANOS > 8, "spinning is off (one CPU, or dev.fence.spinNanos)");
        FenceThread self = FenceThread.current();
        self.spinNanos = Fence.SPIN_NANOS;
        Fence f = mockFence();
        // The timeout exceeds the budget: the spin runs out, the thread links and parks. (A
        // wait that found every spinning slot taken by other threads does not spin: retry.)
        for (int i = 0; i < 100 && self.spinNanos == Fence.SPIN_NANOS; i++) {
            assertTrue(f.awaitNanos(Fence.SPIN_NANOS * 50) <= 0L);
        }
        assertEquals(Math.max(Fence.SPIN_NANOS >> 1, Fence.SPIN_NANOS >> 3), self.spinNanos);
    }

    /**
     * A timed wait whose spin used its whole timeout returns without linking a waiter node: it
     * has nothing to park for, so a polling loop of short waits allocates nothing and takes no
     * list lock. Before, each such wait allocated a node and a JFR event, linked the node and
     * unlinked it again (failed: 177,784 B over 2,000 waits). Measured with the thread's
     * allocation counter after a warm-up.
     */
    @Test
    void aWaitWhoseSpinCoversItsTimeoutLinksNoNode() throws Exception {
        assumeTrue(Fence.SPIN_NANOS > 8, "spinning is off (one CPU, or dev.fence.spinNanos)");
        // the thread allocation counter, by reflection, as ExecContextTest reads it: the module
        // does not read jdk.management (surefire runs the tests on the class path)
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getThreadMXBean").invoke(null);
        Class<?> sunBean = Class.forName("com.sun.management.ThreadMXBean");
        assumeTrue(sunBean.isInstance(bean)
                && (Boolean) sunBean.getMethod("isThreadAllocatedMemorySupported").invoke(bean),
                "no thread allocation counter on this JVM");
        Method allocatedBytes = sunBean.getMethod("getCurrentThreadAllocatedBytes");
        FenceThread self = FenceThread.current();
        Fence f = mockFence();
        long timeout = Fence.SPIN_NANOS >> 4; // below the budget's floor of an eighth
        for (int i = 0; i < 2_000; i++) { // warm-up
            assertTrue(f.awaitNanos(timeout) <= 0L);
        }
        self.spinNanos = Fence.SPIN_NANOS;
        int waits = 2_000;
        long before = (Long) allocatedBytes.invoke(bean);
        for (int i = 0; i < waits; i++) {
            if (f.awaitNanos(timeout) > 0L) {
                throw new AssertionError("a pending fence reported signalled");
            }
        }
        long allocated = (Long) allocatedBytes.invoke(bean) - before;
        // A wait that found every spinning slot taken by another thread links a node as before;
        // a few such waits are allowed, one per wait is what the old code did.
        assertTrue(allocated < waits * 4L, allocated + " bytes over " + waits + " waits");
        assertEquals(Fence.SPIN_NANOS, self.spinNanos);
    }

    /**
     * A thread whose budget has fallen to the floor spins the whole ceiling once after
     * {@code Fence.PROBE_AFTER} parks there, and a probe that sees the signal puts the budget
     * back at the ceiling. Without the probe a thread waiting for hand-offs slower than the floor
     * but faster than the ceiling stayed at the floor for good: a floor spin that caught a signal
     * could only double the budget, never restore the ceiling in one wait (failed: the budget
     * stayed at 2500 in every attempt). Here the signal comes half a ceiling after the wait
     * begins, from a thread already running; an attempt whose signaller was descheduled past
     * the probe is retried.
     */
    @Test
    void aThreadStuckAtTheFloorProbesTheCeilingAndCatchesTheSignal() throws Exception {
        assumeTrue(Fence.SPIN_NANOS > 8 && Fence.SPIN_FLOOR * 4 <= Fence.SPIN_NANOS,
                "spinning is off (one CPU, or dev.fence.spinNanos), or the floor is too close");
        FenceThread self = FenceThread.current();
        boolean restored = false;
        int attempts = 0;
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!restored && attempts < 500 && System.nanoTime() - giveUp < 0) {
            attempts++;
            self.spinNanos = Fence.SPIN_FLOOR;
            self.floorParks = 0;
            Fence pending = mockFence();
            for (int i = 0; i < Fence.PROBE_AFTER; i++) {
                // Spins the floor, parks and times out: a park at the floor.
                assertTrue(pending.awaitNanos(Fence.SPIN_NANOS * 3) <= 0L);
                assertEquals(Fence.SPIN_FLOOR, self.spinNanos, "the floor holds");
            }
            Fence f = mockFence();
            AtomicBoolean ready = new AtomicBoolean();
            AtomicBoolean go = new AtomicBoolean();
            Thread signaller = new Thread(() -> {
                ready.set(true);
                while (!go.get()) {
                    Thread.onSpinWait();
                }
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < Fence.SPIN_NANOS / 2) {
                    Thread.onSpinWait();
                }
                f.signal();
            }, "half-a-ceiling signaller");
            signaller.start();
            while (!ready.get()) { // running, so the signal comes half a ceiling after go
                Thread.onSpinWait();
            }
            go.set(true);
            f.await();
            TestSupport.join(signaller);
            restored = self.spinNanos == Fence.SPIN_NANOS;
        }
        assertTrue(restored, "the budget stayed at " + self.spinNanos + " in " + attempts
                + " attempts");
    }

    /** A probe that runs out goes straight back to the floor and starts a new count. */
    @Test
    void aProbeThatRunsOutReturnsToTheFloor() throws InterruptedException {
        assumeTrue(Fence.SPIN_NANOS > 8, "spinning is off (one CPU, or dev.fence.spinNanos)");
        FenceThread self = FenceThread.current();
        Fence pending = mockFence();
        for (int attempt = 0; attempt < 20; attempt++) {
            self.spinNanos = Fence.SPIN_FLOOR;
            self.floorParks = Fence.PROBE_AFTER;
            assertTrue(pending.awaitNanos(Fence.SPIN_NANOS * 3) <= 0L);
            if (self.floorParks == 0) { // the probe ran (a wait without a spinning slot doesn't)
                assertEquals(Fence.SPIN_FLOOR, self.spinNanos, "back at the floor, not halved");
                return;
            }
        }
        throw new AssertionError("no probe ran in 20 waits: every spinning slot was taken");
    }

    /**
     * A spin that sees the signal doubles the budget up to the ceiling, saturating: with
     * {@code -Ddev.fence.spinNanos=9223372036854775807} (spin until signalled) the old
     * {@code Math.min(budget << 1, SPIN_NANOS)} gave -2 after the first successful spin, and the
     * thread never spun again (failed: -2).
     */
    @Test
    void doublingSaturatesAtTheCeiling() {
        assertEquals(Long.MAX_VALUE, Fence.doubledBudget(Long.MAX_VALUE, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE - 1, Fence.doubledBudget(Long.MAX_VALUE >> 1, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE,
                Fence.doubledBudget((Long.MAX_VALUE >> 1) + 1, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE - 3,
                Fence.doubledBudget((Long.MAX_VALUE >> 1) - 1, Long.MAX_VALUE));
        assertEquals(20_000L, Fence.doubledBudget(20_000L, 20_000L));
        assertEquals(20_000L, Fence.doubledBudget(10_000L, 20_000L));
        assertEquals(10_000L, Fence.doubledBudget(5_000L, 20_000L));
        assertEquals(20_000L, Fence.doubledBudget(12_000L, 20_000L));
        assertEquals(7_500L, Fence.doubledBudget(3_750L, 20_000L));
        assertEquals(20_000L, Fence.doubledBudget(10_000L, 20_001L)); // as Math.min did
    }
}
