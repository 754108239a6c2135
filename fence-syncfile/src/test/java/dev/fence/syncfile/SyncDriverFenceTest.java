package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.lang.reflect.Field;
import java.util.BitSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Waits and polls over driver fences that report completion only when asked, interrupts that
 * race a signal, and files over fences whose count has already reached zero.
 */
class SyncDriverFenceTest {

    /**
     * A driver fence whose work has already completed and which says so (as the contract allows)
     * only when signalling is enabled: its hook returns false ("already passed").
     */
    static final class DoneOnEnable extends Fence {
        DoneOnEnable() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean enableSignalingHook() {
            return false;
        }
    }

    /** A driver fence that reports completion only when polled (a hardware seqno, say). */
    static final class Polled extends Fence {
        volatile boolean done;

        Polled() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean pollSignaled() {
            return done;
        }
    }

    /**
     * addPoint polls the previous point's fence under the object's lock; a driver fence found
     * done there is signalled, and its callbacks (an onPoint action that adds the next point)
     * must run after the lock is released, not inside addPoint, where the action's point was
     * overwritten by the outer one.
     */
    @Test
    void onPointActionTriggeredByPollingRunsAfterTheLockAndItsPointStays() {
        SyncObj obj = SyncObj.create();
        Polled p = new Polled();
        obj.addPoint(1, p);
        Fence f3 = fresh();
        java.util.List<String> log = new java.util.ArrayList<>();
        obj.onPoint(1, 0, () -> {
            log.add("action, last submitted " + obj.lastSubmitted());
            obj.addPoint(3, f3); // the next stage, submitted once point 1 is reached
        });
        p.done = true; // the hardware finished; nobody has polled yet
        obj.addPoint(2, fresh()); // polls p under the lock
        assertEquals(java.util.List.of("action, last submitted 2"), log);
        assertEquals(3L, obj.lastSubmitted(), "point 3 was accepted but is gone");
    }

    /**
     * A zero-timeout wait still runs one pass that enables signalling, as the kernel's syncobj
     * wait falls through to its add-callback pass for exactly this kind of driver.
     */
    @Test
    void zeroTimeoutAwaitEnablesSignalling() throws Exception {
        SyncObj obj = SyncObj.create();
        obj.replaceFence(new DoneOnEnable());
        assertEquals(0, SyncObj.await(new SyncObj[] {obj}, null, 0, 0, TimeUnit.SECONDS));
        SyncObj pending = SyncObj.create();
        pending.replaceFence(fresh());
        assertEquals(-1, SyncObj.await(new SyncObj[] {pending}, null, 0, 0, TimeUnit.SECONDS));
    }

    /** A zero-timeout wait for submission of a point nobody submitted times out, no waiter left. */
    @Test
    void zeroTimeoutAwaitForSubmitTimesOut() throws Exception {
        SyncObj obj = SyncObj.create();
        assertEquals(-1, SyncObj.await(new SyncObj[] {obj}, new long[] {3},
                SyncObj.WAIT_FOR_SUBMIT, 0, TimeUnit.SECONDS));
        Fence f = fresh();
        obj.addPoint(3, f); // would deliver to a leftover waiter; must find none
        f.signal();
        assertEquals(0, SyncObj.await(new SyncObj[] {obj}, new long[] {3}, 0, 0,
                TimeUnit.SECONDS));
    }

    /** poll(2) enables signalling on its first call, timeout 0 included; the one-shot poll too. */
    @Test
    void zeroTimeoutPollerPollEnablesSignalling() throws Exception {
        try (SyncFile a = SyncFile.create(new DoneOnEnable());
                SyncFile pending = SyncFile.create(fresh())) {
            BitSet ready = SyncPoller.poll(0, TimeUnit.SECONDS, pending, a);
            assertEquals(1, ready.cardinality());
            assertTrue(ready.get(1));
        }
    }

    /**
     * The fence signals, and a callback that runs after the signal is published interrupts the
     * waiter: the wait reports the fence, as the kernel's wait loop scans again before it looks
     * at a pending signal (and as Fence.await does).
     */
    @Test
    void awaitReportsSignalThatCameBeforeTheInterrupt() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.replaceFence(f);
        FutureTask<Integer> task = new FutureTask<>(() -> SyncObj.await(new SyncObj[] {obj},
                null, 0, 10, TimeUnit.SECONDS));
        Thread t = new Thread(task, "awaiter");
        t.setDaemon(true);
        // Queued before the wait's own node, so it runs first: the waiter is still parked,
        // nobody has woken it, when the interrupt reaches it. Checked at once, on the wait's
        // state: its park blocker is the wait's wake-up record, whose `fired` flag the node sets
        // before it unparks (and the waiter clears only before it scans, not while parked), so
        // a flag still clear means that the node has not run. Then, over 50 ms, that the waiter
        // stays parked: had the wait's node run first, its unpark would have let the waiter
        // leave park (and return 0, the interrupt never seen) meanwhile.
        AtomicReference<String> nodeRanFirst = new AtomicReference<>("callback did not run");
        AtomicBoolean parkedThroughout = new AtomicBoolean(true);
        f.onSignal(x -> {
            nodeRanFirst.set(firedFlag(t));
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            while (System.nanoTime() < end) {
                if (LockSupport.getBlocker(t) == null) {
                    parkedThroughout.set(false);
                    break;
                }
                Thread.onSpinWait();
            }
            t.interrupt();
        });
        t.start();
        awaitParked(t);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (LockSupport.getBlocker(t) == null) { // parked in the wait itself
            assertTrue(System.nanoTime() < deadline, "awaiter never parked in the wait");
            Thread.sleep(1);
        }
        f.signal();
        assertEquals("false", nodeRanFirst.get(), "the wait's wake-up flag when the interrupting"
                + " callback ran (true: the wait's node ran first)");
        assertTrue(parkedThroughout.get(), "the waiter was woken before the interrupting callback"
                + " ran: the wait's node ran first, so the interrupt came after the wake-up");
        try {
            assertEquals(0, task.get(10, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            throw new AssertionError("await threw although the fence signalled before the"
                    + " interrupt", e.getCause());
        }
    }

    /**
     * The {@code fired} flag of the wake-up record that {@code t} is parked on in a SyncObj wait
     * (its park blocker), as "true" or "false", or what was found instead. The wait's node sets
     * the flag before it unparks; the waiter clears it only after leaving park, and once the
     * fence has signalled it does not park again, so a blocker unchanged around the read means
     * the flag was read while the waiter stayed parked.
     */
    private static String firedFlag(Thread t) {
        Object blocker = LockSupport.getBlocker(t);
        if (blocker == null) {
            return "no blocker: the waiter was not parked";
        }
        boolean value;
        try {
            Field fired = blocker.getClass().getDeclaredField("fired");
            fired.setAccessible(true);
            value = fired.getBoolean(blocker);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "blocker " + blocker.getClass().getName() + " has no readable fired flag: " + e;
        }
        if (LockSupport.getBlocker(t) != blocker) {
            return "the waiter left park while its flag was read";
        }
        return String.valueOf(value);
    }

    /** An interrupt with nothing ready still ends the wait with InterruptedException. */
    @Test
    void awaitStillThrowsWhenInterruptedWithNothingReady() throws Exception {
        SyncObj obj = SyncObj.create();
        obj.replaceFence(fresh());
        FutureTask<Integer> task = new FutureTask<>(() -> SyncObj.await(new SyncObj[] {obj},
                null, 0, 10, TimeUnit.SECONDS));
        Thread t = new Thread(task, "awaiter");
        t.setDaemon(true);
        t.start();
        awaitParked(t);
        t.interrupt();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> task.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof InterruptedException, e.getCause().toString());
    }

    /**
     * A file over a fence whose count already reached zero holds no reference, so a poller key
     * on it must not drop one: close() cancels every key without throwing.
     */
    @Test
    void pollerKeyOnUncountedFileCancelsCleanly() {
        Fence f1 = fresh();
        f1.release(); // its count is already zero: a file on it cannot count it
        try (SyncFile a = SyncFile.create(fresh());
                SyncFile m = SyncFile.create("m", f1)) {
            assertEquals(0, f1.refCnt());
            SyncPoller poller = SyncPoller.open();
            SyncPoller.Key k1 = poller.register(m, "m");
            SyncPoller.Key k2 = poller.register(a, "a");
            Throwable thrown = null;
            try {
                poller.close();
            } catch (Throwable t) {
                thrown = t;
            }
            assertNull(thrown, "close() threw");
            assertFalse(k1.isValid());
            assertFalse(k2.isValid());
            assertEquals(0, f1.refCnt());
        }
    }
}
