package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fence.core.Fence;
import dev.fence.reservation.SharedBuffer.Direction;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code beginCpuAccessAll(WRITE, ...)} counts itself as a waiting writer on every buffer it
 * begins fresh (readers arriving meanwhile wait for it) and must give that count back exactly
 * once on every way out: success, an interrupt while it waits for fences, for a lock or for an
 * open CPU access, and a call refused before it counts. (A refused lock under debug checks is in
 * {@link SharedBufferDebugChecksTest}.) The count is private, so each test reads it through
 * behaviour, on every buffer, with {@link #assertWriterCountBalanced}: a count left raised holds
 * a later reader back for a writer that will never come; a count given back twice lets a reader
 * pass a writer that is waiting. Every wait is bounded: a reader held back for good is reported
 * and interrupted, not waited for.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferWriterCountTest {

    private static final long BOUND_MILLIS = 10_000;

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** Adds a pending device READ fence to {@code buf}'s reservation: CPU writes wait for it. */
    private static Fence deviceRead(SharedBuffer buf) {
        Fence job = fresh();
        Reservation r = buf.reservation();
        r.lock();
        try {
            r.reserveFences(1);
            r.addFence(job, Usage.READ);
        } finally {
            r.unlock();
        }
        return job;
    }

    /** A CPU read of {@code buf} on its own thread: begins, reports in, ends at once. */
    private static final class Reader {
        final CountDownLatch began = new CountDownLatch(1);
        final Thread thread;

        Reader(String name, SharedBuffer buf, ConcurrentLinkedQueue<Throwable> errors) {
            thread = start(name, errors, () -> {
                buf.beginCpuAccess(Direction.READ);
                began.countDown();
                buf.endCpuAccess(Direction.READ);
            });
        }

        /**
         * Waits (bounded) until the reader has begun (true) or is parked in its begin without
         * having begun (false). After a begin the thread only ends its access and terminates,
         * so a parked thread whose latch is still up is parked inside beginCpuAccess.
         */
        boolean beganRatherThanParked() throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MILLIS);
            for (;;) {
                if (began.getCount() == 0) {
                    return true;
                }
                if (thread.getState() == Thread.State.WAITING && began.getCount() == 1) {
                    return false;
                }
                if (System.nanoTime() - end > 0) {
                    fail(thread.getName() + " neither began nor parked (state "
                            + thread.getState() + ")");
                }
                Thread.sleep(1);
            }
        }
    }

    /**
     * Checks through behaviour that no write begin is counted as waiting on {@code buf} (this
     * thread has no access open on it and no other thread is beginning a write of it):
     * <ol>
     * <li>a reader begins without parking (nothing is pending for a read): a count left raised
     *     holds it at a gate that no writer will signal, and it is interrupted and reported;</li>
     * <li>with a device READ fence pending and a CPU writer parked on it, a new reader parks
     *     without beginning: the writer's own count raises the total above zero. A count given
     *     back twice earlier leaves the total at zero, and the reader begins beside the waiting
     *     writer.</li>
     * </ol>
     * Both end with nothing pending on the buffer.
     */
    static void assertWriterCountBalanced(SharedBuffer buf) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Reader free = new Reader("reader-free", buf, errors);
        boolean freeBegan = free.beganRatherThanParked();
        if (!freeBegan) {
            free.thread.interrupt(); // it waits for a writer that is gone
        }
        join(free.thread);
        assertTrue(freeBegan, "a reader of " + buf + " waited for a writer that is gone: a write"
                + " begin's count was left raised");
        assertNoErrors(errors);

        Fence device = deviceRead(buf);
        Thread writer = start("writer", errors, () -> {
            buf.beginCpuAccess(Direction.WRITE);
            buf.endCpuAccess(Direction.WRITE);
        });
        awaitParked(writer); // counted, waiting for the device READ fence
        Reader held = new Reader("reader-held", buf, errors);
        boolean heldBegan = held.beganRatherThanParked();
        device.signal(); // the writer begins and ends; the held reader follows it
        join(writer);
        join(held.thread);
        assertNoErrors(errors);
        assertFalse(heldBegan, "a reader of " + buf + " began while a writer waited: a write"
                + " begin's count was given back twice");
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP), "a fence was left pending");
    }

    private static void assertWriterCountBalanced(SharedBuffer... bufs)
            throws InterruptedException {
        for (SharedBuffer b : bufs) {
            assertWriterCountBalanced(b);
        }
    }

    /** The checks themselves, on a buffer no multi-buffer write has touched. */
    @Test
    void theCheckHoldsForAnUntouchedBuffer() throws Exception {
        assertWriterCountBalanced(SharedBuffer.allocate(8));
    }

    /** Success: begun and ended, twice, on three buffers, two of them sharing a reservation. */
    @Test
    void successGivesTheCountBackOnEveryBuffer() throws Exception {
        Reservation shared = new Reservation();
        SharedBuffer x = new SharedBuffer(ByteBuffer.allocate(8), shared);
        SharedBuffer y = new SharedBuffer(ByteBuffer.allocate(8), shared);
        SharedBuffer z = SharedBuffer.allocate(8);
        for (Direction d : new Direction[] {Direction.WRITE, Direction.READ_WRITE}) {
            SharedBuffer.beginCpuAccessAll(d, x, y, z);
            SharedBuffer.endCpuAccessAll(d, x, y, z);
        }
        assertWriterCountBalanced(x, y, z);
    }

    /** The begin waited for a device READ fence of the last buffer and was interrupted. */
    @Test
    void interruptWhileWaitingForFencesGivesTheCountBack() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer z = SharedBuffer.allocate(8);
        Fence device = deviceRead(z);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("cpu", errors, () -> assertThrows(InterruptedException.class,
                () -> SharedBuffer.beginCpuAccessAll(Direction.WRITE, x, y, z)));
        awaitParked(t);
        t.interrupt();
        join(t);
        assertNoErrors(errors);
        device.signal();
        assertWriterCountBalanced(x, y, z);
    }

    /** The begin waited for a reservation lock another thread held and was interrupted. */
    @Test
    void interruptWhileWaitingForALockGivesTheCountBack() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer z = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = start("holder", errors, () -> {
            y.reservation().lock();
            try {
                locked.countDown();
                assertTrue(release.await(BOUND_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                y.reservation().unlock();
            }
        });
        assertTrue(locked.await(BOUND_MILLIS, TimeUnit.MILLISECONDS));
        Thread t = start("cpu", errors, () -> assertThrows(InterruptedException.class,
                () -> SharedBuffer.beginCpuAccessAll(Direction.WRITE, x, y, z)));
        awaitParked(t); // in lockAll, waiting for y's lock
        t.interrupt();
        join(t);
        release.countDown();
        join(holder);
        assertNoErrors(errors);
        assertWriterCountBalanced(x, y, z);
    }

    /**
     * The begin waited for another thread's open CPU read of y whose fence the reservation had
     * lost (so it waits for the open access itself, not for the reservation's fences) and was
     * interrupted.
     */
    @Test
    void interruptWhileWaitingForAnOpenCpuAccessGivesTheCountBack() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer z = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread reader = start("open-reader", errors, () -> {
            y.beginCpuAccess(Direction.READ);
            try {
                reading.countDown();
                assertTrue(release.await(BOUND_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                y.endCpuAccess(Direction.READ);
            }
        });
        assertTrue(reading.await(BOUND_MILLIS, TimeUnit.MILLISECONDS));
        Fence open = y.exportFence(Direction.WRITE); // the open read's CPU fence
        Fence job = fresh();
        Reservation r = y.reservation();
        r.lock();
        try {
            r.reserveFences(1);
            r.addExclusiveFence(job); // drops the CPU read fence from the list
        } finally {
            r.unlock();
        }
        job.signal(new IllegalStateException("reset: job abandoned"));
        assertTrue(r.testSignaled(Usage.BOOKKEEP), "the reservation lost the CPU read fence");

        Thread t = start("cpu", errors, () -> assertThrows(InterruptedException.class,
                () -> SharedBuffer.beginCpuAccessAll(Direction.WRITE, x, y, z)));
        awaitParked(t); // waiting for the open read itself
        assertFalse(open.isSignaled());
        t.interrupt();
        join(t);
        release.countDown();
        join(reader);
        assertNoErrors(errors);
        assertWriterCountBalanced(x, y, z);
    }

    /**
     * A call refused by a buffer's rules (a write of a buffer this thread reads, listed after
     * two it could write) counts nothing: every check comes before the count.
     */
    @Test
    void refusedCallCountsNothing() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer z = SharedBuffer.allocate(8);
        z.beginCpuAccess(Direction.READ);
        try {
            assertThrows(IllegalStateException.class,
                    () -> SharedBuffer.beginCpuAccessAll(Direction.WRITE, x, y, z));
        } finally {
            z.endCpuAccess(Direction.READ);
        }
        assertWriterCountBalanced(x, y, z);
    }
}
