package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.TestSupport.CountingCallback;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gets a clear exception (NPE / IAE / ISE with a message), never a hang or a loss. */
class FenceBadInputTest {

    private static <T extends Throwable> T assertThrowsWithMessage(Class<T> type, Executable e) {
        T t = assertThrows(type, e);
        assertTrue(t.getMessage() != null && !t.getMessage().isEmpty(),
                () -> "exception without a message: " + t);
        return t;
    }

    @Test
    void nullArgumentsOnFence() {
        Fence f = mockFence();
        assertThrowsWithMessage(NullPointerException.class, () -> f.addCallback(null));
        assertThrowsWithMessage(NullPointerException.class, () -> f.removeCallback(null));
        assertThrowsWithMessage(NullPointerException.class, () -> f.onSignal(null));
        assertThrowsWithMessage(NullPointerException.class, () -> f.onSignal(x -> { }, null));
        assertThrowsWithMessage(NullPointerException.class,
                () -> f.onSignal((Consumer<Fence>) null, Runnable::run));
        assertThrowsWithMessage(NullPointerException.class, () -> f.await(1, null));
        assertThrowsWithMessage(NullPointerException.class, () -> f.signal((Throwable) null));
        assertThrowsWithMessage(NullPointerException.class, () -> f.setError(null));
        assertFalse(f.isSignaled(), "a rejected call must not signal the fence");
        assertNull(f.error());
    }

    @Test
    void nullFences() {
        Fence f = mockFence();
        assertThrowsWithMessage(NullPointerException.class, () -> Fence.isLater(null, f));
        assertThrowsWithMessage(NullPointerException.class, () -> Fence.isLater(f, null));
        assertThrowsWithMessage(NullPointerException.class, () -> Fence.later(null, f));
        assertThrowsWithMessage(NullPointerException.class,
                () -> Fences.awaitAny(1, TimeUnit.SECONDS, (Fence[]) null));
        assertThrowsWithMessage(NullPointerException.class,
                () -> Fences.awaitAny(1, TimeUnit.SECONDS, f, null));
        assertThrowsWithMessage(NullPointerException.class,
                () -> Fences.awaitAny(1, null, f));
        assertThrowsWithMessage(NullPointerException.class,
                () -> Fences.awaitAll(1, TimeUnit.SECONDS, (Fence[]) null));
        assertThrowsWithMessage(NullPointerException.class,
                () -> Fences.awaitAll(1, TimeUnit.SECONDS, f, null));
        assertThrowsWithMessage(NullPointerException.class, () -> Fences.unwrap(null));
        assertThrowsWithMessage(NullPointerException.class, () -> Fences.merge((Fence[]) null));
        assertThrowsWithMessage(NullPointerException.class, () -> Fences.merge(f, null));
        assertThrowsWithMessage(NullPointerException.class, () -> Fences.fromStage(null));
        assertThrowsWithMessage(NullPointerException.class, () -> FenceArray.all((Fence[]) null));
        assertThrowsWithMessage(NullPointerException.class, () -> FenceArray.all(f, null));
        assertThrowsWithMessage(NullPointerException.class, () -> FenceArray.any(null, f));
        assertThrowsWithMessage(NullPointerException.class, () -> FenceChain.link(f, null, 1));
        assertThrowsWithMessage(NullPointerException.class, () -> FenceChain.find(null, 1));
        assertThrowsWithMessage(NullPointerException.class, () -> Timeline.create(null));
    }

    @Test
    void negativeTimeouts() {
        Fence f = mockFence();
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> f.await(-1, TimeUnit.SECONDS));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> f.awaitNanos(-1));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> f.awaitNanos(Long.MIN_VALUE));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> Fences.awaitAny(-1, TimeUnit.SECONDS, f));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> Fences.awaitAll(-1, TimeUnit.SECONDS, f));
        f.signal();
        // Even when the answer is known, a negative timeout is a caller bug.
        assertThrowsWithMessage(IllegalArgumentException.class, () -> f.awaitNanos(-1));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> f.await(-5, TimeUnit.NANOSECONDS));
    }

    @Test
    void doubleSignalChangesNothing() {
        Fence f = mockFence();
        assertTrue(f.signal(100L));
        assertFalse(f.signal(200L));
        assertFalse(f.signal());
        assertFalse(f.signal(new RuntimeException("late")));
        assertEquals(100L, f.timestamp(), "a losing signal must not change the timestamp");
        assertNull(f.error(), "a losing signal must not add an error");
        assertEquals(FenceStatus.SIGNALED, f.status());

        Fence g = mockFence();
        RuntimeException first = new RuntimeException("first");
        assertTrue(g.signal(first));
        assertFalse(g.signal(new RuntimeException("second")));
        assertSame(first, g.error());
    }

    @Test
    void setErrorAfterSignal() {
        Fence f = mockFence();
        f.signal();
        assertThrowsWithMessage(IllegalStateException.class,
                () -> f.setError(new RuntimeException()));
        assertNull(f.error());
        assertEquals(FenceStatus.SIGNALED, f.status());
    }

    @Test
    void timestampWhilePending() {
        Fence f = mockFence();
        assertThrowsWithMessage(IllegalStateException.class, f::timestamp);
        long before = System.nanoTime();
        f.signal();
        long ts = f.timestamp();
        assertTrue(ts - before >= 0 && System.nanoTime() - ts >= 0,
                "timestamp taken at signal time");
    }

    @Test
    void signalsOwnCallbacksFindTheTimestampWritten() {
        // signal() publishes SIGNALED first and holds SIGNALING while it reads the clock (the
        // kernel's order). The callbacks it runs, at once, under a deferral or queued behind
        // another fence's callback, run in the signalling thread: had the window still been open
        // there, timestamp(), a losing signal() and retain()/release() would wait for themselves.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int mode = 0; mode < 3; mode++) {
                Fence f = mockFence();
                long[] seen = new long[2];
                assertTrue(f.addCallback(new FenceCallback() {
                    @Override
                    protected void onSignaled(Fence fence) {
                        seen[0] = fence.timestamp();
                        fence.retain();
                        fence.release();
                        seen[1] = fence.signal() ? -1L : fence.timestamp();
                    }
                }));
                long before = System.nanoTime();
                if (mode == 0) {
                    f.signal();
                } else if (mode == 1) {
                    CallbackDeferral d = CallbackDeferral.begin();
                    f.signal();
                    assertEquals(0L, seen[0], "deferred: not run before the close");
                    d.close();
                } else {
                    Fence outer = mockFence();
                    outer.onSignal(x -> f.signal());
                    outer.signal();
                }
                assertTrue(seen[0] - before >= 0 && System.nanoTime() - seen[0] >= 0,
                        "mode " + mode + ": the callback read the signal's timestamp");
                assertEquals(seen[0], seen[1], "mode " + mode + ": a losing signal sees it too");
                assertEquals(seen[0], f.timestamp(), "mode " + mode);
                assertEquals(1, f.refCnt(), "mode " + mode + ": the callback's reference is back");
            }
        });
    }

    @Test
    void overRelease() {
        Fence f = mockFence();
        assertTrue(f.release());
        assertThrowsWithMessage(IllegalStateException.class, f::release);
        assertEquals(0, f.refCnt());
    }

    @Test
    void retainAfterZero() {
        Fence f = mockFence();
        f.retain();
        assertFalse(f.release());
        assertTrue(f.release());
        assertThrowsWithMessage(IllegalStateException.class, f::retain);
        assertEquals(0, f.refCnt());
    }

    @Test
    void requeuedCallbackNodeOnSameFence() {
        Fence f = mockFence();
        CountingCallback cb = new CountingCallback();
        assertTrue(f.addCallback(cb));
        assertThrowsWithMessage(IllegalStateException.class, () -> f.addCallback(cb));
        f.signal();
        assertEquals(1, cb.runs(), "the node must run once, not twice and not zero times");
    }

    @Test
    void requeuedCallbackNodeOnAnotherFence() {
        Fence f = mockFence();
        Fence g = mockFence();
        CountingCallback cb = new CountingCallback();
        assertTrue(f.addCallback(cb));
        assertThrowsWithMessage(IllegalStateException.class, () -> g.addCallback(cb));
        assertFalse(g.removeCallback(cb), "not queued on g");
        assertTrue(cb.isQueued(), "still queued on f");
        g.signal();
        assertEquals(0, cb.runs());
        f.signal();
        assertEquals(1, cb.runs());
        assertSame(f, cb.seen);
        // Once run, the node is free again: it may go on g's successor.
        Fence h = mockFence();
        assertTrue(h.addCallback(cb));
        h.signal();
        assertEquals(2, cb.runs());
        assertSame(h, cb.seen);
    }

    @Test
    void removedNodeMayBeReAdded() {
        Fence f = mockFence();
        CountingCallback cb = new CountingCallback();
        assertTrue(f.addCallback(cb));
        assertTrue(f.removeCallback(cb));
        assertFalse(f.removeCallback(cb), "second removal finds nothing");
        assertTrue(f.addCallback(cb));
        f.signal();
        assertEquals(1, cb.runs());
    }

    @Test
    void removeNeverAddedCallback() {
        Fence f = mockFence();
        assertFalse(f.removeCallback(new CountingCallback()));
    }

    @Test
    void awaitAnyOnEmptyArray() {
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> Fences.awaitAny(1, TimeUnit.SECONDS));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> Fences.awaitAny(0, TimeUnit.SECONDS, new Fence[0]));
    }

    @Test
    void awaitAllOfNothingIsTrue() throws InterruptedException {
        assertTrue(Fences.awaitAll(0, TimeUnit.SECONDS));
    }

    @Test
    void anyArrayOfNothing() {
        assertThrowsWithMessage(IllegalArgumentException.class, FenceArray::any);
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceArray.of(Fence.allocateContexts(1), 1, true));
    }

    @Test
    void containersDoNotNest() {
        Fence f = mockFence();
        FenceArray array = FenceArray.all(f);
        FenceChain chain = FenceChain.link(null, f, 1);
        assertThrowsWithMessage(IllegalArgumentException.class, () -> FenceArray.all(array));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> FenceArray.all(f, chain));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> FenceArray.any(array, f));
        // The one nesting allowed: an all-array over any-arrays (what a merge keeps whole).
        FenceArray any = FenceArray.any(f);
        assertThrowsWithMessage(IllegalArgumentException.class, () -> FenceArray.any(any, f));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceArray.of(7, 1, true, any));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceArray.all(FenceArray.all(any)));
        assertEquals(List.of(any, f), FenceArray.all(any, f).fences());
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceArray.of(7, 1, false, chain));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceChain.link(null, chain, 2));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceChain.link(chain, chain, 2));
        // An array inside a chain link is allowed (that is how merged fences join a timeline).
        FenceChain ok = FenceChain.link(chain, FenceArray.all(mockFence()), 2);
        assertEquals(chain.context(), ok.context());
    }

    @Test
    void findUnsubmittedPoint() {
        Fence f = mockFence();
        FenceChain c1 = FenceChain.link(null, f, 1);
        FenceChain c2 = FenceChain.link(c1, mockFence(), 2);
        assertThrowsWithMessage(IllegalArgumentException.class, () -> FenceChain.find(c2, 3));
        assertThrowsWithMessage(IllegalArgumentException.class,
                () -> FenceChain.find(c2, Long.MAX_VALUE));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> FenceChain.find(f, 1),
                "a plain fence has no points");
        assertSame(f, FenceChain.find(f, 0), "point 0 is the head itself, even for a plain fence");
        assertSame(c1, FenceChain.find(c2, 1));
    }

    private static void assertThrowsWithMessage(Class<IllegalArgumentException> type, Executable e,
            String why) {
        IllegalArgumentException t = assertThrows(type, e, why);
        assertTrue(t.getMessage() != null && !t.getMessage().isEmpty());
    }

    @Test
    void allocateZeroContexts() {
        assertThrowsWithMessage(IllegalArgumentException.class, () -> Fence.allocateContexts(0));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> Fence.allocateContexts(-3));
        long a = Fence.allocateContexts(3);
        long b = Fence.allocateContexts(1);
        assertTrue(a >= 1, "context 0 is the stub's");
        assertTrue(b >= a + 3, "contexts are never reused");
    }

    @Test
    void timelineNegativeValues() {
        Timeline tl = Timeline.create("bad");
        assertThrowsWithMessage(IllegalArgumentException.class, () -> tl.fenceAt(-1));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> tl.signalUpTo(-1));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> tl.advance(-1));
        assertEquals(0, tl.value(), "rejected calls change nothing");
    }

    @Test
    void isLaterAcrossContexts() {
        Fence a = mockFence();
        Fence b = mockFence();
        assertThrowsWithMessage(IllegalArgumentException.class, () -> Fence.isLater(a, b));
        assertThrowsWithMessage(IllegalArgumentException.class, () -> Fence.later(a, b));
    }
}
