package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SyncPollerTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    @Test
    void reportsEveryReadyFileAtOnce() throws Exception {
        Fence a = fresh();
        Fence b = fresh();
        Fence c = fresh();
        try (SyncFile fa = SyncFile.create(a); SyncFile fb = SyncFile.create(b);
                SyncFile fc = SyncFile.create(c)) {
            assertTrue(SyncPoller.poll(0, TimeUnit.SECONDS, fa, fb, fc).isEmpty());
            b.signal();
            c.signal();
            BitSet ready = SyncPoller.poll(0, TimeUnit.SECONDS, fa, fb, fc);
            assertEquals(BitSet.valueOf(new long[] {0b110}), ready);
            // level-triggered: the same answer again
            assertEquals(ready, SyncPoller.poll(1, TimeUnit.SECONDS, List.of(fa, fb, fc)));
        }
    }

    @Test
    void timesOutWithAnEmptySetAndLeavesNoCallbacksBehind() throws Exception {
        Fence a = fresh();
        Fence b = fresh();
        try (SyncFile fa = SyncFile.create(a); SyncFile fb = SyncFile.create(b)) {
            long t0 = System.nanoTime();
            assertTrue(SyncPoller.poll(30, TimeUnit.MILLISECONDS, fa, fb).isEmpty());
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(30));
            // if a node were left queued, releasing the last references would signal with an
            // error (FenceReleasedException) instead of leaving the fences pending
        }
        assertTrue(a.release());
        assertTrue(b.release());
        assertFalse(a.isSignaled());
        assertFalse(b.isSignaled());
    }

    @Test
    void wakesWhenAnyFileSignals() throws Exception {
        Fence[] fences = new Fence[8];
        SyncFile[] files = new SyncFile[8];
        for (int i = 0; i < fences.length; i++) {
            fences[i] = fresh();
            files[i] = SyncFile.create(fences[i]);
        }
        // The poll's own timeout (60 s) exceeds the test's bound (10 s): a poll that times out
        // rescans and would report the signalled file even if the signal never woke it. The
        // signal comes once the poller is parked, so the wake-up path is always the one taken.
        FutureTask<BitSet> poll = new FutureTask<>(
                () -> SyncPoller.poll(60, TimeUnit.SECONDS, files));
        Thread poller = new Thread(poll, "poller");
        poller.setDaemon(true);
        poller.start();
        TestSupport.awaitParked(poller);
        fences[5].signal();
        BitSet ready = TestSupport.get(poll);
        assertEquals(5, ready.nextSetBit(0));
        assertEquals(1, ready.cardinality());
        for (SyncFile f : files) {
            f.close();
        }
    }

    @Test
    void interruptIsReported() throws Exception {
        try (SyncFile f = SyncFile.create(fresh())) {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> SyncPoller.poll(10, TimeUnit.SECONDS, f));
            assertFalse(Thread.interrupted());
        }
    }

    /**
     * With timeout 0 nothing is waited for, but an interrupt is still reported when nothing is
     * ready (poll(2) returns EINTR; SyncFile.poll(0, unit) throws too); a ready file wins and
     * the interrupt status stays set.
     */
    @Test
    void zeroTimeoutReportsAnInterruptUnlessSomethingIsReady() throws Exception {
        Fence done = fresh();
        done.signal();
        try (SyncFile pending = SyncFile.create(fresh()); SyncFile ready = SyncFile.create(done)) {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> SyncPoller.poll(0, TimeUnit.SECONDS, pending));
            assertFalse(Thread.interrupted(), "the throw clears the status");

            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> pending.poll(0, TimeUnit.SECONDS),
                    "SyncFile.poll(0) behaves the same");
            assertFalse(Thread.interrupted());

            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> SyncPoller.poll(0, TimeUnit.SECONDS, List.of()));
            assertFalse(Thread.interrupted());

            Thread.currentThread().interrupt();
            assertEquals(BitSet.valueOf(new long[] {0b10}),
                    SyncPoller.poll(0, TimeUnit.SECONDS, pending, ready));
            assertTrue(Thread.interrupted(), "a ready result keeps the status");
        }
    }

    @Test
    void badInput() {
        SyncFile closed = SyncFile.create(fresh());
        closed.close();
        try (SyncFile open = SyncFile.create(fresh())) {
            assertThrows(IllegalArgumentException.class,
                    () -> SyncPoller.poll(-1, TimeUnit.SECONDS, open));
            assertThrows(NullPointerException.class, () -> SyncPoller.poll(1, null, open));
            assertThrows(NullPointerException.class,
                    () -> SyncPoller.poll(1, TimeUnit.SECONDS, open, null));
            assertThrows(NullPointerException.class,
                    () -> SyncPoller.poll(1, TimeUnit.SECONDS, (SyncFile[]) null));
            assertThrows(BadHandleException.class,
                    () -> SyncPoller.poll(1, TimeUnit.SECONDS, open, closed));
        }
    }

    @Test
    void emptySetReturnsAtOnce() throws Exception {
        assertTrue(SyncPoller.poll(10, TimeUnit.SECONDS).isEmpty());
    }

    /** close() cancels every key; the ready list then holds none of them. */
    @Test
    void readyKeysIsEmptyOnceClosed() throws Exception {
        Fence a = fresh();
        a.signal();
        try (SyncFile fa = SyncFile.create(a)) {
            SyncPoller p = SyncPoller.open();
            SyncPoller.Key k = p.register(fa, "a");
            assertEquals(1, p.selectNow());
            assertEquals(List.of(k), p.readyKeys());
            p.close();
            assertFalse(k.isValid());
            assertTrue(p.readyKeys().isEmpty(), "cancelled keys listed after close: "
                    + p.readyKeys());
        }
    }
}
