package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Port of the kernel's {@code kernel/locking/test-ww_mutex.c}: every case runs for both wait-die
 * and wound-wait, as the kernel has done since December 2025. Stress workloads are bounded to well
 * under a second each instead of the kernel's 2 s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WwMutexKernelTest {

    private static final int TEST_MTX_SPIN = 1;
    private static final int TEST_MTX_TRY = 2;
    private static final int TEST_MTX_CTX = 4;
    private static final long JOIN_MILLIS = 20_000;

    static WwClass newClass(WwClass.Algorithm algorithm) {
        return WwClass.create("test-" + algorithm, algorithm);
    }

    static Stream<Arguments> mutexFlags() {
        List<Arguments> args = new ArrayList<>();
        for (WwClass.Algorithm a : WwClass.Algorithm.values()) {
            for (int flags = 0; flags < 8; flags++) {
                args.add(Arguments.of(a, flags));
            }
        }
        return args.stream();
    }

    /** test_mutex: a second locker (plain lock or trylock-spin) cannot get in until unlock. */
    @ParameterizedTest(name = "{0} flags={1}")
    @MethodSource("mutexFlags")
    void testMutex(WwClass.Algorithm algorithm, int flags) throws Exception {
        WwClass cls = newClass(algorithm);
        WwMutex mutex = new WwMutex(cls, "test_mutex");
        CountDownLatch ready = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger inside = new AtomicInteger();
        Thread worker = new Thread(() -> {
            ready.countDown();
            awaitLatch(go);
            if ((flags & TEST_MTX_TRY) != 0) {
                while (!mutex.tryLock()) {
                    Thread.onSpinWait();
                }
            } else {
                mutex.lock();
            }
            inside.incrementAndGet();
            mutex.unlock();
            done.countDown();
        }, "test_mutex-worker");
        WwAcquireContext ctx = (flags & TEST_MTX_CTX) != 0 ? new WwAcquireContext(cls) : null;
        if (ctx != null) {
            assertTrue(mutex.lock(ctx));
        } else {
            mutex.lock();
        }
        worker.start();
        ready.await();
        go.countDown();
        if ((flags & TEST_MTX_SPIN) != 0) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(62);
            while (System.nanoTime() - end < 0) {
                assertEquals(1, done.getCount(), "worker got in while the mutex was held");
                Thread.onSpinWait();
            }
        } else {
            assertFalse(done.await(62, TimeUnit.MILLISECONDS),
                    "worker got in while the mutex was held");
        }
        assertEquals(0, inside.get());
        mutex.unlock();
        assertTrue(done.await(JOIN_MILLIS, TimeUnit.MILLISECONDS), "worker never got the mutex");
        worker.join();
        assertEquals(1, inside.get());
        assertFalse(mutex.isLocked());
        if (ctx != null) {
            ctx.close();
        }
    }

    static Stream<Arguments> aaArgs() {
        List<Arguments> args = new ArrayList<>();
        for (WwClass.Algorithm a : WwClass.Algorithm.values()) {
            args.add(Arguments.of(a, false));
            args.add(Arguments.of(a, true));
        }
        return args.stream();
    }

    /** test_aa: relocking with the same context reports "already held" (-EALREADY). */
    @ParameterizedTest(name = "{0} trylock={1}")
    @MethodSource("aaArgs")
    void testAa(WwClass.Algorithm algorithm, boolean trylock) throws Exception {
        WwClass cls = newClass(algorithm);
        WwMutex mutex = new WwMutex(cls, "test_aa");
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            if (trylock) {
                assertTrue(mutex.tryLock(ctx));
            } else {
                assertTrue(mutex.lock(ctx));
            }
            assertSame(ctx, mutex.owningContext());
            assertFalse(mutex.tryLock(), "trylock(NULL) succeeded on a held mutex");
            assertFalse(mutex.tryLock(ctx), "trylock(ctx) succeeded on a mutex ctx holds");
            assertFalse(mutex.lock(ctx), "lock(ctx) on a mutex ctx holds must report EALREADY");
            assertEquals(1, ctx.acquiredCount(), "EALREADY must not count a second acquisition");
            mutex.unlock();
            assertFalse(mutex.isLocked());
        }
    }

    static Stream<Arguments> abbaArgs() {
        List<Arguments> args = new ArrayList<>();
        for (WwClass.Algorithm a : WwClass.Algorithm.values()) {
            for (int i = 0; i < 4; i++) {
                args.add(Arguments.of(a, (i & 1) != 0, (i & 2) != 0));
            }
        }
        return args.stream();
    }

    /** One side of test_abba: takes {@code first}, then wants {@code second}. */
    private static final class AbbaSide {
        final WwClass cls;
        final WwMutex first;
        final WwMutex second;
        final boolean trylock;
        final boolean resolve;
        volatile boolean deadlocked;
        volatile boolean gotBoth;

        AbbaSide(WwClass cls, WwMutex first, WwMutex second, boolean trylock, boolean resolve) {
            this.cls = cls;
            this.first = first;
            this.second = second;
            this.trylock = trylock;
            this.resolve = resolve;
        }

        void run(CountDownLatch mine, CountDownLatch theirs) throws WwDeadlockException {
            try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
                if (trylock) {
                    assertTrue(first.tryLock(ctx));
                } else {
                    assertTrue(first.lock(ctx));
                }
                assertSame(ctx, first.owningContext());
                mine.countDown();
                awaitLatch(theirs);
                boolean haveFirst = true;
                boolean haveSecond;
                try {
                    haveSecond = second.lock(ctx);
                } catch (WwDeadlockException e) {
                    deadlocked = true;
                    assertSame(second, e.contended());
                    first.unlock();
                    haveFirst = false;
                    if (resolve) {
                        second.lockSlow(ctx);
                        haveSecond = true;
                        haveFirst = first.lock(ctx);
                    } else {
                        haveSecond = false;
                    }
                }
                gotBoth = haveFirst && haveSecond;
                if (haveSecond) {
                    second.unlock();
                }
                if (haveFirst) {
                    first.unlock();
                }
            }
        }
    }

    /** test_abba: ABBA between two contexts; at least one backs off; resolved, both finish. */
    @ParameterizedTest(name = "{0} trylock={1} resolve={2}")
    @MethodSource("abbaArgs")
    void testAbba(WwClass.Algorithm algorithm, boolean trylock, boolean resolve) throws Exception {
        WwClass cls = newClass(algorithm);
        WwMutex a = new WwMutex(cls, "A");
        WwMutex b = new WwMutex(cls, "B");
        AbbaSide main = new AbbaSide(cls, a, b, trylock, resolve);
        AbbaSide other = new AbbaSide(cls, b, a, trylock, resolve);
        CountDownLatch mainHasFirst = new CountDownLatch(1);
        CountDownLatch otherHasFirst = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread worker = start("abba-worker", errors, () -> other.run(otherHasFirst, mainHasFirst));
        main.run(mainHasFirst, otherHasFirst);
        join(worker);
        assertNoErrors(errors);
        assertTrue(main.deadlocked || other.deadlocked, "ABBA was not detected by either side");
        if (resolve) {
            assertTrue(main.gotBoth && other.gotBoth, "resolved ABBA must let both finish");
        }
        assertFalse(a.isLocked());
        assertFalse(b.isLocked());
    }

    static Stream<Arguments> cycleArgs() {
        List<Arguments> args = new ArrayList<>();
        for (WwClass.Algorithm a : WwClass.Algorithm.values()) {
            for (int n = 2; n <= 5; n++) {
                args.add(Arguments.of(a, n));
            }
        }
        return args.stream();
    }

    /**
     * test_cycle: n contexts in a ring, each holding its own mutex and wanting its neighbour's;
     * the cycle must resolve, every member ending with both locks. The kernel's version backs off
     * once (unlock a, lock_slow b, relock a) and expects the relock to succeed; that holds only
     * if the predecessor, which may be waiting for a, finished first. An older predecessor that
     * still holds a makes the relock die again, legitimately under wait-die (a wound can do the
     * same under wound-wait); the kernel test then reports a failure, and this test used to leave
     * the thread's other lock held, so its neighbour hung (seen on JDK 25, about once in 20
     * rounds of n = 5 with a tight loop). So each member follows the full protocol: on every
     * back-off it releases what it holds, lock_slows the contended mutex and retries.
     */
    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cycleArgs")
    void testCycle(WwClass.Algorithm algorithm, int n) throws Exception {
        WwClass cls = newClass(algorithm);
        WwMutex[] a = new WwMutex[n];
        for (int i = 0; i < n; i++) {
            a[i] = new WwMutex(cls, "cycle-" + i);
        }
        CountDownLatch allHoldA = new CountDownLatch(n);
        boolean[] ok = new boolean[n];
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            threads[i] = start("cycle-" + i, errors, () -> {
                WwMutex mine = a[k];
                WwMutex next = a[(k + 1) % n];
                try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
                    assertTrue(mine.lock(ctx));
                    allHoldA.countDown();
                    awaitLatch(allHoldA);
                    boolean haveMine = true;
                    boolean haveNext = false;
                    while (!(haveMine && haveNext)) {
                        WwMutex want = haveMine ? next : mine; // the one not held
                        try {
                            assertTrue(want.lock(ctx), "not held yet, so acquired");
                        } catch (WwDeadlockException e) {
                            assertSame(want, e.contended());
                            if (haveMine) { // release everything held: the other one
                                mine.unlock();
                                haveMine = false;
                            } else {
                                next.unlock();
                                haveNext = false;
                            }
                            want.lockSlow(ctx);
                        }
                        if (want == mine) {
                            haveMine = true;
                        } else {
                            haveNext = true;
                        }
                    }
                    ok[k] = mine.isHeldByCurrentThread() && next.isHeldByCurrentThread();
                    next.unlock();
                    mine.unlock();
                }
            });
        }
        for (Thread t : threads) {
            join(t);
        }
        assertNoErrors(errors);
        for (int i = 0; i < n; i++) {
            assertTrue(ok[i], "cycle member " + i + " failed");
            assertFalse(a[i].isLocked());
        }
    }

    // ------------------------------------------------------------------------------------------
    // stress(nlocks, nthreads, flags)

    private static final long STRESS_NANOS = TimeUnit.MILLISECONDS.toNanos(600);

    /** Shared state of one stress run: each lock guards one plain counter. */
    private static final class Stress {
        final WwClass cls;
        final WwMutex[] locks;
        final long[] counters;
        final AtomicLong increments = new AtomicLong();
        final AtomicLong backoffs = new AtomicLong();

        Stress(WwClass cls, int nlocks) {
            this.cls = cls;
            this.locks = new WwMutex[nlocks];
            this.counters = new long[nlocks];
            for (int i = 0; i < nlocks; i++) {
                locks[i] = new WwMutex(cls, "stress-" + i);
            }
        }

        /**
         * The critical section: a non-atomic read-modify-write that loses counts if not exclusive.
         */
        void touch(int lock) {
            long v = counters[lock];
            Thread.onSpinWait();
            counters[lock] = v + 1;
            increments.incrementAndGet();
        }
    }

    /** stress_inorder_work: a fixed random order; back off with lockSlow and skip it on retry. */
    private static long stressInorderWork(Stress s, Random rnd) throws WwDeadlockException {
        int n = s.locks.length;
        List<Integer> order = randomOrder(n, rnd);
        long iterations = 0;
        long end = System.nanoTime() + STRESS_NANOS;
        do {
            try (WwAcquireContext ctx = new WwAcquireContext(s.cls)) {
                int contended = -1;
                retry:
                for (;;) {
                    for (int i = 0; i < n; i++) {
                        if (i == contended) {
                            continue;
                        }
                        try {
                            assertTrue(s.locks[order.get(i)].lock(ctx));
                        } catch (WwDeadlockException e) {
                            for (int j = 0; j < i; j++) {
                                if (j != contended) {
                                    s.locks[order.get(j)].unlock();
                                }
                            }
                            if (contended >= 0) {
                                s.locks[order.get(contended)].unlock();
                            }
                            s.backoffs.incrementAndGet();
                            contended = i;
                            s.locks[order.get(i)].lockSlow(ctx);
                            continue retry;
                        }
                    }
                    break;
                }
                assertEquals(n, ctx.acquiredCount());
                for (int i = 0; i < n; i++) {
                    s.touch(order.get(i));
                }
                for (int i = n - 1; i >= 0; i--) {
                    s.locks[order.get(i)].unlock();
                }
            }
            if (System.nanoTime() - end < 0) {
                iterations++; // only work done within the run counts against starvation
            }
        } while (System.nanoTime() - end < 0);
        return iterations;
    }

    /** stress_reorder_work: a random list; on back-off move the contended lock to the head. */
    private static long stressReorderWork(Stress s, Random rnd) throws WwDeadlockException {
        int n = s.locks.length;
        List<WwMutex> list = new ArrayList<>();
        for (int i : randomOrder(n, rnd)) {
            list.add(s.locks[i]);
        }
        long iterations = 0;
        long end = System.nanoTime() + STRESS_NANOS;
        do {
            try (WwAcquireContext ctx = new WwAcquireContext(s.cls)) {
                int start = 0;
                retry:
                for (;;) {
                    for (int i = start; i < n; i++) {
                        WwMutex ll = list.get(i);
                        try {
                            assertTrue(ll.lock(ctx));
                        } catch (WwDeadlockException e) {
                            for (int j = 0; j < i; j++) {
                                list.get(j).unlock();
                            }
                            s.backoffs.incrementAndGet();
                            ll.lockSlow(ctx);
                            list.remove(i);
                            list.add(0, ll);
                            start = 1;
                            continue retry;
                        }
                    }
                    break;
                }
                assertEquals(n, ctx.acquiredCount());
                for (int i = 0; i < n; i++) {
                    s.touch(indexOf(s, list.get(i)));
                }
                for (WwMutex m : list) {
                    m.unlock();
                }
            }
            if (System.nanoTime() - end < 0) {
                iterations++; // only work done within the run counts against starvation
            }
        } while (System.nanoTime() - end < 0);
        return iterations;
    }

    /** stress_one_work: lock and unlock one random lock without a context. */
    private static long stressOneWork(Stress s, Random rnd) {
        long iterations = 0;
        long end = System.nanoTime() + STRESS_NANOS;
        do {
            int i = rnd.nextInt(s.locks.length);
            s.locks[i].lock();
            s.touch(i);
            s.locks[i].unlock();
            if (System.nanoTime() - end < 0) {
                iterations++; // only work done within the run counts against starvation
            }
        } while (System.nanoTime() - end < 0);
        return iterations;
    }

    private static int indexOf(Stress s, WwMutex m) {
        for (int i = 0; i < s.locks.length; i++) {
            if (s.locks[i] == m) {
                return i;
            }
        }
        throw new AssertionError("unknown lock " + m);
    }

    private static final int STRESS_INORDER = 1;
    private static final int STRESS_REORDER = 2;
    private static final int STRESS_ONE = 4;
    private static final int STRESS_ALL = STRESS_INORDER | STRESS_REORDER | STRESS_ONE;

    private static void stress(WwClass.Algorithm algorithm, int nlocks, int nthreads, int flags)
            throws Exception {
        Stress s = new Stress(newClass(algorithm), nlocks);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        long[] iterations = new long[nthreads];
        Thread[] threads = new Thread[nthreads];
        int[] kinds = new int[nthreads];
        for (int n = 0; n < nthreads; n++) {
            int kind;
            if (flags == STRESS_ALL) {
                // round-robin by n & 3 as the kernel does: inorder, reorder, one, none
                kind = n & 3;
            } else {
                kind = flags == STRESS_INORDER ? 0 : flags == STRESS_REORDER ? 1 : 2;
            }
            kinds[n] = kind;
            if (kind == 3) {
                continue;
            }
            int k = n;
            Random rnd = new Random(0x5eed + n);
            threads[n] = start("stress-" + n, errors, () -> {
                iterations[k] = kind == 0 ? stressInorderWork(s, rnd)
                        : kind == 1 ? stressReorderWork(s, rnd) : stressOneWork(s, rnd);
            });
        }
        for (Thread t : threads) {
            if (t != null) {
                join(t);
            }
        }
        assertNoErrors(errors);
        long sum = 0;
        for (long c : s.counters) {
            sum += c;
        }
        assertEquals(s.increments.get(), sum, "a lock failed to exclude: increments were lost");
        for (int n = 0; n < nthreads; n++) {
            if (kinds[n] != 3) {
                // counted only when done before the deadline: a do-while's first pass always
                // completes, so counting it made this check unable to fail
                assertTrue(iterations[n] > 0, "worker " + n + " starved: no transaction"
                        + " completed within the run");
            }
        }
        for (WwMutex m : s.locks) {
            assertFalse(m.isLocked(), m + " left locked");
        }
    }

    private static int stressThreads(int perCpu) {
        return Math.max(2, perCpu * Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** stress(16, 2*ncpus, STRESS_INORDER). */
    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void stressInorder(WwClass.Algorithm algorithm) throws Exception {
        stress(algorithm, 16, stressThreads(2), STRESS_INORDER);
    }

    /** stress(16, 2*ncpus, STRESS_REORDER). */
    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void stressReorder(WwClass.Algorithm algorithm) throws Exception {
        stress(algorithm, 16, stressThreads(2), STRESS_REORDER);
    }

    /** stress(2046, 3*ncpus, STRESS_ALL): the random mix of inorder, reorder, one and idle. */
    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void stressAll(WwClass.Algorithm algorithm) throws Exception {
        stress(algorithm, 2046, Math.max(4, stressThreads(3)), STRESS_ALL);
    }

    // ------------------------------------------------------------------------------------------
    // helpers

    interface Body {
        void run() throws Exception;
    }

    static Thread start(String name, ConcurrentLinkedQueue<Throwable> errors, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                errors.add(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void join(Thread t) throws InterruptedException {
        t.join(JOIN_MILLIS);
        if (t.isAlive()) {
            fail(t.getName() + " did not finish: deadlock or livelock");
        }
    }

    static void assertNoErrors(ConcurrentLinkedQueue<Throwable> errors) {
        Throwable first = errors.peek();
        if (first != null) {
            AssertionError e = new AssertionError(errors.size() + " worker(s) failed", first);
            throw e;
        }
    }

    static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(JOIN_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("latch timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static List<Integer> randomOrder(int n, Random rnd) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, rnd);
        return order;
    }
}
