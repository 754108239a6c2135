package dev.fence.reservation;

import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ExecContext misuse and interrupts: close()/reopen() inside the locking block and the
 * dependency queries after close() are refused (before the twentieth session they were not:
 * the first two tests failed), a pending interrupt at a duplicate lock throws, and a soak of
 * random subsets with random interrupts under both algorithms leaves nothing locked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExecContextCloseAndInterruptTest {

    /**
     * Finding 1: close() and then reopen() inside the locking block are not refused. lockAll()
     * then returns normally although the lock of `a` the block asked for was dropped by the
     * close, and the "new" transaction has been marked done and may run lockAll() again.
     */
    @Test
    void closeAndReopenInsideTheBlockAreRefused() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        ExecContext exec = ExecContext.create();
        try {
            assertThrows(IllegalStateException.class, () -> exec.lockAll(e -> {
                e.lock(a);
                e.close();
                e.reopen();
                e.lock(b);
            }), "close()/reopen() inside the lockAll() block must be refused");
        } finally {
            exec.close();
        }
        assertFalse(a.isLocked() || b.isLocked());
    }

    /**
     * Finding 2: after close() (the transaction is over, nothing is locked any more),
     * dependency() answers "nothing to wait for" (a signalled stub) although the reservations
     * still carry unsignalled fences; addFence() after close is refused, dependency() is not.
     */
    @Test
    void dependencyAfterCloseIsRefused() throws Exception {
        Reservation a = new Reservation();
        dev.fence.core.Fence pending = dev.fence.core.Fence.create(
                dev.fence.core.Fence.allocateContexts(1), 1);
        ExecContext exec = ExecContext.create();
        exec.lockAll(e -> e.prepare(a, 1));
        exec.addFence(pending, Usage.WRITE);
        exec.close();
        assertThrows(IllegalStateException.class, () -> exec.dependency(Usage.WRITE),
                "dependency() after close() must be refused, not answer 'nothing to wait for'");
        assertThrows(IllegalStateException.class, () -> exec.dependencies(Usage.WRITE));
    }

    /**
     * An interrupt pending at a duplicate lock with IGNORE_DUPLICATES: the kernel answers
     * -EALREADY (0 with the flag) and checks signals only while waiting; here an INTERRUPTIBLE
     * lock() checks the interrupt first, as lockInterruptibly does, and the lock already taken
     * stays tracked, so close() releases it.
     */
    @Test
    void interruptPendingAtADuplicateThrowsAndCloseReleases() throws Exception {
        Reservation a = new Reservation();
        ExecContext exec = ExecContext.create(ExecContext.Flag.INTERRUPTIBLE,
                ExecContext.Flag.IGNORE_DUPLICATES);
        Throwable t = null;
        try {
            exec.lockAll(e -> {
                e.lock(a);
                Thread.currentThread().interrupt();
                e.lock(a);
            });
        } catch (Throwable x) {
            t = x;
        }
        Thread.interrupted();
        assertTrue(t instanceof InterruptedException, "expected InterruptedException, got " + t);
        assertTrue(a.isLocked());
        exec.close();
        assertFalse(a.isLocked());
    }

    /**
     * Soak: random subsets, random interrupts, INTERRUPTIBLE contexts, both algorithms: every
     * close leaves nothing locked by the thread, no thread hangs, the lock excludes.
     */
    @ParameterizedTest
    @EnumSource(WwClass.Algorithm.class)
    void interruptSoak(WwClass.Algorithm alg) throws Exception {
        WwClass cls = WwClass.create("soak", alg);
        int nres = 8;
        int nthreads = 4;
        Reservation[] resv = new Reservation[nres];
        for (int i = 0; i < nres; i++) {
            resv[i] = new Reservation(cls, "r" + i);
        }
        long[] counters = new long[nres];
        AtomicLong increments = new AtomicLong();
        AtomicLong interrupted = new AtomicLong();
        AtomicLong completed = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        Thread[] threads = new Thread[nthreads];
        for (int n = 0; n < nthreads; n++) {
            Random rnd = new Random(7 + n);
            threads[n] = start("soak-" + n, errors, () -> {
                ExecContext mine = ExecContext.create(cls, ExecContext.Flag.INTERRUPTIBLE,
                        ExecContext.Flag.IGNORE_DUPLICATES);
                boolean first = true;
                while (System.nanoTime() - end < 0) {
                    List<Reservation> subset = new ArrayList<>();
                    for (Reservation r : resv) {
                        if (rnd.nextInt(3) == 0) {
                            subset.add(r);
                        }
                    }
                    subset.add(resv[rnd.nextInt(nres)]);
                    Collections.shuffle(subset, rnd);
                    ExecContext exec = first ? mine : mine.reopen();
                    first = false;
                    try {
                        exec.lockAll(e -> {
                            for (Reservation r : subset) {
                                e.prepare(r, 1);
                            }
                        });
                        for (Reservation r : exec.locked()) {
                            int i = indexOf(resv, r);
                            long v = counters[i];
                            Thread.onSpinWait();
                            counters[i] = v + 1;
                            increments.incrementAndGet();
                        }
                        completed.incrementAndGet();
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                    } finally {
                        exec.close();
                        Thread.interrupted();
                    }
                    for (Reservation r : resv) {
                        if (r.isHeldByCurrentThread()) {
                            throw new AssertionError(r + " still held after close");
                        }
                    }
                }
            });
        }
        Random ir = new Random(1);
        while (System.nanoTime() - end < 0) {
            threads[ir.nextInt(nthreads)].interrupt();
            Thread.sleep(0, 200_000);
        }
        for (Thread t : threads) {
            join(t);
        }
        assertNoErrors(errors);
        long sum = 0;
        for (long c : counters) {
            sum += c;
        }
        assertEquals(increments.get(), sum);
        for (Reservation r : resv) {
            assertFalse(r.isLocked(), r + " left locked");
            assertEquals(0, r.mutex().queueLength(), r + " has queued waiters");
        }
        System.out.println(alg + " completed=" + completed + " interrupted=" + interrupted);
        assertTrue(completed.get() > 0);
        // the soak is about interrupts: one that never ended a lockAll() tested nothing of them
        assertTrue(interrupted.get() > 0, "no interrupt ever ended a lockAll(): "
                + completed + " transactions completed, none interrupted");
    }

    private static int indexOf(Reservation[] a, Reservation r) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == r) {
                return i;
            }
        }
        throw new AssertionError();
    }
}
