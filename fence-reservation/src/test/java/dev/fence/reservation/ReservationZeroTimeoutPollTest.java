package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A zero-timeout {@link Reservation#await(Usage, long, TimeUnit)} is the kernel's
 * {@code dma_resv_wait_timeout(obj, usage, intr, 0)}, which calls
 * {@code dma_fence_wait_timeout(fence, intr, 0)} on each pending fence: that enables signalling
 * before it checks, exactly as {@link Fence#awaitNanos(long) Fence.awaitNanos(0)} does here. A
 * driver fence that learns of its completion only when signalling is enabled (its enable hook
 * returns {@code false}: "already done") is then found signalled. Before the fix the reservation's
 * poll returned {@code false} without asking the fence, so a polling loop never ended although
 * a zero-timeout wait on the fence itself succeeds at once.
 */
class ReservationZeroTimeoutPollTest {

    /** Work already complete; the driver finds out (and signals) when signalling is enabled. */
    private static final class DoneOnEnable extends Fence {
        DoneOnEnable() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean enableSignalingHook() {
            return false;
        }
    }

    private static Reservation holding(Fence f, Usage usage) {
        Reservation resv = new Reservation();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(f, usage);
        } finally {
            resv.unlock();
        }
        return resv;
    }

    @Test
    void zeroTimeoutPollEnablesSignallingLikeTheKernel() throws Exception {
        Fence f = new DoneOnEnable();
        Reservation resv = holding(f, Usage.WRITE);
        assertFalse(resv.testSignaled(Usage.WRITE), "test_signaled does not enable signalling");
        assertTrue(resv.await(Usage.WRITE, 0, TimeUnit.NANOSECONDS),
                "a zero-timeout poll must enable signalling as dma_fence_wait_timeout(f, 0) does;"
                        + " the fence itself answers the same poll with "
                        + new DoneOnEnable().await(0, TimeUnit.NANOSECONDS));
        assertTrue(f.isSignaled());
    }

    @Test
    void zeroTimeoutPollStaysAPollForEveryFence() throws Exception {
        Fence done = new DoneOnEnable();
        Fence pending = Fence.create(Fence.allocateContexts(1), 1);
        Reservation resv = holding(done, Usage.WRITE);
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(pending, Usage.READ);
        } finally {
            resv.unlock();
        }
        long t0 = System.nanoTime();
        assertFalse(resv.await(Usage.READ, 0, TimeUnit.NANOSECONDS), "one fence is pending");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "a poll does not wait");
        assertTrue(done.isSignaled(), "the first fence was enabled and found done");
        pending.signal();
        assertTrue(resv.await(Usage.READ, 0, TimeUnit.NANOSECONDS));
    }
}
