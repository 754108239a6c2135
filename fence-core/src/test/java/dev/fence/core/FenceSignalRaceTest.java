package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * Racing signals: exactly one call wins, and a losing call returns only after the winner's error
 * and timestamp are visible (SIGNALED is the single linearization point). Every thread records
 * the error and timestamp it read right after its own call, and each must be the fence's final
 * outcome, the winner's: a loser that read the fields before the winner had written them is
 * caught whoever won.
 */
class FenceSignalRaceTest {

    static final int FENCES = 50_000;
    static final int THREADS = 3;

    @Test
    void exactlyOneWinnerAndLosersSeeItsOutcome() throws Exception {
        Fence[] fences = new Fence[FENCES];
        for (int i = 0; i < FENCES; i++) {
            fences[i] = TestSupport.mockFence();
        }
        AtomicIntegerArray winners = new AtomicIntegerArray(FENCES);
        // what each thread saw right after its call, per fence
        Throwable[][] seenError = new Throwable[THREADS][FENCES];
        long[][] seenTimestamp = new long[THREADS][FENCES];
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        Thread[] ts = new Thread[THREADS];
        for (int id = 0; id < ts.length; id++) {
            int me = id;
            ts[id] = new Thread(() -> {
                RuntimeException mine = new RuntimeException("signaller " + me);
                long myTs = 1000 + me;
                try {
                    start.await();
                    for (int i = 0; i < FENCES; i++) {
                        Fence f = fences[i];
                        boolean won;
                        switch (me) {
                            case 0:
                                won = f.signal(mine);
                                break;
                            case 1:
                                won = f.signal(myTs);
                                break;
                            default:
                                won = f.isSignaled() ? false : f.signal();
                                break;
                        }
                        Throwable err = f.error();
                        // must not throw: published before the loser returns
                        long t = f.timestamp();
                        seenError[me][i] = err;
                        seenTimestamp[me][i] = t;
                        if (won) {
                            winners.incrementAndGet(i);
                            if (me == 0 && err != mine) {
                                problems.add(i + ": winner 0 sees error " + err);
                            }
                            if (me == 1 && (err != null || t != myTs)) {
                                problems.add(i + ": winner 1 sees " + err + " ts " + t);
                            }
                        } else {
                            if (!f.isSignaled()) {
                                problems.add(i + ": loser returned before the fence was signalled");
                            }
                            if (err == mine) {
                                problems.add(i + ": loser " + me + " sees its own error");
                            }
                            if (err != null && !err.getMessage().startsWith("signaller 0")) {
                                problems.add(i + ": unexpected error " + err);
                            }
                            if (me == 1 && t == myTs) {
                                problems.add(i + ": loser 1 sees its own timestamp");
                            }
                        }
                    }
                } catch (Throwable e) {
                    // an exception here (timestamp() of a fence not yet published, say) must fail
                    // the test, not just end this thread while the others go on winning
                    problems.add("signaller " + me + " threw " + e);
                }
            }, "signaller-" + id);
            ts[id].start();
        }
        for (Thread t : ts) {
            TestSupport.join(t);
        }
        assertTrue(problems.isEmpty(),
                () -> problems.size() + " problems, e.g. " + problems.peek());
        int stale = 0;
        String example = null;
        for (int i = 0; i < FENCES; i++) {
            assertEquals(1, winners.get(i), "exactly one winner for fence " + i);
            Throwable err = fences[i].error();
            long ts0 = fences[i].timestamp();
            for (int me = 0; me < THREADS; me++) {
                if (seenError[me][i] != err || seenTimestamp[me][i] != ts0) {
                    stale++;
                    if (example == null) {
                        example = "fence " + i + ": thread " + me + " saw error " + seenError[me][i]
                                + " ts " + seenTimestamp[me][i] + ", the outcome is error " + err
                                + " ts " + ts0;
                    }
                }
            }
        }
        assertEquals(0, stale, stale + " calls saw another outcome than the winner's, e.g. "
                + example);
    }
}
