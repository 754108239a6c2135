package dev.fence.stress;

import static dev.fence.stress.Probes.ERR;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.stress.Probes.Counter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * Ladders: models of two handoffs inside {@link Fence}, each with the access modes weakened one
 * rung at a time, ending with the real {@code Fence}. They show why the named sites use the modes
 * they use; a weak rung reporting its interesting outcome is the expected result, documented in
 * {@code docs/stress.md}.
 *
 * <ol>
 *   <li>Publication (site: {@code Fence.signal0}, {@code STATE.setRelease(this, s | SIGNALED)},
 *       read by {@code isSignaled()}/{@code error()} with {@code STATE.getAcquire}): the signaller
 *       writes the error as a plain field, then publishes the state. With a plain or opaque state
 *       the reader may see "signalled" but no error.
 *   <li>Wake-up (site: {@code Fence.link} under the LOCKED bit versus the signal CAS on the same
 *       {@code state} word): a waiter announces itself and re-checks the state; the signaller
 *       sets the state and checks for waiters. On two separate words with release/acquire, both
 *       can miss each other (store buffering, BasicJMM_07_Consensus): a lost wake-up. Fence
 *       instead serialises both on one word with CAS.
 * </ol>
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t LadderTests[.SubTestName]}
 */
public final class LadderTests {

    private LadderTests() {
    }

    /* ------------------------------------------------------------------------------------------
     * Publication rung 1: everything plain. Nothing orders the error store before the state
     * store, or the state load before the error load: the reader can see state 1 and no error.
     * (On x86 the hardware keeps both orders, so only the JIT can show it; on AArch64 and POWER
     * the hardware does too.)
     */

    @JCStressTest
    @Description("Model: plain error write, plain state write; reader plain. Signalled-without-error is allowed.")
    @Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "Pending; or signalled with the error.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Error seen, state not yet (the reader read state first).")
    @Outcome(id = "1, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "Signalled but no error: why Fence publishes SIGNALED with setRelease and reads it with getAcquire.")
    @Outcome(expect = FORBIDDEN, desc = "Other values cannot happen.")
    @State
    public static class PublicationPlain {
        int state;
        Throwable error;

        @Actor
        public void signaller() {
            error = ERR;
            state = 1;
        }

        @Actor
        public void observer(II_Result r) {
            r.r1 = state;
            r.r2 = error == ERR ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Publication rung 2: opaque state. Opaque gives coherence and progress, but no ordering with
     * the plain error store or load: still broken.
     */

    @JCStressTest
    @Description("Model: plain error, opaque state. Signalled-without-error is still allowed.")
    @Outcome(id = {"0, 0", "1, 1", "0, 1"}, expect = ACCEPTABLE, desc = "Consistent views.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "Signalled but no error: opaque is not enough; Fence needs release/acquire here.")
    @Outcome(expect = FORBIDDEN, desc = "Other values cannot happen.")
    @State
    public static class PublicationOpaque {
        static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup()
                        .findVarHandle(PublicationOpaque.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        int state;
        Throwable error;

        @Actor
        public void signaller() {
            error = ERR;
            STATE.setOpaque(this, 1);
        }

        @Actor
        public void observer(II_Result r) {
            r.r1 = (int) STATE.getOpaque(this);
            r.r2 = error == ERR ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Publication rung 3: release store of the state, acquire load of it: the mode Fence uses.
     * The plain error store cannot sink below the release; the plain error load cannot float
     * above the acquire.
     */

    @JCStressTest
    @Description("Model: plain error, setRelease/getAcquire state (Fence's modes). Signalled implies the error.")
    @Outcome(id = {"0, 0", "1, 1", "0, 1"}, expect = ACCEPTABLE, desc = "Consistent views.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled without the error: release/acquire broken.")
    @State
    public static class PublicationReleaseAcquire {
        static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup()
                        .findVarHandle(PublicationReleaseAcquire.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        int state;
        Throwable error;

        @Actor
        public void signaller() {
            error = ERR;
            STATE.setRelease(this, 1);
        }

        @Actor
        public void observer(II_Result r) {
            r.r1 = (int) STATE.getAcquire(this);
            r.r2 = error == ERR ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Publication rung 4: the real Fence.
     */

    @JCStressTest
    @Description("Fence: signal(ERR) vs isSignaled() then error(). Signalled implies ERR.")
    @Outcome(id = {"false, 0", "true, 1"}, expect = ACCEPTABLE, desc = "Pending; or signalled with ERR.")
    @Outcome(expect = FORBIDDEN, desc = "Signalled without ERR.")
    @State
    public static class PublicationFence {
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

    /* ------------------------------------------------------------------------------------------
     * Wake-up rung 1: waiter flag and state on two words, release stores and acquire loads.
     * Signaller: state = 1; sees a waiter? Waiter: waiter = 1; sees the state? Release/acquire
     * does not order a store before a later load (x86 store buffers do exactly this), so both
     * can read 0: the signaller wakes nobody and the waiter parks: a lost wake-up.
     */

    @JCStressTest
    @Description("Model: announce-then-check on two words with release/acquire. Both missing each other is allowed.")
    @Outcome(id = {"1, 0", "0, 1", "1, 1"}, expect = ACCEPTABLE, desc = "At least one side saw the other: the waiter is woken or does not park.")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "Lost wake-up: why Fence links waiters under LOCKED on the state word that the signal CASes.")
    @Outcome(expect = FORBIDDEN, desc = "Other values cannot happen.")
    @State
    public static class WakeupReleaseAcquire {
        static final VarHandle STATE;
        static final VarHandle WAITER;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                STATE = l.findVarHandle(WakeupReleaseAcquire.class, "state", int.class);
                WAITER = l.findVarHandle(WakeupReleaseAcquire.class, "waiter", int.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        int state;
        int waiter;

        @Actor
        public void signaller(II_Result r) {
            STATE.setRelease(this, 1);
            r.r1 = (int) WAITER.getAcquire(this);
        }

        @Actor
        public void waiter(II_Result r) {
            WAITER.setRelease(this, 1);
            r.r2 = (int) STATE.getAcquire(this);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Wake-up rung 2: the same on volatile (sequentially consistent) words: one of the two
     * stores is first in the total order, so the other side's load sees it.
     */

    @JCStressTest
    @Description("Model: announce-then-check on two volatile words. Both missing each other is forbidden.")
    @Outcome(id = {"1, 0", "0, 1", "1, 1"}, expect = ACCEPTABLE, desc = "At least one side saw the other.")
    @Outcome(expect = FORBIDDEN, desc = "Lost wake-up.")
    @State
    public static class WakeupVolatile {
        volatile int state;
        volatile int waiter;

        @Actor
        public void signaller(II_Result r) {
            state = 1;
            r.r1 = waiter;
        }

        @Actor
        public void waiter(II_Result r) {
            waiter = 1;
            r.r2 = state;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Wake-up rung 3: the real Fence. A queued callback stands for the parked waiter (Fence's
     * waiters are callback nodes): "queued but never run" is the lost wake-up.
     */

    @JCStressTest
    @Description("Fence: addCallback (the waiter's link) vs signal(): queued implies run.")
    @Outcome(id = {"true, 1", "false, 0"}, expect = ACCEPTABLE, desc = "Queued and woken; or saw the signal and did not queue.")
    @Outcome(expect = FORBIDDEN, desc = "Queued but never run: a lost wake-up.")
    @State
    public static class WakeupFence {
        final Fence f = Fence.create(Fence.allocateContexts(1), 1);
        final Counter cb = new Counter();

        @Actor
        public void signaller() {
            f.signal();
        }

        @Actor
        public void waiter(ZI_Result r) {
            r.r1 = f.addCallback(cb);
        }

        @Arbiter
        public void arbiter(ZI_Result r) {
            r.r2 = cb.runs();
        }
    }
}
