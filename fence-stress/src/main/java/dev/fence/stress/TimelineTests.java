package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.CallbackDeferral;
import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import dev.fence.stress.Probes.Counter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.I_Result;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.JZZ_Result;
import org.openjdk.jcstress.infra.results.ZZI_Result;

/**
 * {@link Timeline}: raising the value races readers of {@code value()} and of its fences,
 * concurrent signallers, and fences being issued.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t TimelineTests[.SubTestName]}
 */
public final class TimelineTests {

    private TimelineTests() {
    }

    /* ------------------------------------------------------------------------------------------
     * signalUpTo(2) vs a reader that reads value(), then fence 2, then fence 1. Fence 2
     * signalled means fence 1 is too (seqno order). Since fence-core 33ea4b6 points no longer
     * poll the value, and Timeline's javadoc says value() may run ahead of the signals by the
     * time it takes to signal them: value 2 with fences still pending is legal.
     */

    @JCStressTest
    @Description("signalUpTo(2) vs value(), p2.isSignaled(), p1.isSignaled(): monotonic and in seqno order.")
    @Outcome(id = "0, false, false", expect = ACCEPTABLE, desc = "Read before the raise.")
    @Outcome(id = "0, false, true",  expect = ACCEPTABLE, desc = "Value read before; p1 observed after the raise.")
    @Outcome(id = "0, true, true",   expect = ACCEPTABLE, desc = "Value read before; both fences observed after.")
    @Outcome(id = {"2, false, false", "2, false, true"}, expect = ACCEPTABLE,
            desc = "value() ran ahead of the signals (documented): value 2 while p2 (and maybe p1) still signalling.")
    @Outcome(id = "2, true, true",   expect = ACCEPTABLE, desc = "Read after the raise: both fences signalled.")
    @Outcome(expect = FORBIDDEN, desc = "p2 signalled but p1 not, a value that went back, or a torn value.")
    @State
    public static class SignalUpToVsReaders {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.fenceAt(1);
        final Fence p2 = t.fenceAt(2);

        @Actor
        public void signaller() {
            t.signalUpTo(2);
        }

        @Actor
        public void reader(JZZ_Result r) {
            r.r1 = t.value();
            r.r2 = p2.isSignaled();
            r.r3 = p1.isSignaled();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two signallers raise the value to 1 and to 2 at the same time. Nobody polls, so callbacks
     * run in seqno order; both fences end signalled and the value ends at 2.
     */

    @JCStressTest
    @Description("signalUpTo(1) vs signalUpTo(2): callbacks run in seqno order; value ends at 2.")
    @Outcome(id = "12, 2, 1", expect = ACCEPTABLE, desc = "p1's callback ran before p2's; value 2; each ran once.")
    @Outcome(expect = FORBIDDEN, desc = "Out of order, a lost or doubled callback, or the value went backwards.")
    @State
    public static class ConcurrentSignalUpTo {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.fenceAt(1);
        final Fence p2 = t.fenceAt(2);
        final AtomicInteger order = new AtomicInteger();
        final Counter cb1 = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                runs.incrementAndGet();
                order.compareAndSet(0, 1);
                order.compareAndSet(2, 21);
            }
        };
        final Counter cb2 = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                runs.incrementAndGet();
                order.compareAndSet(0, 2);
                order.compareAndSet(1, 12);
            }
        };

        {
            p1.addCallback(cb1);
            p2.addCallback(cb2);
        }

        @Actor
        public void signaller1() {
            t.signalUpTo(1);
        }

        @Actor
        public void signaller2() {
            t.signalUpTo(2);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = order.get();
            r.r2 = (int) t.value();
            r.r3 = cb1.runs() == 1 && cb2.runs() == 1 ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * next() issues fence 1 while advance(1) passes it: the fence is either born signalled or
     * queued and signalled by the advance; never left pending with the value past it. A callback
     * added by the issuer runs iff it was queued.
     */

    @JCStressTest
    @Description("next() + addCallback vs advance(1): the new fence ends signalled; its callback runs iff queued.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Issued before the advance; queued callback ran once.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Born signalled (value already 1): addCallback false, not run.")
    @Outcome(expect = FORBIDDEN, desc = "Fence left pending past the value, or a callback lost / doubled / unrequested.")
    @State
    public static class NextVsAdvance {
        final Timeline t = Timeline.create("stress");
        final Counter cb = new Counter();
        volatile Fence issued;
        volatile int added;

        @Actor
        public void issuer() {
            Fence f = t.next();
            issued = f;
            added = f.addCallback(cb) ? 1 : 0;
        }

        @Actor
        public void advancer() {
            t.advance(1);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence f = issued;
            r.r1 = added;
            // isSignaled() only reads the fence's state: timeline points no longer poll the
            // value (docs/memory-model.md), so it cannot signal a fence that the advance left
            // pending (nor run its callback) and hide the bug; such a fence reads false: BROKEN
            int runs = cb.runs();
            boolean ok = runs == added && f.seqno() == 1 && t.value() == 1 && f.isSignaled();
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Fence 1 is pending when next() appends fence 2 behind it in the in-order list while
     * signalUpTo(2) takes that list whole (every pending point ready) or in part (fence 2 not
     * yet linked): fence 2 ends signalled either way, born signalled or by this call, and the
     * callbacks run once each, fence 1's first.
     */

    @JCStressTest
    @Description("next() appending behind a pending point vs signalUpTo(2): nothing left pending, in order.")
    @Outcome(id = "1, 12", expect = ACCEPTABLE, desc = "Fence 2 queued behind fence 1; both callbacks ran, in order.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Fence 2 born signalled (value already 2): only fence 1's callback.")
    @Outcome(expect = FORBIDDEN, desc = "A fence left pending below the value, a callback lost, doubled or out of order.")
    @State
    public static class AppendVsSignalUpTo {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final AtomicInteger order = new AtomicInteger();
        final Counter cb1 = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                runs.incrementAndGet();
                order.compareAndSet(0, 1);
            }
        };
        final Counter cb2 = new Counter() {
            @Override
            protected void onSignaled(Fence fence) {
                runs.incrementAndGet();
                order.compareAndSet(1, 12);
            }
        };
        volatile Fence p2;
        volatile int added;

        {
            p1.addCallback(cb1);
        }

        @Actor
        public void issuer() {
            Fence f = t.next();
            p2 = f;
            added = f.addCallback(cb2) ? 1 : 0;
        }

        @Actor
        public void signaller() {
            t.signalUpTo(2);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence f = p2;
            // counts first: isSignaled() on a pending fence must not hide one left behind
            boolean counts = cb1.runs() == 1 && cb2.runs() == added;
            boolean ok = counts && f.seqno() == 2 && t.value() == 2 && p1.isSignaled()
                    && f.isSignaled();
            r.r1 = added;
            r.r2 = ok ? order.get() : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * fenceAt(1) below the newest seqno (2) goes to the out-of-order heap while signalUpTo(1)
     * runs: the producer publishes the heap entry and then reads the value, the signaller raises
     * the value and then reads the heap's size. One of them must see the other: the fence ends
     * signalled, its callback runs iff it was queued, and fence 2 stays pending.
     */

    @JCStressTest
    @Description("fenceAt(1) into the out-of-order heap vs signalUpTo(1): nothing left pending at or below the value.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Queued in the heap before the raise; signalled by it, callback ran once.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Born signalled (value already 1): addCallback false, not run.")
    @Outcome(expect = FORBIDDEN, desc = "The heap point left pending at the value, a callback lost or doubled, or fence 2 signalled.")
    @State
    public static class HeapPointVsSignalUpTo {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final Fence p2 = t.next();
        final Counter cb = new Counter();
        volatile Fence issued;
        volatile int added;

        @Actor
        public void issuer() {
            Fence f = t.fenceAt(1);
            issued = f;
            added = f.addCallback(cb) ? 1 : 0;
        }

        @Actor
        public void signaller() {
            t.signalUpTo(1);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence f = issued;
            int runs = cb.runs(); // first: nothing below may signal anything
            boolean ok = runs == added && f.seqno() == 1 && f.isSignaled() && p1.isSignaled()
                    && !p2.isSignaled() && t.value() == 1;
            r.r1 = added;
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two producers race for seqnos 2 and 3 through the tail CAS; the second then raises the
     * value to 3 while the first may still be between its CAS and its link (a "bubble" that the
     * signaller must wait out, not skip). The seqnos are distinct, every fence ends signalled and
     * each queued callback runs once. (Two actors: jcstress on 2 CPUs skips tests with three.)
     */

    @JCStressTest
    @Description("next() vs next() + signalUpTo(3): distinct seqnos 2 and 3, nothing left pending, callbacks once.")
    @Outcome(id = {"2, 1", "3, 1"}, expect = ACCEPTABLE, desc = "The first producer got seqno 2 or 3; all signalled.")
    @Outcome(expect = FORBIDDEN, desc = "A duplicated or skipped seqno, a fence left pending, or a callback lost / doubled.")
    @State
    public static class TwoProducersVsSignalUpTo {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final Counter cbA = new Counter();
        final Counter cbB = new Counter();
        volatile Fence a;
        volatile Fence b;
        volatile int addedA;
        volatile int addedB;

        @Actor
        public void producer() {
            Fence f = t.next();
            a = f;
            addedA = f.addCallback(cbA) ? 1 : 0;
        }

        @Actor
        public void producerAndSignaller() {
            Fence f = t.next();
            b = f;
            addedB = f.addCallback(cbB) ? 1 : 0;
            t.signalUpTo(3);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence fa = a;
            Fence fb = b;
            boolean counts = cbA.runs() == addedA && cbB.runs() == addedB;
            boolean seqnos = fa.seqno() + fb.seqno() == 5 && fa.seqno() != fb.seqno();
            boolean ok = counts && seqnos && addedB == 1 && p1.isSignaled() && fa.isSignaled()
                    && fb.isSignaled() && t.value() == 3;
            r.r1 = (int) fa.seqno();
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Points 1, 2 and 3 are pending when signalUpTo(3) races fenceAt(2) (below the newest seqno).
     * The value may already cover 2 while the drain has not signalled point 1: the new fence
     * must then wait for its turn (the drainer signals it after point 1), and be born signalled
     * only at a seqno the drainer has passed. So whenever the producer sees its fence
     * signalled, point 1 (read after it) is signalled too. Before this rule, fenceAt() read the
     * value and signalled the fence at once, ahead of point 1.
     */

    @JCStressTest
    @Description("fenceAt(2) behind pending points vs signalUpTo(3): the new fence never signals before point 1.")
    @Outcome(id = "false, false, 1", expect = ACCEPTABLE, desc = "Issued before the drain reached it; signalled later, in order.")
    @Outcome(id = "false, true, 1",  expect = ACCEPTABLE, desc = "Point 1 signalled; the new fence still waiting for its turn.")
    @Outcome(id = "true, true, 1",   expect = ACCEPTABLE, desc = "Born signalled (passed), or signalled in order by the drain.")
    @Outcome(expect = FORBIDDEN, desc = "The new fence signalled while point 1 is pending, or something left pending at the end.")
    @State
    public static class PassedPointVsSignalUpTo {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final Fence p2 = t.next();
        final Fence p3 = t.next();
        volatile Fence issued;

        @Actor
        public void producer(ZZI_Result r) {
            Fence f = t.fenceAt(2);
            issued = f;
            r.r1 = f.isSignaled();
            r.r2 = p1.isSignaled();
        }

        @Actor
        public void signaller() {
            t.signalUpTo(3);
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            boolean ok = issued.isSignaled() && p1.isSignaled() && p2.isSignaled()
                    && p3.isSignaled() && t.value() == 3;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The list holds point 3 alone (fenceAt(3) was issued above the newest seqno, leaving a gap),
     * so fenceAt(2) goes to the out-of-order heap while signalUpTo(3) is about to signal point 3.
     * If the heap entry appears after the drainer's first look at the heap, the drainer's
     * announce-then-look-again (volatile store of `passed`, read of the heap's size) and the
     * producer's publish-then-re-read of `passed` make one of them see the other: the drainer
     * signals the heap point before point 3, or the producer signals it before handing it out.
     * A callback queued on the new fence therefore always runs while point 3 is still pending.
     * Before the second look, the producer could read an old `passed`, queue its callback, and
     * have it run one step late, after point 3's (TimelineTest caught this as "callbacks out of
     * seqno order" in CI).
     */

    @JCStressTest
    @Description("fenceAt(2) into the heap vs signalUpTo(3) signalling point 3: a queued callback on 2 runs before 3 signals.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Callback queued; it ran once, before point 3 signalled.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Born signalled (or signalled by its producer): addCallback false, not run.")
    @Outcome(expect = FORBIDDEN, desc = "The callback ran after point 3 signalled, never or twice, or a fence left pending.")
    @State
    public static class HeapPointVsHigherPoint {
        final Timeline t = Timeline.create("stress");
        final Fence p3 = t.fenceAt(3);
        final OrderProbe cb = new OrderProbe(p3::isSignaled);
        volatile Fence issued;
        volatile int added;

        @Actor
        public void producer() {
            Fence f = t.fenceAt(2);
            issued = f;
            added = f.addCallback(cb) ? 1 : 0;
        }

        @Actor
        public void signaller() {
            t.signalUpTo(3);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence f = issued;
            boolean ok = cb.runs() == added && (added == 0 || !cb.ranTooLate)
                    && f.seqno() == 2 && f.isSignaled() && p3.isSignaled() && t.value() == 3;
            r.r1 = added;
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * AppendVsSignalUpTo with the race paced (Probes.Pacer on point 1): the issuer appends
     * point 2 while the drainer, back from point 1's callbacks, reaches the end of the list.
     * The drainer that finds the list ending below the value at the tail sets `ahead` and looks
     * once more; the issuer CASes the tail and then reads `ahead`. If the issuer's CAS falls
     * between the drainer's read of the tail and its write of `ahead`, only the drainer's second
     * look finds point 2. That window is a few instructions and opens once per timeline, so
     * unpaced tests hit it about once in a million samples; pacing puts the issuer's CAS near
     * the drainer's last steps in every sample.
     */

    @JCStressTest
    @Description("next() started as point 1 signals vs signalUpTo(2): point 2 never left pending.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "Both points signalled: by the drainer, or by the issuer after it saw `ahead`.")
    @Outcome(expect = FORBIDDEN, desc = "Point 2 left pending at value 2 (neither side saw the other), or a wrong seqno or value.")
    @State
    public static class PacedAppendVsSignalUpTo {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final Probes.Pacer pacer = new Probes.Pacer(Probes.Pacer.SPREAD_NANOS);
        volatile Fence p2;

        {
            p1.addCallback(pacer);
        }

        @Actor
        public void issuer() {
            pacer.awaitGo();
            p2 = t.next();
        }

        @Actor
        public void signaller() {
            t.signalUpTo(2);
        }

        @Arbiter
        public void arbiter(I_Result r) {
            Fence f = p2;
            boolean ok = f.seqno() == 2 && t.value() == 2 && p1.isSignaled() && f.isSignaled();
            r.r1 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * HeapPointVsHigherPoint with the race paced (Probes.Pacer on point 1, which the list holds
     * before point 3): the producer starts fenceAt(2) as the drainer, back from point 1's
     * callbacks, steps to point 3. The rule under test needs the producer to read `passed`
     * below 2 before the drainer announces 3 and to publish its heap entry after the drainer's
     * second look at the heap; then only the producer's re-read of `passed` (which finds 3)
     * keeps point 2's callback from running after point 3's signal. Unpaced, that overlap came
     * about a few times in a million samples.
     */

    @JCStressTest
    @Description("fenceAt(2) started as point 1 signals vs signalUpTo(3) stepping to point 3: a queued callback on 2 runs before 3 signals.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Callback queued; it ran once, before point 3 signalled.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Born signalled (or signalled by its producer): addCallback false, not run.")
    @Outcome(expect = FORBIDDEN, desc = "The callback ran after point 3 signalled, never or twice, or a fence left pending.")
    @State
    public static class PacedHeapPointVsHigherPoint {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final Fence p3 = t.fenceAt(3);
        final Probes.Pacer pacer = new Probes.Pacer(Probes.Pacer.SPREAD_NANOS);
        final OrderProbe cb = new OrderProbe(p3::isSignaled);
        volatile Fence issued;
        volatile int added;

        {
            p1.addCallback(pacer);
        }

        @Actor
        public void producer() {
            pacer.awaitGo();
            Fence f = t.fenceAt(2);
            issued = f;
            added = f.addCallback(cb) ? 1 : 0;
        }

        @Actor
        public void signaller() {
            t.signalUpTo(3);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence f = issued;
            boolean ok = cb.runs() == added && (added == 0 || !cb.ranTooLate)
                    && f.seqno() == 2 && f.isSignaled() && p1.isSignaled() && p3.isSignaled()
                    && t.value() == 3;
            r.r1 = added;
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * One signaller raises the timeline to 1 inside a CallbackDeferral: point 1 signals at once,
     * its callback waits for the deferral to close. Another thread raises it to 2. Whoever drains
     * first, point 1's callback must run before point 2's. (Point 2 may already be signalled when
     * point 1's callback runs: the deferred drainer can read value 2 and signal both, queueing
     * both callbacks in order.) Until the eighteenth session the deferred drainer gave up the
     * drainer role when its drain ended, so the other thread could signal point 2 and run its
     * callback before point 1's ran.
     */

    @JCStressTest
    @Description("signalUpTo(1) inside a CallbackDeferral vs signalUpTo(2): point 1's callback runs before point 2's.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "Both callbacks ran once, point 1's first.")
    @Outcome(expect = FORBIDDEN, desc = "Point 2's callback ran before point 1's, a callback ran never or twice, or a point was left pending.")
    @State
    public static class DeferredSignallerVsOtherSignaller {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.next();
        final Fence p2 = t.next();
        final Counter second = new Counter();
        final OrderProbe first = new OrderProbe(() -> second.runs() != 0);

        public DeferredSignallerVsOtherSignaller() {
            p1.addCallback(first);
            p2.addCallback(second);
        }

        @Actor
        public void deferred() {
            CallbackDeferral d = CallbackDeferral.begin();
            try {
                t.signalUpTo(1);
            } finally {
                d.close();
            }
        }

        @Actor
        public void other() {
            t.signalUpTo(2);
        }

        @Arbiter
        public void arbiter(I_Result r) {
            boolean ok = first.runs() == 1 && !first.ranTooLate && second.runs() == 1
                    && p1.isSignaled() && p2.isSignaled() && t.value() == 2;
            r.r1 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * advance(1) vs advance(2) from value 0: advance is a read-modify-write of the value (a CAS
     * on cur + delta), so neither increment may be lost. The value ends at 3 and all three points
     * signal, each callback once and in seqno order, whichever caller ends up draining.
     */

    @JCStressTest
    @Description("advance(1) vs advance(2) from 0: value ends at 3 (no lost increment); points 1..3 signalled, callbacks once each, in order.")
    @Outcome(id = "3, 1", expect = ACCEPTABLE, desc = "Both increments landed: value 3; every point signalled once, in seqno order.")
    @Outcome(expect = FORBIDDEN, desc = "A lost increment (value 1 or 2), a point left pending, or a callback lost, doubled or out of order.")
    @State
    public static class AdvanceVsAdvance {
        final Timeline t = Timeline.create("stress");
        final Fence p1 = t.fenceAt(1);
        final Fence p2 = t.fenceAt(2);
        final Fence p3 = t.fenceAt(3);
        final OrderProbe cb1 = new OrderProbe(() -> p2.isSignaled() || p3.isSignaled());
        final OrderProbe cb2 = new OrderProbe(() -> p3.isSignaled());
        final Counter cb3 = new Counter();

        {
            p1.addCallback(cb1);
            p2.addCallback(cb2);
            p3.addCallback(cb3);
        }

        @Actor
        public void advancer1() {
            t.advance(1);
        }

        @Actor
        public void advancer2() {
            t.advance(2);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = (int) t.value();
            boolean ok = cb1.runs() == 1 && !cb1.ranTooLate && cb2.runs() == 1 && !cb2.ranTooLate
                    && cb3.runs() == 1 && p1.isSignaled() && p2.isSignaled() && p3.isSignaled();
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * fenceAt(1) vs fenceAt(2), both below the newest seqno (3) and above the value, so both go
     * through the out-of-order heap, which is created on first use and guarded by its spin lock
     * (OOO_LOCK). Neither entry may be lost: signalUpTo(3) afterwards signals both, in seqno
     * order (p1's callback before p2's, p2's before point 3's).
     */

    @JCStressTest
    @Description("fenceAt(1) vs fenceAt(2) into the out-of-order heap (its spin lock, first use): signalUpTo(3) then signals both, in order.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Both heap entries kept; signalUpTo(3) signalled 1, 2, 3 in order, callbacks once each.")
    @Outcome(expect = FORBIDDEN, desc = "A heap entry lost (a point left pending at the value), a wrong seqno, or a callback lost, doubled or out of order.")
    @State
    public static class TwoHeapProducers {
        final Timeline t = Timeline.create("stress");
        final Fence p3 = t.fenceAt(3);
        volatile Fence a;
        volatile Fence b;

        @Actor
        public void producer1() {
            a = t.fenceAt(1);
        }

        @Actor
        public void producer2() {
            b = t.fenceAt(2);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Fence f1 = a;
            Fence f2 = b;
            OrderProbe cb1 = new OrderProbe(() -> f2.isSignaled() || p3.isSignaled());
            OrderProbe cb2 = new OrderProbe(() -> p3.isSignaled());
            int added = (f1.addCallback(cb1) ? 1 : 0) + (f2.addCallback(cb2) ? 1 : 0);
            t.signalUpTo(3);
            r.r1 = added == 2 && f1.seqno() == 1 && f2.seqno() == 2 ? 1 : 0;
            boolean ok = f1.isSignaled() && f2.isSignaled() && p3.isSignaled()
                    && cb1.runs() == 1 && !cb1.ranTooLate && cb2.runs() == 1 && !cb2.ranTooLate;
            r.r2 = ok ? 1 : BROKEN;
        }
    }

    /**
     * A {@link Counter} that also records whether it ran too late: whether {@code tooLate} (a
     * higher point signalled, another callback already run) held when it ran.
     */
    static final class OrderProbe extends Counter {
        final BooleanSupplier tooLate;
        volatile boolean ranTooLate;

        OrderProbe(BooleanSupplier tooLate) {
            this.tooLate = tooLate;
        }

        @Override
        protected void onSignaled(Fence fence) {
            if (tooLate.getAsBoolean()) {
                ranTooLate = true;
            }
            super.onSignaled(fence);
        }
    }
}
