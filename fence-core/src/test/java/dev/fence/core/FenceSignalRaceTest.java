package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * Racing signals: exactly one call wins, and a losing call returns only after the winner's error
 * and timestamp are visible (SIGNALED is the single linearization point).
 */
class FenceSignalRaceTest {

    static final int FENCES = 50_000;

    @Test
    void exactlyOneWinnerAndLosersSeeItsOutcome() throws Exception {
        Fence[] fences = new Fence[FENCES];
        for (int i = 0; i < FENCES; i++) {
            fences[i] = TestSupport.mockFence();
        }
        AtomicIntegerArray winners = new AtomicIntegerArray(FENCES);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CyclicBarrier start = new CyclicBarrier(3);
        Thread[] ts = new Thread[3];
        for (int id = 0; id < ts.length; id++) {
            int me = id;
            ts[id] = new Thread(() -> {
                RuntimeException mine = new RuntimeException("signaller " + me);
                long myTs = 1000 + me;
                try {
                    start.await();
                } catch (Exception e) {
                    problems.add(e.toString());
                    return;
                }
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
                    if (won) {
                        winners.incrementAndGet(i);
                        if (me == 0 && err != mine) {
                            problems.add(i + ": winner 0 sees error " + err);
                        }
                        if (me == 1 && (err != null || f.timestamp() != myTs)) {
                            problems.add(i + ": winner 1 sees " + err + " ts " + f.timestamp());
                        }
                    } else {
                        if (!f.isSignaled()) {
                            problems.add(i + ": loser returned before the fence was signalled");
                        }
                        long t = f.timestamp(); // must not throw: published before the loser returns
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
            }, "signaller-" + id);
            ts[id].start();
        }
        for (Thread t : ts) {
            TestSupport.join(t);
        }
        assertTrue(problems.isEmpty(), () -> problems.size() + " problems, e.g. " + problems.peek());
        for (int i = 0; i < FENCES; i++) {
            assertEquals(1, winners.get(i), "exactly one winner for fence " + i);
        }
    }
}
