package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A StackOverflowError inside signal0 between the SIGNALING claim and the publishing store leaves
 * the fence "signalling" forever (every isSignaled/release/retain/await then spins for good).
 * Earlier in the twentieth session signal0 looked up FenceThread.current() (ThreadLocal.get, and
 * on a thread's first signal its initial value: several frames and allocations) inside that
 * window; it now does so before the claim when callbacks seem queued. The window itself remains
 * (System.nanoTime and the publishing store are calls when interpreted), so this counts. Since
 * the twenty-ninth session the window has two parts (SIGNALING, then SIGNALED with SIGNALING
 * while the clock is read); a fence stuck in the second reads "signalled" in describe() but
 * hangs timestamp() and every refcount update, so the count reads the SIGNALING bit itself.
 */
class FenceSignalStackOverflowTest {

    static final int N = 20_000;
    Fence[] fences;
    int idx;

    void rec() {
        try {
            rec();
        } catch (StackOverflowError e) {
            // deepest frame: start signalling on the way up
        }
        if (idx < fences.length) {
            Fence f = fences[idx++];
            try {
                f.signal();
            } catch (StackOverflowError e) {
                // expected near the limit
            }
        }
    }

    @Test
    void stackOverflowInsideSignalNeverLeavesAFenceSignalling() throws Exception {
        // Initialise every class a signal touches first: a StackOverflowError inside a static
        // initialiser would break that class for the rest of the JVM (and other tests).
        Fence warm = Fence.create(Fence.allocateContexts(1), 1);
        warm.onSignal(x -> { });
        warm.signal();
        int stuckTotal = 0;
        List<String> examples = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            fences = new Fence[N];
            long ctx = Fence.allocateContexts(1);
            for (int i = 0; i < N; i++) {
                fences[i] = Fence.create(ctx, i + 1);
                fences[i].onSignal(x -> { });
            }
            idx = 0;
            Thread t = new Thread(null, this::rec, "deep-" + round, 1 << 18);
            t.start();
            t.join();
            for (int i = 0; i < idx; i++) {
                int s = (int) FenceStampingWindowTest.STATE.getVolatile(fences[i]);
                if ((s & Fence.SIGNALING) != 0) {
                    stuckTotal++;
                    if (examples.size() < 3) {
                        examples.add("round " + round + " #" + i + ": " + fences[i].describe()
                                + ", state 0x" + Integer.toHexString(s));
                    }
                }
            }
        }
        // Before the lookup moved into the window 0 to 2 were left here; with it inside, 58 to 196;
        // with the lookup before the claim, 0 in five runs.
        assertTrue(stuckTotal < 10, stuckTotal + " fences left SIGNALING forever: " + examples);
    }
}
