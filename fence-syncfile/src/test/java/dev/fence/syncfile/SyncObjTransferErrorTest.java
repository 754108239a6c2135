package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import org.junit.jupiter.api.Test;

/**
 * Which errors SyncObj.transfer carries (docs/syncfile.md, "Moving fences"). The kernel's
 * transfer into a timeline point flattens with dma_fence_unwrap_merge, which drops every fence
 * that has signalled, failed or not, and its chain links never carry an error at all.
 */
class SyncObjTransferErrorTest {

    @Test
    void aPointThatHasAlreadyFailedArrivesAtATimelinePointAsASuccess() {
        SyncObj src = SyncObj.create();
        Fence job = fresh();
        src.addPoint(1, job);
        job.signal(new IllegalStateException("job failed"));
        SyncObj dst = SyncObj.create();
        SyncObj.transfer(src, 1, dst, 5);
        Fence p5 = dst.fenceAt(5);
        assertTrue(p5.isSignaled());
        assertNull(p5.error(), "the flattening dropped the failed fence and its error");
        assertEquals(FenceStatus.SIGNALED, p5.status());
        p5.release();
    }

    @Test
    void aPendingPointCarriesItsLaterFailureToTheTimelinePoint() {
        SyncObj src = SyncObj.create();
        Fence job = fresh();
        src.addPoint(1, job);
        SyncObj dst = SyncObj.create();
        SyncObj.transfer(src, 1, dst, 5);
        IllegalStateException failure = new IllegalStateException("job failed");
        job.signal(failure);
        Fence p5 = dst.fenceAt(5);
        assertTrue(p5.isSignaled());
        assertSame(failure, p5.error(), "the new point holds the pending fence itself");
        p5.release();
    }

    @Test
    void intoPointZeroTheLinkKeepsItsOwnFenceError() {
        SyncObj src = SyncObj.create();
        Fence job = fresh();
        src.addPoint(1, job);
        IllegalStateException failure = new IllegalStateException("job failed");
        job.signal(failure);
        SyncObj dst = SyncObj.create();
        SyncObj.transfer(src, 1, dst, 0);
        Fence f = dst.fence();
        assertTrue(f.isSignaled());
        assertSame(failure, f.error(), "point 1's link, with its fence's error");
        f.release();

        // A later point that succeeded: its link does not carry point 1's failure.
        src.addPoint(2, TestSupport.signalled());
        SyncObj.transfer(src, 2, dst, 0);
        Fence g = dst.fence();
        assertTrue(g.isSignaled());
        assertNull(g.error(), "a link carries only its own fence's error");
        g.release();
    }
}
