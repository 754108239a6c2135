package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.ISE;
import static dev.fence.stress.Probes.TRUE;
import static dev.fence.stress.Probes.fresh;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncPoller;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The registered form of {@link SyncPoller}: a key's callback pushes it onto a lock-free ready
 * stack and unparks the selecting thread (a Dekker handshake on {@code readyHead} and
 * {@code waiter}); {@code cancel()} marks the key, removes its node and drops its fence
 * reference; {@code close()} cancels every key, including one being registered.
 *
 * <p>Each sample builds its own poller over a file that holds the fence's only reference (the
 * creator's is released), so that reference counts read after both actors are exact: 1 is the
 * file's, anything else means a key kept or over-released its reference.
 *
 * <p>How to run:
 * {@code java -jar fence-stress/target/jcstress.jar -t SyncPollerTests[.SubTestName]}
 */
public final class SyncPollerTests {

    /**
     * Far longer than any scheduling hiccup; reaching it means the wake-up was lost. Kept well
     * below jcstress's task timeout (30 s at least), which a select that waits out its own bound
     * would otherwise race. A select whose wake-up was lost does not always report it: parked to
     * its deadline, it looks at the ready list once more and returns what it finds, so every
     * test here also times its select (half the bound or more means the deadline woke it).
     */
    static final long GENEROUS_SECONDS = 10;

    /** Whether a select begun at {@code t0} ({@link System#nanoTime()}) ended promptly. */
    static boolean prompt(long t0) {
        return !Probes.stalled(t0, GENEROUS_SECONDS);
    }

    private SyncPollerTests() {
    }

    /** A pending fence and a file holding its only reference. */
    static SyncFile soleFile(Fence f) {
        SyncFile file = SyncFile.create(f);
        f.release();
        return file;
    }

    /* ------------------------------------------------------------------------------------------
     * signal() vs select(10 s) on a registered key: the push (CAS readyHead, then read waiter)
     * and the selector's park (write waiter, then read readyHead) must not both miss each other.
     */

    @JCStressTest
    @Description("signal() vs select(10 s): the selector returns 1 promptly with the key listed, never a timeout.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Woken (or found it ready at once); the key is listed.")
    @Outcome(expect = FORBIDDEN, desc = "Timed out or woken only by its deadline (first 9: a lost wake-up), interrupted, or the key not listed.")
    @State
    public static class SignalVsSelect {
        final Fence f = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key key = poller.register(soleFile(f), "k");

        @Actor
        public void signaller() {
            f.signal();
        }

        @Actor
        public void selector(II_Result r) {
            long t0 = System.nanoTime();
            try {
                r.r1 = poller.select(GENEROUS_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
                return;
            }
            if (!prompt(t0)) {
                r.r1 = BROKEN;
            }
            r.r2 = poller.readyKeys().size() == 1 && poller.readyKeys().get(0) == key ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * wakeup() vs select(10 s) with nothing ready: the flag and the unpark reach the selector
     * whether it is about to park, parked, or has not started yet.
     */

    @JCStressTest
    @Description("wakeup() vs select(10 s) with nothing ready: select returns 0 promptly.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Returned 0 well before the timeout.")
    @Outcome(expect = FORBIDDEN, desc = "Waited out the timeout (lost wake-up), or reported a key.")
    @State
    public static class WakeupVsSelect {
        final SyncPoller poller = SyncPoller.open();

        {
            poller.register(soleFile(fresh()), null);
        }

        @Actor
        public void waker() {
            poller.wakeup();
        }

        @Actor
        public void selector(II_Result r) {
            long t0 = System.nanoTime();
            try {
                r.r1 = poller.select(GENEROUS_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            }
            r.r2 = prompt(t0) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * WakeupVsSelect with the race paced: the selector raises a flag just before select(), and
     * the waker calls wakeup() a random 0-400 ns after it sees the flag, so that the wake-up
     * meets the selector as it publishes `waiter` and reads the flag before parking (the other
     * Dekker pair of SyncPoller's overview: wakeup() writes the flag and then reads `waiter`).
     * Unpaced, a wakeup() with those two steps swapped lost no wake-up in 50 K samples.
     */

    @JCStressTest
    @Description("wakeup() started just after select(10 s) with nothing ready: select returns 0 promptly.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Returned 0 well before the timeout.")
    @Outcome(expect = FORBIDDEN, desc = "Waited out the timeout (lost wake-up), or reported a key.")
    @State
    public static class PacedWakeupVsSelect {
        final SyncPoller poller = SyncPoller.open();
        volatile boolean selecting;

        {
            poller.register(soleFile(fresh()), null);
        }

        @Actor
        public void waker() {
            while (!selecting) {
                Thread.onSpinWait();
            }
            Probes.spinRandomly(Probes.Pacer.SPREAD_NANOS);
            poller.wakeup();
        }

        @Actor
        public void selector(II_Result r) {
            long t0 = System.nanoTime();
            selecting = true;
            try {
                r.r1 = poller.select(GENEROUS_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            }
            r.r2 = prompt(t0) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * cancel() vs signal(): whichever wins, a later select never reports the cancelled key, the
     * key's reference is dropped exactly once, and no node is left on the fence.
     */

    @JCStressTest
    @Description("cancel() vs signal(): a later select reports nothing; the key's reference is gone; the node is off the fence.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "Nothing reported; only the file's reference left; node not queued.")
    @Outcome(expect = FORBIDDEN, desc = "The cancelled key reported, a reference kept or over-released, or the node left queued.")
    @State
    public static class CancelVsSignal {
        final Fence f = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key key = poller.register(soleFile(f), null);

        @Actor
        public void canceller() {
            key.cancel();
        }

        @Actor
        public void signaller() {
            f.signal();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = poller.selectNow();
            r.r2 = f.refCnt();
            r.r3 = f.isSignaled() ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two keys' fences signalled at once: both callbacks push onto the ready stack from their
     * signalling threads, each with a CAS on readyHead after linking nextReady to the head it
     * read, so neither push may overwrite the other. A later select lists both keys, once each.
     */

    @JCStressTest
    @Description("Two registered fences signalled at once (two pushes racing on the ready stack): a later select lists both keys, once each.")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "Both pushes landed: select returned 2, each key listed once.")
    @Outcome(expect = FORBIDDEN, desc = "A push lost (one key missing) or a key listed twice.")
    @State
    public static class TwoSignalsPushAtOnce {
        final Fence f1 = fresh();
        final Fence f2 = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key k1 = poller.register(soleFile(f1), null);
        final SyncPoller.Key k2 = poller.register(soleFile(f2), null);

        @Actor
        public void signaller1() {
            f1.signal();
        }

        @Actor
        public void signaller2() {
            f2.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = poller.selectNow();
            List<SyncPoller.Key> keys = poller.readyKeys();
            r.r2 = keys.size() == 2 && keys.contains(k1) && keys.contains(k2) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * register() vs signal(): the key is reported exactly once, whether its node was queued
     * before the signal (pushed by the callback) or the fence had signalled (pushed by register).
     */

    @JCStressTest
    @Description("register() vs signal(): a later select lists the key exactly once.")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "Listed once; the key and the file hold a reference each.")
    @Outcome(expect = FORBIDDEN, desc = "Missing, listed twice, or a wrong reference count.")
    @State
    public static class RegisterVsSignal {
        final Fence f = fresh();
        final SyncFile file = soleFile(f);
        final SyncPoller poller = SyncPoller.open();
        volatile SyncPoller.Key key;

        @Actor
        public void registrar() {
            key = poller.register(file, null);
        }

        @Actor
        public void signaller() {
            f.signal();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = poller.selectNow();
            r.r2 = poller.readyKeys().size() == 1 && poller.readyKeys().get(0) == key ? 1 : 0;
            r.r3 = f.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * close() vs register(): register either fails with IllegalStateException or returns a key
     * that close() cancelled; either way the key holds no reference afterwards.
     */

    @JCStressTest
    @Description("close() vs register(): IllegalStateException, or a key that ends cancelled; no reference kept.")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "register saw the poller closed (ISE); only the file's reference.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE_INTERESTING, desc = "register linked its key first; close cancelled it.")
    @Outcome(expect = FORBIDDEN, desc = "A key still valid after close, or a reference kept.")
    @State
    public static class CloseVsRegister {
        final Fence f = fresh();
        final SyncFile file = soleFile(f);
        final SyncPoller poller = SyncPoller.open();
        volatile SyncPoller.Key key;
        volatile int registered;

        @Actor
        public void closer() {
            poller.close();
        }

        @Actor
        public void registrar() {
            try {
                key = poller.register(file, null);
                registered = TRUE;
            } catch (IllegalStateException e) {
                registered = ISE;
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            SyncPoller.Key k = key;
            r.r1 = k != null && k.isValid() ? BROKEN : registered;
            r.r2 = f.refCnt();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * close() vs cancel() of one of two keys: close snapshots the live list under its lock and
     * cancels outside it, while cancel unlinks under the same lock; each key must end cancelled
     * with its reference released exactly once, whichever comes first.
     */

    @JCStressTest
    @Description("close() vs cancel() of one of two keys: both end cancelled, each reference released once.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "Both keys cancelled; only the files' references left.")
    @Outcome(expect = FORBIDDEN, desc = "A key still valid, or a reference kept or released twice.")
    @State
    public static class CloseVsCancel {
        final Fence f1 = fresh();
        final Fence f2 = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key k1 = poller.register(soleFile(f1), null);
        final SyncPoller.Key k2 = poller.register(soleFile(f2), null);

        @Actor
        public void closer() {
            poller.close();
        }

        @Actor
        public void canceller() {
            k1.cancel();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = (k1.isValid() ? 1 : 0) + (k2.isValid() ? 1 : 0);
            r.r2 = f1.refCnt();
            r.r3 = f2.refCnt();
        }
    }

    /**
     * The state of the cancel-vs-cancel tests: one key, cancelled by both actors, and the
     * arbiter's check that one cancel went on.
     */
    abstract static class OneKeyTwoCancels {
        final Fence f = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key key = poller.register(soleFile(f), null);
        volatile boolean threw;

        void cancel() {
            try {
                key.cancel();
            } catch (RuntimeException e) {
                threw = true;                 // e.g. a release of a fence already at zero
            }
        }

        /** The fence's count (BROKEN if a cancel threw), whether valid, whether no key is live. */
        void check(III_Result r) {
            r.r1 = threw ? BROKEN : f.refCnt();
            r.r2 = key.isValid() ? 1 : 0;
            r.r3 = "SyncPoller[0 keys]".equals(poller.toString()) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * cancel() vs cancel() of the same key: the LIVE -> CANCELLED CAS lets exactly one of them
     * go on, so the node is removed, the key unlinked and its reference released once.
     * CloseVsCancel checks the same claim, but close() reaches the key only after locking,
     * snapshotting and unlocking, so the two cancels rarely meet; here both actors start with
     * the CAS.
     */

    @JCStressTest
    @Description("cancel() vs cancel() of one key: its reference released once, the key unlinked once.")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "Only the file's reference left; the key cancelled; the poller has no live key.")
    @Outcome(expect = FORBIDDEN, desc = "The key's reference released twice (or kept), a cancel threw, the key still valid, or the live-key list not empty.")
    @State
    public static class CancelVsCancel extends OneKeyTwoCancels {

        @Actor
        public void first() {
            cancel();
        }

        @Actor
        public void second() {
            cancel();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * CancelVsCancel with the two cancels timed to start together. A cancel() whose CAS is a
     * read then a write lets both through only if the second reads the state before the
     * first's write is visible: a window of a few nanoseconds inside one call, with no earlier
     * step of cancel() that the partner could watch for (the CAS is its first). So the meeting
     * is placed in time. The leader writes the time it starts (nanoTime) and waits before its
     * cancel; the follower polls for that time and cancels the moment it sees it, a cross-CPU
     * hand-over later (100 to 550 ns on the reference box, depending on its load), and records
     * how late it was. The leader waits the followers' recent lateness (a running average over
     * the samples, LAG_NANOS), give or take LAG_SPREAD_NANOS at random, so its cancel starts
     * about when the follower's does. With a fixed random wait (0-1000 ns, as
     * PacedCancelVsSelect) the two met less often; see docs/stress.md, "Mutation audit:
     * session 32". The real code's checks are CancelVsCancel's.
     */

    @JCStressTest
    @Description("cancel() vs cancel() of one key, the leader's started when the follower's should start: its reference released once, the key unlinked once.")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "Only the file's reference left; the key cancelled; the poller has no live key.")
    @Outcome(expect = FORBIDDEN, desc = "The key's reference released twice (first 0) or kept, a cancel threw (first 9), the key still valid, or the live-key list not empty.")
    @State
    public static class TimedCancelVsCancel extends OneKeyTwoCancels {
        /**
         * How long after the leader's start the follower's cancel starts: a running average
         * (weight 1/8) of what the followers measured, shared by the samples of a fork.
         */
        static volatile long lagNanos = 300;
        /** Half the range of the leader's random offset around {@link #lagNanos}. */
        static final int LAG_SPREAD_NANOS = 100;
        /** Lateness above this (the follower started late, or lost its CPU) is not averaged. */
        static final long MAX_LAG_NANOS = 5000;
        volatile long startedAt;

        @Actor
        public void leader() {
            long t = System.nanoTime();
            startedAt = t;
            long until = t + lagNanos - LAG_SPREAD_NANOS
                    + ThreadLocalRandom.current().nextInt(2 * LAG_SPREAD_NANOS);
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
            cancel();
        }

        @Actor
        public void follower() {
            long t;
            while ((t = startedAt) == 0L && key.isValid()) {
                Thread.onSpinWait();
            }
            long seen = System.nanoTime();
            cancel();
            long lag = seen - t;
            if (t != 0L && lag > 0L && lag < MAX_LAG_NANOS) {
                lagNanos = (lagNanos * 7 + lag) / 8; // racy across samples: an estimate only
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * cancel() vs cancel() of two neighbours in the live list (the newest two of three keys):
     * both unlink under the poller's lock, so the list keeps exactly the third key, which a
     * later close() finds and cancels.
     */

    @JCStressTest
    @Description("Two neighbours cancelled at once: the live list keeps exactly the third key, which close() cancels.")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "One key left live; close cancelled it and released its reference.")
    @Outcome(expect = FORBIDDEN, desc = "The live list lost or kept a key, or a reference was kept.")
    @State
    public static class NeighbourCancels {
        final Fence f3 = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key k3 = poller.register(soleFile(f3), null);
        final SyncPoller.Key k2 = poller.register(soleFile(fresh()), null);
        final SyncPoller.Key k1 = poller.register(soleFile(fresh()), null);

        @Actor
        public void first() {
            k1.cancel();
        }

        @Actor
        public void second() {
            k2.cancel();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = "SyncPoller[1 keys]".equals(poller.toString()) && k3.isValid() ? 1 : 0;
            poller.close();
            r.r2 = k3.isValid() ? 1 : 0;
            r.r3 = f3.refCnt();
        }
    }

    /**
     * The state of the cancel-vs-select tests: a signalled fence's key, already listed by one
     * selectNow(), so the racing select's compaction (or not) decides whether it still counts.
     */
    abstract static class ListedKey {
        final Fence f = fresh();
        final SyncPoller poller = SyncPoller.open();
        final SyncPoller.Key key;

        {
            f.signal();
            key = poller.register(soleFile(f), null);
            poller.selectNow(); // listed
        }
    }

    /* ------------------------------------------------------------------------------------------
     * cancel() vs selectNow() on a listed key: the selector may still count it, but the next
     * select must drop it (cancel marks the key before it bumps the counter select compares).
     */

    @JCStressTest
    @Description("cancel() vs selectNow() of a listed key: the racing select may count it; the next one must not.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The racing select ran first (or missed the counter); the next dropped the key.")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The racing select already dropped the key.")
    @Outcome(expect = FORBIDDEN, desc = "The cancelled key survived a select that started after cancel() returned.")
    @State
    public static class CancelVsSelect extends ListedKey {

        @Actor
        public void canceller() {
            key.cancel();
        }

        @Actor
        public void selector(II_Result r) {
            r.r1 = poller.selectNow();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = poller.selectNow();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * CancelVsSelect with the race paced, the canceller leading: the window is between
     * cancel()'s two steps (mark the key, then raise `cancels`), and a selector that reads the
     * raised counter must find the key marked when it compacts. The canceller raises a flag,
     * waits a random 0-1000 ns (Probes.LEAD_SPREAD_NANOS) and cancels; the selector starts its
     * selectNow() as soon as it sees the flag, so the canceller's two steps land across the
     * selector's read of `cancels` and its compaction in a steady share of the samples.
     */

    @JCStressTest
    @Description("cancel() started a random 0-1000 ns after a flag that sets off selectNow(): the next select drops the key.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The racing select ran first (or missed the counter); the next dropped the key.")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The racing select already dropped the key.")
    @Outcome(expect = FORBIDDEN, desc = "The cancelled key survived a select that started after cancel() returned.")
    @State
    public static class PacedCancelVsSelect extends ListedKey {
        volatile boolean go;

        @Actor
        public void canceller() {
            go = true;
            Probes.spinRandomly(Probes.LEAD_SPREAD_NANOS);
            key.cancel();
        }

        @Actor
        public void selector(II_Result r) {
            while (!go) {
                Thread.onSpinWait();
            }
            r.r1 = poller.selectNow();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = poller.selectNow();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * CancelVsSelect with a selector that polls: it calls selectNow() until it sees the key
     * invalid, so whenever cancel()'s two steps (mark the key, then raise `cancels`) happen, a
     * select is running, reading `cancels` and, when it moved, the key's state. A select that
     * reads the raised counter must find the key marked, or it records the counter as seen and
     * keeps the key, and the arbiter's select (nothing new to compact) still lists it. No
     * hand-over between the actors: one cancel, one window, per sample. The polling also keeps
     * the key's state in the selector's cache, so the canceller's mark is a cross-CPU write.
     */

    @JCStressTest
    @Description("cancel() of a listed key vs selectNow() called until the key is seen invalid: the next select drops the key.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The selector's last select still counted the key; the next dropped it.")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The selector's last select already dropped the key.")
    @Outcome(expect = FORBIDDEN, desc = "The cancelled key survived a select that started after cancel() returned.")
    @State
    public static class CancelVsPollingSelect extends ListedKey {

        @Actor
        public void canceller() {
            key.cancel();
        }

        @Actor
        public void selector(II_Result r) {
            int n;
            do {
                n = poller.selectNow();
            } while (key.isValid()); // ends: the canceller's cancel() always runs
            r.r1 = n;
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = poller.selectNow();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * register() vs signal() then a select that cancels what it finds: the signal can push the key
     * (its node is queued first) and the select hand it out and cancel it before register()
     * links it into the live list. The cancel's unlink then finds nothing, so register() must
     * leave the cancelled key out, or the poller keeps a dead key (with its file and attachment)
     * until it is closed. Found by review helper W (SyncPollerRegisterCancelTest pins the same
     * interleaving through a driver's poll hook).
     */

    @JCStressTest
    @Description("register() vs signal-then-select-and-cancel: a cancelled key is never left in the live list.")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "The select did not see the key: valid, listed live, its reference held.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "The select found the key and cancelled it: gone from the live list, reference dropped.")
    @Outcome(expect = FORBIDDEN, desc = "A cancelled key left live (the leak), a live key missing, or a wrong reference count.")
    @State
    public static class RegisterVsSelectAndCancel {
        final Fence f = fresh();
        final SyncFile file = soleFile(f);
        final SyncPoller poller = SyncPoller.open();
        volatile SyncPoller.Key key;

        @Actor
        public void registrar() {
            key = poller.register(file, null);
        }

        @Actor
        public void signallerThenCanceller() {
            f.signal(); // two actors only (the CI machine has 2 CPUs): signal, then select
            if (poller.selectNow() > 0) {
                for (SyncPoller.Key k : poller.readyKeys()) {
                    k.cancel();
                }
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            SyncPoller.Key k = key;
            r.r1 = k.isValid() ? 1 : 0;
            String s = poller.toString(); // "SyncPoller[n keys]": the live list's length
            r.r2 = s.equals("SyncPoller[1 keys]") ? 1 : s.equals("SyncPoller[0 keys]") ? 0 : BROKEN;
            r.r3 = f.refCnt();
        }
    }
}
