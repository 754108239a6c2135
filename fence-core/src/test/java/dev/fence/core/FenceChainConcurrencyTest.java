package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/**
 * A timeline chain that grows while its points complete and while other threads find and wait
 * for points: every wait returns, every find answers a point that is reached only when the
 * requested point is, and the chain stays bounded.
 */
class FenceChainConcurrencyTest {

    static final int POINTS = 60_000;
    static final int IN_FLIGHT = 64;

    @Test
    void appendSignalFindAndWaitConcurrently() throws Exception {
        AtomicReferenceArray<Fence> fences = new AtomicReferenceArray<>(POINTS + 1);
        AtomicReference<FenceChain> head = new AtomicReference<>();
        AtomicLong appended = new AtomicLong();
        AtomicLong signalled = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong finds = new AtomicLong();
        AtomicLong maxWalk = new AtomicLong();

        Thread appender = new Thread(() -> {
            FenceChain h = null;
            for (int p = 1; p <= POINTS; p++) {
                while (p - signalled.get() > IN_FLIGHT) {
                    Thread.onSpinWait(); // keep at most IN_FLIGHT points pending
                }
                Fence f = TestSupport.mockFence();
                fences.set(p, f);
                h = FenceChain.link(h, f, p);
                head.set(h);
                appended.set(p);
                if ((p & 0x3ff) == 0) {
                    int n = 0;
                    for (Fence node = h; node != null; n++) {
                        node = node instanceof FenceChain ? ((FenceChain) node).prev() : null;
                    }
                    maxWalk.accumulateAndGet(n, Math::max);
                }
            }
        }, "appender");
        Thread signaller = new Thread(() -> {
            for (int p = 1; p <= POINTS; p++) {
                while (appended.get() < p) {
                    Thread.onSpinWait();
                }
                fences.get(p).signal();
                signalled.set(p);
            }
        }, "signaller");
        Thread[] finders = new Thread[2];
        for (int t = 0; t < finders.length; t++) {
            finders[t] = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                try {
                    while (signalled.get() < POINTS) {
                        FenceChain h = head.get();
                        if (h == null) {
                            continue;
                        }
                        long top = h.seqno();
                        long point = 1 + rnd.nextLong(top);
                        Fence found = FenceChain.find(h, point);
                        finds.incrementAndGet();
                        if (found.isSignaled()) {
                            for (long q = Math.max(1, point - 3); q <= point; q++) {
                                assertTrue(fences.get((int) q).isSignaled(),
                                        "found fence signalled before point " + q);
                            }
                        } else if (rnd.nextInt(16) == 0) {
                            assertTrue(found.await(30, TimeUnit.SECONDS), "waiter never woken");
                            assertTrue(fences.get((int) point).isSignaled());
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "finder-" + t);
        }
        appender.start();
        signaller.start();
        for (Thread t : finders) {
            t.start();
        }
        TestSupport.join(appender);
        TestSupport.join(signaller);
        for (Thread t : finders) {
            TestSupport.join(t);
        }
        assertTrue(failures.isEmpty(), () -> "failed: " + failures.peek());
        assertTrue(finds.get() > 0);
        FenceChain h = head.get();
        assertEquals(POINTS, h.seqno());
        assertTrue(h.isSignaled());
        assertTrue(maxWalk.get() <= 4L * IN_FLIGHT + 8,
                "chain grew to " + maxWalk.get() + " links");
    }
}
