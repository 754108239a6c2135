package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.reservation.StressAccess;
import dev.fence.reservation.WwAcquireContext;
import dev.fence.reservation.WwClass;
import dev.fence.reservation.WwDeadlockException;
import dev.fence.reservation.WwMutex;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.I_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link WwMutex}: two transactions taking two mutexes in opposite orders (ABBA) under both
 * algorithms, plain lock/unlock handoff, a release racing a waiter, the hand-off flag that
 * bounds barging, a barging holder's check of the waiters it overtook, and contexts reused with
 * {@link WwAcquireContext#reopen()}.
 *
 * <p>The ABBA actors run the retry loop of WwMutex's javadoc inside the actor (back-off: unlock
 * everything, {@code lockSlow} the contended mutex, retry with the same ticket), so a test can
 * only finish if the algorithm resolves the conflict: a deadlock leaves the actors blocked and
 * jcstress reports the test as timed out (an error, which fails CI). Each actor records its
 * ticket's stamp and back-off count; the arbiter reports them for the older and the younger
 * ticket, and checks that both critical sections ran (a non-atomic counter per mutex, updated
 * under both locks, ends at 2) and both mutexes are free.
 *
 * <p>The "Rendezvous" variants force the deadlock: each actor, on its first pass, holds its first
 * mutex until the other has taken its own, so both hold one and want the other's. Then exactly
 * one must back off, and it must be the younger: wait-die kills the younger when it meets the
 * older's lock; wound-wait has the older wound the younger, which backs off when it waits.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t WwMutexTests[.SubTestName]}
 */
public final class WwMutexTests {

    private WwMutexTests() {
    }

    /** Shared state of an ABBA test: two mutexes of one class and what each actor saw. */
    abstract static class Abba {
        final WwMutex a;
        final WwMutex b;
        final WwClass cls;
        /** Guarded by a and b together: incremented non-atomically under both locks. */
        int countA;
        int countB;
        long stamp1;
        long stamp2;
        long backoffs1;
        long backoffs2;
        volatile boolean firstHeld1;
        volatile boolean firstHeld2;

        Abba(WwClass cls) {
            this.cls = cls;
            this.a = new WwMutex(cls, "A");
            this.b = new WwMutex(cls, "B");
        }

        /**
         * One transaction: lock {@code first} then {@code second} with a new ticket, backing off
         * and retrying as the protocol says; then the critical section; then unlock.
         * With {@code rendezvous}, the first pass holds {@code first} until the other actor
         * holds its own first mutex.
         *
         * @return {stamp, backoffs}
         */
        final long[] transact(WwMutex first, WwMutex second, boolean rendezvous, boolean actor1) {
            return transact(new WwAcquireContext(cls), first, second, rendezvous, actor1);
        }

        /** {@link #transact(WwMutex, WwMutex, boolean, boolean)} with a given open context. */
        final long[] transact(WwAcquireContext ctx, WwMutex first, WwMutex second,
                boolean rendezvous, boolean actor1) {
            WwMutex slow = null;
            boolean firstPass = true;
            for (;;) {
                WwMutex held1 = slow; // after a back-off, lockSlow already took it
                WwMutex held2 = null;
                try {
                    for (WwMutex m : new WwMutex[] {first, second}) {
                        if (m == slow) {
                            continue;
                        }
                        if (!m.lock(ctx)) {
                            throw new IllegalStateException("lock reported already held: " + m);
                        }
                        if (held1 == null) {
                            held1 = m;
                        } else {
                            held2 = m;
                        }
                        if (firstPass && m == first && rendezvous) {
                            meet(actor1);
                        }
                    }
                } catch (WwDeadlockException e) {
                    firstPass = false;
                    if (held2 != null) {
                        held2.unlock();
                    }
                    if (held1 != null) {
                        held1.unlock();
                    }
                    slow = e.contended();
                    slow.lockSlow(ctx);
                    continue;
                }
                break;
            }
            ctx.done();
            countA = countA + 1;
            countB = countB + 1;
            second.unlock();
            first.unlock();
            ctx.close();
            return new long[] {ctx.stamp(), ctx.backoffs()};
        }

        private void meet(boolean actor1) {
            if (actor1) {
                firstHeld1 = true;
                while (!firstHeld2) {
                    Thread.onSpinWait();
                }
            } else {
                firstHeld2 = true;
                while (!firstHeld1) {
                    Thread.onSpinWait();
                }
            }
        }

        final void run1(boolean rendezvous) {
            long[] s = transact(a, b, rendezvous, true);
            stamp1 = s[0];
            backoffs1 = s[1];
        }

        final void run2(boolean rendezvous) {
            long[] s = transact(b, a, rendezvous, false);
            stamp2 = s[0];
            backoffs2 = s[1];
        }

        /** r1: the older ticket backed off (0/1); r2: the younger did; r3: both ran, all free. */
        final void judge(III_Result r) {
            boolean oneOlder = stamp1 - stamp2 < 0;
            long older = oneOlder ? backoffs1 : backoffs2;
            long younger = oneOlder ? backoffs2 : backoffs1;
            r.r1 = older > 0 ? 1 : 0;
            r.r2 = younger > 0 ? 1 : 0;
            r.r3 = countA == 2 && countB == 2 && !a.isLocked() && !b.isLocked() ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * ABBA, free-running: the transactions may or may not overlap. Either way both complete;
     * the older ticket never backs off; the younger backs off only when it met the older.
     */

    @JCStressTest
    @Description("Wait-die ABBA: both transactions complete; the older ticket never backs off.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "No conflict: neither backed off; both critical sections ran.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The younger met the older's lock and died (backed off), then finished.")
    @Outcome(expect = FORBIDDEN, desc = "The older backed off, a critical section was lost or overlapped, or a lock stayed held.")
    @State
    public static class AbbaWaitDie extends Abba {
        public AbbaWaitDie() {
            super(WwClass.waitDie("stress-wd"));
        }

        @Actor
        public void lockerAB() {
            run1(false);
        }

        @Actor
        public void lockerBA() {
            run2(false);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("Wound-wait ABBA: both transactions complete; the older ticket never backs off.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "No conflict, or the younger was wounded but never had to wait: nobody backed off.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The older wounded the younger, which backed off when it had to wait.")
    @Outcome(expect = FORBIDDEN, desc = "The older backed off, a critical section was lost or overlapped, or a lock stayed held.")
    @State
    public static class AbbaWoundWait extends Abba {
        public AbbaWoundWait() {
            super(WwClass.woundWait("stress-ww"));
        }

        @Actor
        public void lockerAB() {
            run1(false);
        }

        @Actor
        public void lockerBA() {
            run2(false);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * ABBA with the deadlock forced: both hold their first mutex before either asks for the
     * second. Exactly one backs off, the younger.
     */

    @JCStressTest
    @Description("Wait-die ABBA, both holding one lock: exactly the younger backs off; no deadlock.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The younger died on the older's lock, backed off, and both then completed.")
    @Outcome(expect = FORBIDDEN, desc = "Nobody or the older backed off, a critical section was lost, or a lock stayed held.")
    @State
    public static class AbbaWaitDieRendezvous extends Abba {
        public AbbaWaitDieRendezvous() {
            super(WwClass.waitDie("stress-wd"));
        }

        @Actor
        public void lockerAB() {
            run1(true);
        }

        @Actor
        public void lockerBA() {
            run2(true);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("Wound-wait ABBA, both holding one lock: exactly the younger backs off; no deadlock.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The older wounded the younger, which backed off; both then completed.")
    @Outcome(expect = FORBIDDEN, desc = "Nobody or the older backed off, a critical section was lost, or a lock stayed held.")
    @State
    public static class AbbaWoundWaitRendezvous extends Abba {
        public AbbaWoundWaitRendezvous() {
            super(WwClass.woundWait("stress-ww"));
        }

        @Actor
        public void lockerAB() {
            run1(true);
        }

        @Actor
        public void lockerBA() {
            run2(true);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Lock vs unlock handoff: each actor locks, reads a plain counter, writes it back plus one,
     * and unlocks. Mutual exclusion and the unlock -> lock happens-before edge mean one actor
     * reads 0 and the other reads 1; both reading 0 is a lost update.
     */

    @JCStressTest
    @Description("lock(); x = x + 1; unlock() in two threads: one reads 0, the other 1.")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "Mutual exclusion: the second holder saw the first one's update.")
    @Outcome(expect = FORBIDDEN, desc = "Both read the same value (a lost update), or the lock was not held inside.")
    @State
    public static class LockHandoff {
        final WwMutex m = new WwMutex(WwClass.waitDie("stress"));
        int x;

        @Actor
        public void locker1(II_Result r) {
            m.lock();
            r.r1 = m.isHeldByCurrentThread() ? x : BROKEN;
            x = x + 1;
            m.unlock();
        }

        @Actor
        public void locker2(II_Result r) {
            m.lock();
            r.r2 = m.isHeldByCurrentThread() ? x : BROKEN;
            x = x + 1;
            m.unlock();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The same handoff between a context-free holder and a ticket holder (one mutex each, so
     * the ticket never has to back off): both paths exclude each other.
     */

    @JCStressTest
    @Description("lock() vs lock(ctx), each doing x = x + 1: one reads 0, the other 1.")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "Mutual exclusion across the plain and the ticket path.")
    @Outcome(expect = FORBIDDEN, desc = "A lost update, a back-off for a ticket holding nothing, or the lock not held inside.")
    @State
    public static class MixedLockHandoff {
        final WwClass cls = WwClass.waitDie("stress");
        final WwMutex m = new WwMutex(cls);
        int x;

        @Actor
        public void plainLocker(II_Result r) {
            m.lock();
            r.r1 = m.isHeldByCurrentThread() ? x : BROKEN;
            x = x + 1;
            m.unlock();
        }

        @Actor
        public void ticketLocker(II_Result r) {
            try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
                if (!m.lock(ctx)) {
                    r.r2 = BROKEN;
                    return;
                }
                r.r2 = m.owningContext() == ctx ? x : BROKEN;
                x = x + 1;
                m.unlock();
            } catch (WwDeadlockException e) {
                r.r2 = BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Release vs a waiter that is spinning, queueing or parked. unlock() wakes the head waiter
     * without the wait-list lock (WwMutex's "No lost wake-up" argument: the waiter stores
     * armed = true and then tries the owner; the releaser stores owner = null and then reads
     * head and armed). LockHandoff rarely gets that far: its critical sections are shorter than
     * the optimistic spin, so the second locker almost never queues. Here the waiter always
     * asks while the mutex is held, and the holder releases after a random 0-12 us, which lands
     * the release in the waiter's spin (the first 3 us), in its queueing, or after it parked.
     * A lost wake-up leaves the waiter parked for good, so the holder stands watchdog: if the
     * waiter has not taken the mutex a second after the release, it reports that and interrupts
     * the waiter (which then gives up), so a lost wake-up is a FORBIDDEN outcome, not a hang.
     */

    @JCStressTest
    @Description("unlock() racing a waiter that spins, queues or parks: the waiter always gets the mutex, promptly.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The waiter took the mutex after the release, within the watchdog's second.")
    @Outcome(expect = FORBIDDEN, desc = "The waiter still waited a second after the release (a lost wake-up; the watchdog interrupted it), or got the mutex while it was held.")
    @State
    public static class ReleaseWakesWaiter extends Probes.ReleaseRace {
        final WwMutex m = new WwMutex(WwClass.waitDie("stress"));

        @Override
        boolean hold() {
            m.lock();
            return true;
        }

        @Override
        void release() {
            m.unlock();
        }

        @Override
        void waiterLock() throws InterruptedException {
            m.lockInterruptible();
        }

        @Override
        void waiterUnlock() {
            m.unlock();
        }

        @Actor
        public void holder(II_Result r) {
            runHolder(r);
        }

        @Actor
        public void waiter(II_Result r) {
            runWaiter(r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The hand-off flag (WwMutex's overview, "No starvation", and step 5): a head waiter woken
     * by a release that finds the mutex taken again (a barger won the race) spins once; if the
     * mutex is still taken it sets `handoff` and parks, and the next release stores owner = the
     * head's requester under waitLock instead of null, so no barger can take it again.
     *
     * The barger B locks M; the waiter W asks for it and parks. B unlocks, which disarms W (it
     * is the only waiter, armed since its first round) and wakes it, and at once tryLocks: W
     * needs microseconds to run, so B nearly always steals M back. From then on W cannot get M
     * (B holds it), so the stolen wake-up must make W set handoff: B waits for the flag (read
     * through StressAccess; a second, as the watchdogs here do), then unlocks and tryLocks
     * again at once. The release gave M to W, so the second tryLock must fail. FORBIDDEN: the
     * flag never set (the starvation bound is gone: B could steal for ever), or B's second steal
     * succeeding while W never had M. Not judged: W took M before one of B's tryLocks (the
     * first fails, or W has already released M again: `got` tells, as W sets it before its
     * unlock). W waits interruptibly under a one-second watchdog, as in ReleaseWakesWaiter.
     *
     * StrayWakeupThenStolen: as above, but B first unparks W itself (a stray permit, which any
     * code may leave) and releases M just as W starts running. If W reads its armed flag before
     * the release disarms it and re-arms it after, the release that woke it leaves no trace in a
     * waiter that reads the flag only when park() returns: W counted no stolen wake-up and
     * parked again without handoff. Step 5 therefore also reads the flag before re-arming.
     */

    /** The barger and waiter of the two hand-off tests; the subclass says what B does first. */
    abstract static class HandOffProbe {
        /** How long B waits for W to park, set handoff or take M before giving up on it. */
        private static final long WATCHDOG_NANOS = 1_000_000_000L;

        final WwMutex m = new WwMutex(WwClass.waitDie("stress-handoff"), "M");
        volatile Thread waiterThread;
        volatile boolean held;
        volatile boolean got;

        static boolean awaitParked(Thread t, long nanos) {
            long deadline = System.nanoTime() + nanos;
            while (t.getState() != Thread.State.WAITING) {
                if (System.nanoTime() - deadline >= 0) {
                    return false;
                }
                Thread.onSpinWait();
            }
            return true;
        }

        /** What B does with M held and W parked, just before the first release. */
        abstract void beforeRelease(Thread w);

        void runBarger(II_Result r) {
            m.lock();
            held = true;
            Thread w;
            while ((w = waiterThread) == null) {
                Thread.onSpinWait();
            }
            if (!awaitParked(w, WATCHDOG_NANOS)) {
                r.r1 = BROKEN; // W never parked behind the held mutex
                m.unlock();
            } else {
                beforeRelease(w);
                m.unlock();                       // disarms and wakes W
                if (!m.tryLock()) {
                    r.r1 = 0;                     // W took M first
                } else if (got) {
                    m.unlock();
                    r.r1 = 2;                     // ... and released it before the tryLock
                } else {
                    long deadline = System.nanoTime() + WATCHDOG_NANOS;
                    boolean flagged;
                    while (!(flagged = StressAccess.handoffPending(m))
                            && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait();
                    }
                    m.unlock();                   // with handoff set: owner = W
                    boolean stoleAgain = m.tryLock();
                    boolean wHadIt = got;         // read after the tryLock: see above
                    if (stoleAgain) {
                        m.unlock();
                    }
                    r.r1 = !flagged ? BROKEN : !stoleAgain ? 1 : wHadIt ? 2 : BROKEN;
                }
            }
            long deadline = System.nanoTime() + WATCHDOG_NANOS;
            while (!got && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            if (!got) {
                w.interrupt();
            }
        }

        void runWaiter(II_Result r) {
            while (!held) {
                Thread.onSpinWait();
            }
            waiterThread = Thread.currentThread();
            try {
                m.lockInterruptible();
            } catch (InterruptedException e) {
                r.r2 = 0;
                return;
            }
            r.r2 = 1;
            got = true;
            m.unlock();
        }
    }

    @JCStressTest
    @Description("A head waiter whose wake-up was stolen sets handoff: the next release hands it the mutex, and an immediate tryLock fails.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "B stole M, W set handoff, B's release handed M to W: B's second tryLock failed.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Not judged: W took M before B's first tryLock.")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "Not judged: W took and released M before one of B's tryLocks.")
    @Outcome(expect = FORBIDDEN, desc = "W never set handoff after the stolen wake-up, or B took M a second time, W never having had it (unbounded barging); or W never parked, or did not get M within a second of the last release.")
    @State
    public static class StolenWakeupHandsOff extends HandOffProbe {
        @Override
        void beforeRelease(Thread w) {
            // nothing: the release is W's only wake-up
        }

        @Actor
        public void barger(II_Result r) {
            runBarger(r);
        }

        @Actor
        public void waiter(II_Result r) {
            runWaiter(r);
        }
    }

    @JCStressTest
    @Description("A head waiter woken by a stray unpark just before a release that is then stolen still counts the release and sets handoff.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "B stole M, W set handoff, B's release handed M to W: B's second tryLock failed.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Not judged: W took M before B's first tryLock.")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "Not judged: W took and released M before one of B's tryLocks.")
    @Outcome(expect = FORBIDDEN, desc = "W never set handoff (the release's wake-up went uncounted), or B took M a second time, W never having had it; or W never parked, or did not get M within a second of the last release.")
    @State
    public static class StrayWakeupThenStolen extends HandOffProbe {
        /** How long B waits to see the stray unpark take effect before releasing anyway. */
        private static final long STRAY_NANOS = 200_000L;

        @Override
        void beforeRelease(Thread w) {
            LockSupport.unpark(w);
            long deadline = System.nanoTime() + STRAY_NANOS;
            while (w.getState() == Thread.State.WAITING && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();              // release as W starts running
            }
        }

        @Actor
        public void barger(II_Result r) {
            runBarger(r);
        }

        @Actor
        public void waiter(II_Result r) {
            runWaiter(r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A barging holder checks the waiters it overtook (the kernel's check-waiters, step 6 of
     * WwMutex's overview). Wound-wait: the older context W holds X and is queued (parked) on M
     * behind a context-free holder H; H releases M and at once takes it back with a younger
     * context, ahead of the woken W. The new holder is younger than a queued waiter that holds
     * locks, so it must be wounded the moment it owns M: otherwise it could go on to wait for X
     * while W waits for M. W's own wound (from its spin after the wake-up) usually comes later,
     * so a holder that skipped the check is seen unwounded right after tryLock. If W runs
     * between the release and the trylock, it takes M first: the trylock fails, or, if W has
     * already released M again, succeeds with nobody queued (no wound due).
     */

    @JCStressTest
    @Description("Wound-wait: a younger context that barges past a queued older waiter holding locks is wounded at once.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The woken older waiter took M first; the trylock failed.")
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "The woken older waiter took and released M before the trylock, which then found nobody queued.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The barger took M and was wounded (it must back off at its next wait).")
    @Outcome(expect = FORBIDDEN, desc = "The barger took M past a queued older waiter holding locks and was not wounded, the waiter never parked, or it backed off.")
    @State
    public static class BargerChecksQueuedWaiters {
        /** How long the holder waits for the waiter to park before calling it lost. */
        private static final long PARK_WAIT_NANOS = 1_000_000_000L;

        final WwClass cls = WwClass.woundWait("stress-barge");
        final WwMutex m = new WwMutex(cls, "M");
        final WwMutex x = new WwMutex(cls, "X");
        volatile boolean olderCreated;
        volatile boolean plainHeld;
        volatile Thread waiterThread;
        volatile boolean olderGotM;

        @Actor
        public void barger(III_Result r) {
            while (!olderCreated) {
                Thread.onSpinWait();
            }
            WwAcquireContext young = new WwAcquireContext(cls);
            m.lock();
            plainHeld = true;
            long deadline = System.nanoTime() + PARK_WAIT_NANOS;
            boolean parked = false;
            while (!parked && System.nanoTime() - deadline < 0) {
                Thread w = waiterThread;
                parked = w != null && w.getState() == Thread.State.WAITING;
            }
            m.unlock();
            boolean got = m.tryLock(young);
            boolean wounded = young.isWounded();
            // read while holding M: the older waiter is queued or done
            boolean olderFirst = olderGotM;
            if (got) {
                m.unlock();
            }
            young.close();
            r.r1 = !parked ? BROKEN : !got ? 0 : olderFirst ? 2 : 1;
            r.r2 = got && !olderFirst ? (wounded ? 1 : 0) : 1;
        }

        @Actor
        public void olderWaiter(III_Result r) {
            WwAcquireContext old = new WwAcquireContext(cls);
            olderCreated = true;
            try {
                x.lock(old);
                while (!plainHeld) {
                    Thread.onSpinWait();
                }
                waiterThread = Thread.currentThread();
                m.lock(old);
                olderGotM = true;
                m.unlock();
                x.unlock();
                r.r3 = 1;
            } catch (WwDeadlockException e) {
                r.r3 = BROKEN; // the oldest context never backs off
                x.unlock();
            }
            old.close();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Wound-wait, the wound a queueing waiter deals (step 4 of WwMutex's overview): the younger
     * context Y holds B and is parked on A, which the older O holds; O then asks for B. Y is
     * queued, so O's optimistic spin stops at once without judging it, and the wound must come
     * from O's insertion into B's wait list: wound Y and unpark it, so that Y's kill check backs
     * it off and frees B. Without that wound the two wait for each other for good (the chain
     * back-off does not help: Y is parked and never re-checks), which the ABBA tests can only
     * report as a hang, and only in the runs where Y happened to park first. Here the order is
     * fixed, and O's wait for B is bounded by a Probes.Deadline: a wound that never comes is a
     * FORBIDDEN outcome (O interrupted a second after it asked), and O then frees A, which lets
     * Y finish. r1: O took B in time (1), was interrupted (0), or backed off or never saw Y
     * park (BROKEN); r2: Y's back-offs, exactly 1 (it held B when O queued, so it was wounded
     * whether it was parked then or not); r3: both critical sections ran, both mutexes free.
     */

    @JCStressTest
    @Description("Wound-wait: an older context queueing behind a younger holder parked elsewhere wounds and wakes it.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "O wounded the parked Y, which backed off once and freed B; both completed.")
    @Outcome(expect = FORBIDDEN, desc = "O still waited for B a second after asking (no wound reached Y), O backed off, Y never parked or backed off other than once, or a critical section was lost.")
    @State
    public static class QueueingOlderWoundsParkedHolder {
        /** O's bound on its wait for B, and Y's on parking; a wound takes microseconds. */
        private static final long BOUND_NANOS = 1_000_000_000L;

        final WwClass cls = WwClass.woundWait("stress-queue-wound");
        final WwMutex a = new WwMutex(cls, "A");
        final WwMutex b = new WwMutex(cls, "B");
        volatile boolean olderCreated;
        volatile boolean aHeld;
        volatile Thread youngAsking;
        int countA;
        int countB;
        boolean olderRan;

        @Actor
        public void older(III_Result r) {
            WwAcquireContext o = new WwAcquireContext(cls);
            olderCreated = true;
            try {
                a.lock(o);                    // holds nothing yet: never backs off
                aHeld = true;
                Thread y;
                while ((y = youngAsking) == null) {
                    Thread.onSpinWait();
                }
                if (!HandOffProbe.awaitParked(y, BOUND_NANOS)) {
                    r.r1 = BROKEN;            // Y never parked on A
                } else {
                    Probes.Deadline d = Probes.Deadline.start(BOUND_NANOS);
                    boolean gotB = false;
                    try {
                        gotB = b.lockInterruptible(o);
                    } catch (InterruptedException e) {
                        // the deadline passed: reported below
                    } finally {
                        d.close();
                    }
                    if (gotB) {
                        olderRan = true;
                        countA = countA + 1;
                        countB = countB + 1;
                        b.unlock();
                    }
                    r.r1 = gotB ? 1 : 0;
                }
            } catch (WwDeadlockException e) {
                r.r1 = BROKEN;                // the oldest context never backs off
            }
            a.unlock();
            o.close();
        }

        @Actor
        public void younger(III_Result r) {
            while (!olderCreated) {
                Thread.onSpinWait();
            }
            WwAcquireContext y = new WwAcquireContext(cls);
            try {
                b.lock(y);                    // free: O asks for it only later
            } catch (WwDeadlockException e) {
                r.r2 = BROKEN;                // holding nothing, it cannot back off
                youngAsking = Thread.currentThread(); // O then finds it never parks
                y.close();
                return;
            }
            while (!aHeld) {
                Thread.onSpinWait();
            }
            youngAsking = Thread.currentThread();
            try {
                a.lock(y);
            } catch (WwDeadlockException e) {
                b.unlock();
                a.lockSlow(y);
                try {
                    b.lock(y);                // O is done with B or holds it: Y waits
                } catch (WwDeadlockException again) {
                    a.unlock();
                    r.r2 = BROKEN;
                    y.close();
                    return;
                }
            }
            countA = countA + 1;
            countB = countB + 1;
            b.unlock();
            a.unlock();
            r.r2 = (int) y.backoffs();
            y.close();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            int ran = olderRan ? 2 : 1;      // Y's critical section always runs
            r.r3 = countA == ran && countB == ran && !a.isLocked() && !b.isLocked() ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Wait-die, the wake-up a queueing waiter deals (step 4 of WwMutex's overview): the younger
     * context Y holds X and is parked on M behind a holder younger than itself (so it may
     * wait); the older O then queues on M ahead of Y. A context holding locks must not wait
     * behind an older waiter, so O's insertion wakes Y, whose kill check then dies. Two actors
     * are enough: the first holds M with a third context H, created after Y (so the youngest),
     * and queues with O in the same thread, standing in for a third thread that holds M.
     * That wait can never end by itself (O waits for its own thread), so Y, once it has died
     * and released X, interrupts it; if Y is never woken, a Probes.Deadline ends it a second
     * later, and then the first actor releases M, which lets Y finish without dying. r1: O's
     * wait was ended by Y (1) or by the deadline (0), or O backed off or Y never parked
     * (BROKEN); r2: Y's back-offs, exactly 1; r3: Y's critical section ran, all mutexes free.
     */

    @JCStressTest
    @Description("Wait-die: an older context queueing ahead of a parked younger waiter holding locks wakes it to die.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "O's insertion woke Y, which died (backed off once), released X and ended O's wait.")
    @Outcome(expect = FORBIDDEN, desc = "Y was not woken while O queued ahead of it (O's wait ran into the deadline, Y never backed off), O backed off, Y never parked, or a mutex stayed held.")
    @State
    public static class QueueingOlderWakesYoungerWaiter {
        /** The deadline on O's wait, and the bound on Y's parking; a wake-up takes microseconds. */
        private static final long BOUND_NANOS = 1_000_000_000L;

        final WwClass cls = WwClass.waitDie("stress-queue-die");
        final WwMutex m = new WwMutex(cls, "M");
        final WwMutex x = new WwMutex(cls, "X");
        volatile boolean olderCreated;
        volatile boolean youngerCreated;
        volatile boolean mHeld;
        volatile Thread olderThread;
        volatile Thread youngAsking;
        /** Set by Y once it can no longer interrupt O's thread. */
        volatile boolean youngerSettled;
        int count;

        @Actor
        public void holderAndOlder(III_Result r) {
            WwAcquireContext o = new WwAcquireContext(cls);
            olderThread = Thread.currentThread();
            olderCreated = true;
            while (!youngerCreated) {
                Thread.onSpinWait();
            }
            WwAcquireContext h = new WwAcquireContext(cls); // the youngest
            boolean hHolds = m.tryLock(h);    // free: Y asks for it only after mHeld
            mHeld = true;
            Thread y;
            while ((y = youngAsking) == null) {
                Thread.onSpinWait();
            }
            if (!hHolds || !HandOffProbe.awaitParked(y, BOUND_NANOS)) {
                r.r1 = BROKEN;                // Y never parked on M
            } else {
                Probes.Deadline d = Probes.Deadline.start(BOUND_NANOS);
                int code = BROKEN;
                try {
                    m.lockInterruptible(o);   // M is held by H: only an interrupt ends this
                } catch (InterruptedException e) {
                    code = 1;
                } catch (WwDeadlockException e) {
                    code = BROKEN;            // O holds nothing: it never backs off
                }
                if (d.close()) {
                    code = 0;                 // the deadline, not Y, ended the wait
                }
                r.r1 = code;
            }
            if (hHolds) {
                m.unlock();                   // H's hold: Y may now take M
            }
            h.close();
            o.close();
            while (!youngerSettled) {
                Thread.onSpinWait();
            }
            Thread.interrupted();             // an interrupt from Y that came too late to count
        }

        @Actor
        public void younger(III_Result r) {
            while (!olderCreated) {
                Thread.onSpinWait();
            }
            WwAcquireContext y = new WwAcquireContext(cls);
            youngerCreated = true;
            try {
                x.lock(y);                    // X is this actor's alone: free
                while (!mHeld) {
                    Thread.onSpinWait();
                }
                youngAsking = Thread.currentThread();
                try {
                    m.lock(y);                // H is younger: Y may wait for it, and parks
                } catch (WwDeadlockException e) {
                    x.unlock();
                    olderThread.interrupt();  // end O's wait, which nothing else ends
                    youngerSettled = true;
                    m.lockSlow(y);
                    x.lock(y);                // free: nobody else takes X
                }
            } catch (WwDeadlockException e) {
                youngerSettled = true;
                youngAsking = Thread.currentThread();
                r.r2 = BROKEN;                // X free, or M after lockSlow: no back-off due
                y.close();
                return;
            }
            youngerSettled = true;
            count = count + 1;
            m.unlock();
            x.unlock();
            r.r2 = (int) y.backoffs();
            y.close();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = count == 1 && !m.isLocked() && !x.isLocked() ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two contexts of one class started at once: each takes the class's next stamp with
     * incrementAndGet, so the stamps are distinct (1 and 2 on a fresh class) and wait-die /
     * wound-wait can always tell the older from the younger. Equal stamps would leave two
     * transactions that both judge the other the younger (or the older).
     */

    @JCStressTest
    @Description("Two WwAcquireContexts of one fresh class started at once: distinct stamps 1 and 2.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "Distinct stamps, 1 and 2 in either order.")
    @Outcome(expect = FORBIDDEN, desc = "Both got the same stamp (a lost increment), or a stamp other than 1 or 2.")
    @State
    public static class ConcurrentContextsGetDistinctStamps {
        final WwClass cls = WwClass.woundWait("stress-stamps");
        long a;
        long b;

        @Actor
        public void starter1() {
            WwAcquireContext ctx = new WwAcquireContext(cls);
            a = ctx.stamp();
            ctx.close();
        }

        @Actor
        public void starter2() {
            WwAcquireContext ctx = new WwAcquireContext(cls);
            b = ctx.stamp();
            ctx.close();
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = a + b == 3 && a * b == 2 ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Reopened contexts (WwAcquireContext.reopen()): the same object with a new, larger stamp.
     * Another thread may still hold the context from its previous transaction (as an owner it
     * read, or a waiter it saw) and judge or wound it with what it reads; WwMutex's overview
     * ("Reopened contexts") argues that this can cost needless back-offs, never a deadlock or a
     * lost exclusion. These tests run two ABBA transactions per actor on one reopened context
     * each, so the second transactions race the first ones' stale references; back-off counts
     * are not judged (needless ones are allowed), completion, exclusion and the stamps are.
     */

    /** Two ABBA transactions per actor on one context, reopened in between. */
    abstract static class ReopenedAbba extends Abba {
        long stampA1;
        long stampB1;
        long stampA2;
        long stampB2;

        ReopenedAbba(WwClass cls) {
            super(cls);
        }

        final void twice1() {
            WwAcquireContext ctx = new WwAcquireContext(cls);
            stampA1 = transact(ctx, a, b, false, true)[0];
            stampB1 = transact(ctx.reopen(), a, b, false, true)[0];
        }

        final void twice2() {
            WwAcquireContext ctx = new WwAcquireContext(cls);
            stampA2 = transact(ctx, b, a, false, false)[0];
            stampB2 = transact(ctx.reopen(), b, a, false, false)[0];
        }

        /** r1: all four critical sections ran and both mutexes are free; r2: stamps renewed. */
        final void judgeTwice(II_Result r) {
            r.r1 = countA == 4 && countB == 4 && !a.isLocked() && !b.isLocked() ? 1 : BROKEN;
            r.r2 = stampB1 - stampA1 > 0 && stampB2 - stampA2 > 0 ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("Wait-die ABBA twice per thread on reopened contexts: all four transactions complete, exclusively.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "All four critical sections ran under both locks; each reopened context took a newer stamp.")
    @Outcome(expect = FORBIDDEN, desc = "A critical section was lost or overlapped, a lock stayed held, or a reopened context kept an old stamp.")
    @State
    public static class ReopenedAbbaWaitDie extends ReopenedAbba {
        public ReopenedAbbaWaitDie() {
            super(WwClass.waitDie("stress-reopen-wd"));
        }

        @Actor
        public void lockerAB() {
            twice1();
        }

        @Actor
        public void lockerBA() {
            twice2();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            judgeTwice(r);
        }
    }

    @JCStressTest
    @Description("Wound-wait ABBA twice per thread on reopened contexts: all four transactions complete, exclusively.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "All four critical sections ran under both locks; each reopened context took a newer stamp.")
    @Outcome(expect = FORBIDDEN, desc = "A critical section was lost or overlapped, a lock stayed held, or a reopened context kept an old stamp.")
    @State
    public static class ReopenedAbbaWoundWait extends ReopenedAbba {
        public ReopenedAbbaWoundWait() {
            super(WwClass.woundWait("stress-reopen-ww"));
        }

        @Actor
        public void lockerAB() {
            twice1();
        }

        @Actor
        public void lockerBA() {
            twice2();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            judgeTwice(r);
        }
    }

    /*
     * The stamp is published with the lock: a context closed, reopened and then locking a mutex
     * it never held before is seen by a thread that finds it as that mutex's owner with the new
     * stamp. (A thread that met the old transaction may see either stamp: see the overview.)
     */

    @JCStressTest
    @Description("A reopened context found as a mutex's owner shows its new stamp, never the closed transaction's.")
    @Outcome(id = "0", expect = ACCEPTABLE, desc = "The second mutex was still free when read.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "Found the reopened context holding the second mutex, with its new stamp.")
    @Outcome(expect = FORBIDDEN, desc = "Found it holding the second mutex with the old transaction's stamp (the reopen was not published with the lock), or another stamp.")
    @State
    public static class ReopenPublishesStamp {
        final WwClass cls = WwClass.waitDie("stress-reopen-stamp");
        final WwMutex first = new WwMutex(cls, "first");
        final WwMutex second = new WwMutex(cls, "second");
        long oldStamp;
        long newStamp;
        long seen;
        boolean found;

        @Actor
        public void reopener() {
            WwAcquireContext ctx = new WwAcquireContext(cls);
            oldStamp = ctx.stamp();
            first.tryLock(ctx);
            first.unlock();
            ctx.close();
            ctx.reopen();
            newStamp = ctx.stamp();
            second.tryLock(ctx);
        }

        @Actor
        public void reader() {
            WwAcquireContext c = second.owningContext();
            if (c != null) {
                found = true;
                seen = c.stamp();
            }
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = !found ? 0 : seen == newStamp ? 1 : seen == oldStamp ? 2 : BROKEN;
        }
    }
}
