package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Million-deep cascades on a deliberately small (256 KiB) thread stack: a recursive
 * implementation overflows within a few thousand levels there.
 */
class FenceCascadeTest {

    static final int DEPTH = 1_000_000;
    static final long SMALL_STACK = 256 * 1024;

    /** Signals {@code next} when run; counts how many ran. */
    private static final class SignalNext extends FenceCallback {
        private final Fence next;
        private final int[] ran;

        SignalNext(Fence next, int[] ran) {
            this.next = next;
            this.ran = ran;
        }

        @Override
        protected void onSignaled(Fence fence) {
            ran[0]++;
            if (next != null) {
                next.signal();
            }
        }
    }

    @Test
    void userCallbacksSignallingTheNextFence() throws InterruptedException {
        TestSupport.runWithStack(SMALL_STACK, () -> {
            Fence[] fences = new Fence[DEPTH];
            for (int i = 0; i < DEPTH; i++) {
                fences[i] = mockFence();
            }
            int[] ran = {0};
            for (int i = 0; i < DEPTH; i++) {
                Fence next = i + 1 < DEPTH ? fences[i + 1] : null;
                assertTrue(fences[i].addCallback(new SignalNext(next, ran)));
            }
            long failures = Fences.callbackFailures();
            assertTrue(fences[0].signal());
            assertEquals(DEPTH, ran[0], "every callback ran");
            assertTrue(fences[DEPTH - 1].isSignaled());
            assertEquals(failures, Fences.callbackFailures(),
                    "no callback failed (e.g. with StackOverflowError)");
        });
    }

    @Test
    void arraysWhoseCallbackSignalsTheNextMember() throws InterruptedException {
        TestSupport.runWithStack(SMALL_STACK, () -> {
            // f_i -> all(f_i) -> callback signals f_{i+1}; built lazily from inside the cascade so
            // that only a few levels are alive at a time, but all in one signal() call.
            int[] ran = {0};
            AtomicReference<FenceArray> last = new AtomicReference<>();
            final class Step extends FenceCallback {
                @Override
                protected void onSignaled(Fence fence) {
                    ran[0]++;
                    if (ran[0] < DEPTH) {
                        Fence next = mockFence();
                        FenceArray array = FenceArray.all(next);
                        last.set(array);
                        assertTrue(array.addCallback(new Step()));
                        assertTrue(next.signal());
                    }
                }
            }
            Fence first = mockFence();
            FenceArray array0 = FenceArray.all(first);
            assertTrue(array0.addCallback(new Step()));
            long failures = Fences.callbackFailures();
            assertTrue(first.signal());
            assertEquals(DEPTH, ran[0], "the cascade reached the end");
            assertTrue(last.get().isSignaled());
            assertEquals(failures, Fences.callbackFailures());
        });
    }

    @Test
    void prebuiltArrayCascade() throws InterruptedException {
        int depth = DEPTH / 4; // prebuilt: every level alive at once
        TestSupport.runWithStack(SMALL_STACK, () -> {
            Fence[] fences = new Fence[depth];
            for (int i = 0; i < depth; i++) {
                fences[i] = mockFence();
            }
            int[] ran = {0};
            FenceArray lastArray = null;
            for (int i = 0; i < depth; i++) {
                FenceArray a = FenceArray.all(fences[i]);
                Fence next = i + 1 < depth ? fences[i + 1] : null;
                assertTrue(a.addCallback(new SignalNext(next, ran)));
                lastArray = a;
            }
            long failures = Fences.callbackFailures();
            fences[0].signal();
            assertEquals(depth, ran[0]);
            assertTrue(lastArray.isSignaled());
            assertEquals(failures, Fences.callbackFailures());
        });
    }

    @Test
    void millionPointChainSignalledBackwardsWithWaiterOnHead() throws Exception {
        Fence[] fences = new Fence[DEPTH];
        FenceChain[] head = new FenceChain[1];
        TestSupport.runWithStack(SMALL_STACK, () -> {
            FenceChain h = null;
            for (int i = 0; i < DEPTH; i++) {
                fences[i] = mockFence();
                h = FenceChain.link(h, fences[i], i + 1);
            }
            head[0] = h;
        });
        FenceChain h = head[0];
        AtomicBoolean woke = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread waiter = new Thread(null, () -> {
            try {
                woke.set(h.await(2, TimeUnit.MINUTES));
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "chain-head-waiter", SMALL_STACK);
        waiter.start();
        TestSupport.awaitCondition("waiter parked on the head", h::hasCallbacks);
        TestSupport.runWithStack(SMALL_STACK, () -> {
            for (int i = DEPTH - 1; i > 0; i--) {
                fences[i].signal();
            }
            assertFalse(h.isSignaled(), "point 1 is still pending");
            fences[0].signal();
            assertTrue(h.isSignaled());
            // Polling a long chain (isSignaled, find) must not recurse either.
            assertSame(Fence.signaledStub(), FenceChain.find(h, DEPTH / 2));
        });
        TestSupport.join(waiter);
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(woke.get());
        assertTrue(h.prev() == null, "everything behind the head was collected");
    }

    @Test
    void millionPointChainPolledWithoutEnabling() throws InterruptedException {
        TestSupport.runWithStack(SMALL_STACK, () -> {
            Fence[] fences = new Fence[DEPTH];
            FenceChain h = null;
            for (int i = 0; i < DEPTH; i++) {
                fences[i] = mockFence();
                h = FenceChain.link(h, fences[i], i + 1);
            }
            for (int i = DEPTH - 1; i >= 1; i--) {
                fences[i].signal();
            }
            assertFalse(h.isSignaled(), "polls the whole chain, iteratively");
            fences[0].signal();
            assertTrue(h.isSignaled());
        });
    }

    @Test
    void chainMemoryStaysBoundedWhenSignalledInOrder() throws InterruptedException {
        TestSupport.runWithStack(SMALL_STACK, () -> {
            FenceChain h = null;
            Fence previousFence = null;
            int maxWalk = 0;
            for (int i = 0; i < DEPTH; i++) {
                Fence f = mockFence();
                h = FenceChain.link(h, f, i + 1);
                if (previousFence != null) {
                    previousFence.signal(); // the point before the newest completes
                }
                previousFence = f;
                if ((i & 0x3fff) == 0) {
                    maxWalk = Math.max(maxWalk, walkLength(h));
                }
            }
            assertTrue(maxWalk <= 4, "the chain keeps only its pending tail; walked " + maxWalk);
            assertTrue(walkLength(h) <= 4);
            assertSame(h, FenceChain.find(h, DEPTH));
            previousFence.signal();
            assertTrue(h.isSignaled());
        });
    }

    @Test
    void chainBuiltFirstAndSignalledLaterIsCollectedByOneWalk() throws InterruptedException {
        // Append everything while pending (so the append-time sweep has a position deep in the
        // chain), then signal everything and walk once from the head: no collected link may stay
        // reachable, e.g. through a stale sweep position.
        FenceChain h = null;
        Fence[] fences = new Fence[20_000];
        for (int i = 0; i < fences.length; i++) {
            fences[i] = mockFence();
            h = FenceChain.link(h, fences[i], i + 1);
        }
        List<WeakReference<FenceChain>> oldestAndMiddle = List.of(
                new WeakReference<>((FenceChain) FenceChain.find(h, 1)),
                new WeakReference<>((FenceChain) FenceChain.find(h, fences.length / 2)));
        for (Fence f : fences) {
            f.signal();
        }
        fences = null;
        assertTrue(h.isSignaled());
        assertEquals(0, aliveAfterGc(oldestAndMiddle, 0),
                "the oldest or a middle link is still reachable from the head");
        assertTrue(h.isSignaled());
    }

    @Test
    void chainWithItsOldestPointPendingKeepsNoCollectedLinkReachable()
            throws InterruptedException {
        // As above, but the oldest point stays pending: one walk from the head leaves head ->
        // point 1, and the links in between (all collected) must not stay reachable through the
        // head's sweep position, whose own prev pointers no walk has pruned.
        Fence[] fences = new Fence[20_000];
        List<WeakReference<FenceChain>> links = new ArrayList<>();
        FenceChain h = buildTracked(fences, links);
        Fence stuck = fences[0];
        for (int i = 1; i < fences.length; i++) {
            fences[i].signal();
        }
        fences = null;
        assertFalse(h.isSignaled()); // one walk: collects every link between the head and point 1
        assertEquals(2, walkLength(h));
        assertEquals(2, aliveAfterGc(links, 2), "collected links still reachable (only the head "
                + "and point 1 should be)");
        stuck.signal();
        assertTrue(h.isSignaled());
    }

    @Test
    void linksCollectedBelowAPendingLinkAreNotKeptReachableByTheSweepPosition()
            throws InterruptedException {
        // The same with the newest predecessor pending too: the head's own walk collects
        // nothing, and the links in between are collected by a walk from that predecessor
        // (find), so the head never sees them go.
        Fence[] fences = new Fence[20_000];
        List<WeakReference<FenceChain>> links = new ArrayList<>();
        FenceChain h = buildTracked(fences, links);
        Fence oldest = fences[0];
        Fence newest = fences[fences.length - 2]; // the head's predecessor
        for (int i = 1; i < fences.length - 2; i++) {
            fences[i].signal();
        }
        fences = null;
        assertSame(links.get(0).get(), FenceChain.find(h, 2));
        assertEquals(3, walkLength(h));
        assertEquals(3, aliveAfterGc(links, 3), "collected links still reachable (only the head, "
                + "its predecessor and point 1 should be)");
        oldest.signal();
        newest.signal();
        assertFalse(h.isSignaled()); // the head's own fence is still pending
    }

    /** Links a pending chain of {@code fences.length} new points, tracking every link weakly. */
    private static FenceChain buildTracked(Fence[] fences, List<WeakReference<FenceChain>> links) {
        FenceChain h = null;
        for (int i = 0; i < fences.length; i++) {
            fences[i] = mockFence();
            h = FenceChain.link(h, fences[i], i + 1);
            links.add(new WeakReference<>(h));
        }
        return h;
    }

    /**
     * How many of {@code links} are still reachable, after collecting until at most
     * {@code expected} are or about half a second has passed.
     */
    private static int aliveAfterGc(List<WeakReference<FenceChain>> links, int expected)
            throws InterruptedException {
        int alive = Integer.MAX_VALUE;
        for (int i = 0; i < 50 && alive > expected; i++) {
            System.gc();
            Thread.sleep(10); // a delay for the collector; the verdict is the caller's count
            alive = 0;
            for (WeakReference<FenceChain> r : links) {
                if (r.get() != null) {
                    alive++;
                }
            }
        }
        return alive;
    }

    @Test
    void chainMemoryStaysBoundedWithManyPointsInFlight() throws InterruptedException {
        int inFlight = 256; // like a GPU ring of 256 fences
        TestSupport.runWithStack(SMALL_STACK, () -> {
            ArrayDeque<Fence> pending = new ArrayDeque<>();
            FenceChain h = null;
            int maxWalk = 0;
            for (int i = 0; i < DEPTH / 4; i++) {
                Fence f = mockFence();
                h = FenceChain.link(h, f, i + 1);
                pending.addLast(f);
                if (pending.size() > inFlight) {
                    pending.pollFirst().signal(); // completes in order, inFlight behind
                }
                if ((i & 0xfff) == 0) {
                    maxWalk = Math.max(maxWalk, walkLength(h));
                }
            }
            assertTrue(maxWalk <= 4 * inFlight, "retained " + maxWalk + " links for "
                    + inFlight + " pending points");
            for (Fence f : pending) {
                f.signal();
            }
            assertTrue(h.isSignaled());
        });
    }

    /** Links reachable from {@code head} through prev(), counting the head. */
    private static int walkLength(FenceChain head) {
        int n = 0;
        for (Fence node = head; node != null; n++) {
            node = node instanceof FenceChain ? ((FenceChain) node).prev() : null;
        }
        return n;
    }
}
