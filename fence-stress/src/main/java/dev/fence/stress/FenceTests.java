package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.ERR;
import static dev.fence.stress.Probes.FALSE;
import static dev.fence.stress.Probes.ISE;
import static dev.fence.stress.Probes.TRUE;
import static dev.fence.stress.Probes.TS;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.CallbackDeferral;
import dev.fence.core.Fence;
import dev.fence.core.FenceReleasedException;
import dev.fence.stress.Probes.Counter;
import dev.fence.stress.Probes.DriverFence;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.IZI_Result;
import org.openjdk.jcstress.infra.results.I_Result;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.ZII_Result;
import org.openjdk.jcstress.infra.results.ZI_Result;
import org.openjdk.jcstress.infra.results.ZZI_Result;
import org.openjdk.jcstress.infra.results.ZZZ_Result;

/**
 * The lock-free claims of {@link Fence} itself: one winner per signal, callbacks exactly once,
 * removal versus signalling, reusable callback nodes, publication of error and timestamp,
 * reference counting, the enable-signalling hook and the driver poll. Waiting is in
 * {@link FenceWaitTests}.
 *
 * <p>Every test has two actors (the CI machine has two CPUs) and a catch-all FORBIDDEN outcome.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t FenceTests[.SubTestName]}
 */
public final class FenceTests {

    private FenceTests() {
    }

    /* ------------------------------------------------------------------------------------------
     * Two threads call signal() on one pending fence. Exactly one of them wins; the fence is
     * signalled afterwards either way.
     */

    @JCStressTest
    @Description("signal() vs signal(): exactly one returns true.")
    @Outcome(id = {"true, false, true", "false, true, true"}, expect = ACCEPTABLE,
            desc = "One signaller won, the other saw the fence already signalled.")
    @Outcome(expect = FORBIDDEN, desc = "Both or neither won, or the fence is not signalled after both returned.")
    @State
    public static class SignalVsSignal {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller1(ZZZ_Result r) {
            r.r1 = f.signal();
        }

        @Actor
        public void signaller2(ZZZ_Result r) {
            r.r2 = f.signal();
        }

        @Arbiter
        public void arbiter(ZZZ_Result r) {
            r.r3 = f.isSignaled();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The winner's error is the fence's error, and the loser returns only once that error (and
     * the winner's timestamp) is visible: the loser reads them straight after its false return.
     */

    @JCStressTest
    @Description("signal(ERR) vs signal(TS): the winner's payload is the one published; the loser sees it on return.")
    @Outcome(id = "true, false, 1", expect = ACCEPTABLE,
            desc = "The error signaller won; the loser, on returning false, saw ERR and no TS.")
    @Outcome(id = "false, true, 1", expect = ACCEPTABLE,
            desc = "The timestamp signaller won; the loser, on returning false, saw TS and no error.")
    @Outcome(expect = FORBIDDEN, desc = "Two winners, or a loser that saw the other's payload half-published or mixed.")
    @State
    public static class LoserSeesWinnersPayload {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void errorSignaller(ZZI_Result r) {
            r.r1 = f.signal(ERR);
            if (!r.r1) {
                // the other one won with TS and no error
                r.r3 = f.error() == null && f.timestamp() == TS ? 1 : BROKEN;
            }
        }

        @Actor
        public void timestampSignaller(ZZI_Result r) {
            r.r2 = f.signal(TS);
            if (!r.r2) {
                // The winner's timestamp is its System.nanoTime(), never TS and (in practice)
                // never 0: 0 is the field before the winner wrote it, i.e. read unpublished.
                long ts = f.timestamp();
                r.r3 = f.error() == ERR && ts != TS && ts != 0L ? 1 : BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * addCallback races signal. If addCallback returned true the signaller must run the
     * callback exactly once; if it returned false it must never run (the kernel's -ENOENT).
     * The callback checks, while it runs, that the error and timestamp are already visible.
     */

    @JCStressTest
    @Description("signal(TS) vs addCallback: the callback runs exactly once iff it was queued, and sees TS.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE,
            desc = "Queued before the signal; the signaller ran it once and it saw TS published.")
    @Outcome(id = "0, 0, -1", expect = ACCEPTABLE,
            desc = "The fence had signalled: addCallback returned false and the callback never ran.")
    @Outcome(expect = FORBIDDEN, desc = "Lost, doubled or unrequested run, or the callback saw an unpublished timestamp.")
    @State
    public static class SignalVsAddCallback {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter(null, TS);

        @Actor
        public void signaller() {
            f.signal(TS);
        }

        @Actor
        public void adder(III_Result r) {
            r.r1 = Probes.add(f, cb);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = cb.runs();
            r.r3 = cb.sawPublished;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * removeCallback races signal on a queued callback: it is either removed (and never runs) or
     * it runs once (and removal reports false). Either way the node is free afterwards.
     */

    @JCStressTest
    @Description("signal() vs removeCallback on a queued node: removed xor ran, node free afterwards.")
    @Outcome(id = "true, false, 0",  expect = ACCEPTABLE, desc = "Removed before the signal reached it; it never ran; node free.")
    @Outcome(id = "false, false, 1", expect = ACCEPTABLE, desc = "The signal detached it first; it ran once; removal said false; node free.")
    @Outcome(expect = FORBIDDEN, desc = "Removed and ran, neither, twice, or the node is still marked queued.")
    @State
    public static class SignalVsRemoveCallback {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();

        {
            f.addCallback(cb);
        }

        @Actor
        public void signaller() {
            f.signal();
        }

        @Actor
        public void remover(ZZI_Result r) {
            r.r1 = f.removeCallback(cb);
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            r.r2 = cb.isQueued();
            r.r3 = cb.runs();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Callbacks run in the order they were added (FIFO, like the kernel's cb_list), even when the
     * adds race the signal: a callback that got in runs after every earlier one.
     */

    @JCStressTest
    @Description("Two callbacks added in program order vs signal(): they run in that order.")
    @Outcome(id = "1, 1, 12", expect = ACCEPTABLE, desc = "Both queued; ran first then second.")
    @Outcome(id = "1, 0, 1",  expect = ACCEPTABLE, desc = "Only the first got in; it ran.")
    @Outcome(id = "0, 0, 0",  expect = ACCEPTABLE, desc = "The fence had signalled before either add.")
    @Outcome(expect = FORBIDDEN, desc = "Out-of-order, doubled or unrequested runs.")
    @State
    public static class CallbackOrder {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final StringBuffer order = new StringBuffer(); // appended by the signaller only
        final Counter first = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                order.append('1');
            }
        };
        final Counter second = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                order.append('2');
            }
        };

        @Actor
        public void adder(III_Result r) {
            r.r1 = Probes.add(f, first);
            r.r2 = Probes.add(f, second);
        }

        @Actor
        public void signaller() {
            f.signal();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = order.length() == 0 ? 0 : Integer.parseInt(order.toString());
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Cascade: a callback of A signals B, so B's callbacks are deferred by the trampoline until
     * A's callback returns. A callback added to B concurrently still runs exactly once iff it
     * was queued, and by the time a.signal() returns, B's queued callbacks have run: a.signal()
     * runs at callback depth 0, so it drains its thread's deferred queue (B's callbacks among
     * them) before returning. The signaller records the count right after a.signal() returns;
     * the arbiter records it again after both actors, so a late (or second) run shows as well.
     */

    @JCStressTest
    @Description("a.signal() whose callback signals b vs b.addCallback: deferred callbacks run once iff queued, before a.signal() returns.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE,
            desc = "Queued on b before the cascade reached it; it had run (deferred) when a.signal() returned, and only once.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "b had signalled: not queued, never run.")
    @Outcome(id = "1, 0, 1", expect = FORBIDDEN,
            desc = "Queued, but still not run when a.signal() returned: the deferred callbacks ran late (or in another thread).")
    @Outcome(expect = FORBIDDEN, desc = "A deferred callback was lost, doubled, or ran without being queued; or a.signal() did not win.")
    @State
    public static class CascadeVsAddCallback {
        final Fence a = Fence.create(Fence.allocateContexts(1), 1);
        final Fence b = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();
        final Counter cascade = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                b.signal();
            }
        };

        {
            a.addCallback(cascade);
        }

        @Actor
        public void signaller(III_Result r) {
            // the count as a.signal() returns: the claim under test
            r.r2 = a.signal() ? cb.runs() : BROKEN;
        }

        @Actor
        public void adder(III_Result r) {
            r.r1 = Probes.add(b, cb);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = cb.runs();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A reusable node: add, remove, add again, on a fence that is being signalled meanwhile.
     * Each add that returned true is matched by exactly one of: a remove that returned true, or
     * one run. Re-adding a node that the signal is about to run never throws on a signalled
     * fence (addCallback checks the state first and reports false).
     */

    @JCStressTest
    @Description("add / remove / re-add one node vs signal(): every successful add is removed or run exactly once.")
    @Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "All three before the signal; the re-added node ran once.")
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "Signal between remove and re-add: nothing runs.")
    @Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "Signal between add and remove: it ran once, remove and re-add said false.")
    @Outcome(id = "0, 0, 0, 0", expect = ACCEPTABLE, desc = "Signal before the first add: nothing queued, nothing runs.")
    @Outcome(expect = FORBIDDEN, desc = "A run without a matching add, a double run, or an ISE for a node that was not queued.")
    @State
    public static class AddRemoveReAdd {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();

        @Actor
        public void adder(IIII_Result r) {
            r.r1 = Probes.add(f, cb);
            boolean removed;
            try {
                removed = f.removeCallback(cb);
            } catch (RuntimeException e) {
                r.r2 = BROKEN;
                return;
            }
            r.r2 = removed ? TRUE : FALSE;
            r.r3 = Probes.add(f, cb);
        }

        @Actor
        public void signaller() {
            f.signal();
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r4 = cb.runs();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A node queued on fence A is added to fence B while A signals. While the node is queued on
     * A, adding it to B is an IllegalStateException; once A has detached it (right before
     * running it) it may be added to B, and then runs once for each fence.
     */

    @JCStressTest
    @Description("Node queued on A, added to B while A signals: ISE while queued; once freed, one run per add.")
    @Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "Still queued on A: ISE; A ran it once, B never had it.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "A had freed it: queued on B; ran once for A and once for B.")
    @Outcome(expect = FORBIDDEN, desc = "Silently accepted while queued, lost, doubled, or ran for the wrong fence.")
    @State
    public static class AddToAnotherFenceWhileQueued {
        final Fence a = Fence.create(Fence.allocateContexts(1), 1);
        final Fence b = Fence.create(Fence.allocateContexts(1), 1);
        final AtomicInteger runsA = new AtomicInteger();
        final AtomicInteger runsB = new AtomicInteger();
        final Counter cb = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                (fence == a ? runsA : fence == b ? runsB : runs).incrementAndGet();
            }
        };

        {
            a.addCallback(cb);
        }

        @Actor
        public void signaller() {
            a.signal();
        }

        @Actor
        public void mover(III_Result r) {
            r.r1 = Probes.add(b, cb);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            b.signal();
            r.r2 = runsA.get();
            r.r3 = cb.runs() != 0 ? BROKEN : runsB.get();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two threads add the same free node to two different fences: the node's claim is a CAS, so
     * exactly one add succeeds and the other throws IllegalStateException.
     */

    @JCStressTest
    @Description("One free node added to A and to B at once: exactly one add succeeds, the other is ISE.")
    @Outcome(id = {"1, 2, 1", "2, 1, 1"}, expect = ACCEPTABLE,
            desc = "One add won the node; the other was rejected; it ran once in all.")
    @Outcome(expect = FORBIDDEN, desc = "Both adds won (node linked into two lists), neither, or a wrong run count.")
    @State
    public static class TwoFencesClaimOneNode {
        final Fence a = Fence.create(Fence.allocateContexts(1), 1);
        final Fence b = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();

        @Actor
        public void adderA(III_Result r) {
            r.r1 = Probes.add(a, cb);
        }

        @Actor
        public void adderB(III_Result r) {
            r.r2 = Probes.add(b, cb);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            a.signal();
            b.signal();
            r.r3 = cb.runs();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two threads remove the same queued node: one removal wins.
     */

    @JCStressTest
    @Description("removeCallback vs removeCallback on one queued node: exactly one true.")
    @Outcome(id = {"true, false, 0", "false, true, 0"}, expect = ACCEPTABLE, desc = "One removal won; the node never ran.")
    @Outcome(expect = FORBIDDEN, desc = "Both or neither removed it, or it ran after removal.")
    @State
    public static class RemoveVsRemove {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();

        {
            f.addCallback(cb);
        }

        @Actor
        public void remover1(ZZI_Result r) {
            r.r1 = f.removeCallback(cb);
        }

        @Actor
        public void remover2(ZZI_Result r) {
            r.r2 = f.removeCallback(cb);
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            f.signal();
            r.r3 = cb.runs();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Publication: an observer that sees the fence signalled must see the error and timestamp
     * the signaller wrote before signalling (BasicJMM_06_Causality). The observer takes the
     * fast path: isSignaled() is one acquire load when the fence is signalled.
     */

    @JCStressTest
    @Description("signal(ERR) vs observer isSignaled() then error(): a signalled fence shows its error.")
    @Outcome(id = "false, 0", expect = ACCEPTABLE, desc = "Observed before the signal: pending, no error recorded.")
    @Outcome(id = "true, 1",  expect = ACCEPTABLE, desc = "Observed after the signal: signalled, carrying ERR.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled but the error is not (yet) visible: publication is broken.")
    @State
    public static class ErrorPublishedBeforeSignaled {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller() {
            f.signal(ERR);
        }

        @Actor
        public void observer(ZI_Result r) {
            r.r1 = f.isSignaled();
            r.r2 = r.r1 ? Probes.errorCode(f, ERR) : 0;
        }
    }

    @JCStressTest
    @Description("signal(TS) vs observer isSignaled() then timestamp(): a signalled fence shows its timestamp.")
    @Outcome(id = "false, 0", expect = ACCEPTABLE, desc = "Observed before the signal.")
    @Outcome(id = "true, 1",  expect = ACCEPTABLE, desc = "Observed after the signal: timestamp is TS.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled but timestamp() is not TS (unpublished) or threw.")
    @State
    public static class TimestampPublishedBeforeSignaled {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void signaller() {
            f.signal(TS);
        }

        @Actor
        public void observer(ZI_Result r) {
            r.r1 = f.isSignaled();
            if (r.r1) {
                try {
                    r.r2 = f.timestamp() == TS ? 1 : BROKEN;
                } catch (IllegalStateException e) {
                    r.r2 = ISE;
                }
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * signal() reads the clock after it has published SIGNALED (the kernel's order), holding
     * SIGNALING until the timestamp is written. An observer that sees the fence signalled and
     * asks for its timestamp must wait for that write: it reads the very value the fence keeps,
     * never the unset field. The observer keeps what it read; the arbiter compares it with the
     * fence's final timestamp.
     */

    @JCStressTest
    @Description("signal() vs observer isSignaled() then timestamp(): the observer reads the final timestamp, never the unset field.")
    @Outcome(id = "false, 0", expect = ACCEPTABLE, desc = "Observed before the signal.")
    @Outcome(id = "true, 1", expect = ACCEPTABLE,
            desc = "Observed signalled; timestamp() returned the fence's final timestamp.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled, but timestamp() returned another value (the field before the signaller wrote it) or threw.")
    @State
    public static class ClockReadAfterSignaledIsAwaited {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        boolean seen;
        long read;
        boolean threw;

        @Actor
        public void signaller() {
            f.signal();
        }

        @Actor
        public void observer() {
            seen = f.isSignaled();
            if (seen) {
                try {
                    read = f.timestamp();
                } catch (IllegalStateException e) {
                    threw = true;
                }
            }
        }

        @Arbiter
        public void arbiter(ZI_Result r) {
            r.r1 = seen;
            if (seen) {
                long fin = f.timestamp();
                r.r2 = !threw && read == fin && fin != 0L ? 1 : BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * While signal() reads the clock the fence is already signalled, but the winner still owns
     * the state word (SIGNALING) and ends the window with a plain release store of the state it
     * published. A release() from another thread must wait for that store; had it changed the
     * count meanwhile, the store would put the old count back and the last release would never
     * come (deallocate() not run). From refcount 2, no callbacks: the other actor releases once,
     * the arbiter releases the last reference.
     */

    @JCStressTest
    @Description("signal() (clock read after SIGNALED) vs release() from refcount 2: the count is not lost; deallocate() once, at the arbiter's release.")
    @Outcome(id = "true, 1, 1", expect = ACCEPTABLE,
            desc = "The release landed before or after the stamping window; the last release deallocated once; the timestamp is set.")
    @Outcome(expect = FORBIDDEN, desc = "The concurrent release was overwritten (no deallocate, or the arbiter's release not the last), the releaser's release was the last, deallocate ran twice or early, or the timestamp is unset.")
    @State
    public static class ReleaseDuringClockRead {
        final DriverFence f = new DriverFence();
        boolean releaserWasLast;

        {
            f.retain();
        }

        @Actor
        public void signaller(ZII_Result r) {
            r.r1 = f.signal();
        }

        @Actor
        public void releaser() {
            releaserWasLast = f.release();
        }

        @Arbiter
        public void arbiter(ZII_Result r) {
            arbiterReleasesLast(f, releaserWasLast, r);
        }
    }

    /**
     * The arbiter of the signal-vs-release tests, after the releaser's release from refcount 2:
     * r2 is the deallocate count if nothing was deallocated before, the releaser's release was
     * not the last and the arbiter's is (else BROKEN); r3 is 1 if the fence is stamped with no
     * error (else BROKEN).
     */
    static void arbiterReleasesLast(DriverFence f, boolean releaserWasLast, ZII_Result r) {
        int early = f.deallocateCalls.get();
        boolean arbiterWasLast = f.release();
        boolean ok = early == 0 && !releaserWasLast && arbiterWasLast;
        r.r2 = ok ? f.deallocateCalls.get() : BROKEN;
        r.r3 = f.error() == null && f.timestamp() != 0L ? 1 : BROKEN;
    }

    /* ------------------------------------------------------------------------------------------
     * The same window for tryRetain(): a reference taken while signal() reads the clock must
     * wait for the signaller's second store, or that store puts the old count back and the
     * reference is lost (a later release is the last one too early: deallocate() while the
     * holder still uses the fence). release() and tryRetain() have separate CAS loops, so
     * ReleaseDuringClockRead does not cover this one. From refcount 1, no callbacks: the other
     * actor takes a reference; the arbiter releases twice, and only its second release may be
     * the last.
     */

    @JCStressTest
    @Description("signal() (clock read after SIGNALED) vs tryRetain() from refcount 1: the"
            + " reference is not lost; only the second of the arbiter's two releases is the last.")
    @Outcome(id = "true, true, 1", expect = ACCEPTABLE,
            desc = "The retain landed before or after the stamping window; the arbiter's first"
                    + " release left one reference, its second deallocated once; timestamp set.")
    @Outcome(expect = FORBIDDEN, desc = "The retain was overwritten (the arbiter's first release"
            + " was the last), deallocate() ran early or twice, tryRetain() failed, or the"
            + " timestamp is unset.")
    @State
    public static class RetainDuringClockRead {
        final DriverFence f = new DriverFence();

        @Actor
        public void signaller(ZZI_Result r) {
            r.r1 = f.signal();
        }

        @Actor
        public void retainer(ZZI_Result r) {
            r.r2 = f.tryRetain();
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            r.r3 = secondOfTwoReleasesIsLast(f);
        }
    }

    /**
     * Returns as soon as {@code f} reads signalled, which it first does on the signaller's first
     * store (SIGNALED with SIGNALING still set), while the signaller reads the clock: the
     * ...OnSeeingSignaled tests start their refcount operation there. Ends: their signaller's
     * signal() always runs. No onSpinWait(): its pause would cost a share of that window.
     */
    static void spinUntilSignaled(Fence f) {
        while (!f.isSignaled()) {
            // spin
        }
    }

    /**
     * From refcount 2 after a signal: 1 if of two releases only the second is the last and
     * deallocates once, and the timestamp is set; else BROKEN.
     */
    static int secondOfTwoReleasesIsLast(DriverFence f) {
        boolean lastTooEarly = f.release();
        boolean ok = !lastTooEarly && f.deallocateCalls.get() == 0 && f.release()
                && f.deallocateCalls.get() == 1;
        return ok && f.timestamp() != 0L ? 1 : BROKEN;
    }

    /* ------------------------------------------------------------------------------------------
     * RetainDuringClockRead with the retain placed in the window: the retainer polls
     * isSignaled() and calls tryRetain() as soon as it returns true, which it first does on
     * the signaller's first store (SIGNALED with SIGNALING still set), while the signaller reads
     * the clock. Left to chance, as in RetainDuringClockRead, the retain rarely meets that
     * window of a clock read; here every sample's retain starts at its opening. The real code
     * waits for the second store, so the checks are RetainDuringClockRead's.
     */

    @JCStressTest
    @Description("signal() vs tryRetain() called the moment isSignaled() is seen true: the"
            + " reference is not lost; only the second of the arbiter's two releases is the last.")
    @Outcome(id = "true, true, 1", expect = ACCEPTABLE,
            desc = "The retain waited for the stamping window to end; the arbiter's first"
                    + " release left one reference, its second deallocated once; timestamp set.")
    @Outcome(expect = FORBIDDEN, desc = "The retain was overwritten (the arbiter's first release"
            + " was the last), deallocate() ran early or twice, tryRetain() failed, or the"
            + " timestamp is unset.")
    @State
    public static class RetainOnSeeingSignaled {
        final DriverFence f = new DriverFence();

        @Actor
        public void signaller(ZZI_Result r) {
            r.r1 = f.signal();
        }

        @Actor
        public void retainer(ZZI_Result r) {
            spinUntilSignaled(f);
            r.r2 = f.tryRetain();
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            r.r3 = secondOfTwoReleasesIsLast(f);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * ReleaseDuringClockRead with the release placed in the window, as RetainOnSeeingSignaled
     * places its retain: the releaser polls isSignaled() and calls release() as soon as it
     * returns true, on the signaller's first store (SIGNALED with SIGNALING still set), while the
     * signaller reads the clock. A release that did not wait for the second store would be put
     * back by it, and the arbiter's release would not be the last (deallocate() never runs).
     * From refcount 2, no callbacks. Besides ReleaseDuringClockRead's checks, the releaser's
     * release must not be the last one and the arbiter's must be.
     */

    @JCStressTest
    @Description("signal() vs release() called the moment isSignaled() is seen true, from refcount 2: the count is not lost; the arbiter's release is the last and deallocates once.")
    @Outcome(id = "true, 1, 1", expect = ACCEPTABLE,
            desc = "The release waited for the stamping window to end; the arbiter's release was the last and deallocated once; the timestamp is set.")
    @Outcome(expect = FORBIDDEN, desc = "The concurrent release was overwritten (the arbiter's release was not the last, no deallocate), the releaser's release was the last, deallocate ran early or twice, or the timestamp is unset.")
    @State
    public static class ReleaseOnSeeingSignaled {
        final DriverFence f = new DriverFence();
        boolean releaserWasLast;

        {
            f.retain();
        }

        @Actor
        public void signaller(ZII_Result r) {
            r.r1 = f.signal();
        }

        @Actor
        public void releaser() {
            spinUntilSignaled(f);
            releaserWasLast = f.release();
        }

        @Arbiter
        public void arbiter(ZII_Result r) {
            arbiterReleasesLast(f, releaserWasLast, r);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * setError() races signal(): either it lands before the signal (the fence carries it) or it
     * throws IllegalStateException (the fence signalled without it). Never both, never neither.
     */

    @JCStressTest
    @Description("setError(ERR) vs signal(): the error is carried iff setError did not throw.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "setError came first: the fence signalled with ERR.")
    @Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "The signal came first: setError threw ISE; no error.")
    @Outcome(expect = FORBIDDEN, desc = "setError succeeded but the error was lost, or threw yet the error is set.")
    @State
    public static class SetErrorVsSignal {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);

        @Actor
        public void errorSetter(II_Result r) {
            try {
                f.setError(ERR);
                r.r1 = 1;
            } catch (IllegalStateException e) {
                r.r1 = ISE;
            }
        }

        @Actor
        public void signaller() {
            f.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = Probes.errorCode(f, ERR);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Reference counting: two releases race the count from 2 to 0. Exactly one reports the last
     * release and deallocate() runs exactly once.
     */

    @JCStressTest
    @Description("release() vs release() from refcount 2: exactly one last release, one deallocate.")
    @Outcome(id = {"true, false, 1", "false, true, 1"}, expect = ACCEPTABLE,
            desc = "One release dropped the last reference; deallocate ran once.")
    @Outcome(expect = FORBIDDEN, desc = "Both or neither were last, or deallocate ran zero or two times.")
    @State
    public static class ReleaseVsRelease {
        final DriverFence f = new DriverFence();

        {
            f.retain();
        }

        @Actor
        public void releaser1(ZZI_Result r) {
            r.r1 = f.release();
        }

        @Actor
        public void releaser2(ZZI_Result r) {
            r.r2 = f.release();
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            r.r3 = f.refCnt() == 0 ? f.deallocateCalls.get() : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * allocateContexts(1) vs allocateContexts(2): the global counter is bumped by getAndAdd, so
     * the two ranges are disjoint and adjacent ({@code [a, a+1)} and {@code [b, b+2)} with no
     * id in both), whichever runs first. Other tests in the same VM allocate too, so only the
     * two ranges' relation is judged, not their absolute position.
     */

    @JCStressTest
    @Description("allocateContexts(1) vs allocateContexts(2): two disjoint ranges, never one id handed out twice.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "The ranges are disjoint (context ids never reused).")
    @Outcome(expect = FORBIDDEN, desc = "The ranges overlap: one context id handed out twice.")
    @State
    public static class AllocateContextsVsAllocateContexts {
        long one;
        long two;

        @Actor
        public void allocator1() {
            one = Fence.allocateContexts(1);
        }

        @Actor
        public void allocator2() {
            two = Fence.allocateContexts(2);
        }

        @Arbiter
        public void arbiter(I_Result r) {
            boolean disjoint = one < two ? one + 1 <= two : two + 2 <= one;
            r.r1 = disjoint && one > 0 && two > 0 ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * retain() races the last release(): either the retain got in first (the release is not the
     * last, the count ends at 1) or the count had reached zero (retain throws ISE).
     */

    @JCStressTest
    @Description("retain() vs the last release(): retain wins (count 1) or fails with ISE (deallocated once).")
    @Outcome(id = "1, false, 0", expect = ACCEPTABLE, desc = "retain first: release was not the last; count is 1.")
    @Outcome(id = "2, true, 1",  expect = ACCEPTABLE, desc = "release first: retain after zero threw ISE; deallocated once.")
    @Outcome(expect = FORBIDDEN, desc = "Resurrected after zero, double deallocate, or a wrong count.")
    @State
    public static class RetainVsLastRelease {
        final DriverFence f = new DriverFence();

        @Actor
        public void retainer(IZI_Result r) {
            try {
                f.retain();
                r.r1 = 1;
            } catch (IllegalStateException e) {
                r.r1 = ISE;
            }
        }

        @Actor
        public void releaser(IZI_Result r) {
            r.r2 = f.release();
        }

        @Arbiter
        public void arbiter(IZI_Result r) {
            int d = f.deallocateCalls.get();
            r.r3 = f.refCnt() == (r.r2 ? 0 : 1) ? d : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The last release() of a fence with a queued callback races signal(): whichever comes first
     * decides the error (none, or FenceReleasedException), the callback runs exactly once, and
     * deallocate runs once after.
     */

    @JCStressTest
    @Description("signal() vs last release() with a callback queued: one signal, callback once, right error.")
    @Outcome(id = "true, 1, 0",  expect = ACCEPTABLE, desc = "The signaller won: no error; callback ran once.")
    @Outcome(id = "false, 1, 1", expect = ACCEPTABLE, desc = "The release won: signalled with FenceReleasedException; callback ran once.")
    @Outcome(expect = FORBIDDEN, desc = "Callback lost or doubled, an error that does not match the winner, or no deallocate.")
    @State
    public static class SignalVsLastReleaseWithCallback {
        final DriverFence f = new DriverFence();
        final Counter cb = new Counter();

        {
            f.addCallback(cb);
        }

        @Actor
        public void signaller(ZII_Result r) {
            r.r1 = f.signal();
        }

        @Actor
        public void releaser() {
            f.release();
        }

        @Arbiter
        public void arbiter(ZII_Result r) {
            r.r2 = f.deallocateCalls.get() == 1 ? cb.runs() : BROKEN;
            Throwable e = f.error();
            r.r3 = e == null ? 0 : e instanceof FenceReleasedException ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A signal whose callbacks are only queued (here: inside a CallbackDeferral) holds a
     * reference until they have run, taken in the store that publishes SIGNALED (Fence's
     * overview): no release, from the signalling thread or another, can reach zero while they
     * are queued, so deallocate() runs after the callback, as after the kernel's "signal(f);
     * put(f)". From refcount 2 the signaller signals and releases inside the deferral, racing a
     * release by the other actor. The signaller's release is never the last (the queue still
     * holds its reference); the other actor's is the last only if it comes after the close.
     * Without the held reference, deallocate() ran before the queued callback whenever both
     * releases landed before the close.
     */

    @JCStressTest
    @Description("A deferred signal keeps the fence alive until its queued callbacks ran: deallocate() after the callback, once.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "Both releases came before the close; the queue's reference was the last.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The other release came after the close and was the last.")
    @Outcome(expect = FORBIDDEN, desc = "The signaller's release was the last inside the deferral, deallocate() ran before the callback, not once, or the callback did not run once.")
    @State
    public static class DeferredSignalVsLastRelease {
        final DriverFence f = new DriverFence();
        /** deallocate() calls seen by the callback when it ran: must be 0. */
        volatile int deallocatedBeforeCallback = -1;
        final AtomicInteger callbackRuns = new AtomicInteger();

        {
            f.retain();
            f.onSignal(x -> {
                deallocatedBeforeCallback = f.deallocateCalls.get();
                callbackRuns.incrementAndGet();
            });
        }

        @Actor
        @SuppressWarnings("try")
        public void signaller(III_Result r) {
            try (CallbackDeferral d = CallbackDeferral.begin()) {
                f.signal();
                r.r1 = f.release() ? 1 : 0;
            }
        }

        @Actor
        public void releaser(III_Result r) {
            r.r2 = f.release() ? 1 : 0;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = f.deallocateCalls.get() == 1 && callbackRuns.get() == 1
                    && deallocatedBeforeCallback == 0 ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * addCallback() races the last release() of a pending fence with nothing queued. If the add
     * links first, the release finds it and signals with FenceReleasedException (the callback
     * runs). If the release comes first, the add finds DEAD under the list lock and signals the
     * fence itself instead of linking into a fence nobody will signal. Either way the fence ends
     * signalled with FenceReleasedException and the callback runs iff the add returned true.
     */

    @JCStressTest
    @Description("addCallback() vs last release() of a pending fence: no callback is left on a dead fence.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The add won: the release signalled the fence; the callback ran.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The release won: the add found the fence dead and signalled it; not queued.")
    @Outcome(expect = FORBIDDEN, desc = "A callback queued on a dead fence that nobody signals, a callback run without being queued, or the wrong error.")
    @State
    public static class AddCallbackVsLastRelease {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();

        @Actor
        public void adder(III_Result r) {
            r.r1 = Probes.add(f, cb);
        }

        @Actor
        public void releaser() {
            f.release();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = cb.runs();
            r.r3 = f.isSignaled() && f.error() instanceof FenceReleasedException ? 1 : BROKEN;
            if (r.r1 != TRUE && r.r1 != FALSE) {
                r.r1 = BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * As above, but with a callback queued before the race: the releaser's forced signal owes
     * that callback its run, and deallocate() follows it (the kernel's release runs the pending
     * callbacks, then frees). A late add that finds the fence dead with that callback still
     * queued links normally and runs with it; only an add into a dead fence's empty list signals
     * the fence itself. Before, any add that found DEAD signalled: it ran the early callback in
     * the adder's thread while the releaser, finding the fence signalled, called deallocate()
     * at once, before or while the callback ran.
     */

    @JCStressTest
    @Description("addCallback() vs last release() with a callback queued before: the releaser runs it, then deallocates.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The add queued its node (before or after DEAD); the release's signal ran both.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The release had signalled already: the add was refused.")
    @Outcome(expect = FORBIDDEN, desc = "The early callback ran in the adder (deallocate() could precede it), ran after deallocate(), not once, or the late node was lost.")
    @State
    public static class LateAddVsLastReleaseWithCallback {
        final DriverFence f = new DriverFence();
        final Counter late = new Counter();
        volatile Thread releaserThread;
        /** 1 if the early callback ran once, in the releaser, before deallocate(). */
        volatile int earlyOk = -1;
        final AtomicInteger earlyRuns = new AtomicInteger();

        {
            f.onSignal(x -> {
                earlyOk = Thread.currentThread() == releaserThread
                        && f.deallocateCalls.get() == 0 ? 1 : BROKEN;
                earlyRuns.incrementAndGet();
            });
        }

        @Actor
        public void adder(III_Result r) {
            r.r1 = Probes.add(f, late);
        }

        @Actor
        public void releaser() {
            releaserThread = Thread.currentThread();
            f.release();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = late.runs();
            r.r3 = earlyOk == 1 && earlyRuns.get() == 1 && f.deallocateCalls.get() == 1
                    && f.error() instanceof FenceReleasedException ? 1 : BROKEN;
            if (r.r1 != TRUE && r.r1 != FALSE) {
                r.r1 = BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * enableSignalingHook() runs at most once, however many threads show interest at once.
     */

    @JCStressTest
    @Description("addCallback vs addCallback on a driver fence: the enable hook runs exactly once; both queued.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Both callbacks queued; the hook ran once.")
    @Outcome(expect = FORBIDDEN, desc = "The hook ran twice (or not at all), or an add failed on a pending fence.")
    @State
    public static class EnableHookOnceUnderRacingAdders {
        final DriverFence f = new DriverFence();
        final Counter cb1 = new Counter();
        final Counter cb2 = new Counter();

        @Actor
        public void adder1(III_Result r) {
            r.r1 = Probes.add(f, cb1);
        }

        @Actor
        public void adder2(III_Result r) {
            r.r2 = Probes.add(f, cb2);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = f.enableCalls.get();
        }
    }

    @JCStressTest
    @Description("Two adders on a driver whose enable hook reports the work done: hook once; each callback runs iff queued.")
    @Outcome(id = {"1, 1, 1", "1, 0, 1", "0, 1, 1", "0, 0, 1"}, expect = ACCEPTABLE,
            desc = "Hook ran once and signalled the fence; each adder either got in (ran once) or saw it signalled (not run).")
    @Outcome(expect = FORBIDDEN, desc = "Hook ran twice or never, or a callback ran without being queued / was lost.")
    @State
    public static class EnableHookSignalsUnderRacingAdders {
        final DriverFence f = new DriverFence(true);
        final Counter cb1 = new Counter();
        final Counter cb2 = new Counter();

        @Actor
        public void adder1(III_Result r) {
            r.r1 = Probes.add(f, cb1);
        }

        @Actor
        public void adder2(III_Result r) {
            r.r2 = Probes.add(f, cb2);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = matches(r.r1, cb1.runs());
            r.r2 = matches(r.r2, cb2.runs());
            r.r3 = f.isSignaled() ? f.enableCalls.get() : BROKEN;
        }

        private static int matches(int added, int runs) {
            return added == TRUE && runs == 1 ? 1 : added == FALSE && runs == 0 ? 0 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * isSignaled() polls the driver (pollSignaled) and signals on its behalf, racing the
     * driver's own signal(TS) from its "interrupt handler". One of them wins; the result is
     * monotonic; the callback runs once; the timestamp is the winner's.
     */

    @JCStressTest
    @Description("isSignaled() polling the driver vs the driver's signal(TS): one winner, monotonic, callback once.")
    @Outcome(id = {"false, false, 1", "false, true, 1", "true, true, 1"}, expect = ACCEPTABLE,
            desc = "The poller saw pending/signalled in a monotonic order; exactly one signal; callback once; timestamp matches the winner.")
    @Outcome(expect = FORBIDDEN, desc = "isSignaled went back to false, the callback ran 0 or 2 times, or the timestamp is not the winner's.")
    @State
    public static class PollVsDriverSignal {
        final DriverFence f = new DriverFence();
        final Counter cb = new Counter();
        boolean driverWon;

        {
            f.addCallback(cb);
        }

        @Actor
        public void driver() {
            f.hwDone = true;
            driverWon = f.signal(TS);
        }

        @Actor
        public void poller(ZZI_Result r) {
            r.r1 = f.isSignaled();
            r.r2 = f.isSignaled();
            if (r.r1 && !r.r2) {
                r.r3 = BROKEN;
            }
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            if (r.r3 == BROKEN) {
                return;
            }
            boolean tsIsDrivers = f.timestamp() == TS;
            r.r3 = tsIsDrivers == driverWon && f.isSignaled() ? cb.runs() : BROKEN;
        }
    }
}
