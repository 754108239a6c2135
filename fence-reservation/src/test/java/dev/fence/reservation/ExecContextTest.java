package dev.fence.reservation;

import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fence.core.Fence;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ExecContext}: the kernel's {@code drivers/gpu/drm/tests/drm_exec_test.c} cases, the
 * retry loop under contention, deadlock freedom under load, and misuse.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExecContextTest {

    // ------------------------------------------------------------------------------------------
    // drm_exec_test.c

    /** sanitycheck: init with INTERRUPTIBLE_WAIT and fini. */
    @Test
    void sanitycheck() {
        ExecContext exec = ExecContext.create(ExecContext.Flag.INTERRUPTIBLE);
        exec.close();
        assertTrue(exec.context().isClosed());
    }

    /** test_lock: lock one object in the loop. */
    @Test
    void testLock() throws Exception {
        Reservation obj = new Reservation();
        try (ExecContext exec = ExecContext.create(ExecContext.Flag.INTERRUPTIBLE)) {
            exec.lockAll(e -> assertTrue(e.lock(obj)));
            assertTrue(obj.isHeldByCurrentThread());
            assertEquals(List.of(obj), exec.locked());
            assertEquals(1, exec.passes());
            assertEquals(0, exec.backoffs());
        }
        assertFalse(obj.isLocked());
    }

    /** test_lock_unlock: lock, unlock_obj, lock again. */
    @Test
    void testLockUnlock() throws Exception {
        Reservation obj = new Reservation();
        try (ExecContext exec = ExecContext.create(ExecContext.Flag.INTERRUPTIBLE)) {
            exec.lockAll(e -> {
                assertTrue(e.lock(obj));
                e.unlock(obj);
                assertFalse(obj.isLocked());
                assertTrue(e.lock(obj));
            });
            assertEquals(List.of(obj), exec.locked());
        }
        assertFalse(obj.isLocked());
    }

    /** test_duplicates: with IGNORE_DUPLICATES, locking twice is fine; without, an error. */
    @Test
    void testDuplicates() throws Exception {
        Reservation obj = new Reservation();
        try (ExecContext exec = ExecContext.create(ExecContext.Flag.IGNORE_DUPLICATES)) {
            exec.lockAll(e -> {
                assertTrue(e.lock(obj));
                assertFalse(e.lock(obj));
            });
            assertEquals(List.of(obj), exec.locked(), "a duplicate is tracked once");
            // as the kernel test ends: drm_exec_unlock_obj after the loop, then drm_exec_fini
            exec.unlock(obj);
            assertFalse(obj.isLocked(), "one unlock releases an object locked twice");
            assertTrue(exec.locked().isEmpty());
        }
        assertFalse(obj.isLocked());
        try (ExecContext exec = ExecContext.create()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> exec.lockAll(x -> {
                        x.lock(obj);
                        x.lock(obj);
                    }));
            assertTrue(e.getMessage().contains("IGNORE_DUPLICATES"), e.getMessage());
        }
        assertFalse(obj.isLocked(), "close() unlocks after a failed block");
    }

    /** test_prepare: prepare_obj(obj, 1). */
    @Test
    void testPrepare() throws Exception {
        Reservation obj = new Reservation();
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> e.prepare(obj, 1));
            obj.addFence(Fence.create(Fence.allocateContexts(1), 1), Usage.WRITE);
            assertEquals(1, obj.fenceCount());
        }
        assertFalse(obj.isLocked());
    }

    /** test_prepare_array: two objects. */
    @Test
    void testPrepareArray() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> e.prepareAll(List.of(a, b), 1));
            assertEquals(List.of(a, b), exec.locked());
            assertTrue(a.isHeldByCurrentThread() && b.isHeldByCurrentThread());
        }
        assertFalse(a.isLocked() || b.isLocked());
    }

    /** test_multiple_loops: two init / lock loop / fini sequences in a row. */
    @Test
    void testMultipleLoops() throws Exception {
        for (int i = 0; i < 2; i++) {
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(e -> { });
                assertTrue(exec.locked().isEmpty());
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Retry loop

    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void theBlockIsRerunAfterABackoffAndTheContendedObjectIsPrelocked(WwClass.Algorithm alg)
            throws Exception {
        WwClass cls = WwClass.create("exec", alg);
        Reservation a = new Reservation(cls, "a");
        Reservation b = new Reservation(cls, "b");
        WwAcquireContext older = new WwAcquireContext(cls);
        assertTrue(b.lock(older));
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch firstPassHoldsA = new CountDownLatch(1);
        AtomicLong passes = new AtomicLong();
        AtomicLong backoffs = new AtomicLong();
        Thread t = start("younger", errors, () -> {
            try (ExecContext exec = ExecContext.create(cls)) {
                AtomicInteger run = new AtomicInteger();
                exec.lockAll(e -> {
                    int pass = run.incrementAndGet();
                    e.lock(a);
                    if (pass == 1) {
                        firstPassHoldsA.countDown();
                    } else {
                        assertTrue(b.isHeldByCurrentThread(),
                                "the contended object is locked before the re-run");
                    }
                    e.lock(b);
                });
                assertTrue(a.isHeldByCurrentThread() && b.isHeldByCurrentThread());
                assertEquals(2, exec.locked().size());
                passes.set(exec.passes());
                backoffs.set(exec.backoffs());
            }
        });
        firstPassHoldsA.await();
        if (alg == WwClass.Algorithm.WOUND_WAIT) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (b.mutex().queueLength() != 1 && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            assertTrue(a.lock(older)); // wounds the younger waiter
            a.unlock();
        } else {
            // wait-die: the younger context dies at once on b
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (b.mutex().queueLength() != 1 && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
        }
        b.unlock();
        older.close();
        join(t);
        assertNoErrors(errors);
        assertEquals(2, passes.get());
        assertEquals(1, backoffs.get());
        assertFalse(a.isLocked() || b.isLocked());
    }

    @Test
    void swallowedBackoffIsStillRetried() throws Exception {
        assertEquals(2, runSwallowedBackoff());
    }

    /**
     * A block that swallows the back-off of its second lock (wait-die: the younger context dies
     * against an older holder): lockAll() still retries it, and the second pass locks both.
     *
     * @return the passes the block took (2 when the swallowed back-off was retried)
     */
    static long runSwallowedBackoff() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        WwAcquireContext older = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        assertTrue(b.lock(older));
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong passes = new AtomicLong();
        AtomicBoolean swallowed = new AtomicBoolean();
        Thread t = start("swallower", errors, () -> {
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(e -> {
                    e.lock(a);
                    try {
                        e.lock(b);
                    } catch (WwDeadlockException ignored) {
                        swallowed.set(true); // wrong, but the context notices
                    }
                });
                assertTrue(a.isHeldByCurrentThread() && b.isHeldByCurrentThread());
                passes.set(exec.passes());
            }
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // Wait until the younger context has backed off (and swallowed it) and then queued in
        // lockSlow(b): queueLength() alone can also be 1 for a moment during the first attempt.
        // A thread that died (its block failed) is reported by assertNoErrors below.
        while (!(swallowed.get() && b.mutex().queueLength() == 1 || !t.isAlive())
                && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        b.unlock();
        older.close();
        join(t);
        assertNoErrors(errors);
        assertFalse(a.isLocked() || b.isLocked());
        return passes.get();
    }

    @Test
    void misuse() throws Exception {
        Reservation a = new Reservation();
        Reservation other = new Reservation(WwClass.waitDie("other"));
        ExecContext exec = ExecContext.create();
        assertThrows(IllegalStateException.class, () -> exec.lock(a), "outside the block");
        assertThrows(NullPointerException.class, () -> exec.lockAll(null));
        assertThrows(IllegalArgumentException.class, () -> exec.lockAll(e -> e.lock(other)));
        assertThrows(IllegalStateException.class, () -> exec.lockAll(e -> { }), "only once");
        assertThrows(IllegalStateException.class, () -> exec.unlock(a));
        exec.close();
        assertThrows(IllegalStateException.class, () -> exec.addFence(Fence.signaledStub(),
                Usage.READ));
        ExecContext exec2 = ExecContext.create();
        assertThrows(IllegalArgumentException.class, () -> exec2.lockAll(e -> e.prepare(a, 0)));
        assertFalse(a.isLocked());
        assertInstanceOf(IllegalStateException.class,
                thrownInAnotherThread(() -> exec2.lockAll(e -> { })), "another thread");
        exec2.close();
        assertThrows(NullPointerException.class, () -> ExecContext.create((ExecContext.Flag) null));
    }

    /** What {@code body} throws when run in a new thread, or null if it returns normally. */
    static Throwable thrownInAnotherThread(Executable body) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.execute();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        t.join();
        return thrown.get();
    }

    /**
     * reopen(): a newer stamp each time (also on a fresh, unused context), the same acquisition
     * context object, passes and back-offs from zero, the next lockAll runs; refused while in
     * use, inside the block and from another thread.
     */
    @Test
    void reopenStartsTheNextTransaction() throws Exception {
        WwClass cls = WwClass.waitDie("reopen");
        Reservation a = new Reservation(cls, "a");
        Reservation b = new Reservation(cls, "b");
        ExecContext exec = ExecContext.create(cls);
        WwAcquireContext ctx = exec.context();
        long s0 = ctx.stamp();
        assertSame(exec, exec.reopen(), "fresh and unused: only a new stamp");
        long s1 = ctx.stamp();
        assertTrue(s1 - s0 > 0, s0 + " then " + s1);
        exec.lockAll(e -> e.lock(a));
        assertThrows(IllegalStateException.class, exec::reopen, "after lockAll, before close");
        assertTrue(a.isLocked());
        exec.close();
        assertFalse(a.isLocked());
        assertInstanceOf(IllegalStateException.class, thrownInAnotherThread(exec::reopen));

        assertSame(exec, exec.reopen());
        assertSame(ctx, exec.context());
        assertTrue(ctx.stamp() - s1 > 0);
        assertFalse(ctx.isClosed());
        assertFalse(ctx.isDone());
        assertEquals(0, exec.passes());
        assertEquals(0, exec.backoffs());
        exec.lockAll(e -> {
            e.lock(a);
            e.lock(b);
        });
        assertEquals(List.of(a, b), exec.locked());
        assertEquals(1, exec.passes());
        assertTrue(ctx.isDone());
        exec.close();
        assertFalse(a.isLocked() || b.isLocked());

        exec.reopen();
        assertThrows(IllegalStateException.class, () -> exec.lockAll(e -> {
            e.lock(a);
            exec.reopen();
        }), "inside the block");
        exec.close();
        assertFalse(a.isLocked(), "close() after the failed block releases what it took");

        // a lock taken through context() directly keeps a fresh context from being reopened
        ExecContext other = ExecContext.create(cls);
        assertTrue(b.mutex().lock(other.context()));
        assertThrows(IllegalStateException.class, other::reopen);
        b.mutex().unlock();
        other.close();
    }

    /**
     * The point of reopen(): transaction after transaction on one context allocates nothing.
     * Fails if any per-transaction object comes back (measured with the thread's allocation
     * counter after a warm-up, so that the JIT has compiled the path).
     */
    @Test
    void aReopenedContextAllocatesNothingPerTransaction() throws Exception {
        // the thread allocation counter, by reflection: the module does not read jdk.management
        // (surefire runs the tests on the class path, where everything is readable)
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getThreadMXBean").invoke(null);
        Class<?> sunBean = Class.forName("com.sun.management.ThreadMXBean");
        // not measurable on every JVM: reported as skipped there, not as a pass
        assumeTrue(sunBean.isInstance(bean)
                && (Boolean) sunBean.getMethod("isThreadAllocatedMemorySupported").invoke(bean)
                && (Boolean) sunBean.getMethod("isThreadAllocatedMemoryEnabled").invoke(bean),
                "the thread allocation counter is not supported (or not enabled) on this JVM");
        Method allocatedBytes = sunBean.getMethod("getCurrentThreadAllocatedBytes");
        WwClass cls = WwClass.woundWait("alloc");
        Reservation[] resv = new Reservation[8];
        for (int i = 0; i < resv.length; i++) {
            resv[i] = new Reservation(cls, "r" + i);
        }
        ExecContext.LockingBlock block = e -> {
            for (Reservation r : resv) {
                e.lock(r);
            }
        };
        ExecContext exec = ExecContext.create(cls);
        exec.close();
        Runnable txns = () -> {
            for (int i = 0; i < 20_000; i++) {
                try (ExecContext e = exec.reopen()) {
                    e.lockAll(block);
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
            }
        };
        txns.run(); // warm-up
        txns.run();
        long before = (Long) allocatedBytes.invoke(bean);
        txns.run();
        long after = (Long) allocatedBytes.invoke(bean);
        assertTrue(before >= 0 && after >= before, "the counter read " + before + ", " + after);
        long allocated = after - before;
        assertTrue(allocated < 20_000, allocated + " bytes over 20,000 transactions");
        assertFalse(resv[0].isLocked());
    }

    @Test
    void interruptibleLockAllEndsOnInterrupt() throws Exception {
        Reservation a = new Reservation();
        a.lock();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("interruptible", errors, () -> {
            try (ExecContext exec = ExecContext.create(ExecContext.Flag.INTERRUPTIBLE)) {
                assertThrows(InterruptedException.class, () -> exec.lockAll(e -> e.lock(a)));
                assertTrue(exec.locked().isEmpty());
            }
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (a.mutex().queueLength() != 1 && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        t.interrupt();
        join(t);
        assertNoErrors(errors);
        a.unlock();
    }

    /**
     * close() releases every reservation first and wakes the parked waiters afterwards (the
     * deferred wake-up of WwMutex.release): every waiter of every released reservation must
     * still be woken, not just the first one found. Four reservations, one parked waiter each
     * (context-free, so nothing backs off); the waiters only time out if a wake-up is lost.
     */
    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void closeWakesTheWaitersOfEveryReleasedReservation(WwClass.Algorithm alg) throws Exception {
        WwClass cls = WwClass.create("wakeall", alg);
        for (int round = 0; round < 50; round++) {
            Reservation[] resv = new Reservation[4];
            for (int i = 0; i < resv.length; i++) {
                resv[i] = new Reservation(cls, "r" + i);
            }
            ExecContext exec = ExecContext.create(cls);
            exec.lockAll(e -> {
                for (Reservation r : resv) {
                    e.lock(r);
                }
            });
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch acquired = new CountDownLatch(resv.length);
            Thread[] waiters = new Thread[resv.length];
            for (int i = 0; i < resv.length; i++) {
                Reservation r = resv[i];
                waiters[i] = start("waiter-" + i, errors, () -> {
                    r.lock();
                    r.unlock();
                    acquired.countDown();
                });
            }
            for (int i = 0; i < resv.length; i++) {
                // queued and parked (not spinning): only a wake-up can get it out
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while ((resv[i].mutex().queueLength() != 1
                        || waiters[i].getState() != Thread.State.WAITING)
                        && System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
                assertEquals(Thread.State.WAITING, waiters[i].getState(), "waiter " + i);
            }
            exec.close();
            assertTrue(acquired.await(10, TimeUnit.SECONDS), "round " + round + ": "
                    + acquired.getCount() + " waiter(s) never woken");
            for (Thread t : waiters) {
                join(t);
            }
            assertNoErrors(errors);
        }
    }

    @Test
    void addFenceAndDependencies() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        Fence readerOfA = Fence.create(Fence.allocateContexts(1), 1);
        Fence writerOfB = Fence.create(Fence.allocateContexts(1), 1);
        Fence bookkeep = Fence.create(Fence.allocateContexts(1), 1);
        a.lock();
        a.reserveFences(2);
        a.addFence(readerOfA, Usage.READ);
        a.addFence(bookkeep, Usage.BOOKKEEP);
        a.unlock();
        b.lock();
        b.reserveFences(2);
        b.addFence(writerOfB, Usage.WRITE);
        b.addFence(bookkeep, Usage.BOOKKEEP);
        b.unlock();
        Fence job = Fence.create(Fence.allocateContexts(1), 1);
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> {
                e.lock(a);
                e.lock(b);
            });
            assertEquals(List.of(writerOfB), exec.dependencies(Usage.forAccess(false)));
            assertEquals(List.of(readerOfA, writerOfB),
                    exec.dependencies(Usage.forAccess(true)));
            assertEquals(List.of(readerOfA, bookkeep, writerOfB),
                    exec.dependencies(Usage.BOOKKEEP), "each fence once");
            assertSame(writerOfB, exec.dependency(Usage.WRITE));
            Fence all = exec.dependency(Usage.READ);
            assertFalse(all.isSignaled());
            exec.addFence(job, Usage.WRITE);
            readerOfA.signal();
            writerOfB.signal();
            assertTrue(all.isSignaled());
            assertEquals(List.of(job), exec.dependencies(Usage.READ), "only the new job is left");
        }
        assertSame(job, a.exclusiveFence());
        assertSame(job, b.exclusiveFence());
    }

    // ------------------------------------------------------------------------------------------
    // Deadlock freedom

    /**
     * 8 threads repeatedly lock random subsets of 64 reservations in random order through
     * {@link ExecContext}: everyone completes, every lock is released, nobody starves, and each
     * reservation's critical section stays exclusive.
     */
    @ParameterizedTest(name = "{0}, reopen = {1}")
    @CsvSource({"WAIT_DIE, false", "WOUND_WAIT, false", "WAIT_DIE, true", "WOUND_WAIT, true"})
    void deadlockFreedom(WwClass.Algorithm alg, boolean reopen) throws Exception {
        WwClass cls = WwClass.create("freedom", alg);
        int nres = 64;
        int nthreads = 8;
        Reservation[] resv = new Reservation[nres];
        long[] counters = new long[nres];
        for (int i = 0; i < nres; i++) {
            resv[i] = new Reservation(cls, "r" + i);
        }
        Map<Reservation, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < nres; i++) {
            index.put(resv[i], i);
        }
        AtomicLong increments = new AtomicLong();
        AtomicLong totalBackoffs = new AtomicLong();
        long[] done = new long[nthreads];
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] threads = new Thread[nthreads];
        for (int n = 0; n < nthreads; n++) {
            int k = n;
            Random rnd = new Random(42 + n);
            threads[n] = start("freedom-" + n, errors, () -> {
                go.await();
                Timeline timeline = new Timeline(Fence.allocateContexts(1));
                // with reopen, one context per thread for every transaction (ExecContext.reopen)
                ExecContext mine = reopen
                        ? ExecContext.create(cls, ExecContext.Flag.IGNORE_DUPLICATES) : null;
                long lastStamp = reopen ? mine.context().stamp() - 1 : 0;
                while (System.nanoTime() - end < 0) {
                    List<Reservation> subset = new ArrayList<>();
                    for (Reservation r : resv) {
                        if (rnd.nextInt(8) == 0) {
                            subset.add(r);
                        }
                    }
                    subset.add(resv[rnd.nextInt(nres)]); // maybe a duplicate
                    Collections.shuffle(subset, rnd);
                    try (ExecContext exec = reopen ? mine.reopen() : ExecContext.create(cls,
                            ExecContext.Flag.IGNORE_DUPLICATES)) {
                        if (reopen) {
                            long stamp = exec.context().stamp();
                            if (stamp - lastStamp <= 0) {
                                throw new AssertionError("reopen() did not take a newer stamp: "
                                        + lastStamp + " then " + stamp);
                            }
                            lastStamp = stamp;
                        }
                        exec.lockAll(e -> {
                            for (Reservation r : subset) {
                                e.prepare(r, 1);
                            }
                        });
                        for (Reservation r : exec.locked()) {
                            int i = index.get(r);
                            long v = counters[i];
                            Thread.onSpinWait();
                            counters[i] = v + 1;
                            increments.incrementAndGet();
                        }
                        Fence f = timeline.next();
                        exec.addFence(f, Usage.WRITE);
                        f.signal();
                        totalBackoffs.addAndGet(exec.backoffs());
                    }
                    done[k]++;
                }
            });
        }
        go.countDown();
        for (Thread t : threads) {
            join(t);
        }
        assertNoErrors(errors);
        long sum = 0;
        for (long c : counters) {
            sum += c;
        }
        assertEquals(increments.get(), sum, "a reservation lock failed to exclude");
        long total = 0;
        for (long d : done) {
            total += d;
        }
        for (int n = 0; n < nthreads; n++) {
            // generous: a fair share is total / 8; starvation would be (close to) nothing
            assertTrue(done[n] > 0 && done[n] * nthreads * 100 >= total,
                    "thread " + n + " starved: " + Arrays.toString(done));
        }
        assertTrue(totalBackoffs.get() > 0, "the workload never contended; it tests nothing");
        for (Reservation r : resv) {
            assertFalse(r.isLocked(), r + " left locked");
            assertTrue(r.testSignaled(Usage.BOOKKEEP));
        }
    }

    /** A per-thread sequence of fences on one context. */
    private static final class Timeline {
        private final long context;
        private long seqno;

        Timeline(long context) {
            this.context = context;
        }

        Fence next() {
            return Fence.create(context, ++seqno);
        }
    }
}
