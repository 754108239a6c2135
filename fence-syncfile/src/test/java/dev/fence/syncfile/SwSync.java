package dev.fence.syncfile;

import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import java.util.concurrent.TimeUnit;

/**
 * The helpers of tools/testing/selftests/sync/sync.c and sw_sync.h, on the core
 * {@link Timeline} (sw_sync's timeline) and {@link SyncFile} (the sync_file fd).
 */
final class SwSync {

    private SwSync() {
    }

    /** {@code sw_sync_timeline_create()}. */
    static Timeline timelineCreate() {
        return Timeline.create("sw_sync");
    }

    /** {@code sw_sync_fence_create(timeline, name, value)}. */
    static SyncFile fenceCreate(Timeline timeline, String name, long value) {
        return SyncFile.create(name, timeline.fenceAt(value));
    }

    /** {@code sw_sync_timeline_inc(timeline, count)}. */
    static void timelineInc(Timeline timeline, long count) {
        timeline.advance(count);
    }

    /**
     * {@code sync_wait(fd, timeout)}: poll; > 0 if signalled, 0 on timeout. A negative timeout
     * waits forever, like poll(2).
     */
    static int syncWait(SyncFile file, long timeoutMs) throws InterruptedException {
        if (timeoutMs < 0) {
            return file.poll(Long.MAX_VALUE, TimeUnit.NANOSECONDS) ? 1 : 0;
        }
        return file.poll(timeoutMs, TimeUnit.MILLISECONDS) ? 1 : 0;
    }

    /** {@code sync_merge(name, a, b)}. */
    static SyncFile syncMerge(String name, SyncFile a, SyncFile b) {
        return SyncFile.merge(name, a, b);
    }

    /** {@code sync_fence_size(fd)}. */
    static int fenceSize(SyncFile file) {
        return file.info().fences().size();
    }

    /** {@code sync_fence_count_with_status(fd, status)}. */
    static int countWithStatus(SyncFile file, FenceStatus status) {
        return file.info().count(status);
    }
}
