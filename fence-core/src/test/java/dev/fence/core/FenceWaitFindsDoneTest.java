package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An interrupted thread waiting on a fence that the wait itself finds done (enable hook
 * returns false, or the driver poll says done). The kernel's dma_fence_wait_timeout enables
 * signalling first and dma_fence_default_wait tests SIGNALED before signal_pending, so such a
 * wait succeeds (1 for a zero timeout); dma_fence_wait_any_timeout treats an add_callback
 * failure as "signalled" before it ever looks at signal_pending.
 */
class FenceWaitFindsDoneTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    /** A driver fence whose work has already passed: enable-signalling says so. */
    static Fence doneAtEnable() {
        return new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                return false;
            }
        };
    }

    /** A driver fence that reports completion only when polled. */
    static Fence doneWhenPolled() {
        return new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean pollSignaled() {
                return true;
            }
        };
    }

    @Test
    void interruptedZeroTimeoutWaitOnFenceDoneAtEnableReturnsOne() throws Exception {
        Fence f = doneAtEnable();
        Thread.currentThread().interrupt();
        long r = f.awaitNanos(0); // kernel: enable -> signalled -> returns 1
        assertTrue(r >= 1, "remaining " + r);
        assertTrue(f.isSignaled());
        assertTrue(Thread.currentThread().isInterrupted(), "interrupt left for later");
    }

    @Test
    void interruptedAwaitOnFenceDoneAtEnableReturns() throws Exception {
        Fence f = doneAtEnable();
        Thread.currentThread().interrupt();
        f.await();
        assertTrue(f.isSignaled());
        Fence g = doneAtEnable();
        Thread.currentThread().interrupt();
        assertTrue(g.await(1, TimeUnit.SECONDS));
    }

    @Test
    void interruptedWaitOnFenceTheDriverReportsDoneReturns() throws Exception {
        Fence f = doneWhenPolled();
        Thread.currentThread().interrupt();
        assertTrue(f.await(1, TimeUnit.SECONDS),
                "awaitSlow polls before waiting; the poll says done");
    }

    @Test
    void interruptedAwaitAnyFindingAFenceDoneAtEnableReturnsItsIndex() throws Exception {
        Fence pending = mockFence();
        Fence done = doneAtEnable();
        Thread.currentThread().interrupt();
        assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, pending, done));
        assertTrue(Thread.currentThread().isInterrupted());
    }

    /**
     * The wait runs in its own thread under a bounded get: a wait that is never woken (or a
     * deadline that overflowed into the past) fails here instead of hanging the suite, and b is
     * signalled only once that thread is parked on it.
     */
    @Test
    @Timeout(30)
    void awaitAllWithHugeTimeoutDoesNotOverflow() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        a.signal();
        FutureTask<Boolean> wait = new FutureTask<>(
                () -> Fences.awaitAll(Long.MAX_VALUE, TimeUnit.DAYS, a, b));
        Thread t = new Thread(wait, "huge-timeout-awaitAll");
        t.setDaemon(true);
        t.start();
        TestSupport.awaitCondition("awaitAll parked on b (or done)",
                () -> LockSupport.getBlocker(t) == b || wait.isDone());
        b.signal();
        try {
            assertTrue(wait.get(10, TimeUnit.SECONDS));
        } catch (TimeoutException e) {
            throw new AssertionError("awaitAll was not woken by b's signal in 10 s", e);
        }
        assertTrue(Fences.awaitAll(0, TimeUnit.NANOSECONDS, a, b));
    }
}
