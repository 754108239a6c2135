package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Port of the kernel's {@code drivers/dma-buf/st-dma-fence-chain.c}. {@code find_seqno}
 * returning {@code -EINVAL} maps to {@link IllegalArgumentException}; a NULL result (point
 * already signalled and collected) maps to {@link Fence#signaledStub()}.
 */
class StDmaFenceChainTest {

    static final int CHAIN_SZ = 4 << 10;

    /** The selftest's {@code struct fence_chains}. */
    static final class FenceChains {
        final Fence[] fences;
        final FenceChain[] chains;
        final FenceChain tail;

        FenceChains(int count, LongUnaryOperator seqnoFn) {
            fences = new Fence[count];
            chains = new FenceChain[count];
            FenceChain t = null;
            for (int i = 0; i < count; i++) {
                fences[i] = mockFence();
                chains[i] = FenceChain.link(t, fences[i], seqnoFn.applyAsLong(i));
                t = chains[i];
                chains[i].enableSignaling();
            }
            tail = t;
        }

        /** {@code fence_chains_fini}: signal everything; every link must then be signalled. */
        void fini() {
            for (Fence f : fences) {
                f.signal();
            }
            for (FenceChain c : chains) {
                assertTrue(c.isSignaled(), () -> "link not signalled after fini: " + c.describe());
            }
        }
    }

    static long seqnoInc(long i) {
        return i + 1;
    }

    static long seqnoInc2(long i) {
        return 2 * i + 2;
    }

    @Test
    void sanitycheck() {
        Fence f = mockFence();
        FenceChain chain = FenceChain.link(null, f, 1);
        chain.enableSignaling();
        assertFalse(chain.isSignaled());
        f.signal();
        assertTrue(chain.isSignaled());
        assertTrue(chain.release());
    }

    @Test
    void find_seqno() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc);
        assertSame(fc.tail, FenceChain.find(fc.tail, 0), "reported a fence for the zero point");
        for (int i = 0; i < fc.chains.length; i++) {
            int k = i;
            Fence fence = FenceChain.find(fc.tail, i + 1);
            assertSame(fc.chains[i], fence, () -> "incorrect fence for seqno " + (k + 1));

            assertSame(fc.chains[i], FenceChain.find(fence, i + 1), "fence did not find itself");

            assertThrows(IllegalArgumentException.class, () -> FenceChain.find(fc.chains[k], k + 2),
                    "found a future fence");

            Fence earlier = FenceChain.find(fc.chains[i], i);
            if (i > 0) {
                assertSame(fc.chains[i - 1], earlier, () -> "incorrect fence for seqno " + k);
            } else {
                assertSame(fc.chains[0], earlier, "point 0 returns the start link itself");
            }
        }
        fc.fini();
    }

    @Test
    void find_signaled() {
        FenceChains fc = new FenceChains(2, StDmaFenceChainTest::seqnoInc);
        fc.fences[0].signal();
        Fence fence = FenceChain.find(fc.tail, 1);
        if (fence != Fence.signaledStub() && fence != fc.chains[0]) {
            fail("incorrect chain-fence for seqno 1: " + fence);
        }
        assertTrue(fence.isSignaled());
        fc.fini();
    }

    @Test
    void find_out_of_order() {
        FenceChains fc = new FenceChains(3, StDmaFenceChainTest::seqnoInc);
        fc.fences[1].signal();
        // Point 2 is not reached until point 1 (fences[0]) signals: the answer must be chains[0].
        Fence fence = FenceChain.find(fc.tail, 2);
        assertSame(fc.chains[0], fence, "found the wrong fence: " + fence);
        assertFalse(fc.chains[1].isSignaled(), "point 2 reported signalled before point 1");
        fc.fini();
    }

    @Test
    void find_gap() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc2);
        for (int i = 0; i < fc.chains.length; i++) {
            int k = i;
            Fence fence = FenceChain.find(fc.tail, 2L * i + 1);
            assertSame(fc.chains[i], fence, () -> "incorrect fence for seqno " + (2 * k + 1));
            assertSame(fence, FenceChain.find(fence, 2L * i + 2), "fence did not find itself");
        }
        fc.fini();
    }

    @Test
    void find_race() throws Exception {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong cycles = new AtomicLong();
        Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                int len = fc.chains.length;
                try {
                    while (!stop.get()) {
                        long seqno = 1 + rnd.nextInt(len);
                        Fence fence = FenceChain.find(fc.tail, seqno);
                        if (fence != Fence.signaledStub()) {
                            assertEquals(fc.tail.context(), fence.context(), "left the timeline");
                            // An earlier link is a correct answer only if every point between
                            // it and the requested one has signalled (they were collected).
                            for (long pt = fence.seqno() + 1; pt <= seqno; pt++) {
                                assertTrue(fc.fences[(int) pt - 1].isSignaled(),
                                        "found an earlier point whose successors are pending");
                            }
                            if (fence.seqno() == seqno) {
                                assertSame(fence, FenceChain.find(fence, seqno),
                                        "did not find self");
                            }
                        }
                        fc.fences[rnd.nextInt(len - 1)].signal();
                        cycles.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "find-race-" + t);
            threads[t].start();
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
        long giveUp = System.nanoTime() + TestSupport.PATIENCE_NANOS;
        while ((System.nanoTime() - end < 0 || cycles.get() == 0)
                && System.nanoTime() - giveUp < 0 && failure.get() == null) {
            Thread.sleep(10); // a delay only
        }
        stop.set(true);
        for (Thread t : threads) {
            TestSupport.join(t);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(cycles.get() > 0);
        fc.fini();
    }

    @Test
    void signal_forward() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc);
        for (int i = 0; i < fc.chains.length; i++) {
            fc.fences[i].signal();
            assertTrue(fc.chains[i].isSignaled(), "chain[" + i + "] not signaled!");
            if (i + 1 < fc.chains.length) {
                assertFalse(fc.chains[i + 1].isSignaled(), "chain[" + (i + 1) + "] is signaled!");
            }
        }
        fc.fini();
    }

    @Test
    void signal_backward() {
        FenceChains fc = new FenceChains(64, StDmaFenceChainTest::seqnoInc);
        for (int i = fc.chains.length - 1; i >= 0; i--) {
            fc.fences[i].signal();
            if (i > 0) {
                assertFalse(fc.chains[i].isSignaled(), "chain[" + i + "] is signaled!");
            }
        }
        for (int i = 0; i < fc.chains.length; i++) {
            assertTrue(fc.chains[i].isSignaled(), "chain[" + i + "] was not signaled!");
        }
        fc.fini();
    }

    /** Starts a thread waiting on the tail and returns once it is parked on it. */
    private static Thread startWaiter(FenceChains fc, AtomicReference<Throwable> failure,
            AtomicBoolean returned) {
        Thread t = new Thread(() -> {
            try {
                assertTrue(fc.tail.await(60, TimeUnit.SECONDS), "waiter timed out");
                assertTrue(fc.tail.isSignaled());
                returned.set(true);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "chain-waiter");
        t.start();
        TestSupport.awaitCondition("the waiter to park on the tail", fc.tail::hasCallbacks);
        return t;
    }

    private static void waitTest(FenceChains fc, int[] order) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean returned = new AtomicBoolean();
        Thread waiter = startWaiter(fc, failure, returned);
        for (int i : order) {
            fc.fences[i].signal();
        }
        TestSupport.join(waiter);
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(returned.get());
        assertFalse(fc.tail.hasCallbacks());
        fc.fini();
    }

    @Test
    void wait_forward() throws InterruptedException {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        int[] order = new int[CHAIN_SZ];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        waitTest(fc, order);
    }

    @Test
    void wait_backward() throws InterruptedException {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        int[] order = new int[CHAIN_SZ];
        for (int i = 0; i < order.length; i++) {
            order[i] = CHAIN_SZ - 1 - i;
        }
        waitTest(fc, order);
    }

    @Test
    void wait_random() throws InterruptedException {
        FenceChains fc = new FenceChains(CHAIN_SZ, StDmaFenceChainTest::seqnoInc);
        int[] order = new int[CHAIN_SZ];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Random rnd = new Random(0x5eed);
        for (int i = order.length - 1; i > 0; i--) { // Fisher-Yates
            int j = rnd.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        waitTest(fc, order);
    }
}
