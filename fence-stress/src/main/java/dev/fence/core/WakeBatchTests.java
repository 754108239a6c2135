package dev.fence.core;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Fence's shared wake-up ({@code Fence.WakeBatch}): the signaller and the waiters it wakes pop
 * the parked waiters off one stack together, each pop a CAS on the stack's top. These tests
 * drive the stack directly, since a real three-waiter race needs three actors and a 2-CPU
 * machine schedules at most two (jcstress refuses the test); they live in {@code dev.fence.core}
 * because the stack and its nodes are package-private. The waiters' threads are never started,
 * so their unparks do nothing.
 *
 * <p>How to run: {@code java -jar fence-stress/target/jcstress.jar -t WakeBatchTests}
 */
public final class WakeBatchTests {

    /** Never started: unparking it is a no-op. */
    static final Thread IDLE = new Thread(() -> { }, "wake-batch-idle");

    private WakeBatchTests() {
    }

    /** Three waiters linked as Fence.runCallbacks links them, the bottom's next cut to null. */
    static Fence.Waiter[] stack() {
        Fence.Waiter[] w = {new Fence.Waiter(IDLE), new Fence.Waiter(IDLE), new Fence.Waiter(IDLE)};
        w[0].next = w[1];
        w[1].next = w[2];
        w[2].next = null;
        return w;
    }

    @JCStressTest
    @Description("Two drains of one three-waiter batch race: every waiter is handed the batch.")
    @Outcome(id = "3, 1", expect = ACCEPTABLE, desc = "Every waiter was popped and handed the batch; the signaller's drain returned on an empty stack.")
    @Outcome(expect = FORBIDDEN, desc = "A waiter was never popped (a lost wake-up), or the signaller's drain returned while waiters were left.")
    @State
    public static class TwoDrainsWakeEveryWaiter {
        final Fence.Waiter[] w = stack();
        final Fence.WakeBatch batch = new Fence.WakeBatch(w[0], 3);
        int emptyAfterSignaller;

        @Actor
        public void signaller() {
            batch.drain();
            // The signaller runs the user callbacks next: no waiter may be left to wake.
            emptyAfterSignaller = batch.isEmpty() ? 1 : 0;
        }

        @Actor
        public void helper() {
            batch.drain();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = 3 - unhanded();
            r.r2 = emptyAfterSignaller;
        }

        private int unhanded() {
            int n = 0;
            for (Fence.Waiter x : w) {
                if (x.batch != batch) {
                    n++;
                }
            }
            return n;
        }
    }

    @JCStressTest
    @Description("The signaller drains a two-waiter batch while its top waiter returns on its own (it saw the signal first): the returning waiter is counted exactly once, by itself or by its pop.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The pop came first: the returning waiter found the batch in its node and counted itself.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "The waiter returned first and marked its node LEFT: the pop counted it and unparked nobody.")
    @Outcome(expect = FORBIDDEN, desc = "The returning waiter was counted twice or never (the batch's count, and so Fence.WAKING, would be wrong for good), or the stack was left non-empty.")
    @State
    public static class ReturnVsPop {
        final Fence.Waiter[] w = stack();
        final Fence.WakeBatch batch;

        {
            w[1].next = null; // a two-waiter batch: w[0] on top of w[1]
            batch = new Fence.WakeBatch(w[0], 2);
        }

        @Actor
        public void signaller() {
            batch.drain();
        }

        @Actor
        public void returningWaiter() {
            // What awaitSlow does on its way out.
            Fence.WakeBatch helping = Fence.leaveBatch(w[0]);
            if (helping != null) {
                helping.drain();
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            // w[1]'s thread never runs: exactly w[0] must be counted, leaving one.
            r.r1 = batch.isEmpty() ? batch.unresumedCount() : -1;
            Object mark = w[0].batch;
            r.r2 = mark == batch ? 1 : mark == Fence.WakeBatch.LEFT ? 2 : 0;
        }
    }
}
