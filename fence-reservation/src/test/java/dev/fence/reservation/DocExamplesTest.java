package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.Fences;
import dev.fence.core.Timeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The code examples of docs/reservation.md, run against the current API, asserting what the
 * text around them says. {@code Gpu} stands in for the examples' {@code gpu.submit}.
 */
class DocExamplesTest {

    /** A "GPU" whose jobs are timeline points; a job may depend on a fence. */
    static final class Gpu {
        final Timeline ring = Timeline.create("gpu");
        final List<Fence> deps = new ArrayList<>();

        Fence submit(Object work, Fence dep) {
            deps.add(dep);
            return ring.next();
        }
    }

    /** The hand-written retry loop of section 1, over {@code wanted}; returns the back-offs. */
    static int lockByHand(WwClass cls, List<WwMutex> wanted, Runnable work) {
        int backoffs = 0;
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            List<WwMutex> held = new ArrayList<>();
            WwMutex slow = null;
            retry:
            for (;;) {
                for (WwMutex m : wanted) {
                    if (m == slow) {
                        continue;
                    }
                    try {
                        if (m.lock(ctx)) {
                            held.add(m);
                        }
                    } catch (WwDeadlockException e) {
                        backoffs++;
                        held.forEach(WwMutex::unlock);
                        held.clear();
                        slow = e.contended();
                        slow.lockSlow(ctx);
                        held.add(slow);
                        continue retry;
                    }
                }
                break;
            }
            ctx.done();
            work.run();
            held.forEach(WwMutex::unlock);
        }
        return backoffs;
    }

    @Test
    void retryLoopByHand() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            WwClass cls = WwClass.waitDie("buffers");
            WwMutex a = new WwMutex(cls, "a");
            WwMutex b = new WwMutex(cls, "b");
            WwMutex c = new WwMutex(cls, "c");
            // First the back-off forced in step, so that the branch is known to run whatever
            // the scheduling: an older ticket holds b; the loop's younger ticket takes a, meets
            // b and dies (wait-die: a younger ticket that holds locks backs off at once), drops
            // a and waits in lockSlow(b); once it is parked there, the older ticket lets b go.
            AtomicBoolean heldAll = new AtomicBoolean();
            FutureTask<Integer> forced = new FutureTask<>(() -> lockByHand(cls, List.of(a, b, c),
                    () -> heldAll.set(a.isHeldByCurrentThread() && b.isHeldByCurrentThread()
                            && c.isHeldByCurrentThread())));
            Thread younger = new Thread(forced, "by-hand-younger");
            try (WwAcquireContext older = new WwAcquireContext(cls)) {
                assertTrue(b.lock(older));
                try {
                    younger.start();
                    awaitParked(younger); // waiting for b, the only lock held
                    assertFalse(a.isLocked(),
                            "the younger ticket waits for b holding a: it did not back off");
                } finally {
                    b.unlock();
                }
            }
            assertEquals(1, forced.get(10, TimeUnit.SECONDS),
                    "back-offs of the loop that met b held by an older ticket");
            assertTrue(heldAll.get(), "the work ran without all three locks held");
            int[] counter = new int[1];
            int[] backoffs = new int[2]; // per thread, read after the joins
            int rounds = 300;
            int batches = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // The back-off branch runs only when the two orders collide, a few times per batch
            // (2 to 6 in 600 runs measured) if the two threads overlap; more batches until it
            // has run, so that the retry path this test is named for is known to have been
            // taken. Both threads start at a barrier: on a loaded machine one thread's 300
            // rounds could otherwise end before the other began (CI once saw no back-off in
            // 40 such batches).
            do {
                batches++;
                CyclicBarrier start = new CyclicBarrier(2);
                // two threads of their own (the common pool may have a single worker on 2 CPUs)
                Thread t1 = new Thread(() -> {
                    awaitQuietly(start);
                    for (int i = 0; i < rounds; i++) {
                        backoffs[0] += lockByHand(cls, List.of(a, b, c), () -> counter[0]++);
                    }
                });
                Thread t2 = new Thread(() -> {
                    awaitQuietly(start);
                    for (int i = 0; i < rounds; i++) {
                        backoffs[1] += lockByHand(cls, List.of(c, b, a), () -> counter[0]++);
                    }
                });
                t1.start();
                t2.start();
                t1.join();
                t2.join();
            } while (backoffs[0] + backoffs[1] == 0 && System.nanoTime() - deadline < 0);
            assertEquals(2 * rounds * batches, counter[0], "exclusive and deadlock-free");
            assertFalse(a.isLocked() || b.isLocked() || c.isLocked());
            assertTrue(backoffs[0] + backoffs[1] > 0, "no back-off in " + 2 * rounds * batches
                    + " runs: the retry loop's back-off branch never ran");
        });
    }

    /** Waits at {@code barrier}; a broken barrier or an interrupt fails the calling thread. */
    private static void awaitQuietly(CyclicBarrier barrier) {
        try {
            barrier.await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("start barrier", e);
        }
    }

    @Test
    void lockReturnsFalseWhenAlreadyHeld() throws Exception {
        WwClass cls = WwClass.woundWait("w");
        WwMutex m = new WwMutex(cls);
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            assertTrue(m.lock(ctx));
            assertFalse(m.lock(ctx), "already held by this ticket (-EALREADY)");
            assertFalse(m.tryLock(ctx), "tryLock: false, not 'already held'");
            m.unlock();
            assertFalse(m.isLocked(), "unlock it once");
        }
        m.lock();
        assertThrows(IllegalStateException.class, m::lock, "plain, non-reentrant mutex");
        m.unlock();
    }

    @Test
    void usagesAndForAccess() {
        assertSame(Usage.READ, Usage.forAccess(true), "a writer asks for READ");
        assertSame(Usage.WRITE, Usage.forAccess(false), "a reader asks for WRITE");
        Reservation r = new Reservation();
        Fence k = Timeline.create("k").next();
        Fence w = Timeline.create("w").next();
        Fence rd = Timeline.create("r").next();
        Fence bk = Timeline.create("b").next();
        r.lock();
        try {
            r.reserveFences(4);
            r.addFence(k, Usage.KERNEL);
            r.addFence(w, Usage.WRITE);
            r.addFence(rd, Usage.READ);
            r.addFence(bk, Usage.BOOKKEEP);
        } finally {
            r.unlock();
        }
        assertEquals(List.of(k, w, rd), r.fences(Usage.READ), "at most READ");
        assertEquals(List.of(k, w), r.fences(Usage.WRITE));
        assertEquals(List.of(k, w, rd, bk), r.fences(Usage.BOOKKEEP));
        assertSame(r.fences(Usage.READ), r.fences(Usage.READ), "same list object when unchanged");
        assertThrows(UnsupportedOperationException.class, () -> r.fences(Usage.READ).clear());
    }

    @Test
    void lockReserveAdd() throws Exception {
        Gpu gpu = new Gpu();
        Reservation resv = new Reservation();
        Fence earlierReader = Timeline.create("reader").next();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(earlierReader, Usage.READ);
        } finally {
            resv.unlock();
        }

        resv.lock();
        try {
            Fence deps = resv.singleton(Usage.forAccess(true));
            assertSame(earlierReader, deps, "a writer waits for the reader");
            Fence job = gpu.submit("work", deps);
            resv.reserveFences(1);
            resv.addFence(job, Usage.WRITE);
        } finally {
            resv.unlock();
        }
        assertEquals(2, resv.fenceCount());

        // an add without a reservation, or beyond it, is refused
        resv.lock();
        try {
            assertThrows(IllegalStateException.class,
                    () -> resv.addFence(Timeline.create("x").next(), Usage.READ));
            resv.reserveFences(1);
            resv.addFence(Timeline.create("y").next(), Usage.READ);
            assertThrows(IllegalStateException.class,
                    () -> resv.addFence(Timeline.create("z").next(), Usage.READ));
        } finally {
            resv.unlock();
        }
        assertThrows(IllegalStateException.class, () -> resv.addFence(gpu.ring.next(), Usage.WRITE),
                "without the lock");

        // replacement: a later fence of one timeline replaces the earlier one, may promote it
        Reservation r2 = new Reservation();
        Timeline t = Timeline.create("t");
        Fence t1 = t.next();
        Fence t2 = t.next();
        Fence t3 = t.next();
        r2.lock();
        try {
            r2.reserveFences(1);
            r2.addFence(t1, Usage.BOOKKEEP);
            r2.reserveFences(1);
            r2.addFence(t2, Usage.READ);
            assertEquals(1, r2.fenceCount(), "replaced and promoted");
            r2.addFence(t3, Usage.BOOKKEEP);
            assertEquals(2, r2.fenceCount(), "never degraded: appended");
        } finally {
            r2.unlock();
        }
        // containers are refused
        r2.lock();
        try {
            r2.reserveFences(1);
            assertThrows(IllegalArgumentException.class, () -> r2.addFence(
                    FenceArray.all(Timeline.create("a").next(), Timeline.create("b").next()),
                    Usage.READ));
        } finally {
            r2.unlock();
        }
        // reserving drops signalled entries
        t.signalUpTo(3);
        r2.lock();
        try {
            r2.reserveFences(1);
            assertEquals(0, r2.fenceCount());
        } finally {
            r2.unlock();
        }
    }

    @Test
    void reservationIsPerLockHoldAndReplaceCopy() {
        Reservation r = new Reservation();
        r.lock();
        r.reserveFences(1);
        r.unlock();
        r.lock();
        try {
            assertThrows(IllegalStateException.class,
                    () -> r.addFence(Timeline.create("a").next(), Usage.READ),
                    "unlocking throws the promise away");
        } finally {
            r.unlock();
        }

        // replaceFences swaps every fence of one context; copyFences copies the unsignalled ones
        Timeline preempt = Timeline.create("preempt");
        Fence p1 = preempt.next();
        Fence done = Timeline.create("done").next();
        done.signal();
        Fence other = Timeline.create("other").next();
        r.lock();
        try {
            r.reserveFences(3);
            r.addFence(p1, Usage.BOOKKEEP);
            r.addFence(other, Usage.READ);
            r.addFence(done, Usage.READ);
            Fence pt = Timeline.create("pt").next();
            r.replaceFences(p1.context(), pt, Usage.BOOKKEEP);
            assertFalse(r.fences(Usage.BOOKKEEP).contains(p1));
            assertTrue(r.fences(Usage.BOOKKEEP).contains(pt));
        } finally {
            r.unlock();
        }
        Reservation dst = new Reservation();
        dst.lock();
        try {
            dst.copyFences(r);
            assertTrue(dst.fences(Usage.READ).contains(other));
            assertFalse(dst.fences(Usage.BOOKKEEP).contains(done), "only the unsignalled ones");
        } finally {
            dst.unlock();
        }
    }

    @Test
    void exclusiveSharedView() {
        Reservation r = new Reservation();
        Fence reader1 = Timeline.create("r1").next();
        Fence reader2 = Timeline.create("r2").next();
        Fence kernel = Timeline.create("k").next();
        r.lock();
        try {
            r.reserveFences(3);
            r.addSharedFence(reader1);
            r.addSharedFence(reader2);
            r.addFence(kernel, Usage.KERNEL);
        } finally {
            r.unlock();
        }
        assertNull(r.exclusiveFence());
        assertEquals(List.of(reader1, reader2), r.sharedFences());
        Fence writer = Timeline.create("w").next();
        r.lock();
        try {
            r.reserveFences(1);
            r.addExclusiveFence(writer);
        } finally {
            r.unlock();
        }
        assertSame(writer, r.exclusiveFence());
        assertTrue(r.sharedFences().isEmpty(), "the shared fences are dropped");
        assertEquals(List.of(kernel, writer), r.fences(Usage.BOOKKEEP), "KERNEL left alone");
    }

    @Test
    void execContextExample() throws Exception {
        Gpu gpu = new Gpu();
        List<Reservation> buffers =
                List.of(new Reservation(), new Reservation(), new Reservation());
        Fence before = Timeline.create("before").next();
        buffers.get(1).lock();
        try {
            buffers.get(1).reserveFences(1);
            buffers.get(1).addFence(before, Usage.READ);
        } finally {
            buffers.get(1).unlock();
        }
        Fence done;
        try (ExecContext exec = ExecContext.create(ExecContext.Flag.IGNORE_DUPLICATES)) {
            exec.lockAll(e -> {
                for (Reservation r : buffers) {
                    e.prepare(r, 1);
                }
                assertFalse(e.lock(buffers.get(0)), "IGNORE_DUPLICATES: false");
            });
            assertEquals(3, exec.locked().size());
            Fence deps = exec.dependency(Usage.forAccess(true));
            assertSame(before, deps);
            done = gpu.submit("job", deps);
            exec.addFence(done, Usage.WRITE);
        }
        for (Reservation r : buffers) {
            assertFalse(r.isLocked(), "unlocks everything");
            assertTrue(r.fences(Usage.WRITE).contains(done), "published on every locked buffer");
        }
        try (ExecContext exec = ExecContext.create()) {
            assertThrows(IllegalArgumentException.class, () -> exec.lockAll(e -> {
                e.lock(buffers.get(0));
                e.lock(buffers.get(0));
            }), "without IGNORE_DUPLICATES");
        }
    }

    @Test
    void execContextReopenLoop() throws Exception {
        WwClass cls = WwClass.woundWait("jobs");
        List<List<Reservation>> jobs = List.of(
                List.of(new Reservation(cls), new Reservation(cls)),
                List.of(new Reservation(cls)));
        AtomicInteger ran = new AtomicInteger();
        ExecContext exec = ExecContext.create(cls);
        long lastStamp = -1;
        for (List<Reservation> job : jobs) {
            try (ExecContext e = exec.reopen()) {
                assertTrue(e.context().stamp() > lastStamp, "a new, larger stamp");
                lastStamp = e.context().stamp();
                e.lockAll(b -> { for (Reservation r : job) b.prepare(r, 1); });
                e.addFence(Timeline.create("j").next(), Usage.WRITE);
                ran.incrementAndGet();
            }
        }
        assertEquals(2, ran.get());
    }

    @Test
    void swallowedBackoffIsRetried() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Reservation a = new Reservation();
            Reservation b = new Reservation();
            ExecContext older = ExecContext.create();          // the older ticket holds b
            older.lockAll(e -> e.lock(b));
            AtomicInteger passes = new AtomicInteger();
            AtomicBoolean died = new AtomicBoolean();
            CompletableFuture<Boolean> younger = CompletableFuture.supplyAsync(() -> {
                try (ExecContext e = ExecContext.create()) {
                    e.lockAll(blk -> {
                        passes.incrementAndGet();
                        blk.lock(a);
                        try {
                            blk.lock(b);                       // wait-die: the younger dies
                        } catch (WwDeadlockException swallowed) {
                            // swallowed: the doc says the block is retried anyway
                            died.set(true);
                        }
                    });
                    return a.isHeldByCurrentThread() && b.isHeldByCurrentThread();
                } catch (InterruptedException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            while (!died.get()) { // the younger has died on b: only now may the older let go
                Thread.onSpinWait();
            }
            older.close();
            assertTrue(younger.get(10, TimeUnit.SECONDS), "the retry took both");
            assertTrue(passes.get() >= 2, "the block ran again");
        });
    }

    @Test
    void sharedBufferCpuAccess() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(16);
        Timeline device = Timeline.create("dev");
        Fence writer = device.next();
        buf.importFence(writer, SharedBuffer.Direction.WRITE);
        FutureTask<Void> reader = new FutureTask<>(() -> {
            try {
                buf.beginCpuAccess(SharedBuffer.Direction.READ);
                try {
                    buf.buffer().get(0);
                    buf.beginCpuAccess(SharedBuffer.Direction.READ); // nests, does not wait
                    buf.endCpuAccess(SharedBuffer.Direction.READ);
                } finally {
                    buf.endCpuAccess(SharedBuffer.Direction.READ);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, null);
        Thread readerThread = new Thread(reader, "reader");
        readerThread.start();
        awaitParked(readerThread); // fails if the begin does not wait
        assertFalse(reader.isDone(), "waits for pending writers");
        device.signalUpTo(1);
        reader.get(5, TimeUnit.SECONDS);

        // the access appears as a CPU fence: device work exported meanwhile waits for it
        buf.beginCpuAccess(SharedBuffer.Direction.WRITE);
        Fence cpu = buf.exportFence(SharedBuffer.Direction.READ);
        assertFalse(cpu.isSignaled());
        buf.endCpuAccess(SharedBuffer.Direction.WRITE);
        assertTrue(cpu.isSignaled());
        assertThrows(IllegalStateException.class,
                () -> buf.endCpuAccess(SharedBuffer.Direction.WRITE));
    }

    @Test
    void severalBuffersAtOnce() throws Exception {
        SharedBuffer src = SharedBuffer.allocate(8);
        SharedBuffer lut = SharedBuffer.allocate(8);
        Fence w = Timeline.create("w").next();
        src.importFence(w, SharedBuffer.Direction.WRITE);
        FutureTask<Void> conv = new FutureTask<>(() -> {
            try {
                SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, src, lut);
                try {
                    src.buffer().get(0);
                    lut.buffer().get(0);
                } finally {
                    SharedBuffer.endCpuAccessAll(SharedBuffer.Direction.READ, src, lut);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, null);
        Thread convThread = new Thread(conv, "converter");
        convThread.start();
        awaitParked(convThread); // fails if beginCpuAccessAll does not wait for src's writer
        assertFalse(conv.isDone());
        w.signal();
        conv.get(5, TimeUnit.SECONDS);
        assertThrows(IllegalArgumentException.class,
                () -> SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, src, src));
        assertThrows(NullPointerException.class,
                () -> SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, src, null));
        SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ); // empty: nothing
        SharedBuffer other = new SharedBuffer(java.nio.ByteBuffer.allocate(4),
                new Reservation(WwClass.woundWait("other")));
        assertThrows(IllegalArgumentException.class,
                () -> SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, src, other));
        SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, src);
        assertThrows(IllegalStateException.class,
                () -> SharedBuffer.endCpuAccessAll(SharedBuffer.Direction.READ, src, lut),
                "lut not open: ends none");
        SharedBuffer.endCpuAccessAll(SharedBuffer.Direction.READ, src);
    }

    @Test
    void explicitBridge() {
        SharedBuffer buf = SharedBuffer.allocate(8);
        Fence signalled = buf.exportFence(SharedBuffer.Direction.WRITE);
        assertTrue(signalled.isSignaled(), "nothing pending: a signalled fence");
        Fence reader = Timeline.create("r").next();
        buf.importFence(reader, SharedBuffer.Direction.READ);
        Fence before = buf.exportFence(SharedBuffer.Direction.WRITE);
        assertSame(reader, before, "a writer waits for readers");
        Gpu renderer = new Gpu();
        Fence drawn = renderer.submit("draw", before);
        buf.importFence(drawn, SharedBuffer.Direction.WRITE);
        assertSame(drawn, buf.exportFence(SharedBuffer.Direction.READ));
        Fence merged = buf.exportFence(SharedBuffer.Direction.WRITE);
        assertEquals(2, Fences.unwrap(merged).size());
    }
}
