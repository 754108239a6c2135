package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandles;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The leave() half of WwMutex's "No lost wake-up": a queued waiter L that gives up (here: is
 * interrupted) removes its node, then reads owner and unparks the new head if the mutex is
 * free; the releaser stores owner = null, then reads head. If the release lands between L's
 * failed CAS and its removal, the releaser reads L as the head and never looks at the waiter W
 * behind it, so only leave()'s owner read can wake W.
 *
 * <p>The window is tens of nanoseconds, so the release is triggered from inside L's round: H
 * (this thread) interrupts the parked L and spins, without pausing, until the round shows
 * (WwMutex's private waitLock held, which only L's round takes here; or L's interrupt status
 * cleared by the round's interrupt check), then unlocks at once. Repeated for a few seconds;
 * every round W must get M within 5 s of the release (generous: on the real code it
 * needs one wake-up). Against a leave() without the owner read and wake-up, a few percent of
 * the rounds leave W parked.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WwMutexLeaveWakeupTest {

    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long WATCHDOG_NANOS = TimeUnit.SECONDS.toNanos(5); // a hang guard

    private static ReentrantLock waitLock(WwMutex m) throws ReflectiveOperationException {
        return (ReentrantLock) MethodHandles.privateLookupIn(WwMutex.class, MethodHandles.lookup())
                .findVarHandle(WwMutex.class, "waitLock", ReentrantLock.class).get(m);
    }

    private static void awaitParked(Thread t) {
        long deadline = System.nanoTime() + WATCHDOG_NANOS * 10;
        while (t.getState() != Thread.State.WAITING) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError(t.getName() + " never parked on the held mutex");
            }
            Thread.yield();
        }
    }

    @Test
    void waiterBehindAnInterruptedLeaverGetsTheMutex() throws Exception {
        long end = System.nanoTime() + BUDGET_NANOS;
        int rounds = 0;
        int[] counts = new int[3]; // L took M / L left / lost wake-ups
        while (System.nanoTime() - end < 0) {
            rounds++;
            String lost = round(counts);
            assertTrue(lost == null, "round " + rounds + ": " + lost
                    + " (L took M " + counts[0] + ", left " + counts[1] + " times before)");
        }
        System.out.printf("WwMutexLeaveWakeupTest: %d rounds, L took M %d, L left %d%n",
                rounds, counts[0], counts[1]);
        // only the rounds in which L left are the case under test
        assertTrue(counts[1] > 0, "in " + rounds + " rounds the interrupted L never left the queue"
                + " (it took M every time): no waiter behind a leaver was tested");
    }

    /** One round; null if W got M in time, else what went wrong. */
    private static String round(int[] counts) throws Exception {
        WwMutex m = new WwMutex(WwClass.waitDie("leave-wakeup"), "M");
        ReentrantLock wl = waitLock(m);
        AtomicInteger lResult = new AtomicInteger();   // 1 left, 2 took M
        AtomicInteger wResult = new AtomicInteger();   // 1 got M, 2 interrupted
        m.lock();
        Thread l = new Thread(() -> {
            try {
                m.lockInterruptible();
                m.unlock();
                lResult.set(2);
            } catch (InterruptedException e) {
                lResult.set(1);
            }
        }, "leaver");
        l.start();
        awaitParked(l);
        Thread w = new Thread(() -> {
            try {
                m.lockInterruptible();
                m.unlock();
                wResult.set(1);
            } catch (InterruptedException e) {
                wResult.set(2);
            }
        }, "waiter");
        w.start();
        awaitParked(w);                   // queued behind L (context-free waiters are FIFO)
        l.interrupt();
        while (!wl.isLocked() && l.isInterrupted() && lResult.get() == 0) {
            // no pause: L's round is a few hundred nanoseconds
        }
        m.unlock();
        long deadline = System.nanoTime() + WATCHDOG_NANOS;
        while (wResult.get() == 0 && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
        boolean gotInTime = wResult.get() == 1;
        if (!gotInTime) {
            w.interrupt();
        }
        l.join();
        w.join();
        counts[lResult.get() == 2 ? 0 : 1]++;
        return gotInTime ? null : "W still parked a second after the release, L "
                + (lResult.get() == 2 ? "having taken and released M" : "having left the queue");
    }
}
