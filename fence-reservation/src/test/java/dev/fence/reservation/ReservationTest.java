package dev.fence.reservation;

import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import dev.fence.core.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Semantics and misuse of {@link Reservation} beyond the kernel selftest. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReservationTest {

    private static Fence fence(long context, long seqno) {
        return Fence.create(context, seqno);
    }

    private static Fence fresh() {
        return fence(Fence.allocateContexts(1), 1);
    }

    @Test
    void addingNeedsTheLockAndAReservedSlot() throws Exception {
        Reservation resv = new Reservation();
        Fence f = fresh();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> resv.addFence(f, Usage.WRITE));
        assertTrue(e.getMessage().contains("without holding its lock"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> resv.reserveFences(1));
        resv.lock();
        e = assertThrows(IllegalStateException.class, () -> resv.addFence(f, Usage.WRITE));
        assertTrue(e.getMessage().contains("reserved slot"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> resv.reserveFences(0));
        assertThrows(IllegalArgumentException.class, () -> resv.reserveFences(-3));
        resv.reserveFences(2);
        resv.reserveFences(1); // not cumulative: still 2
        resv.addFence(fresh(), Usage.WRITE);
        resv.addFence(fresh(), Usage.READ);
        assertThrows(IllegalStateException.class, () -> resv.addFence(fresh(), Usage.READ),
                "beyond the reserved slots");
        resv.reserveFences(1);
        resv.unlock();
        resv.lock();
        assertThrows(IllegalStateException.class, () -> resv.addFence(fresh(), Usage.READ),
                "a reservation does not survive unlock");
        resv.unlock();

        // another thread holding the lock does not let us add
        resv.lock();
        resv.reserveFences(1);
        AtomicBoolean refused = new AtomicBoolean();
        Thread t = new Thread(() -> refused.set(assertThrows(IllegalStateException.class,
                () -> resv.addFence(fresh(), Usage.READ)) != null));
        t.start();
        t.join();
        assertTrue(refused.get());
        resv.unlock();
        assertEquals(2, resv.fenceCount());
    }

    @Test
    void badFencesAreRefused() {
        Reservation resv = new Reservation();
        resv.lock();
        resv.reserveFences(4);
        assertThrows(NullPointerException.class, () -> resv.addFence(null, Usage.READ));
        assertThrows(NullPointerException.class, () -> resv.addFence(fresh(), null));
        FenceArray array = FenceArray.all(fresh(), fresh());
        assertThrows(IllegalArgumentException.class, () -> resv.addFence(array, Usage.READ));
        FenceChain chain = FenceChain.link(null, fresh(), 1);
        assertThrows(IllegalArgumentException.class, () -> resv.addFence(chain, Usage.READ));
        assertThrows(NullPointerException.class, () -> resv.fences(null));
        assertThrows(IllegalArgumentException.class,
                () -> resv.await(Usage.READ, -1, TimeUnit.SECONDS));
        resv.unlock();
        assertEquals(0, resv.fenceCount());
    }

    @Test
    void replacementRule() {
        Reservation resv = new Reservation();
        long ctx = Fence.allocateContexts(1);
        resv.lock();
        resv.reserveFences(1);
        Fence f1 = fence(ctx, 1);
        resv.addFence(f1, Usage.BOOKKEEP);
        // same context, later, old usage weaker-or-equal: replaced (and promoted)
        Fence f2 = fence(ctx, 2);
        resv.reserveFences(1);
        resv.addFence(f2, Usage.READ);
        assertEquals(List.of(new Reservation.Entry(f2, Usage.READ)), resv.entries(Usage.BOOKKEEP));
        // same context, later, but a weaker usage: never degraded, so appended
        Fence f3 = fence(ctx, 3);
        resv.reserveFences(1);
        resv.addFence(f3, Usage.BOOKKEEP);
        assertEquals(List.of(new Reservation.Entry(f2, Usage.READ),
                new Reservation.Entry(f3, Usage.BOOKKEEP)), resv.entries(Usage.BOOKKEEP));
        // same context, an earlier seqno: appended
        Fence f0 = fence(ctx, 0);
        resv.reserveFences(1);
        resv.addFence(f0, Usage.WRITE);
        assertEquals(3, resv.fenceCount());
        // the same fence again, same usage: replaces itself
        resv.reserveFences(1);
        resv.addFence(f0, Usage.WRITE);
        assertEquals(3, resv.fenceCount());
        // a signalled fence of any context is recycled
        f2.signal();
        Fence other = fresh();
        resv.reserveFences(2);
        // reserveFences compacts signalled entries away; add a signalled one to test recycling
        assertEquals(2, resv.fenceCount());
        Fence done = fresh();
        done.signal();
        resv.addFence(done, Usage.KERNEL);
        assertEquals(3, resv.fenceCount());
        resv.addFence(other, Usage.READ);
        assertEquals(3, resv.fenceCount(), "the signalled slot was not recycled");
        assertTrue(resv.fences(Usage.BOOKKEEP).contains(other));
        assertFalse(resv.fences(Usage.BOOKKEEP).contains(done));
        resv.unlock();
    }

    @Test
    void queriesReturnEveryFenceUpToTheUsage() throws Exception {
        Reservation resv = new Reservation();
        Usage[] all = Usage.values();
        Fence[] byUsage = new Fence[all.length];
        resv.lock();
        resv.reserveFences(all.length);
        for (Usage u : all) {
            byUsage[u.ordinal()] = fresh();
            resv.addFence(byUsage[u.ordinal()], u);
        }
        resv.unlock();
        for (Usage q : all) {
            List<Fence> expected = new ArrayList<>();
            for (int i = 0; i <= q.ordinal(); i++) {
                expected.add(byUsage[i]);
            }
            assertEquals(expected, resv.fences(q), "fences(" + q + ")");
            assertFalse(resv.testSignaled(q));
            assertFalse(resv.await(q, 0, TimeUnit.SECONDS), "poll of " + q);
        }
        assertEquals(Usage.READ, Usage.forAccess(true));
        assertEquals(Usage.WRITE, Usage.forAccess(false));
        byUsage[Usage.KERNEL.ordinal()].signal();
        byUsage[Usage.WRITE.ordinal()].signal();
        assertTrue(resv.testSignaled(Usage.WRITE));
        assertTrue(resv.await(Usage.WRITE, 0, TimeUnit.SECONDS));
        assertFalse(resv.testSignaled(Usage.READ));
        assertFalse(resv.await(Usage.READ, 20, TimeUnit.MILLISECONDS));
        // Another thread's signal wakes a parked wait. The wait (600 s) runs in its own thread
        // under a 10 s bound, and the signal comes once it is parked: a wait whose timeout runs
        // out looks at its fences once more, so before (a 20 s wait, signalled at once, mostly
        // before the wait had parked) a wait never woken still returned true, only late.
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean woken = new AtomicBoolean();
        Thread w = start("reader-wait", errors,
                () -> woken.set(resv.await(Usage.READ, 600, TimeUnit.SECONDS)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (w.getState() != Thread.State.TIMED_WAITING && System.nanoTime() - deadline < 0) {
            Thread.sleep(1); // polling for a state, the verdict is the wake-up below
        }
        assertEquals(Thread.State.TIMED_WAITING, w.getState(), "the wait never parked");
        byUsage[Usage.READ.ordinal()].signal();
        w.join(10_000);
        assertFalse(w.isAlive(), "the parked wait was not woken by the READ fence's signal");
        assertNoErrors(errors);
        assertTrue(woken.get());
        assertFalse(resv.testSignaled(Usage.BOOKKEEP));
        byUsage[Usage.BOOKKEEP.ordinal()].signal();
        resv.await(Usage.BOOKKEEP);
        assertTrue(resv.testSignaled(Usage.BOOKKEEP));
    }

    @Test
    void singletonAndDeadline() {
        Reservation resv = new Reservation();
        Fence empty = resv.singleton(Usage.BOOKKEEP);
        assertTrue(empty.isSignaled(), "no fences: an already signalled fence");
        List<Long> deadlines = new ArrayList<>();
        Fence a = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void onDeadline(long deadlineNanos) {
                deadlines.add(deadlineNanos);
            }
        };
        Fence b = fresh();
        resv.lock();
        resv.reserveFences(2);
        resv.addFence(a, Usage.WRITE);
        assertSame(a, resv.singleton(Usage.READ), "a single fence comes back as itself");
        resv.addFence(b, Usage.READ);
        resv.unlock();
        assertSame(a, resv.singleton(Usage.WRITE));
        Fence both = resv.singleton(Usage.READ);
        assertFalse(both.isSignaled());
        resv.setDeadline(Usage.WRITE, 1234L);
        assertEquals(List.of(1234L), deadlines);
        a.signal();
        assertFalse(both.isSignaled());
        b.signal();
        assertTrue(both.isSignaled());
        resv.setDeadline(Usage.READ, 99L);
        assertEquals(List.of(1234L), deadlines, "no deadline for signalled fences");
    }

    @Test
    void copyAndReplace() {
        Reservation src = new Reservation();
        Fence w = fresh();
        Fence r = fresh();
        Fence done = fresh();
        src.lock();
        src.reserveFences(3);
        src.addFence(w, Usage.WRITE);
        src.addFence(r, Usage.READ);
        src.addFence(done, Usage.BOOKKEEP);
        src.unlock();
        done.signal();
        Reservation dst = new Reservation();
        assertThrows(IllegalStateException.class, () -> dst.copyFences(src));
        dst.lock();
        dst.reserveFences(1);
        dst.addFence(fresh(), Usage.KERNEL);
        dst.copyFences(src);
        assertEquals(List.of(new Reservation.Entry(w, Usage.WRITE),
                new Reservation.Entry(r, Usage.READ)), dst.entries(Usage.BOOKKEEP));

        Fence pt = fresh();
        dst.replaceFences(r.context(), pt, Usage.BOOKKEEP);
        assertEquals(List.of(new Reservation.Entry(w, Usage.WRITE),
                new Reservation.Entry(pt, Usage.BOOKKEEP)), dst.entries(Usage.BOOKKEEP));
        dst.replaceFences(12345678L, fresh(), Usage.READ); // no such context: nothing changes
        assertEquals(2, dst.fenceCount());
        dst.unlock();
        assertThrows(IllegalStateException.class, () -> dst.replaceFences(w.context(), pt,
                Usage.READ));
        assertNotNull(dst.describe());
        assertTrue(dst.describe().contains("write fence:"), dst.describe());
    }

    @Test
    void exclusiveAndSharedView() {
        Reservation resv = new Reservation();
        assertNull(resv.exclusiveFence());
        assertTrue(resv.sharedFences().isEmpty());
        Fence kernel = fresh();
        Fence book = fresh();
        Fence s1 = fresh();
        Fence s2 = fresh();
        resv.lock();
        resv.reserveFences(4);
        resv.addFence(kernel, Usage.KERNEL);
        resv.addFence(book, Usage.BOOKKEEP);
        resv.addSharedFence(s1);
        resv.addSharedFence(s2);
        assertEquals(List.of(s1, s2), resv.sharedFences());
        assertNull(resv.exclusiveFence());
        Fence x = fresh();
        resv.reserveFences(1);
        resv.addExclusiveFence(x);
        assertSame(x, resv.exclusiveFence());
        assertTrue(resv.sharedFences().isEmpty(), "shared fences are dropped by an exclusive add");
        assertEquals(List.of(kernel, book, x), resv.fences(Usage.BOOKKEEP),
                "KERNEL and BOOKKEEP are outside the view");
        Fence s3 = fresh();
        resv.reserveFences(1);
        resv.addSharedFence(s3);
        assertEquals(List.of(s3), resv.sharedFences());
        assertSame(x, resv.exclusiveFence());
        Fence x2 = fresh();
        assertThrows(IllegalStateException.class, () -> resv.addExclusiveFence(x2),
                "needs a reserved slot");
        resv.reserveFences(1);
        resv.addExclusiveFence(x2);
        assertSame(x2, resv.exclusiveFence());
        resv.unlock();
        assertThrows(IllegalStateException.class, () -> resv.addSharedFence(fresh()));
    }

    /**
     * Lock-free readers must see every snapshot whole: a writer keeps adding fences whose usage is
     * encoded in their seqno, and readers check every entry they see against it.
     */
    @Test
    void readersSeeConsistentSnapshots() throws Exception {
        Reservation resv = new Reservation();
        Timeline[] timelines = new Timeline[8];
        for (int i = 0; i < timelines.length; i++) {
            timelines[i] = Timeline.create("t" + i);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong checked = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread writer = start("writer", errors, () -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            int k = 0;
            while (System.nanoTime() - end < 0) {
                Timeline t = timelines[k % timelines.length];
                Fence f = t.next();
                Usage u = Usage.values()[(int) (f.seqno() % 4)];
                resv.lock();
                try {
                    resv.reserveFences(1);
                    resv.addFence(f, u);
                } finally {
                    resv.unlock();
                }
                if ((k & 7) == 0) {
                    t.signalUpTo(f.seqno());
                }
                k++;
            }
            stop.set(true);
        });
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(start("reader-" + r, errors, () -> {
                while (!stop.get()) {
                    for (Reservation.Entry e : resv.entries(Usage.BOOKKEEP)) {
                        assertNotNull(e.fence());
                        assertEquals(Usage.values()[(int) (e.fence().seqno() % 4)], e.usage(),
                                "entry usage does not belong to its fence");
                        checked.incrementAndGet();
                    }
                    assertTrue(resv.fenceCount() >= 0);
                }
            }));
        }
        join(writer);
        for (Thread t : readers) {
            join(t);
        }
        assertNoErrors(errors);
        assertTrue(checked.get() > 0);
    }

    @Test
    void fencesPerUsageAreImmutableViewsOfOneSnapshot() throws Exception {
        Reservation r = new Reservation();
        assertTrue(r.fences(Usage.BOOKKEEP).isEmpty());
        Fence kernel = fresh();
        Fence write = fresh();
        Fence read1 = fresh();
        Fence book = fresh();
        Fence read2 = fresh();
        r.lock();
        try {
            r.reserveFences(5);
            r.addFence(book, Usage.BOOKKEEP);
            r.addFence(read1, Usage.READ);
            r.addFence(kernel, Usage.KERNEL);
            r.addFence(read2, Usage.READ);
        } finally {
            r.unlock();
        }
        assertEquals(List.of(kernel), r.fences(Usage.KERNEL));
        assertEquals(List.of(kernel), r.fences(Usage.WRITE));
        assertEquals(List.of(read1, kernel, read2), r.fences(Usage.READ));
        assertEquals(List.of(book, read1, kernel, read2), r.fences(Usage.BOOKKEEP));
        // the same snapshot answers with the same list: nothing is copied per call
        List<Fence> reads = r.fences(Usage.READ);
        assertSame(reads, r.fences(Usage.READ));
        assertSame(reads, r.unsignaledFences(Usage.READ));
        assertThrows(UnsupportedOperationException.class, () -> reads.add(write));
        assertThrows(UnsupportedOperationException.class, () -> reads.set(0, write));
        assertThrows(UnsupportedOperationException.class, () -> reads.remove(0));
        assertThrows(UnsupportedOperationException.class, () -> reads.removeIf(f -> true));
        assertThrows(UnsupportedOperationException.class, () -> reads.sort(null));
        assertThrows(UnsupportedOperationException.class, reads::clear);
        assertThrows(IndexOutOfBoundsException.class, () -> reads.get(3));
        List<Fence> seen = new ArrayList<>();
        for (Fence f : reads) {
            seen.add(f);
        }
        assertEquals(List.of(read1, kernel, read2), seen);
        // a writer publishes a new snapshot; the list a reader holds does not change
        r.lock();
        try {
            r.reserveFences(1);
            r.addFence(write, Usage.WRITE);
        } finally {
            r.unlock();
        }
        assertEquals(List.of(read1, kernel, read2), reads);
        assertEquals(List.of(kernel, write), r.fences(Usage.WRITE));
        assertEquals(List.of(read1, kernel, read2, write), r.fences(Usage.READ));
        // a signalled fence stays in fences() but not in unsignaledFences()
        read1.signal();
        assertEquals(List.of(read1, kernel, read2, write), r.fences(Usage.READ));
        assertEquals(List.of(kernel, read2, write), r.unsignaledFences(Usage.READ));
        assertEquals(List.of(kernel, write), r.unsignaledFences(Usage.WRITE));
        assertSame(r.fences(Usage.WRITE), r.unsignaledFences(Usage.WRITE));
    }
}
