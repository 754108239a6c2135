package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.reservation.SharedBuffer.Direction;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CPU accesses of one buffer exclude each other even after the reservation has lost the CPU
 * fence of an open access, and each writer signals, when it ends, the fence its own begin
 * installed.
 *
 * <p>The fence leaves the list through the pre-5.19 view: a device job made to depend on the
 * open CPU access is added with {@link Reservation#addExclusiveFence(Fence)}, which drops every
 * listed fence, and is then force-completed with an error (a reset path) while the access is
 * still open. The reservation then lists nothing pending. Before the twenty-sixth session a
 * second CPU access checked only the reservation, so a second writer (or a reader beside the
 * writer, or a writer beside a reader) began at once and overlapped the first access. Earlier
 * still (before the twenty-fifth session), the CPU write fence was one buffer-wide field: the
 * second writer's begin overwrote it, the first writer's end signalled the second writer's fence
 * and the first fence never signalled; the writer-against-writer test keeps checking that.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferLostCpuFenceTest {

    /**
     * A device job that depends on {@code open} (the only pending fence) replaces every fence of
     * the reservation through the exclusive-fence view and is reset. Runs on its own thread: the
     * caller has an open CPU access, inside which it must not lock the reservation.
     */
    private static void replaceAndReset(Reservation resv, Fence open) throws Exception {
        Fence job = Fence.create(Fence.allocateContexts(1), 1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread device = start("device", errors, () -> {
            resv.lock();
            try {
                assertSame(open, resv.singleton(Usage.READ), "the job's dependency");
                resv.reserveFences(1);
                resv.addExclusiveFence(job);
            } finally {
                resv.unlock();
            }
            job.signal(new IllegalStateException("reset: job abandoned"));
        });
        join(device);
        assertNoErrors(errors);
        assertFalse(open.isSignaled(), "the CPU access is still open");
        assertTrue(resv.testSignaled(Usage.BOOKKEEP), "the reservation lost the CPU fence");
    }

    /**
     * The main thread holds {@code first} (an open access whose fence the reservation lost);
     * another thread begins {@code second}, alone or with {@code beginCpuAccessAll} together with
     * an unrelated buffer. The second begin must block until the first access ends, and then
     * return; each access's end signals the fence its own begin installed.
     */
    private static void secondWaitsForFirst(Direction first, Direction second, boolean all)
            throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        SharedBuffer other = SharedBuffer.allocate(8);
        buf.beginCpuAccess(first);
        Fence firstFence = buf.exportFence(Direction.WRITE); // the first access's CPU fence
        assertFalse(firstFence.isSignaled());
        replaceAndReset(buf.reservation(), firstFence);

        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch began = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        AtomicReference<Fence> secondFence = new AtomicReference<>();
        Thread t = start("second-" + second, errors, () -> {
            if (all) {
                SharedBuffer.beginCpuAccessAll(second, buf, other);
            } else {
                buf.beginCpuAccess(second);
            }
            secondFence.set(buf.exportFence(Direction.WRITE));
            began.countDown();
            end.await();
            if (all) {
                SharedBuffer.endCpuAccessAll(second, buf, other);
            } else {
                buf.endCpuAccess(second);
            }
        });
        // The thread parks either in the begin (it waits for the first access: correct) or on
        // `end` after it has begun (it overlaps the first access: the bug).
        awaitParked(t);
        assertEquals(1, began.getCount(), second + " began while this thread's " + first
                + " access was still open (the reservation had lost its fence)");

        buf.endCpuAccess(first);
        assertTrue(firstFence.isSignaled(), "the first access's end did not signal its own fence");
        assertTrue(began.await(10, TimeUnit.SECONDS), second + " did not begin after the end");
        Fence mine = secondFence.get();
        assertNotSame(firstFence, mine);
        assertFalse(mine.isSignaled(), "the second access's fence must be pending while it runs");
        end.countDown();
        join(t);
        assertNoErrors(errors);
        assertTrue(mine.isSignaled(), "the second access's end did not signal its fence");
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP));
        assertTrue(other.reservation().testSignaled(Usage.BOOKKEEP));
    }

    @Test
    void secondWriterWaitsForAWriteWhoseFenceWasLost() throws Exception {
        secondWaitsForFirst(Direction.WRITE, Direction.READ_WRITE, false);
    }

    @Test
    void readerWaitsForAWriteWhoseFenceWasLost() throws Exception {
        secondWaitsForFirst(Direction.WRITE, Direction.READ, false);
    }

    @Test
    void writerWaitsForAReadWhoseFenceWasLost() throws Exception {
        secondWaitsForFirst(Direction.READ, Direction.WRITE, false);
    }

    @Test
    void beginAllWriterWaitsForAWriteWhoseFenceWasLost() throws Exception {
        secondWaitsForFirst(Direction.WRITE, Direction.WRITE, true);
    }

    @Test
    void beginAllReaderWaitsForAWriteWhoseFenceWasLost() throws Exception {
        secondWaitsForFirst(Direction.READ_WRITE, Direction.READ, true);
    }
}
