package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/**
 * Port of the kernel's {@code drivers/dma-buf/st-dma-fence.c}, one test per kernel case that
 * applies to user space. Kernel return codes map to the Java API as: {@code 0} from
 * {@code dma_fence_signal} = {@code true}, {@code -EINVAL} (already signalled) = {@code false};
 * {@code -ENOENT} from {@code add_callback} = {@code false}; {@code get_status} 0/1/-errno =
 * PENDING/SIGNALED/ERROR; a {@code -ETIME} wait = {@code awaitNanos(..) <= 0}.
 */
class StDmaFenceTest {

    /** The selftest's {@code simple_cb}: records that it ran. */
    private static final class SimpleCallback extends FenceCallback {
        volatile boolean seen;
        int runs;

        @Override
        protected void onSignaled(Fence fence) {
            runs++;
            seen = true;
        }
    }

    @Test
    void sanitycheck() {
        Fence f = mockFence();
        f.enableSignaling();
        assertTrue(f.signal());
        assertTrue(f.release(), "the only reference was dropped");
        assertEquals(0, f.refCnt());
    }

    @Test
    void test_signaling() {
        Fence f = mockFence();
        f.enableSignaling();
        assertFalse(f.isSignaled(), "fence unexpectedly signaled on creation");
        assertTrue(f.signal(), "fence reported being already signaled");
        assertTrue(f.isSignaled(), "fence not reporting signaled");
        assertFalse(f.signal(), "fence reported not being already signaled");
    }

    @Test
    void test_add_callback() {
        Fence f = mockFence();
        SimpleCallback cb = new SimpleCallback();
        assertTrue(f.addCallback(cb), "failed to add callback, fence already signaled");
        assertFalse(cb.seen, "callback ran before the fence signaled");
        f.signal();
        assertTrue(cb.seen, "callback failed");
        assertEquals(1, cb.runs);
    }

    @Test
    void test_late_add_callback() {
        Fence f = mockFence();
        SimpleCallback cb = new SimpleCallback();
        f.enableSignaling();
        f.signal();
        assertFalse(f.addCallback(cb), "added callback to fence after signaling");
        f.signal();
        assertFalse(cb.seen, "callback called after failed attachment");
        assertFalse(cb.isQueued());
    }

    @Test
    void test_rm_callback() {
        Fence f = mockFence();
        SimpleCallback cb = new SimpleCallback();
        assertTrue(f.addCallback(cb), "failed to add callback, fence already signaled");
        assertTrue(f.removeCallback(cb), "failed to remove callback");
        f.signal();
        assertFalse(cb.seen, "callback still signaled after removal");
    }

    @Test
    void test_late_rm_callback() {
        Fence f = mockFence();
        SimpleCallback cb = new SimpleCallback();
        assertTrue(f.addCallback(cb), "failed to add callback, fence already signaled");
        f.signal();
        assertTrue(cb.seen, "callback failed");
        assertFalse(f.removeCallback(cb), "callback removal succeeded after being executed");
        assertEquals(1, cb.runs);
    }

    @Test
    void test_status() {
        Fence f = mockFence();
        f.enableSignaling();
        assertEquals(FenceStatus.PENDING, f.status(),
                "fence unexpectedly has signaled status on creation");
        f.signal();
        assertEquals(FenceStatus.SIGNALED, f.status(), "fence not reporting signaled status");
        assertNull(f.error());
    }

    @Test
    void test_error() {
        Fence f = mockFence();
        f.enableSignaling();
        IOException eio = new IOException("EIO");
        f.setError(eio);
        assertEquals(FenceStatus.PENDING, f.status(),
                "fence unexpectedly has error status before signal");
        f.signal();
        assertEquals(FenceStatus.ERROR, f.status(), "fence not reporting error status");
        assertSame(eio, f.error(), "fence not reporting error status, got the wrong error");
    }

    @Test
    void test_wait() throws InterruptedException {
        Fence f = mockFence();
        f.enableSignaling();
        assertTrue(f.awaitNanos(0) <= 0, "wait without timeout");
        assertFalse(f.await(0, TimeUnit.SECONDS));
        f.signal();
        assertTrue(f.awaitNanos(0) > 0, "wait after signal failed");
        assertTrue(f.await(0, TimeUnit.SECONDS));
    }

    @Test
    void test_wait_timeout() throws InterruptedException {
        Fence f = mockFence();
        f.enableSignaling();
        assertTrue(f.awaitNanos(TimeUnit.MILLISECONDS.toNanos(1)) <= 0,
                "wait reported complete before being signaled");

        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            timer.schedule(() -> f.signal(), 1, TimeUnit.MILLISECONDS);
            // The kernel allows the timer to still be pending; we allow a generous bound instead.
            assertTrue(f.await(30, TimeUnit.SECONDS), "wait timed out although the timer fired");
            assertTrue(f.isSignaled());
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void test_stub() {
        Fence[] stubs = new Fence[64];
        for (int i = 0; i < stubs.length; i++) {
            stubs[i] = Fence.signaledStub();
            assertTrue(stubs[i].isSignaled(), "stub " + i + " not signaled");
            assertSame(stubs[0], stubs[i], "the stub is shared");
        }
        assertEquals(0, stubs[0].context());
        assertEquals(0, stubs[0].seqno());
    }

    // race_signal_callback -----------------------------------------------------------------------

    private static final class RaceCallback extends FenceCallback {
        final CountDownLatch seen = new CountDownLatch(1);

        @Override
        protected void onSignaled(Fence fence) {
            seen.countDown();
        }
    }

    @Test
    void race_signal_callback() throws Exception {
        for (int pass = 0; pass < 2; pass++) {
            boolean before = pass == 1;
            AtomicReferenceArray<Fence> fences = new AtomicReferenceArray<>(2);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong[] misses = {new AtomicLong(), new AtomicLong()};
            AtomicLong[] cycles = {new AtomicLong(), new AtomicLong()};
            Thread[] threads = new Thread[2];
            for (int id = 0; id < 2; id++) {
                int me = id;
                threads[id] = new Thread(() -> {
                    try {
                        raceThread(me, before, fences, stop, misses[me], cycles[me]);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        stop.set(true);
                    }
                }, "race-" + id);
            }
            for (Thread t : threads) {
                t.start();
            }
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(250);
            long giveUp = System.nanoTime() + TestSupport.PATIENCE_NANOS;
            // Run for the time budget, and on a loaded machine until both threads did a cycle.
            while ((System.nanoTime() - end < 0 || cycles[0].get() == 0 || cycles[1].get() == 0)
                    && System.nanoTime() - giveUp < 0 && !stop.get()) {
                Thread.sleep(10); // only a delay: the verdict comes from the threads' assertions
            }
            stop.set(true);
            for (Thread t : threads) {
                TestSupport.join(t);
            }
            if (failure.get() != null) {
                throw new AssertionError("pass " + pass + " failed", failure.get());
            }
            assertTrue(cycles[0].get() > 0 && cycles[1].get() > 0, "both threads made progress");
        }
    }

    private static void raceThread(int id, boolean before, AtomicReferenceArray<Fence> fences,
            AtomicBoolean stop, AtomicLong misses, AtomicLong cycles) throws InterruptedException {
        while (!stop.get()) {
            Fence f1 = mockFence();
            f1.enableSignaling();
            fences.set(id, f1);
            Fence f2;
            while ((f2 = fences.get(id ^ 1)) == null) {
                if (stop.get()) {
                    f1.signal();
                    return;
                }
                Thread.onSpinWait();
            }
            if (before) {
                f1.signal();
            }
            RaceCallback cb = new RaceCallback();
            boolean added = f2.addCallback(cb);
            if (!added) {
                misses.incrementAndGet();
                cb.seen.countDown(); // -ENOENT: treated as seen, as the kernel test does
            }
            if (!before) {
                f1.signal();
            }
            if (cb.seen.getCount() != 0) {
                f2.await();
                // The kernel takes f2's lock to wait for callbacks to finish; callbacks run right
                // after waiters are woken, so allow them a (generous) moment.
                assertTrue(cb.seen.await(20, TimeUnit.SECONDS),
                        "callback not seen: lost in the race");
            }
            assertTrue(f2.isSignaled());
            assertFalse(cb.isQueued());
            cycles.incrementAndGet();
        }
    }
}
