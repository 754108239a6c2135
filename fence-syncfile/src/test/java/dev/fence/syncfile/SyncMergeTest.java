package dev.fence.syncfile;

import static dev.fence.syncfile.SwSync.countWithStatus;
import static dev.fence.syncfile.SwSync.fenceCreate;
import static dev.fence.syncfile.SwSync.syncMerge;
import static dev.fence.syncfile.SwSync.timelineInc;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import org.junit.jupiter.api.Test;

/** Port of tools/testing/selftests/sync/sync_merge.c. */
class SyncMergeTest {

    @Test
    void test_fence_merge_same_fence() {
        Timeline timeline = SwSync.timelineCreate();
        try (SyncFile fence = fenceCreate(timeline, "allocFence", 5);
                SyncFile merged = syncMerge("mergeFence", fence, fence)) {
            assertEquals(0, countWithStatus(merged, FenceStatus.SIGNALED),
                    "fence signaled too early");
            assertEquals(1, SwSync.fenceSize(merged), "a fence merged with itself is one fence");
            timelineInc(timeline, 5);
            assertEquals(1, countWithStatus(merged, FenceStatus.SIGNALED),
                    "fence did not signal");
        }
    }
}
