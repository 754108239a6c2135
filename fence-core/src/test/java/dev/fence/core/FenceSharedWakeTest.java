package dev.fence.core;

import static dev.fence.core.TestSupport.awaitParkedOn;
import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Fence's shared wake-up: when two or more waiters are parked, the signaller and the waiters it
 * wakes pop the parked waiters off one stack together. Every parked waiter must still wake, the
 * callbacks queued behind them must run once and in order, and waiters that leave before the
 * signal (timeout, interrupt) or while it runs must not break the stack for the others. A lost
 * wake-up fails these tests by timeout, never by hanging the build. Every woken waiter is counted
 * in {@code Fence.WAKING} until it resumes, exactly once whichever way it returns: a count left
 * behind would keep waiters from spinning for good, so each test checks that the count settles.
 */
@SuppressWarnings("try")
class FenceSharedWakeTest {

    private static final IllegalStateException ERR = new IllegalStateException("shared wake");

    /** Starts a thread that waits untimed on {@code f} and counts a return that sees ERR. */
    private static Thread waiter(Fence f, AtomicInteger woke, ConcurrentLinkedQueue<Object> bad,
            String name) {
        Thread t = new Thread(() -> {
            try {
                f.await();
                if (f.error() == ERR) {
                    woke.incrementAndGet();
                } else {
                    bad.add(name + " saw error " + f.error());
                }
            } catch (InterruptedException e) {
                bad.add(name + " interrupted");
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits for {@code Fence.WAKING} to read 0: once every waiter a test woke has returned, every
     * batch must have given its count back (a batch counted by another test class's stray
     * threads could still be settling, hence the wait; a leaked count never settles).
     */
    private static void assertWakingSettles() {
        TestSupport.awaitCondition("Fence.WAKING back to 0, now " + Fence.WAKING.get(),
                () -> Fence.WAKING.get() == 0);
    }

    /** Joins each of {@code threads}, failing if one is never woken (TestSupport.join). */
    private static void joinAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            TestSupport.join(t);
        }
    }

    @Test
    void everyParkedWaiterWakesAndTheCallbacksBehindThemRunOnceInOrder() throws Exception {
        for (int round = 0; round < 5; round++) {
            Fence f = mockFence();
            List<Integer> order = new ArrayList<>(); // callbacks run in the signalling thread
            f.onSignal(x -> order.add(1));
            f.onSignal(x -> order.add(2));
            AtomicInteger woke = new AtomicInteger();
            ConcurrentLinkedQueue<Object> bad = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                threads.add(waiter(f, woke, bad, "waiter-" + round + "-" + i));
            }
            for (Thread t : threads) {
                awaitParkedOn(t, f); // linked: the list is twelve waiters, then the callbacks
            }
            assertTrue(f.signal(ERR));
            assertEquals(List.of(1, 2), order, "callbacks behind the waiters, once, in order");
            joinAll(threads);
            assertEquals(List.of(), List.copyOf(bad));
            assertEquals(12, woke.get());
            assertWakingSettles();
        }
    }

    @Test
    void waitersThatLeftBeforeTheSignalLeaveTheOthersWakeable() throws Exception {
        Fence f = mockFence();
        AtomicInteger woke = new AtomicInteger();
        ConcurrentLinkedQueue<Object> bad = new ConcurrentLinkedQueue<>();
        List<Thread> stay = new ArrayList<>();
        List<Thread> interrupted = new ArrayList<>();
        AtomicInteger timedOut = new AtomicInteger();
        List<Thread> timed = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            switch (i % 3) {
                case 0:
                    stay.add(waiter(f, woke, bad, "stays-" + i));
                    break;
                case 1:
                    Thread it = new Thread(() -> {
                        try {
                            f.await();
                            bad.add("an interrupted waiter returned normally");
                        } catch (InterruptedException expected) {
                            // it leaves the list before the signal
                        }
                    }, "interrupted-" + i);
                    it.setDaemon(true);
                    it.start();
                    interrupted.add(it);
                    break;
                default:
                    Thread tt = new Thread(() -> {
                        try {
                            if (!f.await(300, TimeUnit.MILLISECONDS)) {
                                timedOut.incrementAndGet();
                            }
                        } catch (InterruptedException e) {
                            bad.add("a timed waiter was interrupted");
                        }
                    }, "times-out-" + i);
                    tt.setDaemon(true);
                    tt.start();
                    timed.add(tt);
                    break;
            }
        }
        for (List<Thread> group : List.of(stay, interrupted)) {
            for (Thread t : group) {
                awaitParkedOn(t, f);
            }
        }
        // The timed waiters park too (300 ms is far beyond the spin) and unlink on timeout;
        // they are not awaited here, as on a slow machine their timeout could pass first.
        interrupted.forEach(Thread::interrupt);
        joinAll(interrupted);
        joinAll(timed);
        assertEquals(4, timedOut.get(), "the timed waiters left before the signal");
        assertTrue(f.signal(ERR));
        joinAll(stay);
        assertEquals(List.of(), List.copyOf(bad));
        assertEquals(4, woke.get());
        assertWakingSettles();
    }

    @Test
    void waitersInterruptedAsTheSignalLandsNeverStrandTheRest() throws Exception {
        for (int round = 0; round < 20; round++) {
            Fence f = mockFence();
            AtomicInteger woke = new AtomicInteger();
            ConcurrentLinkedQueue<Object> bad = new ConcurrentLinkedQueue<>();
            AtomicReference<Throwable> racerFailure = new AtomicReference<>();
            List<Thread> stay = new ArrayList<>();
            List<Thread> racers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                if (i % 2 == 0) {
                    stay.add(waiter(f, woke, bad, "stays-" + round + "-" + i));
                } else {
                    // Interrupted while the signal runs: it returns (woken first, or it saw
                    // the signal while giving up) or throws; a throw skips helping with the
                    // wake-up, which must not strand anyone.
                    Thread r = new Thread(() -> {
                        try {
                            f.await();
                            if (!f.isSignaled()) {
                                racerFailure.set(new AssertionError("returned while pending"));
                            }
                        } catch (InterruptedException expected) {
                            // fine: interrupted before it saw the signal
                        } catch (Throwable e) {
                            racerFailure.set(e);
                        }
                    }, "racer-" + round + "-" + i);
                    r.setDaemon(true);
                    r.start();
                    racers.add(r);
                }
            }
            for (List<Thread> group : List.of(stay, racers)) {
                for (Thread t : group) {
                    awaitParkedOn(t, f);
                }
            }
            Thread interrupter = new Thread(() -> racers.forEach(Thread::interrupt));
            interrupter.start();
            assertTrue(f.signal(ERR));
            interrupter.join();
            joinAll(racers);
            joinAll(stay);
            assertNull(racerFailure.get());
            assertEquals(List.of(), List.copyOf(bad));
            assertEquals(4, woke.get());
            assertWakingSettles();
        }
    }

    /**
     * A signal held back by a {@link CallbackDeferral} wakes its parked waiters at once and makes
     * their batch only when the deferral closes, so here every waiter has returned before its
     * node is popped. Each returning waiter marks its node; each pop that finds the mark counts
     * that waiter instead of unparking it, and the batch gives its count back during the close.
     * (With pops that ignored the mark, the count stayed at 3 after the close.)
     */
    @Test
    void waitersThatReturnedBeforeTheirPopAreCountedByThePop() throws Exception {
        assertWakingSettles();
        for (int round = 0; round < 5; round++) {
            Fence f = mockFence();
            AtomicInteger woke = new AtomicInteger();
            ConcurrentLinkedQueue<Object> bad = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                threads.add(waiter(f, woke, bad, "early-" + round + "-" + i));
            }
            for (Thread t : threads) {
                awaitParkedOn(t, f);
            }
            try (CallbackDeferral d = CallbackDeferral.begin()) {
                assertTrue(f.signal(ERR));
                joinAll(threads); // woken early: no batch exists yet
                assertEquals(3, woke.get());
                assertEquals(0, Fence.WAKING.get(), "no batch before the deferral closes");
            }
            // The close ran the callbacks in this thread: the batch was made and drained.
            assertEquals(0, Fence.WAKING.get(), "the pops counted the waiters that had left");
            assertEquals(List.of(), List.copyOf(bad));
        }
    }

    /**
     * While woken waiters have not resumed, a new waiter does not spin: with {@code WAKING} at
     * the CPU count, a wait that parks leaves the thread's spin budget untouched (a spin that ran
     * out would have halved it, as {@code SpinBudgetTest} checks); with the count back at 0 the
     * same wait spins again. The count is set by hand here: a real batch's resume times are the
     * scheduler's.
     */
    @Test
    void noWaiterSpinsWhileWokenWaitersWaitForTheCpus() throws Exception {
        assumeTrue(Fence.SPIN_NANOS > 8, "spinning is off (one CPU, or dev.fence.spinNanos)");
        assertWakingSettles();
        FenceThread self = FenceThread.current();
        Fence f = mockFence();
        int cpus = Runtime.getRuntime().availableProcessors();
        Fence.WAKING.addAndGet(cpus);
        try {
            for (int i = 0; i < 3; i++) {
                self.spinNanos = Fence.SPIN_NANOS;
                assertTrue(f.awaitNanos(Fence.SPIN_NANOS * 50) <= 0L, "pending: timed out");
                assertEquals(Fence.SPIN_NANOS, self.spinNanos, "the waiter spun its budget out");
            }
        } finally {
            Fence.WAKING.addAndGet(-cpus);
        }
        // The control: the same wait spins now (retried: other threads may hold the slots).
        self.spinNanos = Fence.SPIN_NANOS;
        for (int i = 0; i < 100 && self.spinNanos == Fence.SPIN_NANOS; i++) {
            assertTrue(f.awaitNanos(Fence.SPIN_NANOS * 50) <= 0L);
        }
        assertEquals(Math.max(Fence.SPIN_NANOS >> 1, Fence.SPIN_NANOS >> 3), self.spinNanos);
    }
}
