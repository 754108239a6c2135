package dev.fence.syncfile;

import static dev.fence.syncfile.SyncObj.WAIT_ALL;
import static dev.fence.syncfile.SyncObj.WAIT_AVAILABLE;
import static dev.fence.syncfile.SyncObj.WAIT_FOR_SUBMIT;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * drm_syncobj cases (drivers/gpu/drm/drm_syncobj.c, v6.17) not pinned by the IGT ports:
 * find_fence on binary objects, collected points (find_seqno NULL -> stub) through wait,
 * export, transfer and eventfd, eventfd entries across reset, and point 0 of a timeline.
 */
class SyncObjKernelCasesTest {

    private static int await1(SyncObj obj, long point, int flags) throws InterruptedException {
        return SyncObj.await(new SyncObj[] {obj}, new long[] {point}, flags, 0, TimeUnit.SECONDS);
    }

    /** A point above 0 on a binary object: find_seqno on a non-chain is -EINVAL. */
    @Test
    void pointOnABinaryObjectIsNotSubmitted() throws Exception {
        SyncObj obj = SyncObj.create(true);
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 1, 0));
        assertThrows(PointNotSubmittedException.class, () -> obj.fenceAt(1));
        assertThrows(PointNotSubmittedException.class, () -> obj.exportSyncFile(1));
        assertEquals(-1, await1(obj, 1, WAIT_FOR_SUBMIT), "-ETIME with a zero timeout");
        assertEquals(-1, await1(obj, 1, WAIT_AVAILABLE));
        assertEquals(0, await1(obj, 0, 0));
        assertEquals(0L, obj.query());
        assertEquals(0L, obj.lastSubmitted());
        obj.addPoint(1, fresh()); // a chain over the (signalled) binary fence
        assertEquals(0, await1(obj, 1, WAIT_AVAILABLE));
        assertEquals(-1, await1(obj, 1, 0));
    }

    /** Point 0 of a timeline is the head: every point added so far. */
    @Test
    void pointZeroOfATimelineWaitsForEveryPoint() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f1 = fresh();
        Fence f2 = fresh();
        obj.addPoint(1, f1);
        obj.addPoint(2, f2);
        f2.signal();
        assertEquals(-1, await1(obj, 0, 0));
        assertEquals(0, await1(obj, 0, WAIT_AVAILABLE));
        f1.signal();
        assertEquals(0, await1(obj, 0, 0));
        assertEquals(2L, obj.query());
    }

    /**
     * A point reached and collected: find_seqno yields NULL and find_fence / the wait entry /
     * the eventfd entry substitute the stub, so it is signalled everywhere.
     */
    @Test
    void collectedPointIsTheSignalledStubEverywhere() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f1 = fresh();
        Fence f2 = fresh();
        obj.addPoint(1, f1);
        obj.addPoint(2, f2);
        f1.signal();
        obj.addPoint(3, fresh()); // the walk after add_point collects point 1's link
        Fence at1 = obj.fenceAt(1);
        assertTrue(at1.isSignaled());
        assertEquals(0, await1(obj, 1, 0));
        assertEquals(0, await1(obj, 1, WAIT_ALL | WAIT_FOR_SUBMIT));
        try (SyncFile sf = obj.exportSyncFile(1)) {
            assertTrue(sf.isSignaled());
        }
        AtomicInteger ran = new AtomicInteger();
        obj.onPoint(1, 0, ran::incrementAndGet);
        assertEquals(1, ran.get(), "eventfd of a collected point fires at once");
        SyncObj dst = SyncObj.create();
        SyncObj.transfer(obj, 1, dst, 5);
        assertEquals(5L, dst.query(), "a transferred collected point is reached");
        SyncObj bin = SyncObj.create();
        SyncObj.transfer(obj, 1, bin, 0);
        assertEquals(0, await1(bin, 0, 0));
        assertEquals(1L, obj.query());
    }

    /**
     * syncobj_eventfd_entry_func returns early while the object has no fence or the point is
     * not submitted: the entry stays queued through signal (binary stub) and reset, and fires
     * when the point is finally added.
     */
    @Test
    void eventfdEntryStaysQueuedAcrossBinarySignalAndReset() {
        SyncObj obj = SyncObj.create();
        AtomicInteger available = new AtomicInteger();
        AtomicInteger signalled = new AtomicInteger();
        obj.onPoint(1, WAIT_AVAILABLE, available::incrementAndGet);
        obj.onPoint(1, 0, signalled::incrementAndGet);
        obj.signal();
        obj.reset();
        obj.replaceFence(fresh());
        assertEquals(2, obj.waiterCount());
        assertEquals(0, available.get());
        obj.reset();
        Fence f1 = fresh();
        obj.addPoint(1, f1);
        assertEquals(1, available.get());
        assertEquals(0, signalled.get());
        assertEquals(0, obj.waiterCount());
        f1.signal();
        assertEquals(1, signalled.get());
    }

    /** TRANSFER to point 0 replaces with the found fence itself (not flattened): a chain link. */
    @Test
    void transferToBinaryKeepsTheChainLink() throws Exception {
        SyncObj src = SyncObj.create();
        Fence f1 = fresh();
        src.addPoint(1, f1);
        src.addPoint(2, fresh());
        SyncObj dst = SyncObj.create();
        SyncObj.transfer(src, 2, dst, 0);
        Fence got = dst.fence();
        Fence expected = src.fenceAt(2);
        assertSame(expected, got);
        assertTrue(got instanceof FenceChain);
        assertFalse(got.isSignaled());
        got.release();
        expected.release();
    }

    /** SIGNAL replaces a timeline with a signalled binary fence: the points are gone. */
    @Test
    void binarySignalDropsTheTimeline() throws Exception {
        SyncObj obj = SyncObj.create();
        obj.addPoint(1, fresh());
        obj.signal();
        assertEquals(0, await1(obj, 0, 0));
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 1, 0));
        assertEquals(0L, obj.query());
    }
}
