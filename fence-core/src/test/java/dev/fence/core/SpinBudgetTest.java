package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.TimeUnit;
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
     * A spin that sees the signal doubles the budget up to the ceiling, saturating: with
     * {@code -Ddev.fence.spinNanos=9223372036854775807} (spin until signalled) the old
     * {@code Math.min(budget << 1, SPIN_NANOS)} gave -2 after the first successful spin, and the
     * thread never spun again (failed: -2).
     */
    @Test
    void doublingSaturatesAtTheCeiling() {
        assertEquals(Long.MAX_VALUE, Fence.doubledBudget(Long.MAX_VALUE, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE - 1, Fence.doubledBudget(Long.MAX_VALUE >> 1, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE, Fence.doubledBudget((Long.MAX_VALUE >> 1) + 1, Long.MAX_VALUE));
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
