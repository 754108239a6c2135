package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import dev.fence.core.Fences;
import dev.fence.stress.Probes.Counter;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.LL_Result;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * {@link FenceChain}: appending, finding and signalling race; links are collected (unlinked) by
 * walkers while other threads read the chain through {@link Fences#unwrap} and
 * {@link Fences#merge}.
 *
 * <p>How to run:
 * {@code java -jar fence-stress/target/jcstress.jar -t FenceChainTests[.SubTestName]}
 */
public final class FenceChainTests {

    private FenceChainTests() {
    }

    static Fence named(String name) {
        return new Fence(Fence.allocateContexts(1), 1) {
            @Override
            public String timelineName() {
                return name;
            }
        };
    }

    /** Names of the fences in {@code fences}, comma-separated, in order. */
    static String names(List<Fence> fences) {
        StringBuilder sb = new StringBuilder();
        for (Fence f : fences) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(f.timelineName());
        }
        return sb.toString();
    }

    /* ------------------------------------------------------------------------------------------
     * append vs signal vs find. The chain is c1(f1). The appender links c2(f2) at point 2, looks
     * point 1 up, and queues a callback on c2, while f1 signals. find(c2, 1) is c1, or the stub
     * if c1 had signalled and was collected. c2 must not signal before f2 does.
     */

    @JCStressTest
    @Description("link(c1, f2, 2) + find(c2, 1) + addCallback(c2) vs f1.signal(): find sees c1 or the stub; c2 signals once after f2.")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "find returned c1; c2 pending until f2; its callback then ran once.")
    @Outcome(id = "2, 0, 1", expect = ACCEPTABLE, desc = "f1 had signalled and c1 was collected: find returned the stub; c2 callback once.")
    @Outcome(expect = FORBIDDEN, desc = "find returned something else or the stub while f1 pending; c2 signalled early; callback lost or doubled.")
    @State
    public static class AppendVsSignalVsFind {
        final Fence f1 = named("f1");
        final Fence f2 = named("f2");
        final FenceChain c1 = FenceChain.link(null, f1, 1);
        final Counter cb = new Counter();
        volatile FenceChain c2;

        @Actor
        public void appender(III_Result r) {
            FenceChain c = FenceChain.link(c1, f2, 2);
            c2 = c;
            Fence p = FenceChain.find(c, 1);
            if (p == c1) {
                r.r1 = 1;
            } else if (p == Fence.signaledStub()) {
                r.r1 = f1.isSignaled() ? 2 : BROKEN;
            } else {
                r.r1 = BROKEN;
            }
            r.r2 = c.addCallback(cb) ? 0 : BROKEN;
        }

        @Actor
        public void signaller() {
            f1.signal();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            if (c2.isSignaled() || cb.runs() != 0) {
                r.r3 = BROKEN; // f2 has not signalled yet
                return;
            }
            f2.signal();
            r.r3 = c2.isSignaled() ? cb.runs() : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * find while earlier points signal in order: find(c3, 2) must return c2 while f2 is pending
     * and may return the stub only once f2 has signalled.
     */

    @JCStressTest
    @Description("find(c3, 2) vs f1.signal(); f2.signal(): c2 while f2 is pending, the stub only after.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Found c2 (point 2 not reached yet, or not yet collected).")
    @Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "Point 2 reached and its link collected: the signalled stub.")
    @Outcome(expect = FORBIDDEN, desc = "The stub while f2 was pending, or a link for the wrong point.")
    @State
    public static class FindVsInOrderSignals {
        final Fence f1 = named("f1");
        final Fence f2 = named("f2");
        final Fence f3 = named("f3");
        final FenceChain c1 = FenceChain.link(null, f1, 1);
        final FenceChain c2 = FenceChain.link(c1, f2, 2);
        final FenceChain c3 = FenceChain.link(c2, f3, 3);

        @Actor
        public void finder(II_Result r) {
            Fence p = FenceChain.find(c3, 2);
            if (p == c2) {
                r.r1 = 1;
            } else if (p == Fence.signaledStub()) {
                r.r1 = f2.isSignaled() ? 2 : BROKEN;
            } else {
                r.r1 = BROKEN;
            }
            r.r2 = c3.isSignaled() ? BROKEN : 0;
        }

        @Actor
        public void signaller() {
            f1.signal();
            f2.signal();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A link signals only after every earlier point: c2 with a callback, f2 and f1 signalled by
     * two threads. The observer checks, after its own signal, that c2 signalled implies f1.
     */

    @JCStressTest
    @Description("c2 = link(c1(f1), f2): f2.signal() + observe vs f1.signal(): c2 signalled implies f1 signalled; callback once.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "c2 still pending when observed (f1 not yet signalled); callback ran once by the end.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "c2 signalled when observed, and f1 had signalled; callback ran once.")
    @Outcome(expect = FORBIDDEN, desc = "c2 signalled before f1, or its callback ran zero or two times.")
    @State
    public static class LinkSignalsAfterAllEarlierPoints {
        final Fence f1 = named("f1");
        final Fence f2 = named("f2");
        final FenceChain c1 = FenceChain.link(null, f1, 1);
        final FenceChain c2 = FenceChain.link(c1, f2, 2);
        final Counter cb = new Counter();

        {
            c2.addCallback(cb);
        }

        @Actor
        public void signaller2(II_Result r) {
            f2.signal();
            boolean chain = c2.isSignaled();
            r.r1 = !chain ? 0 : f1.isSignaled() ? 1 : BROKEN;
        }

        @Actor
        public void signaller1() {
            f1.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = c2.isSignaled() ? cb.runs() : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two appends on the same link (a forked chain), racing. Both read
     * and hand on the link's sweep position with plain accesses and may share it, counting
     * down its appends-until-the-next-sweep racily; that may only change when and where the
     * sweeps run. The base chain has 20 pending points (enough for a position to exist); each
     * actor appends 12 more on its own fork, so the shared countdown runs out and sweeps start
     * from both forks (two actors: jcstress runs no more on two CPUs). The oldest point
     * signals last, in the arbiter. Every fork head must signal exactly when all of its fences
     * have, not before.
     */

    @JCStressTest
    @Description("Two forks appended on one link at once: each fork head signals once all its points have, not before.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "Both fork heads pending while their own last fence is; both signalled at the end.")
    @Outcome(expect = FORBIDDEN, desc = "A fork head signalled early, or not at all, or an append threw.")
    @State
    public static class TwoForksShareTheSweep {
        static final int BASE = 20;
        static final int FORK = 12;
        final Fence[] base = new Fence[BASE];
        final Fence[] left = new Fence[FORK];
        final Fence[] right = new Fence[FORK];
        final FenceChain top;
        FenceChain leftHead;
        FenceChain rightHead;

        {
            FenceChain h = null;
            for (int i = 0; i < BASE; i++) {
                base[i] = named("b" + i);
                h = FenceChain.link(h, base[i], i + 1);
            }
            top = h;
            for (int i = 1; i < BASE; i++) {
                base[i].signal(); // all but the oldest: the sweeps have links to collect
            }
        }

        private FenceChain fork(Fence[] fences) {
            FenceChain h = top;
            for (int i = 0; i < FORK; i++) {
                fences[i] = named("x" + i);
                h = FenceChain.link(h, fences[i], BASE + 1 + i);
                if (i < FORK - 1) {
                    fences[i].signal();
                }
            }
            return h;
        }

        @Actor
        public void leftFork(III_Result r) {
            leftHead = fork(left);
            r.r1 = leftHead.isSignaled() ? 1 : 0; // its last fence is still pending
        }

        @Actor
        public void rightFork(III_Result r) {
            rightHead = fork(right);
            r.r2 = rightHead.isSignaled() ? 1 : 0;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            boolean early = leftHead.isSignaled() || rightHead.isSignaled();
            left[FORK - 1].signal();
            right[FORK - 1].signal();
            early |= leftHead.isSignaled() || rightHead.isSignaled(); // the oldest is pending
            base[0].signal();
            r.r3 = !early && leftHead.isSignaled() && rightHead.isSignaled() ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * unwrap reading a chain c3 -> c2 -> c1 while a walker collects it (f1 then f2 signal, then
     * find(c3, 1) unlinks them). The reader must see a well-formed list: f3 first, then a
     * suffix of the still-linked points in order; never a gap that skips a pending point.
     */

    @JCStressTest
    @Description("Fences.unwrap(c3) vs f1, f2 signalling and find() collecting them: a consistent list.")
    @Outcome(id = "f3,f2,f1, -", expect = ACCEPTABLE, desc = "Read before any collection.")
    @Outcome(id = "f3,f1, -",    expect = ACCEPTABLE, desc = "Read after c2 (signalled) was unlinked.")
    @Outcome(id = "f3, -",       expect = ACCEPTABLE, desc = "Read after every signalled link was unlinked.")
    @Outcome(expect = FORBIDDEN, desc = "Missing head, duplicates, wrong order, or a pending point dropped.")
    @State
    public static class UnwrapVsCollect {
        final Fence f1 = named("f1");
        final Fence f2 = named("f2");
        final Fence f3 = named("f3");
        final FenceChain c3 =
                FenceChain.link(FenceChain.link(FenceChain.link(null, f1, 1), f2, 2), f3, 3);

        @Actor
        public void collector() {
            f1.signal();
            f2.signal();
            FenceChain.find(c3, 1);
        }

        @Actor
        public void reader(LL_Result r) {
            List<Fence> leaves = Fences.unwrap(c3);
            r.r1 = names(leaves);
            // a dropped f2 implies f2 (and so f1) had signalled; a dropped f1 implies f1 had
            String bad = "-";
            if (!leaves.contains(f2) && !f2.isSignaled()) {
                bad = "dropped pending f2";
            }
            if (!leaves.contains(f1) && !f1.isSignaled()) {
                bad = "dropped pending f1";
            }
            r.r2 = bad;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * merge reading the same collecting chain: merge drops signalled leaves, so its result
     * holds f3 and those of f1, f2 it saw pending. Since f1 signals before f2, "f2 dropped
     * but f1 kept" is impossible.
     */

    @JCStressTest
    @Description("Fences.merge(c3) vs f1, f2 signalling and being collected: the pending leaves, sorted by context.")
    @Outcome(id = "f1,f2,f3", expect = ACCEPTABLE, desc = "Nothing had signalled: an array of all three.")
    @Outcome(id = "f2,f3",    expect = ACCEPTABLE, desc = "f1 had signalled: an array of f2 and f3.")
    @Outcome(id = "f3",       expect = ACCEPTABLE, desc = "f1 and f2 had signalled: f3 itself.")
    @Outcome(expect = FORBIDDEN, desc = "f1 kept while f2 dropped, f3 missing, duplicates, or a signalled result.")
    @State
    public static class MergeVsCollect {
        final Fence f1 = named("f1");
        final Fence f2 = named("f2");
        final Fence f3 = named("f3");
        final FenceChain c3 =
                FenceChain.link(FenceChain.link(FenceChain.link(null, f1, 1), f2, 2), f3, 3);

        @Actor
        public void collector() {
            f1.signal();
            f2.signal();
            FenceChain.find(c3, 1);
        }

        @Actor
        public void merger(L_Result r) {
            Fence m = Fences.merge(c3);
            if (m instanceof FenceArray) {
                r.r1 = names(((FenceArray) m).fences());
            } else {
                r.r1 = m == f3 ? "f3" : "unexpected " + m;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Lifetime finding (documented in docs/stress.md): containers do not retain their fences.
     * A chain walker (here isSignaled(), which polls its fence's driver) signals the member on
     * the driver's behalf and runs its callbacks, while the member's owner drops the last
     * reference. The owner's deallocate() can then run before the member's callbacks have run:
     * harmless for garbage-collected fences, a use-after-recycle for pooled driver fences. The
     * kernel's dma_fence_chain holds a reference on its fence, which rules this out.
     */

    @JCStressTest
    @Description("chain.isSignaled() (polls and signals member f) vs f.release() of the last reference: does deallocate see f's callback run?")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "deallocate ran after f's callback had run.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "deallocate ran while the walker (holding no reference) was still to run f's callback.")
    @Outcome(expect = FORBIDDEN, desc = "The callback was lost or ran twice.")
    @State
    public static class WalkerSignalsWithoutReference {
        final Probes.Counter cb = new Probes.Counter();
        final Probes.DriverFence f = new Probes.DriverFence() {
            @Override
            protected void deallocate() {
                runsAtDeallocate = cb.runs();
                super.deallocate();
            }
        };
        final FenceChain chain = FenceChain.link(null, f, 1);
        volatile int runsAtDeallocate = -1;

        {
            f.addCallback(cb);
            f.hwDone = true; // the work is done; the first poll signals the fence
        }

        @Actor
        public void walker() {
            chain.isSignaled();
        }

        @Actor
        public void owner() {
            f.release();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = runsAtDeallocate;
            r.r2 = cb.runs();
        }
    }
}
