package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * select() documents its result as "the number of ready keys (the size of
 * readyKeys())", and readyKeys() is empty once the poller is closed. A select woken by a signal
 * while close() is still cancelling keys returns the count of what it collected, while
 * readyKeys() already answers the empty list: {@code if (select(..) > 0) readyKeys().get(0)}
 * threw IndexOutOfBoundsException before the twentieth session (this test failed); a closed
 * poller's select now returns 0.
 */
class SyncPollerCloseDuringSelectTest {

    @Test
    void selectEndingDuringCloseAgreesWithReadyKeys() throws Exception {
        CountDownLatch inDeallocate = new CountDownLatch(1);
        CountDownLatch finishDeallocate = new CountDownLatch(1);
        Fence slow = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() { // the driver returns its resources: takes a moment
                inDeallocate.countDown();
                try {
                    // longer than the test's 10 s bound: close() must not get past this key (and
                    // wake the select itself) before the test has its answer
                    finishDeallocate.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Fence b = TestSupport.fresh();
        SyncPoller p = SyncPoller.open();
        SyncFile fb = SyncFile.create(b);
        p.register(fb, "b");
        SyncFile fs = SyncFile.create(slow);
        slow.release();
        p.register(fs, "slow"); // newest: close() cancels it first
        fs.close(); // the key now holds slow's last reference

        FutureTask<Object[]> selecting = new FutureTask<>(() -> {
            // 60 s under TestSupport.get's 10 s: a select that times out (or that close() wakes
            // once it is done) instead of being woken by b's push fails the test
            int n = p.select(60, TimeUnit.SECONDS);
            return new Object[] {n, List.copyOf(p.readyKeys())};
        });
        Thread s = new Thread(selecting, "select");
        s.setDaemon(true);
        s.start();
        TestSupport.awaitParked(s);
        Thread closer = new Thread(p::close, "close");
        closer.setDaemon(true);
        closer.start();
        assertTrue(inDeallocate.await(10, TimeUnit.SECONDS)); // close() is cancelling keys
        b.signal(); // b's key is still valid: pushed, the selector wakes
        Object[] r;
        try {
            r = TestSupport.get(selecting);
            assertTrue(closer.isAlive(), "close() finished before the select returned");
        } finally {
            finishDeallocate.countDown();
        }
        closer.join(10_000);
        fb.close();
        assertEquals(((List<?>) r[1]).size(), r[0],
                "select() returned " + r[0] + " but readyKeys() was " + r[1]);
    }
}
