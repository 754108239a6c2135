package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fence.core.Timeline;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Port of tools/testing/selftests/sync/sync_stress_parallelism.c: two threads ping-pong through
 * one timeline. The kernel runs 1 << 16 iterations per thread; 1 << 14 keeps this around a second
 * on a loaded two-core machine and still interleaves the threads tens of thousands of times.
 */
class SyncStressParallelismTest {

    private static final int ITERATIONS = 1 << 14;

    private Timeline timeline;
    /** Plain field: the timeline's signal/wait must order the two threads' accesses. */
    private int counter;

    /*
     * The waits are unbounded (sync_wait(fd, -1), as in the kernel) and the threads were joined
     * without a bound, so a lost wake-up hung the build instead of failing this test; now it
     * fails after 60 s (the test normally takes about a second).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void test_stress_two_threads_shared_timeline() throws Exception {
        timeline = SwSync.timelineCreate();
        counter = 0;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread a = new Thread(() -> run(0, failure), "stress-0");
        Thread b = new Thread(() -> run(1, failure), "stress-1");
        a.setDaemon(true); // left behind if the test times out
        b.setDaemon(true);
        a.start();
        b.start();
        a.join();
        b.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(ITERATIONS * 2, counter, "Counter has unexpected value");
    }

    private void run(int threadId, AtomicReference<Throwable> failure) {
        try {
            for (int i = 0; i < ITERATIONS; i++) {
                try (SyncFile fence = SwSync.fenceCreate(timeline, "fence", i * 2L + threadId)) {
                    if (SwSync.syncWait(fence, -1) <= 0) {
                        throw new AssertionError("Failure waiting on fence");
                    }
                    // Check that the counter is what we expect, then bump it.
                    if (counter != i * 2 + threadId) {
                        throw new AssertionError("Counter " + counter + " unexpected, wanted "
                                + (i * 2 + threadId));
                    }
                    counter++;
                }
                SwSync.timelineInc(timeline, 1);
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            timeline.advance(Integer.MAX_VALUE); // release the other thread
        }
    }
}
