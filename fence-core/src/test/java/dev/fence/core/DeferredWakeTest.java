package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * A thread parked in a wait must be woken when the fence signals, even if the signalling thread
 * holds back callbacks (a CallbackDeferral, or a signal issued from inside a callback): waking a
 * parked thread runs no user code, and the fence already reads signalled everywhere. Before the
 * twentieth session a parked waiter was woken only by its node's turn among the callbacks, when
 * the outermost deferral closed (documented then); all four tests failed on that code, the first
 * as a deadlock.
 */
@SuppressWarnings("try")
class DeferredWakeTest {

    private static void awaitParked(Thread t, Fence f) {
        TestSupport.awaitCondition("waiter linked and parked",
                () -> f.hasCallbacks() && (t.getState() == Thread.State.WAITING
                        || t.getState() == Thread.State.TIMED_WAITING));
    }

    /** The deferral's documented use (take a lock inside it) deadlocks with a parked waiter. */
    @Test
    void signalInsideDeferralThenTakingALockHeldByAParkedWaiterDoesNotDeadlock()
            throws Exception {
        ReentrantLock lock = new ReentrantLock();
        Fence f = mockFence();
        CountDownLatch holding = new CountDownLatch(1);
        Thread b = new Thread(() -> {
            lock.lock();
            try {
                holding.countDown();
                f.awaitUninterruptibly(); // a blocking wait under a lock: allowed
            } finally {
                lock.unlock();
            }
        }, "waiter-holding-lock");
        b.start();
        holding.await();
        awaitParked(b, f);
        boolean got;
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(f.signal());
            assertTrue(f.isSignaled());
            // The fence is signalled; its waiter should be able to finish and drop the lock.
            got = lock.tryLock(5, TimeUnit.SECONDS);
            if (got) {
                lock.unlock();
            }
        }
        TestSupport.join(b);
        assertTrue(got, "deadlock: the parked waiter of a signalled fence was never woken while"
                + " the signaller's deferral was open, and it held the lock the signaller needed");
    }

    @Test
    void parkedWaiterReturnsWhileTheDeferralIsStillOpen() throws Exception {
        Fence f = mockFence();
        CountDownLatch returned = new CountDownLatch(1);
        Thread b = new Thread(() -> {
            f.awaitUninterruptibly();
            returned.countDown();
        }, "untimed-waiter");
        b.start();
        awaitParked(b, f);
        boolean early;
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            f.signal();
            early = returned.await(5, TimeUnit.SECONDS);
        }
        TestSupport.join(b);
        assertTrue(early,
                "the waiter of a signalled fence stayed parked until the deferral closed");
    }

    @Test
    void parkedAwaitAnyReturnsWhileTheDeferralIsStillOpen() throws Exception {
        Fence a = mockFence();
        Fence f = mockFence();
        AtomicInteger idx = new AtomicInteger(-2);
        CountDownLatch returned = new CountDownLatch(1);
        Thread b = new Thread(() -> {
            try {
                idx.set(Fences.awaitAny(Long.MAX_VALUE, TimeUnit.NANOSECONDS, a, f));
            } catch (InterruptedException e) {
                idx.set(-3);
            }
            returned.countDown();
        }, "any-waiter");
        b.start();
        awaitParked(b, f);
        boolean early;
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            f.signal();
            early = returned.await(5, TimeUnit.SECONDS);
        }
        TestSupport.join(b);
        assertTrue(early, "awaitAny stayed parked on a signalled fence until the deferral closed");
        assertEquals(1, idx.get());
    }

    /** A deferral that is never closed (an exception before the try, a leaked handle). */
    @Test
    void aDeferralNeverClosedDoesNotStrandAParkedWaiter() throws Exception {
        Fence f = mockFence();
        CountDownLatch returned = new CountDownLatch(1);
        Thread b = new Thread(() -> {
            f.awaitUninterruptibly();
            returned.countDown();
        }, "untimed-waiter");
        b.start();
        awaitParked(b, f);
        Thread leaky = new Thread(() -> {
            CallbackDeferral.begin(); // never closed
            f.signal();
        }, "leaky-signaller");
        leaky.start();
        TestSupport.join(leaky);
        assertTrue(f.isSignaled());
        boolean woke = returned.await(5, TimeUnit.SECONDS);
        if (!woke) {
            LockSupportHelper.unpark(b); // let the test JVM finish
        }
        assertTrue(woke, "a signalled fence's waiter is parked forever: its wake-up sits in a"
                + " dead thread's deferral queue");
    }

    /** Unparks a stranded thread repeatedly until it ends (test cleanup only). */
    static final class LockSupportHelper {
        static void unpark(Thread t) throws InterruptedException {
            for (int i = 0; i < 100 && t.isAlive(); i++) {
                java.util.concurrent.locks.LockSupport.unpark(t);
                t.join(10);
            }
        }
    }
}
