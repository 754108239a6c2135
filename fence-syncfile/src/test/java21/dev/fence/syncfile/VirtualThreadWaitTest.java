package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many virtual threads blocked in SyncObj.await and SyncPoller at once (JDK 21+). */
class VirtualThreadWaitTest {

    /**
     * The signals come once every waiter is parked (not right after the threads are started,
     * when most would find the point submitted and the fence signalled and never block), and
     * the waits' 120 s timeouts are above the test's 20 s bound: SyncObj.await and
     * SyncPoller.poll rescan when their timeout runs out, so a shorter timeout would report a
     * waiter that was never woken as a success.
     */
    @Test
    @Timeout(60)
    void thousandsOfVirtualThreadsWaitAndWake() throws Exception {
        int n = 2000;
        SyncObj obj = SyncObj.create();
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        try (SyncFile file = SyncFile.create(f)) {
            List<FutureTask<Integer>> objWaits = new ArrayList<>();
            List<FutureTask<BitSet>> fileWaits = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                FutureTask<Integer> ow = new FutureTask<>(() -> SyncObj.await(new SyncObj[] {obj},
                        new long[] {1}, SyncObj.WAIT_FOR_SUBMIT, 120, TimeUnit.SECONDS));
                FutureTask<BitSet> fw = new FutureTask<>(
                        () -> SyncPoller.poll(120, TimeUnit.SECONDS, file));
                objWaits.add(ow);
                fileWaits.add(fw);
                threads.add(Thread.ofVirtual().name("obj-wait-" + i).start(ow));
                threads.add(Thread.ofVirtual().name("file-wait-" + i).start(fw));
            }
            TestSupport.awaitWaiters(obj, n);
            for (Thread t : threads) {
                TestSupport.awaitParked(t);
            }
            obj.signal(1);
            f.signal();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (FutureTask<Integer> w : objWaits) {
                assertEquals(0, w.get(left(deadline), TimeUnit.NANOSECONDS));
            }
            for (FutureTask<BitSet> w : fileWaits) {
                assertTrue(w.get(left(deadline), TimeUnit.NANOSECONDS).get(0));
            }
            assertEquals(0, obj.waiterCount());
        }
    }

    private static long left(long deadline) {
        return Math.max(deadline - System.nanoTime(), 0L);
    }
}
