package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.ERR;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.core.Fences;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * No lost wake-ups: a waiter racing the signal always returns, and returns "signalled" with the
 * signaller's error visible. The Continuous tests wait with a generous timeout
 * ({@link #GENEROUS_SECONDS}, 10 s) and time the wait, so a lost wake-up shows as a FORBIDDEN
 * outcome rather than a hung run. A timed wait whose wake-up was lost does not report a
 * timeout: woken by its own deadline, it re-checks the fence, finds it signalled and returns
 * "signalled"; what gives it away is the time it took (half the bound or more, where a
 * woken wait takes microseconds). The Termination tests wait with no timeout at all and must be
 * released by the {@code @Signal}.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t FenceWaitTests[.SubTestName]}
 *
 * <p>A waiter first spins (up to {@code dev.fence.spinNanos}, 20 us), and with two actors the
 * signal nearly always lands inside the spin, so the default run hardly exercises the park path.
 * Run this class a second time with the spin off:
 * {@code -jvmArgs "-Xmx256m -Ddev.fence.spinNanos=0"}, as {@code fence-stress/ci.sh} does. Mutation
 * check (review helper, 2026-12-07): with {@code awaitSlow} ignoring a refused {@code link}
 * (parking on a fence that signalled between the spin and the link), the default run stayed green
 * (69 samples, all {@code true, true}); with the spin off, {@code SignalVsAwaitNanos} failed
 * (TIMEOUT: a waiter parked for good) after 400 samples, and the unmutated code passed (836 K
 * samples).
 */
public final class FenceWaitTests {

    /**
     * Far longer than any scheduling hiccup; reaching it means the wake-up was lost. Kept well
     * below jcstress's task timeout (max(30 s, 10 x -time), {@code Runner.MIN_TIMEOUT_MS} in
     * jcstress 0.16): with a bound equal to it (30 s, until the thirtieth session) a waiter whose
     * wake-up was lost raced the harness, and either ended as a harness TIMEOUT or, woken by
     * its deadline and finding the fence signalled, passed unnoticed.
     */
    static final long GENEROUS_SECONDS = 10;

    /**
     * Whether a wait begun at {@code startNanos} ({@link System#nanoTime()}) took half the bound
     * or more ({@link Probes#stalled}): ended by its own deadline, not by the signal, a lost
     * wake-up even though the deadline's re-check then reports "signalled".
     */
    static boolean stalled(long startNanos) {
        return Probes.stalled(startNanos, GENEROUS_SECONDS);
    }

    private FenceWaitTests() {
    }

    /* ------------------------------------------------------------------------------------------
     * signal(ERR) vs a timed await: the waiter must return true (never time out), and having
     * returned it must see the error. The waiter may take any path: fast (already signalled),
     * spinning, or linked and parked.
     */

    @JCStressTest
    @Description("signal(ERR) vs await(10 s): the waiter wakes, returns true, and sees ERR.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Woken (or found signalled); the error was visible on return.")
    @Outcome(expect = FORBIDDEN, desc = "Timed out, or returned only near its deadline (first 9: a lost wake-up), interrupted, or the error was not visible.")
    @State
    public static class SignalVsTimedAwait {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller() {
            f.signal(ERR);
        }

        @Actor
        public void waiter(II_Result r) {
            try {
                long start = System.nanoTime();
                r.r1 = f.await(GENEROUS_SECONDS, TimeUnit.SECONDS) ? 1 : 0;
                if (stalled(start)) {
                    r.r1 = BROKEN;
                }
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
                return;
            }
            r.r2 = Probes.errorCode(f, ERR);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The same handshake through awaitNanos, whose contract is "positive iff signalled".
     */

    @JCStressTest
    @Description("signal() vs awaitNanos(10 s): the result is positive and the fence is signalled.")
    @Outcome(id = "true, true", expect = ACCEPTABLE, desc = "Returned a positive remainder; signalled.")
    @Outcome(expect = FORBIDDEN, desc = "Returned <= 0 (timeout) although the signal came, or returned only near its deadline (first false: a lost wake-up), or not signalled on return.")
    @State
    public static class SignalVsAwaitNanos {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller() {
            f.signal();
        }

        @Actor
        public void waiter(ZZ_Result r) {
            try {
                long start = System.nanoTime();
                r.r1 = f.awaitNanos(TimeUnit.SECONDS.toNanos(GENEROUS_SECONDS)) > 0
                        && !stalled(start);
            } catch (InterruptedException e) {
                return;
            }
            r.r2 = f.isSignaled();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A short timed wait racing the signal: either outcome is fine, but "signalled" must be true
     * when reported, and a timeout may only be reported while the fence is really pending at
     * the deadline, which we cannot see; what we can check is that a reported success is real.
     */

    @JCStressTest
    @Description("signal() vs await(50 us): true only if signalled; false is a legal timeout.")
    @Outcome(id = "true, true",   expect = ACCEPTABLE, desc = "Signalled within the timeout.")
    @Outcome(id = "false, true",  expect = ACCEPTABLE, desc = "Timed out; the signal came later.")
    @Outcome(id = "false, false", expect = ACCEPTABLE, desc = "Timed out; the signal had not come when we looked again.")
    @Outcome(expect = FORBIDDEN, desc = "Reported success on a pending fence.")
    @State
    public static class SignalVsShortAwait {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller() {
            f.signal();
        }

        @Actor
        public void waiter(ZZ_Result r) {
            try {
                r.r1 = f.await(50, TimeUnit.MICROSECONDS);
            } catch (InterruptedException e) {
                return;
            }
            r.r2 = f.isSignaled();
        }
    }

    /**
     * Releases what should be the last reference of {@code f}, a fence nobody signalled: 1 if
     * that signalled it (a release with callbacks still queued signals the fence with a
     * {@code FenceReleasedException}, so an {@code awaitAny} node was left linked on it),
     * 0 if it is still pending, BROKEN if the reference was not the last.
     */
    static int leftQueued(Fence f) {
        if (!f.release()) {
            return BROKEN;
        }
        return f.isSignaled() ? 1 : 0;
    }

    /**
     * {@code Fences.awaitAny} over {@code f0, f1} with the generous timeout: the index it
     * returned, or BROKEN if it was interrupted or returned only near its deadline (a lost
     * wake-up).
     */
    static int awaitAnyOf(Fence f0, Fence f1) {
        try {
            long start = System.nanoTime();
            int i = Fences.awaitAny(GENEROUS_SECONDS, TimeUnit.SECONDS, f0, f1);
            return stalled(start) ? BROKEN : i;
        } catch (InterruptedException e) {
            return BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * awaitAny over two fences while one of them signals: returns that fence's index, and
     * leaves no node on the other fence.
     */

    @JCStressTest
    @Description("signal() of fence 1 vs Fences.awaitAny(10 s, f0, f1): returns 1; no node left on f0.")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "Woken by fence 1; f0 untouched, its node removed.")
    @Outcome(expect = FORBIDDEN, desc = "Timed out (-1), returned only near its deadline (first 9: a lost wake-up), the wrong index, or interrupted; or the waiter's node left queued on f0 (last 1).")
    @State
    public static class SignalVsAwaitAny {
        final Fence f0 = Fence.create(Fence.allocateContexts(1), 1);
        final Fence f1 = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller() {
            f1.signal();
        }

        @Actor
        public void waiter(III_Result r) {
            r.r1 = awaitAnyOf(f0, f1);
            r.r2 = f0.isSignaled() ? BROKEN : 0;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = leftQueued(f0);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * SignalVsAwaitAny with the signal placed in awaitAny's wake path. The waiter scans both
     * fences (pending), then queues a node on f0, then on f1, then parks until a node fires.
     * Both fences are driver fences, whose enable hook awaitAny's addCallback runs first, so
     * the signaller can see the waiter queue on f0 (f0's hook has run: the scan is over, f1 not
     * yet queued) and signals f1 at once in half the samples, a random 0-2000 ns later in the
     * other half. The signal then lands before the waiter queues on f1 (its addCallback is
     * refused: the waiter must not park and must remove its node from f0), or after (a node
     * fires: the waiter is woken, about to park or parked). The second result says which:
     * whether f1's enable hook ran, that is whether the waiter reached f1 before the signal.
     * Each wake path is met in a steady share of the samples, where SignalVsAwaitAny's
     * unpaced start meets it by chance; see docs/stress.md, "Mutation audit: session 32".
     */

    @JCStressTest
    @Description("signal() of f1 the moment Fences.awaitAny(10 s, f0, f1) queues on f0, or up to 2 us later: returns 1 promptly; no node left on f0.")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "Signalled before the waiter reached f1 (refused there): returned 1; f0 pending, its node removed.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The waiter reached f1 first and was woken by its node: returned 1; f0 pending, its node removed.")
    @Outcome(expect = FORBIDDEN, desc = "Timed out (-1), returned only near its deadline (first 9: a lost wake-up), the wrong index, or interrupted; or a node left queued on f0 (last 1), or f0 signalled (last 9).")
    @State
    public static class SignalAsAwaitAnyQueues {
        /** The largest delay of the signal after the waiter queued on f0, in half the samples. */
        static final int SPREAD_NANOS = 2000;
        final Probes.DriverFence f0 = new Probes.DriverFence();
        final Probes.DriverFence f1 = new Probes.DriverFence();

        @Actor
        public void signaller() {
            while (f0.enableCalls.get() == 0) {
                Thread.onSpinWait(); // ends: the waiter's scan finds both pending and queues on f0
            }
            if (ThreadLocalRandom.current().nextBoolean()) {
                Probes.spinRandomly(SPREAD_NANOS);
            }
            f1.signal();
        }

        @Actor
        public void waiter(III_Result r) {
            r.r1 = awaitAnyOf(f0, f1);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = f1.enableCalls.get();
            r.r3 = f0.isSignaled() ? BROKEN : leftQueued(f0);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Untimed waits. The actor waits forever; the signal must release it.
     */

    @JCStressTest(Mode.Termination)
    @Description("Untimed await() vs signal(): the waiter always terminates.")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The signal woke the waiter.")
    @Outcome(id = "STALE",      expect = FORBIDDEN,  desc = "The waiter never woke: a lost wake-up.")
    @State
    public static class UntimedAwaitTerminates {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void waiter() {
            try {
                f.await();
            } catch (InterruptedException e) {
                // the harness interrupts stale actors; returning then is fine
            }
        }

        @Signal
        public void signaller() {
            f.signal();
        }
    }

    @JCStressTest(Mode.Termination)
    @Description("awaitUninterruptibly() vs signal(): the waiter always terminates.")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The signal woke the waiter.")
    @Outcome(id = "STALE",      expect = FORBIDDEN,  desc = "The waiter never woke: a lost wake-up.")
    @State
    public static class UninterruptibleAwaitTerminates {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void waiter() {
            f.awaitUninterruptibly();
        }

        @Signal
        public void signaller() {
            f.signal();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A waiter parked on a fence that nobody signals is interrupted: await() must throw
     * InterruptedException and unlink its node (the fence is then signalled by nobody, and the
     * test only checks that the waiter terminates).
     */

    @JCStressTest(Mode.Termination)
    @Description("Untimed await() on a never-signalled fence vs Thread.interrupt(): the waiter terminates.")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The interrupt released the waiter.")
    @Outcome(id = "STALE",      expect = FORBIDDEN,  desc = "The interrupt was swallowed: the waiter stayed parked.")
    @State
    public static class InterruptReleasesWaiter {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        volatile Thread waiterThread;

        @Actor
        public void waiter() {
            waiterThread = Thread.currentThread();
            try {
                f.await();
            } catch (InterruptedException expected) {
                // the interrupt is the way out
            }
        }

        @Signal
        public void interrupter() {
            Thread t;
            while ((t = waiterThread) == null) {
                Thread.onSpinWait();
            }
            t.interrupt();
        }
    }
}
