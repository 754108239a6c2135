package dev.fence.syncfile;

import static dev.fence.syncfile.SyncObj.WAIT_AVAILABLE;
import static dev.fence.syncfile.SyncObj.WAIT_FOR_SUBMIT;
import static dev.fence.syncfile.TestSupport.async;
import static dev.fence.syncfile.TestSupport.awaitWaiters;
import static dev.fence.syncfile.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When a point is submitted, the kernel's drm_syncobj hands the fence to every queued
 * WAIT_FOR_SUBMIT waiter and wakes it under the syncobj lock, in the same step that publishes the
 * point (syncobj_wait_syncobj_func). Before the fix, SyncObj handed await entries their fence
 * only after unlocking, in queue order behind onPoint actions that run in the submitting thread:
 * an action queued first delayed every await behind it, which could time out (-1) although its
 * point had been submitted, already signalled, long before the deadline.
 */
class SyncObjSubmitDeliveryTest {

    @Test
    @Timeout(20)
    void awaitSeesASubmissionEvenWhileAnEarlierNotificationRuns() throws Exception {
        SyncObj obj = SyncObj.create();
        CountDownLatch awaitReturned = new CountDownLatch(1);
        // Queued first: runs in the submitting thread and holds it until the await has returned
        // (bounded, well beyond the wait's timeout, so the old code fails instead of hanging).
        obj.onPoint(1, WAIT_AVAILABLE, () -> {
            try {
                awaitReturned.await(8, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        FutureTask<Integer> w = async("await point 1", () -> {
            try {
                return SyncObj.await(new SyncObj[] {obj}, new long[] {1}, WAIT_FOR_SUBMIT, 3,
                        TimeUnit.SECONDS);
            } finally {
                awaitReturned.countDown();
            }
        });
        awaitWaiters(obj, 2); // the notification, then the await's entry
        obj.signal(1); // submitted already signalled, well within the wait's timeout
        // old code: -1 after the full 3 s, the entry got its fence only after the action returned
        assertEquals(0, get(w));
        assertEquals(0, obj.waiterCount());
    }
}
