package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.awaitWaiters;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The order of a writer's late finds. A chain made elsewhere, installed at point 0 over an
 * await queued for one of its earlier points, releases that await under the object's lock but
 * finds its fence only after the unlock (finding walks the chain and polls the earlier points'
 * fences). That find must still come before any user code runs in the writing thread: it runs
 * inside the install's callback deferral, so a driver fence that the find's poll signals runs
 * its callbacks only once the await has been handed its fence and woken. Found after the
 * deferral closed, the poll signals the fence outside any deferral and its callbacks run inside
 * the find, before the hand-over: a callback that waits for the await then waits in vain, and
 * the await sees its point only once that callback has returned.
 */
@Timeout(30)
class SyncObjLateFindOrderTest {

    /** How long the callback waits for the await to return before it gives up. */
    private static final long PATIENCE_SECONDS = 5;

    /**
     * A driver fence whose work is reported done by its poll hook once {@link #done} is set, so
     * that the first poll after that signals it, in the polling thread.
     */
    static final class PolledDone extends Fence {
        volatile boolean done;
        /** The thread whose poll first found the work done. */
        final AtomicReference<Thread> polledBy = new AtomicReference<>();

        PolledDone() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean pollSignaled() {
            if (!done) {
                return false;
            }
            polledBy.compareAndSet(null, Thread.currentThread());
            return true;
        }
    }

    @Test
    void aLateAwaitIsWokenBeforeTheCallbacksItsFindSignalledRun() throws Exception {
        PolledDone p1 = new PolledDone();
        Fence p2 = fresh();
        // made elsewhere: link 2 covers the points above 1, so a waiter for point 1 is "late"
        FenceChain foreign = FenceChain.link(FenceChain.link(null, p1, 1), p2, 2);
        SyncObj obj = SyncObj.create();

        AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch returned = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try {
                result.set(SyncObj.await(new SyncObj[] {obj}, new long[] {1},
                        SyncObj.WAIT_FOR_SUBMIT, 20, TimeUnit.SECONDS));
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                returned.countDown();
            }
        }, "await point 1");
        waiter.setDaemon(true);
        waiter.start();
        awaitWaiters(obj, 1);
        awaitParked(waiter);

        // User code in the writing thread: p1's callback, which runs when p1 signals.
        AtomicReference<Thread> ranIn = new AtomicReference<>();
        AtomicBoolean sawAwaitReturn = new AtomicBoolean();
        p1.onSignal(f -> {
            ranIn.set(Thread.currentThread());
            try {
                sawAwaitReturn.set(returned.await(PATIENCE_SECONDS, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertFalse(p1.isSignaled(), "p1's work is not done yet");
        p1.done = true; // the next poll of p1 signals it: the install's find for point 1

        obj.replaceFence(foreign);

        // The path this test is about was taken: the install found point 1 after its lock
        // (dequeued, and p1 signalled by this thread's poll, i.e. the late find) and ran p1's
        // callback in this thread.
        assertEquals(0, obj.waiterCount(), "the install released the queued await");
        assertSame(Thread.currentThread(), p1.polledBy.get(),
                "the install's late find polled p1 done");
        assertSame(Thread.currentThread(), ranIn.get(), "p1's callback ran in the writer");
        assertTrue(sawAwaitReturn.get(), "p1's callback ran before the late await was handed"
                + " its fence: the await had not returned after " + PATIENCE_SECONDS + " s");

        waiter.join(10_000);
        assertFalse(waiter.isAlive(), "the await for point 1 did not return");
        assertNull(failure.get(), () -> "await: " + failure.get());
        assertEquals(0, result.get(), "point 1 is reached (p1 signalled)");
        p2.signal();
    }
}
