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

/** Port of tools/testing/selftests/sync/sync_wait.c. */
class SyncWaitTest {

    @Test
    void test_fence_multi_timeline_wait() throws Exception {
        Timeline timelineA = SwSync.timelineCreate();
        Timeline timelineB = SwSync.timelineCreate();
        Timeline timelineC = SwSync.timelineCreate();
        try (SyncFile a = fenceCreate(timelineA, "fenceA", 5);
                SyncFile b = fenceCreate(timelineB, "fenceB", 5);
                SyncFile c = fenceCreate(timelineC, "fenceC", 5);
                SyncFile ba = syncMerge("mergeFence", b, a);
                SyncFile merged = syncMerge("mergeFence", c, ba)) {
            assertEquals(3, countWithStatus(merged, FenceStatus.PENDING), "active fences");
            assertEquals(0, syncWait(merged, 0), "Failure waiting on fence until timeout");

            timelineInc(timelineA, 5);
            assertEquals(2, countWithStatus(merged, FenceStatus.PENDING), "active fences");
            assertEquals(1, countWithStatus(merged, FenceStatus.SIGNALED), "signaled fences");

            timelineInc(timelineB, 5);
            assertEquals(1, countWithStatus(merged, FenceStatus.PENDING), "active fences");
            assertEquals(2, countWithStatus(merged, FenceStatus.SIGNALED), "signaled fences");

            timelineInc(timelineC, 5);
            assertEquals(0, countWithStatus(merged, FenceStatus.PENDING), "active fences");
            assertEquals(3, countWithStatus(merged, FenceStatus.SIGNALED), "signaled fences");

            assertTrue(syncWait(merged, 100) > 0, "Failure waiting on signaled fence");
        }
    }
}
