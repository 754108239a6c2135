package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fence.core.Fence;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SyncFile.channel() in a Selector while another thread closes the file. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SyncFileChannelCloseTest {

    /** How long one round's close() may take before the test fails: only a hang guard. */
    private static final long CLOSE_BOUND_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * close() must close the pipe's source before its sink. Closing the sink is exactly what a
     * signal does (the source reaches end-of-stream), so closing it first would let a Selector
     * in another thread report the channel readable, with the fence still pending, before the
     * source's close cancels the key, and an event loop would treat the fence as done.
     */
    @Test
    void concurrentCloseNeverMakesThePendingChannelReadable() throws Exception {
        ExecutorService closer = Executors.newSingleThreadExecutor();
        int spurious = 0;
        int validHits = 0;
        int rounds = 0;
        int overlapped = 0; // selectNow calls that ran while close() was running
        // the round whose close() has started (set by the closer just before it calls close())
        AtomicInteger closing = new AtomicInteger();
        // the round whose close() has returned (set by the closer just after); the Future is
        // done only some time later, so done.isDone() alone would count selects after close()
        AtomicInteger closed = new AtomicInteger();
        try (Selector sel = Selector.open()) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < end) {
                rounds++;
                Fence f = Fence.create(Fence.allocateContexts(1), 1);
                SyncFile sf = SyncFile.create(f);
                SelectionKey key = sf.channel().register(sel, SelectionKey.OP_READ);
                sel.selectNow();
                sel.selectedKeys().clear();
                int round = rounds;
                Future<?> done = closer.submit(() -> {
                    closing.set(round);
                    sf.close();
                    closed.set(round);
                });
                boolean last = false;
                long closeDeadline = System.nanoTime() + CLOSE_BOUND_NANOS;
                while (!last) {
                    last = done.isDone();
                    if (!last && System.nanoTime() - closeDeadline > 0) {
                        fail("round " + round + ": close() "
                                + (closing.get() == round ? "did not return" : "never started")
                                + " within " + TimeUnit.NANOSECONDS.toSeconds(CLOSE_BOUND_NANOS)
                                + " s");
                    }
                    boolean closeEndedBefore = closed.get() == round;
                    sel.selectNow();
                    // began before close() returned and ended after close() began
                    if (!closeEndedBefore && closing.get() == round) {
                        overlapped++;
                    }
                    if (sel.selectedKeys().contains(key) && !f.isSignaled()) {
                        spurious++;
                        if (key.isValid()) {
                            validHits++; // not even cancelled yet: isValid() checks don't help
                        }
                    }
                    sel.selectedKeys().clear();
                }
                // done already (isDone() ended the loop); bounded all the same. Rethrows what
                // close() threw.
                done.get(CLOSE_BOUND_NANOS, TimeUnit.NANOSECONDS);
                sel.selectNow(); // flush the cancelled key
            }
        } finally {
            closer.shutdownNow();
        }
        assertEquals(0, spurious, "pending channel reported readable " + spurious
                + " times (" + validHits + " with the key still valid) in " + rounds + " rounds");
        assertTrue(overlapped > 0, "no selectNow overlapped a close() in " + rounds
                + " rounds: the race this test is about never ran");
    }
}
