package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fence.core.Fence;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * DRM_IOCTL_SYNCOBJ_QUERY when the chain crosses a context boundary
 * (drivers/gpu/drm/drm_syncobj.c, drm_syncobj_query_ioctl, v6.17): the kernel walks with
 * dma_fence_chain_for_each from the head (collecting signalled links), keeps the last node in
 * the head's context, and answers {@code is_signaled(last) ? last->seqno : last->prev_seqno}.
 * If collection made that node's predecessor a pending fence of another context, the kernel
 * still answers its prev_seqno, although that point is not reached (a wait on it blocks).
 * {@link SyncObj#query()} deliberately answers 0 there, never a point that is not reached (a
 * documented difference, docs/syncfile.md); these tests pin that answer beside the kernel's.
 */
class SyncObjQueryContextBoundaryTest {

    private static int poll(SyncObj obj, long point) throws InterruptedException {
        return SyncObj.await(new SyncObj[] {obj}, new long[] {point}, 0, 0, TimeUnit.SECONDS);
    }

    /**
     * Points 1..3 added over a pending binary fence B; f1 and f2 signal, B does not.
     * Kernel: walk C3 -> (C2, C1 collected) -> B (other context) -> last = C3, unsignalled,
     * QUERY = C3->prev_seqno = 2.
     */
    @Test
    void timelineOverAPendingBinaryFence() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence binary = fresh();
        obj.replaceFence(binary);
        Fence f1 = fresh();
        Fence f2 = fresh();
        Fence f3 = fresh();
        obj.addPoint(1, f1);
        obj.addPoint(2, f2);
        obj.addPoint(3, f3);
        f1.signal();
        f2.signal();
        assertEquals(-1, poll(obj, 2), "point 2 waits for the binary fence (both kernel and Java)");
        assertEquals(0L, obj.query(), "the kernel answers C3->prev_seqno = 2, which is not reached;"
                + " query() must not report it");
    }

    /**
     * TIMELINE_SIGNAL point 0 on a timeline whose point 1 is pending, then host-signal point 2.
     * Kernel: head C2 (ctx Y, prev_seqno 1) -> S (ctx Y, stub, collected) -> C1 (ctx X, pending):
     * last = C2, unsignalled, QUERY = 1, although point 1 has not been reached.
     */
    @Test
    void pointZeroThenALaterPointOverAPendingPoint() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f1 = fresh();
        obj.addPoint(1, f1);
        obj.signal(0);
        obj.signal(2);
        assertEquals(-1, poll(obj, 1), "point 1 is pending (both kernel and Java)");
        assertEquals(0L, obj.query(), "the kernel answers C2->prev_seqno = 1, which is not reached;"
                + " query() must not report it");
    }
}
