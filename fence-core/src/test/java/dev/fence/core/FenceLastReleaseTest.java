package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The last release against waiters entering a wait, the order of deallocate, tryRetain. */
@SuppressWarnings("try")
class FenceLastReleaseTest {

    /**
     * A waiter whose await() began before the last release (its enable hook already ran) but
     * that had not linked its node yet (spinning) is not "queued", so lastReleased() does not
     * signal; when it then links, it must find the fence dead and signal it
     * (FenceReleasedException) rather than park on a fence that nobody will signal, as the same
     * waiter parked a little earlier is woken with that error.
     */
    @Test
    void aWaiterEnteringTheWaitWhenTheLastReferenceGoesIsNotLeftHanging() throws Exception {
        int hung = 0;
        int rounds = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() - end < 0 && hung == 0) {
            rounds++;
            final class Marked extends Fence {
                volatile boolean entered;

                Marked() {
                    super(Fence.allocateContexts(1), 1);
                }

                @Override
                protected boolean enableSignalingHook() {
                    entered = true; // the waiter has called await(); it will spin, then link
                    return true;
                }
            }
            Marked f = new Marked();
            AtomicLong remaining = new AtomicLong(Long.MIN_VALUE);
            Thread w = new Thread(() -> {
                try {
                    remaining.set(f.awaitNanos(TimeUnit.SECONDS.toNanos(5))); // a hang guard only
                } catch (InterruptedException e) {
                    remaining.set(-2);
                }
            });
            w.start();
            while (!f.entered) {
                Thread.onSpinWait();
            }
            assertTrue(f.release(), "the only reference");
            TestSupport.join(w);
            if (remaining.get() <= 0) {
                hung++; // an untimed await() would never return
            } else {
                assertTrue(f.error() instanceof FenceReleasedException, String.valueOf(f.error()));
            }
        }
        assertEquals(0, hung, "waiters that entered await() before the last release timed out"
                + " on a dead, never-signalled fence (" + rounds + " rounds)");
    }

    /** Deterministic form of the same window: the hook is still running when the last ref goes. */
    @Test
    void aWaiterWhoseEnableHookIsRunningWhenTheLastReferenceGoesIsNotLeftHanging()
            throws Exception {
        java.util.concurrent.CountDownLatch inHook = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                inHook.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }
        };
        AtomicLong remaining = new AtomicLong(Long.MIN_VALUE);
        Thread w = new Thread(() -> {
            try {
                remaining.set(f.awaitNanos(TimeUnit.MILLISECONDS.toNanos(500)));
            } catch (InterruptedException e) {
                remaining.set(-2);
            }
        });
        w.start();
        inHook.await();
        assertTrue(f.release());
        released.countDown();
        TestSupport.join(w);
        assertTrue(remaining.get() > 0, "waiter timed out on a released pending fence: "
                + remaining.get() + ", signalled=" + f.isSignaled());
    }

    /**
     * Kernel dma_fence_release: signal (callbacks run) then ops->release. When the last release
     * happens inside a callback or a CallbackDeferral, the forced signal's callbacks are only
     * queued, and deallocate() must be queued behind them, not run before them.
     */
    @Test
    void deallocateRunsAfterTheForcedSignalsCallbacksInsideADeferral() {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() {
                log.add("deallocate");
            }
        };
        f.onSignal(x -> log.add("callback " + x.error().getClass().getSimpleName()));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(f.release());
        }
        assertEquals(List.of("callback FenceReleasedException", "deallocate"), log);
    }

    @Test
    void deallocateRunsAfterTheForcedSignalsCallbacksInsideACallback() {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() {
                log.add("deallocate");
            }
        };
        f.onSignal(x -> log.add("callback"));
        Fence trigger = mockFence();
        trigger.onSignal(x -> f.release());
        trigger.signal();
        assertEquals(List.of("callback", "deallocate"), log);
    }

    @Test
    void tryRetainContract() {
        Fence f = mockFence();
        assertTrue(f.tryRetain());
        assertEquals(2, f.refCnt());
        assertFalse(f.release());
        assertTrue(f.release());
        assertFalse(f.tryRetain(), "after zero");
        assertEquals(0, f.refCnt());
        assertThrows(IllegalStateException.class, f::retain);
        assertThrows(IllegalStateException.class, f::release);
        assertTrue(Fence.signaledStub().tryRetain());
        assertEquals(1, Fence.signaledStub().refCnt());
    }

    @Test
    void releaseWithQueuedCallbackOnSignalledFenceDoesNotResignal() {
        Fence f = mockFence();
        AtomicReference<Throwable> seen = new AtomicReference<>();
        f.onSignal(x -> seen.set(x.error()));
        RuntimeException e = new RuntimeException("x");
        f.signal(e);
        assertTrue(f.release());
        assertSame(e, f.error());
        assertSame(e, seen.get());
    }
}
