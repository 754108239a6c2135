package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Port of tools/testing/selftests/sync/sync_stress_consumer.c
 * ({@code test_consumer_stress_multi_producer_single_consumer}): five producers and one consumer
 * hand turns to each other through timelines; the consumer waits on a merge of all producers.
 * Same sizes as the kernel (1 << 12 iterations). As in the kernel as
 * written, producer 0 and the consumer busy-wait on FILE_INFO, the other producers poll.
 */
class SyncStressConsumerTest {

    private static final int PRODUCERS = 5;
    private static final int ITERATIONS = 1 << 12;

    private final ReentrantLock lock = new ReentrantLock();
    private final Timeline consumerTimeline = SwSync.timelineCreate();
    private final Timeline[] producerTimelines = new Timeline[PRODUCERS];
    private int counter;

    private static void busyWaitOnFence(SyncFile fence) {
        for (;;) {
            SyncFileInfo info = fence.info();
            if (info.count(FenceStatus.ERROR) != 0) {
                throw new AssertionError("Error occurred on fence");
            }
            if (info.count(FenceStatus.PENDING) == 0) {
                return;
            }
            Thread.yield();
        }
    }

    private static void waitOn(SyncFile fence, boolean busy) throws InterruptedException {
        if (busy) {
            busyWaitOnFence(fence);
        } else if (SwSync.syncWait(fence, -1) <= 0) {
            throw new AssertionError("Failure waiting on fence");
        }
    }

    /*
     * The waits are unbounded (sync_wait(fd, -1), as in the kernel) and the threads were joined
     * without a bound, so a lost wake-up hung the build instead of failing this test; now it
     * fails after 60 s (the test normally takes about a second).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void test_consumer_stress_multi_producer_single_consumer() throws Exception {
        for (int i = 0; i < PRODUCERS; i++) {
            producerTimelines[i] = SwSync.timelineCreate();
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] producers = new Thread[PRODUCERS];
        for (int p = 0; p < PRODUCERS; p++) {
            int id = p;
            producers[p] = new Thread(() -> {
                try {
                    produce(id);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    consumerTimeline.advance(Integer.MAX_VALUE);
                }
            }, "producer-" + p);
            producers[p].setDaemon(true); // left behind if the test times out
            producers[p].start();
        }
        try {
            consume();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            for (Timeline tl : producerTimelines) {
                tl.advance(Integer.MAX_VALUE);
            }
            consumerTimeline.advance(Integer.MAX_VALUE);
        }
        for (Thread t : producers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        lock.lock();
        try {
            assertEquals(PRODUCERS * ITERATIONS, counter);
        } finally {
            lock.unlock();
        }
    }

    private void produce(int id) throws InterruptedException {
        // (iterations + id) % 8 == 0 in the kernel, with constant iterations
        boolean busy = id == 0;
        for (int i = 0; i < ITERATIONS; i++) {
            try (SyncFile fence = SwSync.fenceCreate(consumerTimeline, "fence", i)) {
                waitOn(fence, busy);
            }
            // Every producer increments the counter; the consumer checks and erases it.
            lock.lock();
            try {
                counter++;
            } finally {
                lock.unlock();
            }
            SwSync.timelineInc(producerTimelines[id], 1);
        }
    }

    private void consume() throws InterruptedException {
        for (int it = 1; it <= ITERATIONS; it++) {
            SyncFile fence = SwSync.fenceCreate(producerTimelines[0], "name", it);
            for (int i = 1; i < PRODUCERS; i++) {
                try (SyncFile next = SwSync.fenceCreate(producerTimelines[i], "name", it)) {
                    SyncFile merged = SwSync.syncMerge("name", next, fence);
                    fence.close();
                    fence = merged;
                }
            }
            try {
                waitOn(fence, true);
            } finally {
                fence.close();
            }
            lock.lock();
            try {
                if (counter != PRODUCERS * it) {
                    throw new AssertionError("Counter " + counter + " at iteration " + it);
                }
            } finally {
                lock.unlock();
            }
            SwSync.timelineInc(consumerTimeline, 1);
        }
    }
}
