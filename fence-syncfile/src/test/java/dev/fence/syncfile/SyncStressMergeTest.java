package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Timeline;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Port of tools/testing/selftests/sync/sync_stress_merge.c
 * ({@code test_merge_stress_random_merge}): 32 timelines and 32768 merges of random points into
 * one accumulated fence, which must keep exactly one fence per timeline used, and signal only
 * when every timeline reaches its highest point.
 */
class SyncStressMergeTest {

    private static final int TIMELINE_COUNT = 32;
    private static final int MERGE_COUNT = 1024 * 32;

    @Test
    void test_merge_stress_random_merge() throws Exception {
        Timeline[] timelines = new Timeline[TIMELINE_COUNT];
        long[] fenceMap = new long[TIMELINE_COUNT];
        Arrays.fill(fenceMap, -1L);
        for (int i = 0; i < TIMELINE_COUNT; i++) {
            timelines[i] = SwSync.timelineCreate();
        }
        Random rand = new Random(0x5eed);
        // A fence at value 0 is already signalled; merging drops it.
        SyncFile fence = SwSync.fenceCreate(timelines[0], "fence", 0);
        try {
            for (int i = 0; i < MERGE_COUNT; i++) {
                int timelineOffset = rand.nextInt(TIMELINE_COUNT);
                Timeline timeline = timelines[timelineOffset];
                long syncPoint = 1 + rand.nextInt(Integer.MAX_VALUE - 1);
                // Keep track of the latest sync point in each timeline.
                if (fenceMap[timelineOffset] < syncPoint) {
                    fenceMap[timelineOffset] = syncPoint;
                }
                try (SyncFile tmp = SwSync.fenceCreate(timeline, "fence", syncPoint)) {
                    SyncFile merged = SwSync.syncMerge("merge", tmp, fence);
                    fence.close();
                    fence = merged;
                }
            }
            // Confirm our map matches the fence.
            int size = SwSync.fenceSize(fence);
            int fenceMapCount = 0;
            for (long v : fenceMap) {
                if (v != -1L) {
                    fenceMapCount++;
                }
            }
            assertEquals(fenceMapCount, size, "Quantity of elements not matching");

            // Trigger the merged fence.
            for (int i = 0; i < TIMELINE_COUNT; i++) {
                if (fenceMap[i] != -1L) {
                    assertEquals(0, SwSync.syncWait(fence, 0),
                            "Failure waiting on fence until timeout");
                    // Increment the timeline to the last sync point.
                    SwSync.timelineInc(timelines[i], fenceMap[i]);
                }
            }
            // Check that the fence is triggered.
            assertTrue(SwSync.syncWait(fence, 0) > 0, "Failure triggering fence");
        } finally {
            fence.close();
        }
    }
}
