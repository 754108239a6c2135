package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The registered SyncPoller's wake-ups: one wakeup() ends one select. */
class SyncPollerWakeupTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /**
     * wakeup() is "the select in progress, or else the next one" (like Selector.wakeup). A
     * select that returns at once because keys are ready spends it, so a second, later select
     * waits.
     */
    @Test
    void oneWakeupEndsOneSelect() throws Exception {
        Fence a = fresh();
        a.signal();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a);
                SyncFile fb = SyncFile.create(fresh())) {
            SyncPoller.Key ka = p.register(fa, null);
            p.register(fb, null);
            p.wakeup();
            assertEquals(1, p.select(1, TimeUnit.SECONDS)); // returns at once: the wakeup's select
            ka.cancel();
            long t0 = System.nanoTime();
            assertEquals(0, p.select(200, TimeUnit.MILLISECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 150, "second select returned after " + ms + " ms: stale wakeup");
        }
    }

    /** selectNow() clears a pending wakeup, as Selector.selectNow() does. */
    @Test
    void selectNowConsumesAPendingWakeup() throws Exception {
        try (SyncPoller p = SyncPoller.open(); SyncFile fb = SyncFile.create(fresh())) {
            p.register(fb, null);
            p.wakeup();
            assertEquals(0, p.selectNow());
            long t0 = System.nanoTime();
            assertEquals(0, p.select(200, TimeUnit.MILLISECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 150, "select after selectNow returned after " + ms + " ms");
        }
    }
}
