package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.TestSupport.CountingCallback;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Driver hooks (enable-signalling, polling, deadlines, deallocate) and reference counting. */
class FenceHooksTest {

    /** A driver fence recording every hook call. */
    static class DriverFence extends Fence {
        final AtomicInteger enableCalls = new AtomicInteger();
        final AtomicInteger deallocateCalls = new AtomicInteger();
        final List<Long> deadlines = new CopyOnWriteArrayList<>();
        volatile boolean hardwareDone;
        volatile boolean armResult = true;
        volatile Throwable pollError;
        volatile RuntimeException deadlineFailure;

        DriverFence() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean enableSignalingHook() {
            enableCalls.incrementAndGet();
            return armResult;
        }

        @Override
        protected boolean pollSignaled() {
            if (hardwareDone && pollError != null) {
                setError(pollError);
            }
            return hardwareDone;
        }

        @Override
        protected void onDeadline(long deadlineNanos) {
            deadlines.add(deadlineNanos);
            RuntimeException e = deadlineFailure;
            if (e != null) {
                throw e;
            }
        }

        @Override
        protected void deallocate() {
            deallocateCalls.incrementAndGet();
        }

        @Override
        public String driverName() {
            return "mockgpu";
        }

        @Override
        public String timelineName() {
            return "ring0";
        }
    }

    @Test
    void enableHookRunsOnceOnFirstInterest() throws InterruptedException {
        DriverFence f = new DriverFence();
        assertFalse(f.isSignaled(), "isSignaled does not enable signalling");
        assertEquals(0, f.enableCalls.get());
        f.addCallback(new CountingCallback());
        assertEquals(1, f.enableCalls.get());
        f.addCallback(new CountingCallback());
        f.enableSignaling();
        assertFalse(f.await(1, TimeUnit.MILLISECONDS));
        assertEquals(1, f.enableCalls.get(), "the hook runs at most once");
        f.signal();
        f.enableSignaling();
        assertEquals(1, f.enableCalls.get());
    }

    @Test
    void enableHookRunsByWaitAndNotAfterSignal() throws InterruptedException {
        DriverFence waited = new DriverFence();
        assertTrue(waited.awaitNanos(0) <= 0);
        assertEquals(1, waited.enableCalls.get(),
                "a wait enables signalling, even a zero-timeout one");

        DriverFence signalled = new DriverFence();
        signalled.signal();
        signalled.enableSignaling();
        assertFalse(signalled.addCallback(new CountingCallback()));
        assertEquals(0, signalled.enableCalls.get(), "never called once signalled");
    }

    @Test
    void enableHookRunsOnceUnderContention() throws Exception {
        for (int round = 0; round < 50; round++) {
            DriverFence f = new DriverFence();
            int n = 4;
            CountDownLatch go = new CountDownLatch(1);
            Thread[] ts = new Thread[n];
            CountingCallback[] cbs = new CountingCallback[n];
            for (int i = 0; i < n; i++) {
                CountingCallback cb = cbs[i] = new CountingCallback();
                ts[i] = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    assertTrue(f.addCallback(cb));
                });
                ts[i].start();
            }
            go.countDown();
            for (Thread t : ts) {
                TestSupport.join(t);
            }
            assertEquals(1, f.enableCalls.get());
            f.signal();
            for (CountingCallback cb : cbs) {
                assertEquals(1, cb.runs());
            }
        }
    }

    @Test
    void enableHookFalseMeansSignalled() throws InterruptedException {
        DriverFence f = new DriverFence();
        f.armResult = false;
        CountingCallback cb = new CountingCallback();
        assertFalse(f.addCallback(cb), "the hook said the work has passed: -ENOENT");
        assertTrue(f.isSignaled());
        assertEquals(0, cb.runs());

        DriverFence g = new DriverFence();
        g.armResult = false;
        g.await(); // must return at once
        assertTrue(g.isSignaled());

        DriverFence h = new DriverFence();
        h.armResult = false;
        h.enableSignaling();
        assertTrue(h.isSignaled());
        assertEquals(FenceStatus.SIGNALED, h.status());
    }

    @Test
    void throwingEnableHookSignalsWithTheError() {
        IllegalStateException boom =
                new IllegalStateException("expected test failure: hook throws");
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                throw boom;
            }
        };
        assertFalse(f.addCallback(new CountingCallback()));
        assertSame(boom, f.error());
        assertEquals(FenceStatus.ERROR, f.status());
    }

    private static Fence pollThrows(RuntimeException e) {
        return new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean pollSignaled() {
                throw e;
            }
        };
    }

    @Test
    void throwingPollSignaledSignalsWithTheError() {
        IllegalStateException boom =
                new IllegalStateException("expected test failure: poll throws");
        Fence f = pollThrows(boom);
        CountingCallback cb = new CountingCallback();
        assertTrue(f.addCallback(cb));
        assertTrue(f.isSignaled(), "the exception ends the fence instead of escaping");
        assertSame(boom, f.error());
        assertEquals(1, cb.runs());
        FenceArray all = FenceArray.all(pollThrows(boom));
        assertTrue(all.isSignaled(), "a container over it is not broken by the throwing member");
        assertSame(boom, all.error());
    }

    @Test
    void pollSignaledDrivesIsSignaled() {
        DriverFence f = new DriverFence();
        CountingCallback cb = new CountingCallback();
        f.addCallback(cb);
        assertFalse(f.isSignaled());
        f.hardwareDone = true;
        assertEquals(0, cb.runs(), "nobody polled yet");
        assertTrue(f.isSignaled(), "polling the driver signals the fence");
        assertEquals(1, cb.runs(), "and runs its callbacks");
        assertFalse(f.signal(), "already signalled by the poll");
    }

    @Test
    void pollSignaledDrivesStatusWithError() {
        DriverFence f = new DriverFence();
        assertEquals(FenceStatus.PENDING, f.status());
        RuntimeException hang = new RuntimeException("gpu hang");
        f.pollError = hang;
        f.hardwareDone = true;
        assertEquals(FenceStatus.ERROR, f.status(), "status() polls like isSignaled()");
        assertSame(hang, f.error());
        assertEquals(0, f.enableCalls.get(), "polling does not enable signalling");
    }

    @Test
    void deadlineReachesDriverOnlyWhilePending() {
        DriverFence f = new DriverFence();
        f.setDeadline(10L);
        f.setDeadline(5L);
        assertEquals(List.of(10L, 5L), f.deadlines);
        f.signal();
        f.setDeadline(1L);
        assertEquals(List.of(10L, 5L), f.deadlines, "no deadline after signal");

        DriverFence polled = new DriverFence();
        polled.hardwareDone = true;
        polled.setDeadline(3L);
        assertTrue(polled.deadlines.isEmpty(),
                "a fence found signalled by polling gets no deadline");
    }

    @Test
    void containersForwardDeadlines() {
        DriverFence a = new DriverFence();
        DriverFence b = new DriverFence();
        DriverFence done = new DriverFence();
        done.signal();
        FenceArray array = FenceArray.all(a, b, done);
        array.setDeadline(77L);
        assertEquals(List.of(77L), a.deadlines);
        assertEquals(List.of(77L), b.deadlines);
        assertTrue(done.deadlines.isEmpty());

        DriverFence c1 = new DriverFence();
        DriverFence c2 = new DriverFence();
        FenceChain chain = FenceChain.link(FenceChain.link(null, c1, 1), c2, 2);
        chain.setDeadline(99L);
        assertEquals(List.of(99L), c1.deadlines, "forwarded to earlier points too");
        assertEquals(List.of(99L), c2.deadlines);
        c1.signal();
        c2.signal();
        chain.setDeadline(100L);
        assertEquals(List.of(99L), c2.deadlines, "a signalled chain forwards nothing");
    }

    /**
     * A deadline is a hint: a driver hook that throws is logged, not thrown at whoever passed the
     * hint, and a container still forwards the hint to the members after the one that threw.
     */
    @Test
    void throwingDeadlineHookDoesNotStopTheHint() {
        DriverFence a = new DriverFence();
        DriverFence b = new DriverFence();
        a.deadlineFailure = new IllegalStateException("firmware refused the boost");
        a.setDeadline(5L);
        assertEquals(List.of(5L), a.deadlines);
        assertFalse(a.isSignaled(), "a failed hint does not fail the work");

        FenceArray array = FenceArray.all(a, b);
        array.setDeadline(6L);
        assertEquals(List.of(5L, 6L), a.deadlines);
        assertEquals(List.of(6L), b.deadlines, "the member after the failing one got the hint");

        DriverFence c = new DriverFence();
        FenceChain chain = FenceChain.link(FenceChain.link(null, a, 1), c, 2);
        chain.setDeadline(7L);
        assertEquals(List.of(7L), c.deadlines);
        assertEquals(List.of(5L, 6L, 7L), a.deadlines);
        a.signal();
        b.signal();
        c.signal();
        assertTrue(array.isSignaled());
        assertTrue(chain.isSignaled());
    }

    @Test
    void refcountBasics() {
        DriverFence f = new DriverFence();
        assertEquals(1, f.refCnt());
        assertSame(f, f.retain());
        assertSame(f, f.retain());
        assertEquals(3, f.refCnt());
        assertFalse(f.release());
        assertFalse(f.release());
        assertEquals(0, f.deallocateCalls.get());
        assertTrue(f.release());
        assertEquals(0, f.refCnt());
        assertEquals(1, f.deallocateCalls.get());
        assertFalse(f.isSignaled(), "zero references with nothing queued: no forced signal");
    }

    @Test
    void releaseWithPendingCallbacksSignalsWithError() {
        DriverFence f = new DriverFence();
        CountingCallback cb = new CountingCallback();
        f.addCallback(cb);
        f.retain();
        assertFalse(f.release());
        assertEquals(0, cb.runs());
        assertTrue(f.release());
        assertEquals(1, cb.runs(), "the callback runs: nobody waits forever");
        assertTrue(f.isSignaled());
        assertInstanceOf(FenceReleasedException.class, f.error());
        assertTrue(f.error().getMessage().contains("mockgpu"), f.error().getMessage());
        assertEquals(1, f.deallocateCalls.get(), "deallocate exactly once");
    }

    @Test
    void releaseWithBlockedWaiterWakesIt() throws Exception {
        DriverFence f = new DriverFence();
        AtomicInteger outcome = new AtomicInteger();
        Thread t = new Thread(() -> {
            f.awaitUninterruptibly();
            outcome.set(f.error() instanceof FenceReleasedException ? 1 : 2);
        });
        t.start();
        TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
        assertTrue(f.release());
        TestSupport.join(t);
        assertEquals(1, outcome.get());
        assertEquals(1, f.deallocateCalls.get());
    }

    @Test
    void concurrentRetainReleaseDeallocatesOnce() throws Exception {
        DriverFence f = new DriverFence();
        int threads = 4;
        int perThread = 20_000;
        f.retain(); // keep it alive until the threads are done
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                for (int k = 0; k < perThread; k++) {
                    f.retain();
                    assertFalse(f.release());
                }
            });
            ts[i].start();
        }
        for (Thread t : ts) {
            TestSupport.join(t);
        }
        assertEquals(2, f.refCnt());
        assertFalse(f.release());
        assertTrue(f.release());
        assertEquals(1, f.deallocateCalls.get());
    }

    @Test
    void signalledFenceRefcountStillWorks() {
        DriverFence f = new DriverFence();
        f.signal();
        f.retain();
        assertEquals(2, f.refCnt());
        assertFalse(f.release());
        assertTrue(f.release());
        assertEquals(1, f.deallocateCalls.get());
        assertEquals(FenceStatus.SIGNALED, f.status(), "no error added to a signalled fence");
    }

    @Test
    void throwingDeallocateDoesNotEscapeRelease() {
        AtomicInteger calls = new AtomicInteger();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() {
                calls.incrementAndGet();
                throw new IllegalStateException("expected test failure: deallocate throws");
            }
        };
        CountingCallback cb = new CountingCallback();
        f.addCallback(cb);
        assertTrue(f.release(), "the last release still reports reaching zero");
        assertEquals(1, calls.get());
        assertEquals(1, cb.runs(), "the forced signal ran before deallocate");
        assertEquals(0, f.refCnt());
    }

    @Test
    void plainFenceHasDefaultNames() {
        Fence f = mockFence();
        assertEquals("fence", f.driverName());
        assertEquals("unbound", f.timelineName());
    }

    /**
     * A driver whose name hooks throw (its ring torn down) must not stop the forced signal of a
     * fence released with a pending callback: describe() runs first, for the warning and the
     * exception's message. Before the eighteenth session release() threw out of describe(), the
     * callback never ran, deallocate() was never called and a later wait threw too.
     */
    @Test
    void throwingNameHooksDoNotStopTheForcedSignalOfALastRelease() throws Exception {
        AtomicInteger deallocated = new AtomicInteger();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            public String timelineName() {
                throw new IllegalStateException("ring torn down");
            }

            @Override
            public String driverName() {
                throw new IllegalStateException("driver unloaded");
            }

            @Override
            protected void deallocate() {
                deallocated.incrementAndGet();
            }
        };
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        f.onSignal(x -> seen.add(x.error()));
        f.release();
        assertEquals(1, seen.size(), "the pending callback did not run");
        assertInstanceOf(FenceReleasedException.class, seen.get(0));
        assertTrue(seen.get(0).getMessage().contains("<timelineName threw"),
                seen.get(0).getMessage());
        assertEquals(1, deallocated.get());
        assertTrue(f.await(0, TimeUnit.SECONDS));
        assertTrue(f.describe().contains("<driverName threw java.lang.IllegalStateException: "
                + "driver unloaded>"), f.describe());
    }

    /**
     * After the last release the driver has let go of the fence (deallocate() ran), so
     * enabling it must not call back into the driver; a late waiter or callback still gets the
     * forced signal.
     */
    @Test
    void aReleasedFenceIsNotEnabled() {
        DriverFence f = new DriverFence();
        assertTrue(f.release());
        assertEquals(1, f.deallocateCalls.get());
        f.enableSignaling();
        assertEquals(0, f.enableCalls.get(), "the hook ran after deallocate()");
        CountingCallback cb = new CountingCallback();
        assertFalse(f.addCallback(cb), "a callback after the last release is refused");
        assertEquals(0, f.enableCalls.get());
        assertInstanceOf(FenceReleasedException.class, f.error());
    }
}
