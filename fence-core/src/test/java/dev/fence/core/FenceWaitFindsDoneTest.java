package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
        assertTrue(f.await(1, TimeUnit.SECONDS), "awaitSlow polls before waiting; the poll says done");
    }

    @Test
    void interruptedAwaitAnyFindingAFenceDoneAtEnableReturnsItsIndex() throws Exception {
        Fence pending = mockFence();
        Fence done = doneAtEnable();
        Thread.currentThread().interrupt();
        assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, pending, done));
        assertTrue(Thread.currentThread().isInterrupted());
    }

    @Test
    void awaitAllWithHugeTimeoutDoesNotOverflow() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        a.signal();
        Thread t = new Thread(() -> {
            TestSupport.awaitCondition("awaitAll parked on b", b::hasCallbacks);
            b.signal();
        });
        t.start();
        assertTrue(Fences.awaitAll(Long.MAX_VALUE, TimeUnit.DAYS, a, b));
        TestSupport.join(t);
        assertTrue(Fences.awaitAll(0, TimeUnit.NANOSECONDS, a, b));
    }
}
