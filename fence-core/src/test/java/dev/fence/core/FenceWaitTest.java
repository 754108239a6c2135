package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Waiting: return conventions, interrupts, timeouts, and no garbage left on the fence. */
class FenceWaitTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void awaitNanosReturnConventions() throws InterruptedException {
        Fence f = mockFence();
        assertTrue(f.awaitNanos(0) <= 0, "zero timeout on a pending fence");
        assertTrue(f.awaitNanos(TimeUnit.MILLISECONDS.toNanos(5)) <= 0, "timeout");
        assertFalse(f.await(1, TimeUnit.MILLISECONDS));
        f.signal();
        assertTrue(f.awaitNanos(0) >= 1, "zero timeout on a signalled fence returns at least 1");
        long t = TimeUnit.SECONDS.toNanos(3);
        long r = f.awaitNanos(t);
        assertTrue(r > 0 && r <= t, "remaining time is positive and at most the timeout: " + r);
        assertTrue(f.await(0, TimeUnit.DAYS));
        f.await();
        f.awaitUninterruptibly();
    }

    @Test
    void remainingTimeIsReportedAfterABlockingWait() throws Exception {
        Fence f = mockFence();
        AtomicLong remaining = new AtomicLong();
        Thread t = new Thread(() -> {
            try {
                remaining.set(f.awaitNanos(TimeUnit.SECONDS.toNanos(60)));
            } catch (InterruptedException e) {
                remaining.set(Long.MIN_VALUE);
            }
        });
        t.start();
        TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
        f.signal();
        TestSupport.join(t);
        long r = remaining.get();
        assertTrue(r > 0 && r < TimeUnit.SECONDS.toNanos(60), "remaining: " + r);
        assertFalse(f.hasCallbacks());
    }

    @Test
    void hugeTimeoutsDoNotOverflow() throws Exception {
        Fence f = mockFence();
        AtomicLong remaining = new AtomicLong();
        AtomicBoolean timedTrue = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                remaining.set(f.awaitNanos(Long.MAX_VALUE));
                timedTrue.set(f.await(Long.MAX_VALUE, TimeUnit.DAYS));
            } catch (InterruptedException e) {
                remaining.set(Long.MIN_VALUE);
            }
        });
        t.start();
        TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
        f.signal();
        TestSupport.join(t);
        assertTrue(remaining.get() > 0, "remaining: " + remaining.get());
        assertTrue(timedTrue.get());
        Fence g = mockFence();
        int[] idx = {-2};
        Thread u = new Thread(() -> {
            try {
                idx[0] = Fences.awaitAny(Long.MAX_VALUE, TimeUnit.NANOSECONDS, g);
            } catch (InterruptedException e) {
                idx[0] = -3;
            }
        });
        u.start();
        TestSupport.awaitCondition("awaitAny registered", g::hasCallbacks);
        g.signal();
        TestSupport.join(u);
        assertEquals(0, idx[0]);
    }

    @Test
    void timedOutAwaitLeavesNoNode() throws InterruptedException {
        Fence f = mockFence();
        assertFalse(f.await(20, TimeUnit.MILLISECONDS));
        assertFalse(f.hasCallbacks(), "a timed-out waiter must unlink itself");
        assertTrue(f.awaitNanos(TimeUnit.MILLISECONDS.toNanos(20)) <= 0);
        assertFalse(f.hasCallbacks());
        assertFalse(f.isSignaled());
    }

    @Test
    void preInterruptedAwaitThrowsAndClearsTheFlag() {
        Fence f = mockFence();
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, f::await);
        assertFalse(Thread.currentThread().isInterrupted(),
                "interrupt status cleared, as in j.u.c");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> f.await(1, TimeUnit.SECONDS));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> f.awaitNanos(0));
        assertFalse(f.hasCallbacks());
    }

    @Test
    void awaitOnSignalledFenceDoesNotConsumeTheInterrupt() throws InterruptedException {
        Fence f = mockFence();
        f.signal();
        Thread.currentThread().interrupt();
        f.await(); // documented: throws only while waiting on a pending fence
        assertTrue(Thread.interrupted());
    }

    @Test
    void interruptedAwaitThrowsAndLeavesNoNode() throws Exception {
        for (int mode = 0; mode < 3; mode++) {
            Fence f = mockFence();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flagAfter = new AtomicBoolean(true);
            int m = mode;
            Thread t = new Thread(() -> {
                try {
                    if (m == 0) {
                        f.await();
                    } else if (m == 1) {
                        f.await(60, TimeUnit.SECONDS);
                    } else {
                        f.awaitNanos(TimeUnit.SECONDS.toNanos(60));
                    }
                } catch (Throwable e) {
                    thrown.set(e);
                    flagAfter.set(Thread.currentThread().isInterrupted());
                }
            }, "interrupted-waiter");
            t.start();
            TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
            t.interrupt();
            TestSupport.join(t);
            assertTrue(thrown.get() instanceof InterruptedException,
                    "mode " + m + ": " + thrown.get());
            assertFalse(flagAfter.get(), "interrupt status cleared when throwing");
            assertFalse(f.hasCallbacks(), "an interrupted waiter must unlink itself");
            assertFalse(f.isSignaled());
            f.signal(); // nothing queued: nothing to run
        }
    }

    @Test
    void awaitUninterruptiblyKeepsTheInterruptFlag() throws Exception {
        Fence f = mockFence();
        AtomicBoolean signalledOnReturn = new AtomicBoolean();
        AtomicBoolean flagOnReturn = new AtomicBoolean();
        Thread t = new Thread(() -> {
            f.awaitUninterruptibly();
            signalledOnReturn.set(f.isSignaled());
            flagOnReturn.set(Thread.currentThread().isInterrupted());
        }, "uninterruptible-waiter");
        t.start();
        TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
        t.interrupt();
        // The interrupt must not end the wait: the node stays queued until the signal.
        TestSupport.awaitCondition("interrupt consumed and the waiter parked again",
                () -> !t.isAlive() || (!t.isInterrupted() && t.getState() == Thread.State.WAITING));
        assertTrue(t.isAlive(), "returned although the fence is pending");
        assertTrue(f.hasCallbacks(), "the waiter is still queued");
        f.signal();
        TestSupport.join(t);
        assertTrue(signalledOnReturn.get(), "returned before the fence signalled");
        assertTrue(flagOnReturn.get(), "interrupt status restored on return");
    }

    @Test
    void awaitUninterruptiblyWhenAlreadyInterrupted() throws Exception {
        Fence f = mockFence();
        AtomicBoolean ok = new AtomicBoolean();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            f.awaitUninterruptibly();
            ok.set(f.isSignaled() && Thread.currentThread().isInterrupted());
        });
        t.start();
        TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
        f.signal();
        TestSupport.join(t);
        assertTrue(ok.get());
    }

    @Test
    void manyWaitersAllWoken() throws Exception {
        Fence f = mockFence();
        int n = 16;
        AtomicInteger woken = new AtomicInteger();
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            ts[i] = new Thread(() -> {
                try {
                    if (k % 3 == 0) {
                        f.await();
                    } else if (k % 3 == 1) {
                        assertTrue(f.await(60, TimeUnit.SECONDS));
                    } else {
                        f.awaitUninterruptibly();
                    }
                    woken.incrementAndGet();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            ts[i].start();
        }
        // Signal only once every waiter is parked on f: signalled earlier, the waiters would
        // find it done without waiting and nothing here would have been woken.
        TestSupport.awaitCondition("all " + n + " waiters parked on the fence", () -> {
            for (Thread t : ts) {
                if (LockSupport.getBlocker(t) != f) {
                    return false;
                }
            }
            return true;
        });
        assertEquals(0, woken.get());
        f.signal();
        for (Thread t : ts) {
            TestSupport.join(t);
        }
        assertEquals(n, woken.get());
        assertFalse(f.hasCallbacks());
    }

    /**
     * Waiter nodes are linked at the head of the list, so a parked waiter is unparked before the
     * user callbacks run, even those queued before it: the callback queued first finds the
     * waiter already returned (it waits for that, with a bound that only a waiter woken after
     * the callbacks exhausts).
     */
    @Test
    void waitersAreWokenBeforeUserCallbacksRunButAfterPublication() throws Exception {
        Fence f = mockFence();
        AtomicReference<Throwable> seenError = new AtomicReference<>();
        RuntimeException err = new RuntimeException("boom");
        CountDownLatch waiterReturned = new CountDownLatch(1);
        AtomicReference<Boolean> waiterDoneWhenCallbackRan = new AtomicReference<>();
        f.onSignal(x -> { // queued before the waiter's node
            try {
                waiterDoneWhenCallbackRan.set(waiterReturned.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread t = new Thread(() -> {
            f.awaitUninterruptibly();
            seenError.set(f.error());
            waiterReturned.countDown();
        });
        t.start();
        TestSupport.awaitParkedOn(t, f);
        f.signal(err);
        TestSupport.join(t);
        assertTrue(seenError.get() == err, "the waiter sees the error published by the signal");
        assertEquals(Boolean.TRUE, waiterDoneWhenCallbackRan.get(),
                "the parked waiter was woken only after the user callback queued before it");
    }

    // awaitAny / awaitAll ------------------------------------------------------------------------

    @Test
    void awaitAnyReturnsLowestSignalledIndex() throws InterruptedException {
        Fence a = mockFence();
        Fence b = mockFence();
        Fence c = mockFence();
        assertEquals(-1, Fences.awaitAny(0, TimeUnit.SECONDS, a, b, c));
        assertEquals(-1, Fences.awaitAny(10, TimeUnit.MILLISECONDS, a, b, c));
        for (Fence f : new Fence[] {a, b, c}) {
            assertFalse(f.hasCallbacks(), "timed-out awaitAny leaves no nodes");
        }
        c.signal();
        b.signal();
        assertEquals(1, Fences.awaitAny(0, TimeUnit.SECONDS, a, b, c));
        assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, a, b, c));
    }

    @Test
    void awaitAnyWakesOnSignalAndCleansUp() throws Exception {
        Fence[] fs = new Fence[8];
        for (int i = 0; i < fs.length; i++) {
            fs[i] = mockFence();
        }
        AtomicInteger idx = new AtomicInteger(-2);
        Thread t = new Thread(() -> {
            try {
                idx.set(Fences.awaitAny(60, TimeUnit.SECONDS, fs));
            } catch (InterruptedException e) {
                idx.set(-3);
            }
        });
        t.start();
        TestSupport.awaitCondition("awaitAny registered", fs[7]::hasCallbacks);
        fs[5].signal();
        TestSupport.join(t);
        assertEquals(5, idx.get());
        for (Fence f : fs) {
            assertFalse(f.hasCallbacks(), "awaitAny must remove its nodes");
        }
    }

    @Test
    void awaitAnyInterrupted() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Fences.awaitAny(60, TimeUnit.SECONDS, a, b);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        TestSupport.awaitCondition("awaitAny registered", b::hasCallbacks);
        t.interrupt();
        TestSupport.join(t);
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertFalse(a.hasCallbacks());
        assertFalse(b.hasCallbacks());
    }

    @Test
    void awaitAll() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        assertFalse(Fences.awaitAll(0, TimeUnit.SECONDS, a, b));
        assertFalse(Fences.awaitAll(10, TimeUnit.MILLISECONDS, a, b));
        a.signal();
        assertFalse(Fences.awaitAll(10, TimeUnit.MILLISECONDS, a, b));
        assertFalse(b.hasCallbacks());
        Thread t = new Thread(() -> {
            TestSupport.awaitCondition("awaitAll waiting on b", b::hasCallbacks);
            b.signal();
        });
        t.start();
        assertTrue(Fences.awaitAll(60, TimeUnit.SECONDS, a, b));
        TestSupport.join(t);
        assertNull(b.error());
    }
}
