package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.ERR;
import static dev.fence.stress.Probes.ERR2;
import static dev.fence.stress.Probes.FALSE;
import static dev.fence.stress.Probes.TRUE;
import static dev.fence.stress.Probes.fresh;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.stress.Probes.Counter;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * {@link FenceArray}: with members signalling concurrently the array signals exactly once (its
 * callbacks run once), with the right error; enabling the array races its members.
 *
 * <p>How to run:
 * {@code java -jar fence-stress/target/jcstress.jar -t FenceArrayTests[.SubTestName]}
 */
public final class FenceArrayTests {

    private FenceArrayTests() {
    }

    /* ------------------------------------------------------------------------------------------
     * all(a, b): a signals with ERR, b without, at the same time. The array signals once, after
     * both, carrying ERR (the only member error).
     */

    @JCStressTest
    @Description("all(a, b) with a.signal(ERR) vs b.signal(): the array signals once, with ERR.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "One array signal (callback ran once), carrying ERR.")
    @Outcome(expect = FORBIDDEN, desc = "Array signalled twice / never, or lost or invented the member error.")
    @State
    public static class AllMembersRace {
        final Fence a = fresh();
        final Fence b = fresh();
        final FenceArray arr = FenceArray.all(a, b);
        final Counter cb = new Counter();

        {
            arr.addCallback(cb);
        }

        @Actor
        public void signallerA() {
            a.signal(ERR);
        }

        @Actor
        public void signallerB() {
            b.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = cb.runs();
            r.r2 = Probes.errorCode(arr, ERR);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * all(a, b) with two member errors: the array carries one of them (the first it observed).
     */

    @JCStressTest
    @Description("all(a, b) with a.signal(ERR) vs b.signal(ERR2): the array signals once with ERR or ERR2.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Signalled once, carrying a's ERR.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Signalled once, carrying b's ERR2.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled twice / never, or with no error although both members failed.")
    @State
    public static class AllMembersBothFail {
        final Fence a = fresh();
        final Fence b = fresh();
        final FenceArray arr = FenceArray.all(a, b);
        final Counter cb = new Counter();

        {
            arr.addCallback(cb);
        }

        @Actor
        public void signallerA() {
            a.signal(ERR);
        }

        @Actor
        public void signallerB() {
            b.signal(ERR2);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = cb.runs();
            Throwable e = arr.error();
            r.r2 = e == ERR ? 1 : e == ERR2 ? 2 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * AllMembersRace with the race paced (Probes.Pacer, a's first callback, ahead of the
     * array's member callback): b's signaller starts as a's member callback is about to run.
     * A member records its error before it takes its count off the array's pending count, so
     * the member that takes the count to 0 finds every earlier member's error. The other order
     * fails only when b's whole step (decrement, read of the first error) falls between a's
     * decrement and a's error write, a few instructions: unpaced, 6 of 774 K samples.
     */

    @JCStressTest
    @Description("all(a, b), a.signal(ERR) vs b.signal() started as a's callbacks run: the array signals once, with ERR.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "One array signal (callback ran once), carrying ERR.")
    @Outcome(expect = FORBIDDEN, desc = "Array signalled twice / never, or lost or invented the member error.")
    @State
    public static class PacedAllMembersRace {
        final Fence a = fresh();
        final Fence b = fresh();
        final Probes.Pacer pacer = new Probes.Pacer(Probes.Pacer.SPREAD_NANOS);
        final FenceArray arr;
        final Counter cb = new Counter();

        {
            a.addCallback(pacer); // before the array's member callback on a
            arr = FenceArray.all(a, b);
            arr.addCallback(cb);
        }

        @Actor
        public void signallerA() {
            a.signal(ERR);
        }

        @Actor
        public void signallerB() {
            pacer.awaitGo();
            b.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = cb.runs();
            r.r2 = Probes.errorCode(arr, ERR);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * any(a, b) with both members signalling at once: the array signals exactly once, with the
     * outcome of one of its members (ERR from a, or success from b).
     */

    @JCStressTest
    @Description("any(a, b) with a.signal(ERR) vs b.signal(): the array signals once, with a member's outcome.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Signalled once, carrying a's ERR.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Signalled once, successfully, as b did.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled twice or never, or with an error no member had.")
    @State
    public static class AnyMembersRace {
        final Fence a = fresh();
        final Fence b = fresh();
        final FenceArray arr = FenceArray.any(a, b);
        final Counter cb = new Counter();

        {
            arr.addCallback(cb);
        }

        @Actor
        public void signallerA() {
            a.signal(ERR);
        }

        @Actor
        public void signallerB() {
            b.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = cb.runs();
            r.r2 = Probes.errorCode(arr, ERR);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * any(a, b) where only a signals (with ERR), observed concurrently: once the observer sees
     * the array signalled, it must see a's ERR (b never signalled, so "success" is wrong).
     */

    @JCStressTest
    @Description("any(a, b), a.signal(ERR) vs observer arr.isSignaled() then arr.error(): signalled implies ERR.")
    @Outcome(id = "false, 0", expect = ACCEPTABLE, desc = "Observed before a signalled.")
    @Outcome(id = "true, 1",  expect = ACCEPTABLE, desc = "Observed signalled, carrying a's ERR.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled without ERR (the deciding member's error was not published first).")
    @State
    public static class AnyCarriesDecidingError {
        final Fence a = fresh();
        final Fence b = fresh();
        final FenceArray arr = FenceArray.any(a, b);

        {
            arr.enableSignaling();
        }

        @Actor
        public void signallerA() {
            a.signal(ERR);
        }

        @Actor
        public void observer(ZI_Result r) {
            r.r1 = arr.isSignaled();
            r.r2 = r.r1 ? Probes.errorCode(arr, ERR) : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Enabling the array (its first callback) races the members signalling: the member watches
     * are installed lazily, so the array may learn a member is done through its callback or
     * through addCallback returning false. Either way: the array signals once, and the array
     * callback runs iff it was queued.
     */

    @JCStressTest
    @Description("all(a, b): first arr.addCallback vs a.signal(); b.signal(): callback runs iff queued; array signals once.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Queued before the array signalled; ran once.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The array had signalled (members done first); not queued, not run.")
    @Outcome(expect = FORBIDDEN, desc = "Ran without being queued, lost, doubled, or the array is not signalled at the end.")
    @State
    public static class EnableVsMembersSignal {
        final Fence a = fresh();
        final Fence b = fresh();
        final FenceArray arr = FenceArray.all(a, b);
        final Counter cb = new Counter();

        @Actor
        public void adder(III_Result r) {
            r.r1 = Probes.add(arr, cb);
        }

        @Actor
        public void signaller() {
            a.signal();
            b.signal();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = cb.runs();
            r.r3 = arr.isSignaled() ? 1 : BROKEN;
            if (r.r1 != TRUE && r.r1 != FALSE) {
                r.r1 = BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * any(a, b): enabling the array (which installs a member callback on a, then on b) races a
     * signalling. Whoever comes second must take the callbacks off the members that did not
     * decide: the hook (if the array fired while it was installing) or the signaller's detach
     * (if the hook had finished). A callback left on b is seen by releasing b's last reference
     * (the test's and the array's):
     * a pending fence that still has callbacks is then signalled with FenceReleasedException.
     */

    @JCStressTest
    @Description("any(a, b): arr.enableSignaling() vs a.signal(): no member callback is left on b.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The array signalled and b holds no callback.")
    @Outcome(expect = FORBIDDEN, desc = "A member callback was left on b, or the array did not signal.")
    @State
    public static class AnyEnableVsSignalDetaches {
        final Fence a = fresh();
        final Fence b = fresh();
        final FenceArray arr = FenceArray.any(a, b);

        @Actor
        public void enabler() {
            arr.enableSignaling();
        }

        @Actor
        public void signaller() {
            a.signal();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            // Drop ours and, on the array's behalf, the one it holds on b (the array is never
            // released, so nothing else will): the last release signals b only if a callback
            // is still queued on it.
            b.release();
            b.release();
            r.r1 = b.isSignaled() ? 1 : 0;
            r.r2 = arr.isSignaled() ? 1 : 0;
        }
    }

    /**
     * all(m) over one driver fence, enabled: m holds the member callback and the array's
     * reference.
     */
    public static class EnabledArrayOfOne {
        final Probes.DriverFence m = new Probes.DriverFence();
        final FenceArray arr = FenceArray.all(m);

        {
            arr.enableSignaling();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The array's last release vs its member's owner letting go. all(m) holds a reference on m
     * and, once enabled, a member callback on it. The array's deallocate() takes that callback
     * off m before it releases m, so whichever of the two releases is m's last finds no callback
     * and leaves m pending (a callback still queued would make the last release signal m with
     * FenceReleasedException). m's deallocate runs once.
     */

    @JCStressTest
    @Description("all(m) enabled; arr.release() vs m.release() (the owner's): m deallocated once, never force-signalled.")
    @Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "m released twice, deallocated once, still pending; the array did not signal.")
    @Outcome(expect = FORBIDDEN, desc = "m force-signalled (a member callback outlived the array's deallocate), deallocated twice or never, or the array signalled.")
    @State
    public static class LastReleaseVsOwnerRelease extends EnabledArrayOfOne {

        @Actor
        public void arrayHolder() {
            arr.release();
        }

        @Actor
        public void owner() {
            m.release();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = m.isSignaled() ? 1 : 0;
            r.r2 = m.deallocateCalls.get();
            r.r3 = arr.isSignaled() ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The array's last release vs its member signalling. The member callback either ran (the
     * array signals, though nobody holds it any more) or was removed first (the array stays
     * pending). Either way m signalled without error and the array gave back exactly its one
     * reference: the owner's release is then m's last.
     */

    @JCStressTest
    @Description("all(m) enabled; arr.release() vs m.signal(): the member callback runs or is removed, m's references balance.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The member callback ran before the removal: the array signalled; m balanced.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The array's deallocate removed the callback first: the array stays pending; m balanced.")
    @Outcome(expect = FORBIDDEN, desc = "m carries an error, the owner's release was not m's last, m deallocated twice or never.")
    @State
    public static class LastReleaseVsMemberSignal extends EnabledArrayOfOne {

        @Actor
        public void arrayHolder() {
            arr.release();
        }

        @Actor
        public void signaller() {
            m.signal();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = arr.isSignaled() ? 1 : 0;
            boolean last = m.release();
            r.r2 = last && m.error() == null && m.isSignaled() ? 1 : BROKEN;
            r.r3 = m.deallocateCalls.get();
        }
    }
}
