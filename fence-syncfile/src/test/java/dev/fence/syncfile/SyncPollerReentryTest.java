package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.fresh;
import static dev.fence.syncfile.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The registered SyncPoller used the ways its javadoc allows but no other test exercised: one
 * file registered twice, and register/wakeup called from a fence callback, which runs in the
 * signalling thread (possibly while another thread is parked in select).
 */
class SyncPollerReentryTest {

    /** "Registering the same file twice gives two keys": each reports, each cancels alone. */
    @Test
    void sameFileTwiceGivesTwoIndependentKeys() throws Exception {
        Fence f = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile file = SyncFile.create(f)) {
            SyncPoller.Key k1 = p.register(file, "one");
            SyncPoller.Key k2 = p.register(file, "two");
            assertNotSame(k1, k2);
            assertSame(file, k1.file());
            assertSame(file, k2.file());
            assertEquals(0, p.selectNow());

            f.signal();
            assertEquals(2, p.select(1, TimeUnit.SECONDS));
            List<SyncPoller.Key> ready = p.readyKeys();
            assertTrue(ready.contains(k1) && ready.contains(k2), "ready: " + ready);

            k1.cancel();
            assertFalse(k1.isValid());
            assertTrue(k2.isValid());
            assertEquals(1, p.selectNow());
            assertEquals(List.of(k2), p.readyKeys());
            assertEquals("two", p.readyKeys().get(0).attachment());
        }
    }

    /** Closing the file and then cancelling both keys leaves the fence with no queued node. */
    @Test
    void twoKeysOnOneFileCancelCleanly() throws Exception {
        Fence f = fresh();
        try (SyncPoller p = SyncPoller.open()) {
            SyncPoller.Key k1;
            SyncPoller.Key k2;
            try (SyncFile file = SyncFile.create(f)) {
                k1 = p.register(file, null);
                k2 = p.register(file, null);
            }
            k2.cancel();
            k1.cancel();
            // the files and keys held the other references; a node left queued would make this
            // last release signal the fence with an error instead of leaving it pending
            assertTrue(f.release());
            assertFalse(f.isSignaled());
            assertNull(f.error());
            assertEquals(0, p.selectNow());
        }
    }

    /**
     * A callback registers a file with the poller while another thread is parked in select:
     * the registration of an already signalled file must wake that select and be reported.
     */
    @Test
    void registerFromACallbackWakesAParkedSelect() throws Exception {
        Fence trigger = fresh();
        Fence done = fresh();
        done.signal();
        try (SyncPoller p = SyncPoller.open(); SyncFile doneFile = SyncFile.create(done);
                SyncFile idle = SyncFile.create(fresh())) {
            p.register(idle, "idle");
            AtomicReference<SyncPoller.Key> registered = new AtomicReference<>();
            trigger.onSignal(x -> registered.set(p.register(doneFile, "cb")));
            FutureTask<Integer> selecting = selectParked(p);
            trigger.signal();
            assertEquals(1, get(selecting));
            assertEquals(List.of(registered.get()), p.readyKeys());
            assertEquals("cb", p.readyKeys().get(0).attachment());
        }
    }

    /** wakeup() from a callback in the signalling thread ends a select parked elsewhere. */
    @Test
    void wakeupFromACallbackEndsAParkedSelect() throws Exception {
        Fence trigger = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile idle = SyncFile.create(fresh())) {
            p.register(idle, null);
            trigger.onSignal(x -> p.wakeup());
            FutureTask<Integer> selecting = selectParked(p);
            long t0 = System.nanoTime();
            trigger.signal();
            assertEquals(0, get(selecting)); // woken, nothing ready
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5),
                    "select returned by its own timeout, not the wakeup");
        }
    }

    /**
     * A callback of the very fence a key watches registers that same file again: the new
     * registration sees the fence signalled (the signal is published before callbacks run) and
     * both keys are reported, once each.
     */
    @Test
    void callbackOfTheWatchedFenceRegistersItsFileAgain() throws Exception {
        Fence f = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile file = SyncFile.create(f)) {
            SyncPoller.Key first = p.register(file, "first");
            AtomicReference<SyncPoller.Key> second = new AtomicReference<>();
            f.onSignal(x -> second.set(p.register(file, "second")));
            f.signal();
            assertEquals(2, p.selectNow());
            List<SyncPoller.Key> ready = p.readyKeys();
            assertEquals(2, ready.size());
            assertTrue(ready.contains(first) && ready.contains(second.get()), "ready: " + ready);
            assertEquals(2, p.selectNow()); // level-triggered, and no key pushed twice
        }
    }

    /** Starts {@code p.select(10 s)} in a new thread and returns once it is parked there. */
    private static FutureTask<Integer> selectParked(SyncPoller p) throws Exception {
        FutureTask<Integer> selecting = new FutureTask<>(() -> p.select(10, TimeUnit.SECONDS));
        Thread t = new Thread(selecting, "select");
        t.setDaemon(true);
        t.start();
        awaitParked(t);
        assertFalse(selecting.isDone(), "select returned before anything happened");
        return selecting;
    }
}
