package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many virtual threads blocked in SyncObj.await and SyncPoller at once (JDK 21+). */
class VirtualThreadWaitTest {

    @Test
    void thousandsOfVirtualThreadsWaitAndWake() throws Exception {
        int n = 2000;
        SyncObj obj = SyncObj.create();
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        try (SyncFile file = SyncFile.create(f);
                ExecutorService vts = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> objWaits = new ArrayList<>();
            List<Future<BitSet>> fileWaits = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                objWaits.add(vts.submit(() -> SyncObj.await(new SyncObj[] {obj}, new long[] {1},
                        SyncObj.WAIT_FOR_SUBMIT, 30, TimeUnit.SECONDS)));
                fileWaits.add(vts.submit(() -> SyncPoller.poll(30, TimeUnit.SECONDS, file)));
            }
            obj.signal(1);
            f.signal();
            for (Future<Integer> w : objWaits) {
                assertEquals(0, w.get(60, TimeUnit.SECONDS));
            }
            for (Future<BitSet> w : fileWaits) {
                assertTrue(w.get(60, TimeUnit.SECONDS).get(0));
            }
            assertEquals(0, obj.waiterCount());
        }
    }
}
