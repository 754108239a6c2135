package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Edge cases found by an audit against the kernel: replacement by a distinct fence with the same
 * seqno, a back-off swallowed in the middle of a locking block, a CPU access begun while holding
 * the lock, a failed ExecContext close retried, and the interruptible slow paths.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReservationEdgeTest {

    /**
     * dma_resv_add_fence replaces only if dma_fence_is_later_or_same(new, old), i.e. the same
     * fence or a strictly later seqno. Two distinct fences with the same context and seqno are
     * both kept by the kernel (appended).
     */
    @Test
    void addFenceKeepsADistinctFenceWithTheSameSeqno() {
        Reservation resv = new Reservation();
        long ctx = Fence.allocateContexts(1);
        Fence f1 = Fence.create(ctx, 5);
        Fence f2 = Fence.create(ctx, 5);
        resv.lock();
        try {
            resv.reserveFences(2);
            resv.addFence(f1, Usage.WRITE);
            resv.addFence(f2, Usage.WRITE);
        } finally {
            resv.unlock();
        }
        assertEquals(List.of(f1, f2), resv.fences(Usage.WRITE),
                "kernel appends: f2 is not later than f1 and not the same fence");
        f2.signal();
        assertFalse(resv.testSignaled(Usage.WRITE), "f1 still pending");
        f1.signal();
    }

    /**
     * Docs: "A block that swallows the exception is retried anyway (with a warning)". A block
     * that swallows the back-off inside its locking loop and goes on to lock the next object.
     */
    @Test
    void swallowedBackoffInTheMiddleOfTheBlockIsRetried() throws Exception {
        Reservation a = new Reservation(Reservation.DEFAULT_CLASS, "a");
        Reservation b = new Reservation(Reservation.DEFAULT_CLASS, "b");
        Reservation c = new Reservation(Reservation.DEFAULT_CLASS, "c");
        WwAcquireContext older = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        assertTrue(b.lock(older));
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean swallowed = new AtomicBoolean();
        AtomicBoolean allLocked = new AtomicBoolean();
        AtomicLong passes = new AtomicLong();
        Thread t = new Thread(() -> {
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(e -> {
                    for (Reservation r : List.of(a, b, c)) {
                        try {
                            e.lock(r);
                        } catch (WwDeadlockException ignored) {
                            swallowed.set(true);
                        }
                    }
                });
                allLocked.set(a.isHeldByCurrentThread() && b.isHeldByCurrentThread()
                        && c.isHeldByCurrentThread());
                passes.set(exec.passes());
            } catch (Throwable e) {
                error.set(e);
            }
        }, "swallower");
        t.start();
        // The younger context dies on b (wait-die: b's holder is older) and swallows that; the
        // retry then queues in lockSlow(b). Wait for both (no sleep): once the back-off has been
        // swallowed, the only waiter b can have is the retry's lockSlow.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(swallowed.get() && b.mutex().queueLength() == 1) && t.isAlive()
                && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        assertTrue(swallowed.get(), "the younger context never backed off on b: the block had"
                + " no back-off to swallow, so nothing here tests the retry");
        assertEquals(1, b.mutex().queueLength(), "the retry did not wait for b in lockSlow");
        assertFalse(a.isLocked() || c.isLocked(),
                "the retry must unlock what the swallowing pass took before waiting for b");
        b.unlock();
        older.close();
        t.join(20_000);
        assertFalse(t.isAlive());
        assertNull(error.get(), () -> "lockAll failed instead of retrying: " + error.get());
        assertTrue(allLocked.get());
        assertEquals(2, passes.get(), "the block ran once more after the swallowed back-off");
    }

    /**
     * SharedBuffer.beginCpuAccess javadoc: IllegalStateException "if this thread holds the
     * reservation's lock", before any wait: with a pending fence, waiting while holding the lock
     * could block forever.
     */
    @Test
    void beginCpuAccessWhileHoldingTheLockFailsFastEvenWithPendingFences() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        Fence pending = Fence.create(Fence.allocateContexts(1), 1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            Reservation resv = buf.reservation();
            resv.lock();
            try {
                resv.reserveFences(1);
                resv.addFence(pending, Usage.WRITE);
                buf.beginCpuAccess(SharedBuffer.Direction.READ);
            } catch (Throwable e) {
                thrown.set(e);
            } finally {
                resv.unlock();
                done.countDown();
            }
        }, "holder");
        t.start();
        boolean finished = done.await(2, TimeUnit.SECONDS);
        pending.signal(); // release it if it is stuck
        t.join(10_000);
        assertTrue(finished, "beginCpuAccess blocked while its thread held the reservation lock");
        assertInstanceOf(IllegalStateException.class, thrown.get());
    }

    /**
     * ExecContext.close() when the acquisition context refuses to close (a lock taken through
     * context() directly): the caller unlocks and closes again, as WwAcquireContext.close()
     * allows; the ExecContext must then be closed for real (and reopenable).
     */
    @Test
    void execCloseCanBeRetriedAfterItFailed() {
        WwClass cls = WwClass.waitDie("edge");
        WwMutex m = new WwMutex(cls, "m");
        ExecContext exec = ExecContext.create(cls);
        try {
            assertTrue(m.lock(exec.context()));
        } catch (WwDeadlockException e) {
            throw new AssertionError(e);
        }
        assertThrows(IllegalStateException.class, exec::close);
        m.unlock();
        exec.close();
        assertTrue(exec.context().isClosed(), "second close() left the ticket open");
        exec.reopen();
        exec.close();
    }

    /** lockSlowInterruptible: an interrupt while parked ends it; nothing held, nothing queued. */
    @Test
    void lockSlowInterruptibleEndsOnInterrupt() throws Exception {
        WwClass cls = WwClass.waitDie("edge");
        Reservation r = new Reservation(cls, "r");
        r.lock();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
                r.lockSlowInterruptible(ctx);
                r.unlock();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (r.mutex().queueLength() != 1 && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        t.interrupt();
        t.join(10_000);
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertEquals(0, r.mutex().queueLength());
        assertTrue(r.isHeldByCurrentThread());
        r.unlock();
    }

    /** ExecContext INTERRUPTIBLE: an interrupt during the lockSlow of a back-off. */
    @Test
    void interruptibleExecEndsDuringLockSlowAfterBackoff() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        WwAcquireContext older = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        assertTrue(b.lock(older));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean cleanAfterClose = new AtomicBoolean();
        Thread t = new Thread(() -> {
            ExecContext exec = ExecContext.create(ExecContext.Flag.INTERRUPTIBLE);
            try {
                exec.lockAll(e -> {
                    e.lock(a);
                    e.lock(b);
                });
            } catch (Throwable e) {
                thrown.set(e);
            } finally {
                exec.close();
                cleanAfterClose.set(!a.isLocked() && exec.locked().isEmpty()
                        && !exec.isContended());
            }
        });
        t.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.mutex().queueLength() != 1 && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        assertEquals(1, b.mutex().queueLength(), "the backed-off context queued on b");
        assertFalse(a.isLocked(), "backed off: a released before lockSlow(b)");
        t.interrupt();
        t.join(10_000);
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertTrue(cleanAfterClose.get());
        b.unlock();
        older.close();
    }
}
