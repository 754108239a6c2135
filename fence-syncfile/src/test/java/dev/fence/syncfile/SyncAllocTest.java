package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import org.junit.jupiter.api.Test;

/** Port of tools/testing/selftests/sync/sync_alloc.c. */
class SyncAllocTest {

    @Test
    void test_alloc_timeline() {
        Timeline timeline = SwSync.timelineCreate();
        assertNotNull(timeline, "Failure allocating timeline");
        assertEquals(0L, timeline.value());
    }

    @Test
    void test_alloc_fence() {
        Timeline timeline = SwSync.timelineCreate();
        try (SyncFile fence = SwSync.fenceCreate(timeline, "allocFence", 1)) {
            assertFalse(fence.isClosed(), "Failure allocating fence");
            assertEquals(1, SwSync.fenceSize(fence));
            assertEquals(FenceStatus.PENDING, fence.status());
        }
    }

    @Test
    void test_alloc_fence_negative() {
        // The kernel test creates a fence on timeline fd -1 and expects failure; here there is
        // no timeline to create it on, and fd -1 names no sync file.
        assertThrows(NullPointerException.class,
                () -> SwSync.fenceCreate(null, "allocFence", 1));
        FdTable fds = new FdTable();
        assertThrows(BadHandleException.class, () -> fds.get(-1),
                "Success allocating negative fence");
        Timeline timeline = SwSync.timelineCreate();
        assertThrows(IllegalArgumentException.class,
                () -> SwSync.fenceCreate(timeline, "allocFence", -1));
    }
}
