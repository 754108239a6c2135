package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A chain made elsewhere, installed at point 0 over waiters queued for its earlier points: the
 * writer's scan dequeues them under the object's lock but finds their fences after the unlock
 * (finding walks the chain and polls; see SyncObjPollHookLockTest). Each kind of waiter must
 * still get its own point's fence: an await for submission returns, an await for the signal
 * returns once that point (not the chain's newest) has signalled, and an onPoint runs then.
 */
@Timeout(30)
class SyncObjForeignChainWaiterTest {

    @Test
    void queuedWaitersForEarlierPointsOfAnInstalledChainGetTheirOwnPoints() throws Exception {
        Fence p1 = fresh();
        Fence p2 = fresh();
        Fence p3 = fresh();
        FenceChain foreign = FenceChain.link(FenceChain.link(FenceChain.link(null, p1, 1), p2,
                2), p3, 3);
        SyncObj obj = SyncObj.create();

        AtomicInteger submitted = new AtomicInteger(-1);
        AtomicInteger signalled = new AtomicInteger(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread forSubmit = waiter(() -> submitted.set(SyncObj.await(new SyncObj[] {obj},
                new long[] {1}, SyncObj.WAIT_FOR_SUBMIT | SyncObj.WAIT_AVAILABLE, 20,
                TimeUnit.SECONDS)), failure, "await point 1 available");
        Thread forSignal = waiter(() -> signalled.set(SyncObj.await(new SyncObj[] {obj},
                new long[] {2}, SyncObj.WAIT_FOR_SUBMIT, 20, TimeUnit.SECONDS)), failure,
                "await point 2 signalled");
        AtomicInteger told = new AtomicInteger();
        obj.onPoint(1, 0, told::incrementAndGet);
        awaitParked(forSubmit);
        awaitParked(forSignal);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (obj.waiterCount() != 3) {
            assertTrue(System.nanoTime() - deadline < 0, "waiters not queued: "
                    + obj.waiterCount());
            Thread.yield();
        }

        obj.replaceFence(foreign);
        assertEquals(0, obj.waiterCount(), "the install released every queued waiter");
        forSubmit.join(10_000);
        assertFalse(forSubmit.isAlive(), "the wait for point 1's submission did not return");
        assertEquals(0, submitted.get());
        assertEquals(0, told.get(), "point 1 has not signalled");

        p1.signal();
        assertEquals(1, told.get(), "onPoint(1) got point 1's fence");
        assertTrue(forSignal.isAlive(), "the wait for point 2 returned before point 2 signalled");
        assertEquals(-1, signalled.get());
        p2.signal(); // point 3 still pending: the wait must have point 2's fence, not the head
        forSignal.join(10_000);
        assertFalse(forSignal.isAlive(), "the wait for point 2 did not return after its signal");
        assertEquals(0, signalled.get());
        assertNull(failure.get(), () -> "waiter: " + failure.get());
        p3.signal();
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Thread waiter(Body body, AtomicReference<Throwable> failure, String name) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
