package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Small instruments shared by the jcstress tests: a counting callback, a driver fence whose hooks
 * count their calls, and the codes the tests encode their observations with.
 */
final class Probes {

    /** The error a signaller attaches; identity-compared by observers. */
    static final RuntimeException ERR = new IllegalStateException("stress: injected error");
    /** A second, distinct error. */
    static final RuntimeException ERR2 = new IllegalArgumentException("stress: second error");
    /**
     * A timestamp no {@link System#nanoTime()} call will produce in a test's lifetime by chance.
     */
    static final long TS = 0x5eed_0000_0000_0042L;

    /** Outcome code: the call returned {@code false}. */
    static final int FALSE = 0;
    /** Outcome code: the call returned {@code true}. */
    static final int TRUE = 1;
    /** Outcome code: the call threw {@link IllegalStateException}. */
    static final int ISE = 2;
    /** Outcome code: the call threw {@code BadHandleException} (fence-syncfile's EBADF). */
    static final int BAD_HANDLE = 3;
    /**
     * Outcome code: the call threw {@code PointNotSubmittedException} (a syncobj point without a
     * fence).
     */
    static final int NOT_SUBMITTED = 4;
    /**
     * Outcome code: a fence handed out "with a new reference" whose reference count was already
     * zero: a released fence passed off as a retained one.
     */
    static final int RELEASED = 5;
    /** Outcome code: an observation that breaks the contract (details in the test's desc). */
    static final int BROKEN = 9;

    /**
     * A release racing a waiter, with a watchdog: the holder takes the lock, waits for the waiter
     * to ask for it, releases after a random 0-12 us (so the release lands in the waiter's spin,
     * its queueing or its park), then waits up to a second for the waiter to report the lock
     * taken; if it never does (a lost wake-up), the holder interrupts it, so the test reports a
     * FORBIDDEN outcome instead of hanging. r1 (holder): 1 if the waiter got the lock in time,
     * else 0. r2 (waiter): 1 if it got the lock after the release, BROKEN if before, 0 if
     * interrupted. Subclasses say what "lock" and "release" are and call {@link #runHolder} and
     * {@link #runWaiter} from their actors.
     */
    abstract static class ReleaseRace {
        /** How long after its release the holder waits for the waiter before calling it lost. */
        private static final long WATCHDOG_NANOS = 1_000_000_000L;

        private volatile Thread waiterThread;
        private volatile boolean held;
        private volatile boolean released;
        private volatile boolean got;

        /** Takes the lock in the holder; false if that failed (reported as BROKEN). */
        abstract boolean hold();

        /** Releases what {@link #hold()} took. */
        abstract void release();

        /** The waiter's interruptible lock. */
        abstract void waiterLock() throws InterruptedException;

        /** The waiter's unlock. */
        abstract void waiterUnlock();

        final void runHolder(II_Result r) {
            if (!hold()) {
                r.r1 = BROKEN;
                return;
            }
            held = true;
            Thread w;
            while ((w = waiterThread) == null) {
                Thread.onSpinWait();
            }
            long until = System.nanoTime() + ThreadLocalRandom.current().nextInt(12_000);
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
            released = true;
            release();
            long deadline = System.nanoTime() + WATCHDOG_NANOS;
            while (!got && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            if (got) {
                r.r1 = 1;
            } else {
                r.r1 = 0;
                w.interrupt();
            }
        }

        final void runWaiter(II_Result r) {
            while (!held) {
                Thread.onSpinWait();
            }
            waiterThread = Thread.currentThread();
            try {
                waiterLock();
            } catch (InterruptedException e) {
                r.r2 = 0;
                return;
            }
            r.r2 = released ? 1 : BROKEN;
            got = true;
            waiterUnlock();
        }
    }

    /**
     * A bound on one blocking call, for tests in which both actors may block at once (a
     * deadlock the test means to report, where no actor is left to stand watchdog as
     * {@link ReleaseRace}'s holder does). {@link #start} registers the calling thread with a
     * shared daemon thread, which interrupts it if {@link #close} has not been called by the
     * deadline; the call must therefore be interruptible. {@link #close} tells whether the
     * watchdog fired, and clears an interrupt it delivered after the call had returned anyway,
     * so that none leaks into the actor's next sample.
     */
    static final class Deadline {
        /** How often the daemon thread looks at the registered deadlines. */
        private static final long TICK_NANOS = 5_000_000L;
        private static final ConcurrentLinkedQueue<Deadline> LIVE = new ConcurrentLinkedQueue<>();

        static {
            Thread t = new Thread(Deadline::watch, "fence-stress-deadline");
            t.setDaemon(true);
            t.start();
        }

        /** The guarded thread until {@link #close} or the watchdog takes it (CAS to null). */
        private final AtomicReference<Thread> thread;
        private final long deadline;
        private volatile boolean delivered;

        private Deadline(long nanos) {
            this.thread = new AtomicReference<>(Thread.currentThread());
            this.deadline = System.nanoTime() + nanos;
        }

        /** Guards the calling thread for {@code nanos} from now. */
        static Deadline start(long nanos) {
            Deadline d = new Deadline(nanos);
            LIVE.add(d);
            return d;
        }

        /**
         * Ends the guard (the calling thread must be the guarded one).
         *
         * @return true if the deadline passed first and the thread was (or is being) interrupted
         */
        boolean close() {
            if (thread.compareAndSet(Thread.currentThread(), null)) {
                return false;
            }
            while (!delivered) {
                Thread.onSpinWait();          // the watchdog is between its CAS and interrupt()
            }
            Thread.interrupted();             // consumed by the call already, or clear it here
            return true;
        }

        private static void watch() {
            for (;;) {
                LockSupport.parkNanos(TICK_NANOS);
                long now = System.nanoTime();
                for (Iterator<Deadline> it = LIVE.iterator(); it.hasNext(); ) {
                    Deadline d = it.next();
                    Thread t = d.thread.get();
                    if (t == null) {
                        it.remove();
                    } else if (now - d.deadline >= 0 && d.thread.compareAndSet(t, null)) {
                        t.interrupt();
                        d.delivered = true;
                        it.remove();
                    }
                }
            }
        }
    }

    private Probes() {
    }

    /**
     * Whether a timed wait begun at {@code startNanos} ({@link System#nanoTime()}) with a bound of
     * {@code boundSeconds} took half its bound or more: its deadline ended it, not a wake-up (a
     * woken wait takes microseconds). A wait whose wake-up was lost does not always say so: woken
     * by its deadline it looks once more, finds what was signalled meanwhile and reports success,
     * so the tests of lost wake-ups time their waits too.
     */
    static boolean stalled(long startNanos, long boundSeconds) {
        return System.nanoTime() - startNanos >= TimeUnit.SECONDS.toNanos(boundSeconds) / 2;
    }

    /** A pending fence on a context of its own. */
    static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** {@code addCallback} as a code: TRUE, FALSE or ISE. */
    static int add(Fence f, FenceCallback cb) {
        try {
            return f.addCallback(cb) ? TRUE : FALSE;
        } catch (IllegalStateException e) {
            return ISE;
        }
    }

    /**
     * 1 if {@code f} carries exactly {@code expected} as its error, 0 if none, BROKEN otherwise.
     */
    static int errorCode(Fence f, Throwable expected) {
        Throwable e = f.error();
        return e == null ? 0 : e == expected ? 1 : BROKEN;
    }

    /**
     * A callback that counts its runs (atomically, so a double run is never hidden by a lost
     * update) and records what it saw of the fence when it ran.
     */
    static class Counter extends FenceCallback {
        final AtomicInteger runs = new AtomicInteger();
        /**
         * What the callback saw: 1 if error() and timestamp() were those expected, BROKEN if not.
         */
        volatile int sawPublished = -1;
        volatile Fence ranFor;
        private final Throwable expectError;
        private final long expectTimestamp;

        /** A counter with no expectations about the fence it sees. */
        Counter() {
            this(null, 0L);
        }

        /**
         * A counter that checks, while it runs, that the fence is signalled and carries
         * {@code expectError} (identity) and, unless it is 0, {@code expectTimestamp}.
         */
        Counter(Throwable expectError, long expectTimestamp) {
            this.expectError = expectError;
            this.expectTimestamp = expectTimestamp;
        }

        @Override
        protected void onSignaled(Fence fence) {
            runs.incrementAndGet();
            ranFor = fence;
            boolean ok = fence.isSignaled() && fence.error() == expectError
                    && (expectTimestamp == 0L || fence.timestamp() == expectTimestamp);
            sawPublished = ok ? 1 : BROKEN;
        }

        int runs() {
            return runs.get();
        }
    }

    /**
     * Spins for a random 0 to {@code maxNanos} ns: a paced actor's delay after its partner's
     * start signal (see {@link Pacer}), so that the two meet at offsets spread over that range.
     */
    static void spinRandomly(int maxNanos) {
        long until = System.nanoTime() + ThreadLocalRandom.current().nextInt(maxNanos);
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }

    /**
     * The spread for a race paced the other way round: the leader raises a flag, spins a random
     * 0 to this many ns ({@link #spinRandomly}) and acts; the follower waits for the flag and
     * acts at once. The follower sees the flag a cross-CPU hand-over late (round trips of 100
     * to 550 ns were measured on the reference box, depending on its load) and then needs its
     * own first steps; in the first runs the leader acted first in about nine samples of ten,
     * so the follower's window fell late in the range, and the leader's step, spread over the
     * whole range, met it in a steady share of the samples. Use it when the window lies in the
     * follower's first steps and the leader's step is the one to place inside it.
     */
    static final int LEAD_SPREAD_NANOS = 1000;

    /**
     * A callback that paces a race: when its fence signals it lets a partner thread go
     * ({@link #awaitGo()} returns), then keeps the signalling thread for a random 0 to
     * {@code maxNanos} ns before the fence's next callback or the signaller's next step. The
     * partner's first steps then meet that next step at offsets spread over a few hundred
     * nanoseconds, sample after sample, instead of wherever two actors' starts happen to fall:
     * a window of a few instructions in the signaller is hit far more often (docs/stress.md,
     * mutation audit, session 26). Add it before the callbacks whose race it paces: a fence
     * runs its callbacks in the order they were added.
     */
    static final class Pacer extends FenceCallback {
        /** The pacing spread the tests use: a few cross-CPU round trips on the reference box. */
        static final int SPREAD_NANOS = 400;

        private final int maxNanos;
        private volatile boolean go;

        Pacer(int maxNanos) {
            this.maxNanos = maxNanos;
        }

        @Override
        protected void onSignaled(Fence fence) {
            go = true;
            spinRandomly(maxNanos);
        }

        /** Spins until the paced fence has signalled (its callback has started). */
        void awaitGo() {
            while (!go) {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * A driver fence: counts how often each hook runs; {@link #pollSignaled()} reports the
     * "hardware" flag {@link #hwDone}; {@link #enableSignalingHook()} answers {@code !armedAnswer}.
     */
    static class DriverFence extends Fence {
        final AtomicInteger enableCalls = new AtomicInteger();
        final AtomicInteger deallocateCalls = new AtomicInteger();
        final AtomicInteger pollCalls = new AtomicInteger();
        volatile boolean hwDone;
        private final boolean workAlreadyDone;

        DriverFence() {
            this(false);
        }

        /** With {@code workAlreadyDone}, the enable hook reports the work finished (false). */
        DriverFence(boolean workAlreadyDone) {
            super(Fence.allocateContexts(1), 1L);
            this.workAlreadyDone = workAlreadyDone;
        }

        @Override
        protected boolean enableSignalingHook() {
            enableCalls.incrementAndGet();
            return !workAlreadyDone;
        }

        @Override
        protected boolean pollSignaled() {
            pollCalls.incrementAndGet();
            return hwDone;
        }

        @Override
        protected void deallocate() {
            deallocateCalls.incrementAndGet();
        }

        @Override
        public String driverName() {
            return "stress";
        }
    }
}
