package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every code example of README.md and docs/core.md, run against the current API, asserting
 * what the surrounding text says it does. The examples' free variables (a pool, a worker, a
 * buffer) are small stand-ins declared here.
 */
@SuppressWarnings("try") // the examples open deferrals and sections only for their scope
class DocExamplesTest {

    /** Stand-in for the examples' buffer pool. */
    static final class Pool {
        final List<Object> returned = new CopyOnWriteArrayList<>();

        void giveBack(Object o) {
            returned.add(o);
        }
    }

    /** Stand-in for the examples' frame buffer. */
    static final class Buffer {
        volatile boolean damaged;

        void markDamaged() {
            damaged = true;
        }
    }

    // ------------------------------------------------------------------------------------------
    // README.md, "Example"

    /**
     * README.md's example. Its wait (100 ms there) is 60 s here under a 10 s {@code @Timeout},
     * and the "GPU" signals once the waiting thread is parked on {@code both}: a timed wait whose
     * timeout runs out still reports a fence signalled meanwhile, so with a 5 s wait and a signal
     * sent at once a waiter never woken passed, only late.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readmeExample() throws Exception {
        Pool pool = new Pool();
        Object frame = new Object();
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Timeline gpu = Timeline.create("gpu-ring");
            Fence upload = gpu.next();
            Fence render = gpu.next();
            assertEquals(1, upload.seqno());
            assertEquals(2, render.seqno());
            FenceCallback release = new FenceCallback() {
                @Override protected void onSignaled(Fence f) { pool.giveBack(frame); }
            };
            if (!render.addCallback(release)) {
                pool.giveBack(frame);
            }
            Fence both = Fences.merge(upload, render);
            assertSame(render, both, "one fence per context, the later one");
            Thread waiter = Thread.currentThread();
            worker.execute(() -> {
                TestSupport.awaitParkedOn(waiter, both);
                gpu.signalUpTo(2);
            });
            if (!both.await(60, TimeUnit.SECONDS)) {
                throw new TimeoutException(both.describe());
            }
            assertEquals(FenceStatus.SIGNALED, render.status());
            assertTrue(upload.isSignaled());
            render.timestamp(); // readable once signalled
            // callbacks run in the signalling thread, possibly after the waiter has returned:
            // let the worker's signalUpTo finish before looking
            worker.shutdown();
            assertTrue(worker.awaitTermination(5, TimeUnit.SECONDS));
            assertEquals(List.of(frame), pool.returned, "the callback gave the frame back once");
        } finally {
            worker.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------------
    // docs/core.md

    @Test
    void creatingFences() {
        long ctx = Fence.allocateContexts(1);
        assertTrue(ctx != 0, "0 is never handed out");
        Fence job = Fence.create(ctx, 1);
        assertEquals(ctx, job.context());
        assertEquals(1, job.seqno());
        assertFalse(job.isSignaled());
        Fence done = Fence.signaledStub();
        assertTrue(done.isSignaled());
        assertEquals(0, done.context());
        assertEquals(0, done.seqno());
        assertSame(done, Fence.signaledStub(), "shared");
    }

    @Test
    void timelineExample() {
        Timeline ring = Timeline.create("gpu-ring");
        Fence a = ring.next();
        Fence b = ring.next();
        Fence c = ring.fenceAt(10);
        assertEquals(1, a.seqno());
        assertEquals(2, b.seqno());
        assertEquals(10, c.seqno());
        ring.signalUpTo(2);
        assertTrue(a.isSignaled());
        assertTrue(b.isSignaled());
        assertFalse(c.isSignaled());
        assertEquals(2, ring.value());
        ring.advance(8);
        assertEquals(10, ring.value());
        assertTrue(c.isSignaled());
        Fence late = ring.fenceAt(3);
        assertTrue(late.isSignaled(), "born signalled: 3 <= value()");
    }

    @Test
    void signallingExamples() {
        long ctx = Fence.allocateContexts(1);
        Fence job = Fence.create(ctx, 1);
        assertTrue(job.signal());
        assertFalse(job.signal(), "later signals return false");
        assertEquals(FenceStatus.SIGNALED, job.status());
        assertNull(job.error());

        long hwTimestampNanos = System.nanoTime() - 1_000;
        Fence job2 = Fence.create(ctx, 2);
        assertTrue(job2.signal(hwTimestampNanos));
        assertEquals(hwTimestampNanos, job2.timestamp());

        Fence job3 = Fence.create(ctx, 3);
        IOException reset = new IOException("reset");
        assertTrue(job3.signal(reset));
        assertEquals(FenceStatus.ERROR, job3.status());
        assertSame(reset, job3.error());
        assertFalse(job3.signal(new IOException("other")));
        assertSame(reset, job3.error(), "a later signal changes nothing, not even the error");

        Fence job4 = Fence.create(ctx, 4);
        assertThrows(IllegalStateException.class, job4::timestamp, "pending: no timestamp");
        TimeoutException te = new TimeoutException();
        job4.setError(te);
        assertFalse(job4.isSignaled());
        job4.signal();
        assertSame(te, job4.error());
        assertEquals(FenceStatus.ERROR, job4.status());
        assertThrows(IllegalStateException.class, () -> job4.setError(new TimeoutException()),
                "setError after signal");
    }

    @Test
    void waitingExamples() throws Exception {
        long ctx = Fence.allocateContexts(1);
        Fence pending = Fence.create(ctx, 1);
        assertFalse(pending.await(16, TimeUnit.MILLISECONDS), "false on timeout");
        assertTrue(pending.awaitNanos(1_000_000) <= 0, "<= 0 timed out");

        Fence job = Fence.create(ctx, 2);
        job.signal(new IOException("failed"));
        job.await();
        assertTrue(job.await(16, TimeUnit.MILLISECONDS), "waits return normally on error");
        assertTrue(job.awaitNanos(1_000_000) > 0);
        assertTrue(job.awaitNanos(0) >= 1, ">= 1 even for a 0 timeout");
        Thread.currentThread().interrupt();
        try {
            pending.signal();
            pending.awaitUninterruptibly();
            assertTrue(Thread.currentThread().isInterrupted(), "keeps the interrupt flag set");
        } finally {
            Thread.interrupted();
        }

        Fence f0 = Fence.create(ctx, 10);
        Fence f1 = Fence.create(ctx, 11);
        Fence f2 = Fence.create(ctx, 12);
        assertEquals(-1, Fences.awaitAny(10, TimeUnit.MILLISECONDS, f0, f1, f2));
        f2.signal();
        f1.signal();
        assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, f0, f1, f2), "lowest signalled index");
        assertFalse(Fences.awaitAll(10, TimeUnit.MILLISECONDS, f0, f1, f2));
        f0.signal();
        assertTrue(Fences.awaitAll(1, TimeUnit.SECONDS, f0, f1, f2));

        assertThrows(IllegalArgumentException.class, () -> f0.await(-1, TimeUnit.SECONDS));
    }

    /** The callback class of docs/core.md, "Callbacks". */
    static final class ReturnToPool extends FenceCallback {
        final Pool pool;
        Buffer buffer;

        ReturnToPool(Pool pool) {
            this.pool = pool;
        }

        @Override protected void onSignaled(Fence fence) {
            if (fence.error() != null) buffer.markDamaged();
            pool.giveBack(buffer);
        }
    }

    @Test
    void callbackExample() {
        Pool pool = new Pool();
        long ctx = Fence.allocateContexts(1);

        // pending fence: the callback runs at the signal
        Fence renderDone = Fence.create(ctx, 1);
        ReturnToPool cb = new ReturnToPool(pool);
        Buffer frame = new Buffer();
        cb.buffer = frame;
        if (!renderDone.addCallback(cb)) {
            cb.onSignaled(renderDone);
        }
        assertTrue(pool.returned.isEmpty());
        renderDone.signal(new IOException("gpu hang"));
        assertEquals(List.of(frame), pool.returned);
        assertTrue(frame.damaged);

        // signalled fence: addCallback returns false and did not run it
        pool.returned.clear();
        Buffer frame2 = new Buffer();
        cb.buffer = frame2;
        assertFalse(renderDone.addCallback(cb));
        assertTrue(pool.returned.isEmpty(), "cb did NOT run");
        cb.onSignaled(renderDone);
        assertEquals(List.of(frame2), pool.returned);

        // removeCallback: true when removed before it ran
        Fence other = Fence.create(ctx, 2);
        assertTrue(other.addCallback(cb));
        assertTrue(other.removeCallback(cb));
        other.signal();
        assertEquals(1, pool.returned.size(), "removed: did not run");
        assertFalse(other.removeCallback(cb));
    }

    @Test
    void callbackRules() {
        long ctx = Fence.allocateContexts(1);
        Fence f = Fence.create(ctx, 1);
        List<String> order = new ArrayList<>();
        FenceCallback first = new FenceCallback() {
            @Override protected void onSignaled(Fence fence) { order.add("first"); }
        };
        FenceCallback thrower = new FenceCallback() {
            @Override protected void onSignaled(Fence fence) {
                order.add("thrower");
                throw new RuntimeException("doc example: a callback that throws");
            }
        };
        FenceCallback last = new FenceCallback() {
            @Override protected void onSignaled(Fence fence) { order.add("last"); }
        };
        f.addCallback(first);
        f.addCallback(thrower);
        f.addCallback(last);
        // a queued node may not be added anywhere else
        assertThrows(IllegalStateException.class, () -> Fence.create(ctx, 2).addCallback(first));
        long failures = Fences.callbackFailures();
        assertTrue(f.signal());
        assertEquals(List.of("first", "thrower", "last"), order, "in order; a throw stops nothing");
        assertEquals(failures + 1, Fences.callbackFailures());
        assertEquals(FenceStatus.SIGNALED, f.status(), "never un-signals");

        // a callback may re-add itself from onSignaled
        Timeline tl = Timeline.create("readd");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        AtomicInteger runs = new AtomicInteger();
        FenceCallback self = new FenceCallback() {
            @Override protected void onSignaled(Fence fence) {
                if (runs.incrementAndGet() == 1) {
                    assertTrue(p2.addCallback(this));
                }
            }
        };
        p1.addCallback(self);
        tl.signalUpTo(2);
        assertEquals(2, runs.get());
    }

    @Test
    void cascadeRunsInConstantStack() {
        long ctx = Fence.allocateContexts(1);
        int n = 1_000_000;
        Fence[] fences = new Fence[n];
        for (int i = 0; i < n; i++) {
            fences[i] = Fence.create(ctx, i + 1);
        }
        for (int i = 0; i < n - 1; i++) {
            Fence nextFence = fences[i + 1];
            fences[i].addCallback(new FenceCallback() {
                @Override protected void onSignaled(Fence fence) { nextFence.signal(); }
            });
        }
        fences[0].signal();
        assertTrue(fences[n - 1].isSignaled());
    }

    @Test
    void callbackDeferralExample() {
        long ctx = Fence.allocateContexts(1);
        Fence f = Fence.create(ctx, 1);
        AtomicBoolean ran = new AtomicBoolean();
        f.addCallback(new FenceCallback() {
            @Override protected void onSignaled(Fence fence) { ran.set(true); }
        });
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(f.signal());
            assertTrue(f.isSignaled(), "signalled at once");
            assertFalse(ran.get(), "callbacks held back");
        }
        assertTrue(ran.get(), "ran when the deferral closed");
    }

    @Test
    void allocatingConveniences() throws Exception {
        long ctx = Fence.allocateContexts(1);
        Fence job = Fence.create(ctx, 1);
        List<String> log = new CopyOnWriteArrayList<>();
        job.onSignal(f -> log.add("done " + f.describe()));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Fence> published = new CompletableFuture<>();
            job.onSignal(published::complete, executor);
            CompletableFuture<Fence> cf = job.toCompletableFuture();
            assertFalse(cf.isDone());
            job.signal(new IOException("boom"));
            assertEquals(1, log.size());
            assertSame(job, published.get(5, TimeUnit.SECONDS));
            ExecutionException ee = assertThrows(ExecutionException.class,
                    () -> cf.get(5, TimeUnit.SECONDS), "completes exceptionally on error");
            assertInstanceOf(IOException.class, ee.getCause());

            Fence already = Fence.signaledStub();
            AtomicBoolean now = new AtomicBoolean();
            already.onSignal(f -> now.set(true));
            assertTrue(now.get(), "runs now if already signalled");
        } finally {
            executor.shutdownNow();
        }

        CompletableFuture<String> someCompletionStage = new CompletableFuture<>();
        Fence f = Fences.fromStage(someCompletionStage);
        assertFalse(f.isSignaled());
        someCompletionStage.complete("x");
        assertTrue(f.await(5, TimeUnit.SECONDS));
        assertNull(f.error());
    }

    @Test
    void orderingExample() {
        Timeline tl = Timeline.create("order");
        Fence a = tl.next();
        Fence b = tl.next();
        assertTrue(Fence.isLater(b, a));
        assertFalse(Fence.isLater(a, b));
        assertSame(b, Fence.later(a, b));
        tl.signalUpTo(2);
        assertNull(Fence.later(a, b), "null if the later one has signalled");
        Fence other = Timeline.create("other").next();
        assertThrows(IllegalArgumentException.class, () -> Fence.isLater(a, other));
        assertThrows(IllegalArgumentException.class, () -> Fence.later(a, other));
    }

    @Test
    void fenceArrayExamples() {
        long ctx = Fence.allocateContexts(5);
        Fence upload = Fence.create(ctx, 1);
        Fence decode = Fence.create(ctx + 1, 1);
        Fence filter = Fence.create(ctx + 2, 1);
        FenceArray all = FenceArray.all(upload, decode, filter);
        Fence gpu0 = Fence.create(ctx + 3, 1);
        Fence gpu1 = Fence.create(ctx + 4, 1);
        FenceArray any = FenceArray.any(gpu0, gpu1);

        assertTrue(FenceArray.all().isSignaled(), "all() of nothing is born signalled");
        assertThrows(IllegalArgumentException.class, FenceArray::any);

        all.enableSignaling(); // watched: "first" is the first to signal
        IOException e1 = new IOException("first");
        decode.signal(e1);
        upload.signal(new IOException("second"));
        assertFalse(all.isSignaled());
        filter.signal();
        assertTrue(all.isSignaled());
        assertSame(e1, all.error(), "all carries the first member error");

        IOException e2 = new IOException("gpu1");
        gpu1.signal(e2);
        assertTrue(any.isSignaled(), "signals on the first");
        assertSame(e2, any.error(), "any carries the error of the member that fired");

        // not watched (nobody waited or enabled it): found signalled by polling, the array takes
        // the error in member order, as docs/core.md now says
        Fence p1 = Fence.create(ctx, 5);
        Fence p2 = Fence.create(ctx + 1, 5);
        FenceArray polledAll = FenceArray.all(p1, p2);
        FenceArray polledAny = FenceArray.any(p1, p2);
        IOException late = new IOException("p1, signalled second");
        p2.signal(new IOException("p2, signalled first"));
        p1.signal(late);
        assertTrue(polledAll.isSignaled());
        assertSame(late, polledAll.error());
        assertTrue(polledAny.isSignaled());
        assertSame(late, polledAny.error());

        // members must not be containers, except an any inside an all
        assertThrows(IllegalArgumentException.class, () -> FenceArray.all(all));
        Fence pending = Fence.create(ctx, 2);
        FenceArray anyPending = FenceArray.any(pending, Fence.create(ctx + 1, 2));
        FenceArray nested = FenceArray.all(anyPending, Fence.create(ctx + 2, 2));
        assertEquals(2, nested.fences().size());
    }

    @Test
    void fenceChainExample() {
        int frames = 10;
        Timeline render = Timeline.create("render");
        Fence[] renderFences = new Fence[frames + 1];
        FenceChain head = null;
        for (long point = 1; point <= frames; point++) {
            renderFences[(int) point] = render.next();
            head = FenceChain.link(head, renderFences[(int) point], point);
        }
        Fence p7 = FenceChain.find(head, 7);
        assertFalse(p7.isSignaled());
        render.signalUpTo(6);
        assertFalse(p7.isSignaled());
        render.signalUpTo(7);
        assertTrue(p7.isSignaled(), "signals when point 7 is reached");
        FenceChain h = head;
        assertThrows(IllegalArgumentException.class, () -> FenceChain.find(h, 11),
                "point > head.seqno(): not submitted yet");
        render.signalUpTo(8);
        head.isSignaled(); // walking collects signalled links
        Fence p3 = FenceChain.find(head, 3);
        assertTrue(p3.isSignaled(), "already reached");

        // a point not later than the previous link's starts a new context, seqno max(prev, point)
        FenceChain older = FenceChain.link(head, Fence.create(Fence.allocateContexts(1), 1), 5);
        assertTrue(older.context() != head.context());
        assertEquals(10, older.seqno());
    }

    @Test
    void unwrapAndMerge() {
        long ctx = Fence.allocateContexts(3);
        Fence a1 = Fence.create(ctx, 1);
        Fence a2 = Fence.create(ctx, 2);
        Fence b = Fence.create(ctx + 1, 1);
        Fence c = Fence.create(ctx + 2, 1);
        FenceArray arr = FenceArray.all(a1, b);
        assertEquals(List.of(a1, b), Fences.unwrap(arr));

        Fence union = Fences.merge(arr, a2, c);
        assertInstanceOf(FenceArray.class, union);
        assertEquals(List.of(a2, b, c), ((FenceArray) union).fences(),
                "the later per context, sorted by context");
        assertTrue(union.context() != ctx && union.context() != ctx + 1
                && union.context() != ctx + 2, "a fresh context");

        c.signal();
        assertSame(b, Fences.merge(b, c), "the single pending fence");
        b.signal();
        a2.signal();
        assertTrue(Fences.merge(a2, b, c).isSignaled(),
                "a signalled fence when nothing is pending");

        // a pending any array is kept whole
        Fence x = Fence.create(ctx, 3);
        Fence y = Fence.create(ctx + 1, 3);
        Fence z = Fence.create(ctx + 2, 3);
        FenceArray anyXy = FenceArray.any(x, y);
        Fence merged = Fences.merge(anyXy, z);
        assertInstanceOf(FenceArray.class, merged);
        assertTrue(((FenceArray) merged).fences().contains(anyXy));
        x.signal();
        z.signal();
        assertTrue(merged.isSignaled(), "never waits longer than its inputs");
        assertEquals(3, Fences.unwrap(merged).size(), "unwrap lists every leaf");
    }

    /** The driver fence of docs/core.md, "Reference counting and drivers". */
    static final class RingFence extends Fence {
        final AtomicBoolean hwPassed;
        final AtomicInteger deallocated = new AtomicInteger();
        final AtomicInteger armed = new AtomicInteger();
        volatile long deadline;

        RingFence(long ctx, long seqno, AtomicBoolean hwPassed) {
            super(ctx, seqno);
            this.hwPassed = hwPassed;
        }

        @Override public String driverName() { return "my-gpu"; }
        @Override public String timelineName() { return "ring0"; }
        @Override protected boolean enableSignalingHook() {
            armed.incrementAndGet();
            return !hwPassed.get();
        }
        @Override protected boolean pollSignaled() { return hwPassed.get(); }
        @Override protected void onDeadline(long when) { deadline = when; }
        @Override protected void deallocate() { deallocated.incrementAndGet(); }
    }

    @Test
    void driverFenceExample() {
        AtomicBoolean hw = new AtomicBoolean();
        long ctx = Fence.allocateContexts(1);
        RingFence fence = new RingFence(ctx, 42, hw);
        assertEquals(ctx + ":42 ring0 my-gpu pending", fence.describe());
        assertSame(fence, fence.retain());
        assertEquals(2, fence.refCnt());
        assertFalse(fence.release());
        assertEquals(0, fence.deallocated.get());

        fence.setDeadline(123L);
        assertEquals(123L, fence.deadline);

        assertFalse(fence.isSignaled());
        hw.set(true);
        assertEquals(FenceStatus.SIGNALED, fence.status(), "status() polls the driver");
        assertTrue(fence.release(), "dropped the last reference");
        assertEquals(1, fence.deallocated.get());
        assertThrows(IllegalStateException.class, fence::release, "over-release");
        assertThrows(IllegalStateException.class, fence::retain, "retain after zero");

        // enableSignalingHook returning false: already done, the fence is signalled
        RingFence done = new RingFence(ctx, 43, hw);
        done.enableSignaling();
        assertEquals(1, done.armed.get());
        assertTrue(done.isSignaled());
        done.enableSignaling();
        assertEquals(1, done.armed.get(), "at most once");
    }

    @Test
    void releasedWhilePendingWithCallbacks() {
        long ctx = Fence.allocateContexts(1);
        Fence f = Fence.create(ctx, 1);
        AtomicBoolean ran = new AtomicBoolean();
        f.addCallback(new FenceCallback() {
            @Override protected void onSignaled(Fence fence) { ran.set(true); }
        });
        assertTrue(f.release());
        assertTrue(ran.get(), "nobody waits forever");
        assertInstanceOf(FenceReleasedException.class, f.error());
    }

    @Test
    void arrayHoldsMemberReferences() {
        long ctx = Fence.allocateContexts(2);
        List<String> order = new CopyOnWriteArrayList<>();
        Fence m1 = new Fence(ctx, 1) {
            @Override protected void deallocate() { order.add("m1"); }
        };
        Fence m2 = new Fence(ctx + 1, 1) {
            @Override protected void deallocate() { order.add("m2"); }
        };
        FenceArray arr = FenceArray.all(m1, m2);
        m1.signal();
        m2.signal();
        assertFalse(m1.release(), "the array still holds it");
        assertFalse(m2.release());
        assertTrue(order.isEmpty());
        assertTrue(arr.release());
        assertEquals(List.of("m1", "m2"), order, "members' deallocate after the array's release");
    }

    @Test
    void signallingSectionWithoutDebugIsNoop() {
        Fence job = Fence.create(Fence.allocateContexts(1), 1);
        try (SignallingSection s = SignallingSection.begin()) {
            job.signal();
        }
        assertTrue(job.isSignaled());
        assertSame(SignallingSection.begin(), SignallingSection.begin(), "a shared no-op");
    }

    @Test
    void describeExample() {
        Timeline ring = Timeline.create("gpu-ring");
        Fence f = ring.fenceAt(42);
        assertEquals(ring.context() + ":42 gpu-ring timeline pending", f.describe());
    }
}
