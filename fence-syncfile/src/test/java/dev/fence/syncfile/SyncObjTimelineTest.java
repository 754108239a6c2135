package dev.fence.syncfile;

import static dev.fence.syncfile.SyncObj.WAIT_ALL;
import static dev.fence.syncfile.SyncObj.WAIT_AVAILABLE;
import static dev.fence.syncfile.SyncObj.WAIT_FOR_SUBMIT;
import static dev.fence.syncfile.TestSupport.async;
import static dev.fence.syncfile.TestSupport.awaitWaiters;
import static dev.fence.syncfile.TestSupport.fresh;
import static dev.fence.syncfile.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import dev.fence.core.Timeline;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Timeline SyncObj behaviour, after IGT syncobj_timeline and the seed's DMA/render example. */
class SyncObjTimelineTest {

    private static int awaitPoint(SyncObj obj, long point, int flags, long millis)
            throws InterruptedException {
        return SyncObj.await(new SyncObj[] {obj}, new long[] {point}, flags, millis,
                TimeUnit.MILLISECONDS);
    }

    /** The seed's example: a DMA engine fills a buffer, then a render job waits for it. */
    @Test
    void dmaFillThenRender() throws Exception {
        SyncObj sync = SyncObj.create(false);
        int[] buffer = new int[4096];
        int[] frame = new int[1];
        Timeline dmaRing = Timeline.create("dma");
        Timeline gpuRing = Timeline.create("gpu");

        // The render job starts first and waits for point 1 to be submitted and signalled.
        FutureTask<Integer> render = async("render", () -> {
            int r = SyncObj.await(new SyncObj[] {sync}, new long[] {1}, WAIT_FOR_SUBMIT, 60,
                    TimeUnit.SECONDS);
            if (r != 0) {
                return r;
            }
            int sum = 0;
            for (int v : buffer) {
                sum += v;
            }
            frame[0] = sum; // "render" from the filled buffer
            Fence renderDone = gpuRing.next();
            sync.addPoint(2, renderDone);
            gpuRing.signalUpTo(renderDone.seqno());
            return 0;
        });

        awaitWaiters(sync, 1); // the render job is waiting for submission
        // CPU submits the DMA transfer; the engine signals its fence when the fill is done.
        Fence fillDone = dmaRing.next();
        sync.addPoint(1, fillDone);
        assertEquals(0L, sync.query());
        Thread dma = new Thread(() -> {
            for (int i = 0; i < buffer.length; i++) {
                buffer[i] = 1;
            }
            dmaRing.signalUpTo(fillDone.seqno());
        }, "dma-engine");
        dma.start();

        assertEquals(0, awaitPoint(sync, 2, WAIT_FOR_SUBMIT, 10_000));
        assertEquals(0, get(render));
        assertEquals(buffer.length, frame[0], "render saw the whole filled buffer");
        assertEquals(2L, sync.query());
        dma.join();
    }

    @Test
    void pointsAreReachedInOrder() {
        SyncObj obj = SyncObj.create();
        Fence f1 = fresh();
        Fence f2 = fresh();
        Fence f3 = fresh();
        obj.addPoint(1, f1);
        obj.addPoint(2, f2);
        obj.addPoint(3, f3);
        assertEquals(3L, obj.lastSubmitted());
        assertEquals(0L, obj.query());
        f2.signal();
        assertEquals(0L, obj.query(), "point 2 needs point 1 too");
        f1.signal();
        assertEquals(2L, obj.query());
        f3.signal();
        assertEquals(3L, obj.query());
    }

    @Test
    void pointsMustRise() {
        SyncObj obj = SyncObj.create();
        obj.addPoint(5, fresh());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> obj.addPoint(5, fresh()));
        assertTrue(e.getMessage().contains("rise"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> obj.addPoint(3, fresh()));
        assertThrows(IllegalArgumentException.class, () -> obj.signal(4));
        assertEquals(5L, obj.lastSubmitted());
        Fence f = fresh();
        assertThrows(IllegalArgumentException.class, () -> obj.addPoint(2, f));
        assertEquals(1, f.refCnt(), "a rejected point keeps no reference");
        obj.addPoint(6, fresh());
        assertEquals(6L, obj.lastSubmitted());
    }

    @Test
    void chainsCannotBeAddedAsPoints() {
        SyncObj obj = SyncObj.create();
        FenceChain link = FenceChain.link(null, fresh(), 1);
        assertThrows(IllegalArgumentException.class, () -> obj.addPoint(1, link));
    }

    @Test
    void fenceAtFindsThePointsFence() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f1 = fresh();
        Fence f5 = fresh();
        obj.addPoint(1, f1);
        obj.addPoint(5, f5);
        Fence at3 = obj.fenceAt(3); // covered by point 5
        assertEquals(5L, at3.seqno());
        assertThrows(PointNotSubmittedException.class, () -> obj.fenceAt(6));
        f1.signal();
        assertFalse(at3.isSignaled());
        f5.signal();
        assertTrue(at3.await(10, TimeUnit.SECONDS));
        assertTrue(obj.fenceAt(1).isSignaled());
        at3.release();
    }

    @Test
    void signalPointsFromTheHost() throws Exception {
        // IGT host-signal-points
        SyncObj obj = SyncObj.create();
        Random rand = new Random(7);
        long value = 0;
        for (int i = 0; i < 100; i++) {
            value += 1 + rand.nextInt(1000);
            obj.signal(value);
            assertEquals(value, obj.query());
            assertEquals(0, awaitPoint(obj, value, 0, 0));
            assertEquals(0, awaitPoint(obj, value - 1, 0, 0));
        }
    }

    @Test
    void signal_point_0() throws Exception {
        SyncObj obj = SyncObj.create();
        obj.signal(0);
        assertEquals(0, awaitPoint(obj, 0, 0, 0));
        assertEquals(0, SyncObj.await(new SyncObj[] {obj}, null, WAIT_FOR_SUBMIT, 0,
                TimeUnit.SECONDS));
    }

    /**
     * Kernel: TIMELINE_SIGNAL at point 0 is drm_syncobj_add_point(stub, 0), not a binary
     * signal. On a timeline with point 1 pending, the new link takes seqno 1 on a new context
     * and covers point 1, so a point-0 wait waits for point 1, fenceAt(1) still works, and
     * point 2 can follow. Replacing the head instead (the old behaviour) made point 0 ready at
     * once and lost points 1 and below (fenceAt(1) threw).
     */
    @Test
    void signalPoint0OnATimelineCoversThePendingPoints() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence one = Fence.create(Fence.allocateContexts(1), 1);
        obj.addPoint(1, one);
        obj.signal(0);
        assertEquals(-1, awaitPoint(obj, 0, 0, 0), "point 0 reached before point 1");
        assertEquals(1, obj.lastSubmitted());
        Fence at1 = obj.fenceAt(1);
        assertFalse(at1.isSignaled());
        assertEquals(0, obj.query());
        one.signal();
        assertEquals(0, awaitPoint(obj, 0, 0, 0));
        assertTrue(at1.isSignaled());
        assertEquals(1, obj.query());
        obj.signal(2);
        assertEquals(2, obj.query());
        assertThrows(IllegalArgumentException.class, () -> obj.signal(2), "points must rise");
    }

    /** The same on a binary object: point 0 then waits for the fence it held (kernel). */
    @Test
    void signalPoint0OnABinaryObjectWaitsForItsFence() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        obj.replaceFence(f);
        obj.signal(0);
        assertEquals(-1, awaitPoint(obj, 0, 0, 0));
        f.signal();
        assertEquals(0, awaitPoint(obj, 0, 0, 0));
        obj.signal(); // the binary signal replaces whatever is there
        assertEquals(0, awaitPoint(obj, 0, 0, 0));
    }

    @Test
    void signal_array() throws Exception {
        SyncObj[] objs = {SyncObj.create(), SyncObj.create(), SyncObj.create(), SyncObj.create()};
        long[] points = {1, 1, 1, 0};
        for (int i = 0; i < objs.length; i++) {
            objs[i].signal(points[i]);
        }
        assertEquals(0, SyncObj.await(objs, points, WAIT_ALL, 0, TimeUnit.SECONDS));
    }

    @Test
    void timelineSignal() throws Exception {
        // IGT syncobj_timeline "signal" on point 1
        SyncObj obj = SyncObj.create();
        assertThrows(PointNotSubmittedException.class, () -> awaitPoint(obj, 1, 0, 0));
        assertEquals(-1, awaitPoint(obj, 1, WAIT_FOR_SUBMIT, 0));
        obj.signal(1);
        assertEquals(0, awaitPoint(obj, 1, 0, 0));
        assertEquals(0, awaitPoint(obj, 1, WAIT_FOR_SUBMIT, 0));
    }

    @Test
    void resetForgetsTheTimeline() throws Exception {
        SyncObj obj = SyncObj.create();
        obj.signal(1);
        obj.reset();
        assertThrows(PointNotSubmittedException.class, () -> awaitPoint(obj, 1, 0, 0));
        assertEquals(0L, obj.query());
        obj.addPoint(1, fresh()); // points may start again after a reset
    }

    @Test
    void transfer_timeline_point() throws Exception {
        SyncObj obj = SyncObj.create();
        Timeline sw = Timeline.create("sw_sync");
        obj.addPoint(1, sw.fenceAt(1)); // attach
        assertEquals(0L, obj.query());
        assertEquals(-1, awaitPoint(obj, 1, 0, 0));
        sw.advance(1);
        assertEquals(1L, obj.query());
        assertEquals(0, awaitPoint(obj, 1, 0, 0));
        obj.signal(2);
        SyncObj.transfer(obj, 2, obj, 3);
        assertEquals(3L, obj.query());
    }

    @Test
    void invalid_transfer_non_existent_point() {
        SyncObj obj = SyncObj.create();
        obj.signal(63);
        SyncObj.transfer(obj, 63, obj, 74); // a later point of the same object: valid
        assertEquals(74L, obj.query());
    }

    @Test
    void transferFlattensIntoATimeline() throws Exception {
        SyncObj src = SyncObj.create();
        SyncObj dst = SyncObj.create();
        Timeline a = Timeline.create("a");
        Timeline b = Timeline.create("b");
        src.addPoint(1, a.fenceAt(1));
        src.addPoint(2, b.fenceAt(1));
        SyncObj.transfer(src, 2, dst, 10);
        Fence head = dst.fence();
        assertTrue(head instanceof FenceChain);
        Fence contained = ((FenceChain) head).fence();
        assertTrue(contained instanceof FenceArray, "flattened pending leaves of both points");
        assertEquals(2, ((FenceArray) contained).fences().size());
        assertEquals(0L, dst.query());
        a.advance(1);
        assertEquals(0L, dst.query());
        b.advance(1);
        assertEquals(10L, dst.query());
        head.release();
    }

    @Test
    void transferToPointZeroReplaces() throws Exception {
        SyncObj src = SyncObj.create();
        SyncObj dst = SyncObj.create();
        Fence f = fresh();
        src.addPoint(4, f);
        SyncObj.transfer(src, 4, dst, 0);
        assertEquals(-1, awaitPoint(dst, 0, 0, 0));
        f.signal();
        assertEquals(0, awaitPoint(dst, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> SyncObj.transfer(src, 4, src, 2));
    }

    @Test
    void host_signal_ordered() {
        SyncObj obj = SyncObj.create();
        Timeline sw = Timeline.create("sw_sync");
        for (int p = 1; p <= 5; p++) {
            obj.addPoint(p, sw.fenceAt(p));
        }
        sw.advance(3);
        assertEquals(3L, obj.query());
        obj.signal(8);
        assertEquals(3L, obj.query());
        sw.advance(2);
        assertEquals(8L, obj.query());
    }

    @Test
    void device_signal_unordered() throws Exception {
        SyncObj obj = SyncObj.create();
        Timeline[] tls = new Timeline[5];
        for (int i = 0; i < 5; i++) {
            tls[i] = Timeline.create("sw" + i);
            obj.addPoint(i + 1, tls[i].fenceAt(1));
        }
        int[] order = {1, 3, 2, 5, 4};
        long[] expected = {1, 1, 3, 3, 5};
        long last = 0;
        for (int k = 0; k < order.length; k++) {
            tls[order[k] - 1].advance(1);
            long q = obj.query();
            assertEquals(expected[k], q);
            assertTrue(q >= last, "query never decreases");
            last = q;
            assertEquals(0, awaitPoint(obj, q, 0, 0));
        }
    }

    @Test
    void query32bitsLimit() throws Exception {
        // IGT 32bits-limit: points beyond 2^31 and 2^32 keep ordering; query never decreases
        long[] points = {1, 5, (1L << 31) + 4, (1L << 31) + 5, 2L * ((1L << 31) - 1),
            (1L << 32) + 10};
        SyncObj obj = SyncObj.create();
        Timeline sw = Timeline.create("sw_sync");
        for (long p : points) {
            obj.addPoint(p, sw.fenceAt(p));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread checker = new Thread(() -> {
            long last = 0;
            while (!stop.get()) {
                long q = obj.query();
                if (q < last) {
                    failure.compareAndSet(null, "query went from " + last + " to " + q);
                }
                last = q;
            }
        });
        checker.start();
        for (long p : points) {
            sw.signalUpTo(p);
            assertEquals(p, obj.query());
        }
        stop.set(true);
        checker.join();
        assertEquals(null, failure.get());
    }

    @Test
    void exportAndImportTimelinePoints() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.addPoint(3, f);
        assertThrows(PointNotSubmittedException.class, () -> obj.exportSyncFile(4));
        try (SyncFile sf = obj.exportSyncFile(2)) { // point 2 is covered by point 3
            assertFalse(sf.isSignaled());
            SyncObj other = SyncObj.create();
            other.importSyncFile(sf, 7);
            assertEquals(7L, other.lastSubmitted());
            assertEquals(0L, other.query());
            f.signal();
            assertTrue(sf.poll(0, TimeUnit.SECONDS));
            assertEquals(7L, other.query());
            assertThrows(IllegalArgumentException.class, () -> other.importSyncFile(sf, 7));
        }
    }

    @Test
    void onPointForTimelinePoints() {
        SyncObj obj = SyncObj.create();
        AtomicInteger available = new AtomicInteger();
        AtomicInteger signalled = new AtomicInteger();
        obj.onPoint(2, WAIT_AVAILABLE, available::incrementAndGet);
        obj.onPoint(2, 0, signalled::incrementAndGet);
        Fence f1 = fresh();
        obj.addPoint(1, f1);
        assertEquals(0, available.get(), "point 2 not submitted yet");
        Fence f2 = fresh();
        obj.addPoint(2, f2);
        assertEquals(1, available.get());
        f2.signal();
        assertEquals(0, signalled.get(), "point 2 needs point 1 too");
        f1.signal();
        assertEquals(1, signalled.get());
        assertEquals(0, obj.waiterCount());
    }

    @Test
    void waitAvailableWakesOnSubmission() throws Exception {
        // the regression fixed upstream by 3c43177ffb54: WAIT_AVAILABLE alone must register a
        // submit waiter, or the wait sleeps its whole timeout
        SyncObj obj = SyncObj.create();
        FutureTask<Integer> w = async("available", () -> awaitPoint(obj, 1, WAIT_AVAILABLE,
                60_000));
        awaitWaiters(obj, 1);
        long t0 = System.nanoTime();
        Fence pending = fresh();
        obj.addPoint(1, pending);
        assertEquals(0, get(w));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
        assertFalse(pending.isSignaled(), "available, not signalled");
    }

    /**
     * The signals come once the waiter, woken by point 2's submission, has enabled point 2's
     * fence (its chain link arms a callback on f2) and parked again, not on a sleep that a slow
     * machine may outrun; the wait's 60 s timeout is above get()'s 10 s bound, so a wake-up
     * that never comes fails instead of being found by the rescan at the timeout.
     */
    @Test
    void waitForSubmitThenSignalOnPoints() throws Exception {
        SyncObj obj = SyncObj.create();
        FutureTask<Integer> w = new FutureTask<>(() -> awaitPoint(obj, 2, WAIT_FOR_SUBMIT,
                60_000));
        Thread waiter = new Thread(w, "submit");
        waiter.setDaemon(true);
        waiter.start();
        awaitWaiters(obj, 1);
        Fence f1 = fresh();
        obj.addPoint(1, f1);
        awaitWaiters(obj, 1); // still waiting for point 2's submission
        CountDownLatch f2Enabled = new CountDownLatch(1);
        Fence f2 = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                f2Enabled.countDown();
                return true;
            }
        };
        obj.addPoint(2, f2);
        assertTrue(f2Enabled.await(10, TimeUnit.SECONDS), "the waiter never armed point 2");
        TestSupport.awaitParked(waiter);
        f2.signal(); // point 2 still needs point 1: the waiter stays parked
        assertFalse(w.isDone(), "point 2 reported before point 1 signalled");
        f1.signal();
        assertEquals(0, get(w));
        assertEquals(2L, obj.query());
    }
}
