package dev.fence.syncfile;

import static dev.fence.syncfile.SwSync.countWithStatus;
import static dev.fence.syncfile.SwSync.fenceCreate;
import static dev.fence.syncfile.SwSync.syncMerge;
import static dev.fence.syncfile.SwSync.syncWait;
import static dev.fence.syncfile.SwSync.timelineInc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import org.junit.jupiter.api.Test;

/** Port of tools/testing/selftests/sync/sync_fence.c. */
class SyncFenceTest {

    @Test
    void test_fence_one_timeline_wait() throws Exception {
        Timeline timeline = SwSync.timelineCreate();
        try (SyncFile fence = fenceCreate(timeline, "allocFence", 5)) {
            assertEquals(0, syncWait(fence, 0), "Failure waiting on fence until timeout");
            timelineInc(timeline, 1);
            assertEquals(0, syncWait(fence, 0), "Failure waiting on fence until timeout");
            timelineInc(timeline, 4); // value 5: signals
            assertTrue(syncWait(fence, 0) > 0, "Failure signaling the fence");
            timelineInc(timeline, 10);
            assertTrue(syncWait(fence, 0) > 0, "Failure waiting already-signaled fence");
        }
    }

    @Test
    void test_fence_one_timeline_merge() throws Exception {
        Timeline timeline = SwSync.timelineCreate();
        try (SyncFile a = fenceCreate(timeline, "allocFence", 1);
                SyncFile b = fenceCreate(timeline, "allocFence", 2);
                SyncFile c = fenceCreate(timeline, "allocFence", 3);
                SyncFile ab = syncMerge("mergeFence", b, a);
                SyncFile d = syncMerge("mergeFence", c, ab)) {
            // one timeline: only the latest fence, c, is kept
            assertEquals(1, countWithStatus(d, FenceStatus.PENDING),
                    "merged fence has one active point");

            timelineInc(timeline, 1);
            assertEquals(1, countWithStatus(a, FenceStatus.SIGNALED), "a signaled");
            assertEquals(1, countWithStatus(d, FenceStatus.PENDING), "d still active");

            timelineInc(timeline, 1);
            assertEquals(1, countWithStatus(b, FenceStatus.SIGNALED), "b signaled");
            assertEquals(1, countWithStatus(d, FenceStatus.PENDING), "d still active");

            timelineInc(timeline, 1);
            assertEquals(1, countWithStatus(c, FenceStatus.SIGNALED), "c signaled");
            assertEquals(0, countWithStatus(d, FenceStatus.PENDING), "d has no active point");
            assertEquals(1, countWithStatus(d, FenceStatus.SIGNALED), "d signaled");
            assertTrue(syncWait(d, 0) > 0);
        }
    }
}
