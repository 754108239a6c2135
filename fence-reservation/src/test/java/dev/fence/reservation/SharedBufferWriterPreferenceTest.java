package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.reservation.SharedBuffer.Direction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A CPU writer waiting for CPU readers gets in once the readers that were open before it have
 * ended: a reader that arrives while the writer waits waits for the writer. Before the
 * twenty-sixth session such a reader joined the open CPU read fence, so readers that kept
 * overlapping each other (each beginning before the previous one ended) kept the writer out for
 * as long as they kept coming. Reads the writer may be waiting for still pass it: a read nested
 * in the thread's own read, and a read by a thread that holds another access (here a sibling
 * buffer's read on a shared reservation, which the writer waits for through the reservation).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferWriterPreferenceTest {

    /** Readers in the overlapping stream, at most, before the writer is declared starved. */
    private static final int ROUNDS = 20;
    /** How long a new reader gets to begin before the previous one ends regardless. */
    private static final long OVERLAP_MILLIS = 500;

    private static void begin(SharedBuffer buf, Direction d, boolean all)
            throws InterruptedException {
        if (all) {
            SharedBuffer.beginCpuAccessAll(d, buf);
        } else {
            buf.beginCpuAccess(d);
        }
    }

    private static void end(SharedBuffer buf, Direction d, boolean all) {
        if (all) {
            SharedBuffer.endCpuAccessAll(d, buf);
        } else {
            buf.endCpuAccess(d);
        }
    }

    /** An access on its own thread: begins, reports in, holds the access until released. */
    private static final class Access {
        final CountDownLatch in = new CountDownLatch(1);
        final CountDownLatch out = new CountDownLatch(1);
        final Thread thread;

        Access(String name, SharedBuffer buf, Direction d, boolean all,
                ConcurrentLinkedQueue<Throwable> errors) {
            thread = start(name, errors, () -> {
                begin(buf, d, all);
                in.countDown();
                out.await();
                end(buf, d, all);
            });
        }
    }

    @ParameterizedTest(name = "beginCpuAccessAll: {0}")
    @ValueSource(booleans = {false, true})
    void writerGetsInWhileReadersKeepOverlapping(boolean all) throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Access> readers = new ArrayList<>();
        readers.add(new Access("reader-0", buf, Direction.READ, all, errors));
        assertTrue(readers.get(0).in.await(10, TimeUnit.SECONDS));
        Access writer = new Access("writer", buf, Direction.WRITE, all, errors);
        awaitParked(writer.thread); // waiting for reader-0's read fence

        // Each new reader gets OVERLAP_MILLIS to begin; only then does the previous one end.
        int heldBack = 0;
        for (int i = 1; i <= ROUNDS && writer.in.getCount() > 0; i++) {
            Access next = new Access("reader-" + i, buf, Direction.READ, all, errors);
            readers.add(next);
            boolean began = next.in.await(OVERLAP_MILLIS, TimeUnit.MILLISECONDS);
            readers.get(i - 1).out.countDown();
            if (!began) {
                heldBack = i;
                break;
            }
        }
        boolean writerGotIn = writer.in.await(5, TimeUnit.SECONDS);
        Access last = readers.get(readers.size() - 1);
        // While the writer is inside, the reader it held back must stay out.
        boolean lastBeganBesideWriter = writerGotIn
                && last.in.await(OVERLAP_MILLIS, TimeUnit.MILLISECONDS);
        writer.out.countDown();
        boolean lastBeganAfterWriter = last.in.await(10, TimeUnit.SECONDS);
        for (Access r : readers) {
            r.out.countDown();
        }
        join(writer.thread);
        for (Access r : readers) {
            join(r.thread);
        }
        assertNoErrors(errors);

        assertTrue(writerGotIn, "the CPU writer was kept out by " + (readers.size() - 1)
                + " CPU readers that kept overlapping each other");
        assertEquals(1, heldBack, "the first reader to arrive while the writer waited must wait");
        assertFalse(lastBeganBesideWriter, "a held-back reader began beside the writer");
        assertTrue(lastBeganAfterWriter, "the held-back reader did not begin after the writer");
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP), "a CPU fence was left pending");
    }

    /** A read nested in this thread's own open read never waits, also not for a waiting writer. */
    @Test
    void nestedReadPassesAWaitingWriter() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch outer = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch nested = new CountDownLatch(1);
        Thread reader = start("reader", errors, () -> {
            buf.beginCpuAccess(Direction.READ);
            outer.countDown();
            go.await();
            buf.beginCpuAccess(Direction.READ);
            nested.countDown();
            buf.endCpuAccess(Direction.READ);
            buf.endCpuAccess(Direction.READ);
        });
        assertTrue(outer.await(10, TimeUnit.SECONDS));
        Access writer = new Access("writer", buf, Direction.WRITE, false, errors);
        awaitParked(writer.thread);
        go.countDown();
        assertTrue(nested.await(10, TimeUnit.SECONDS), "a nested read waited for the writer");
        join(reader);
        assertTrue(writer.in.await(10, TimeUnit.SECONDS));
        writer.out.countDown();
        join(writer.thread);
        assertNoErrors(errors);
    }

    /**
     * A thread reading buffer x begins a read of y, a sibling on the same reservation, while a
     * writer of y waits: the writer waits (through the reservation) for the read of x, so the
     * read of y must pass the writer rather than wait for it.
     */
    @ParameterizedTest(name = "beginCpuAccessAll: {0}")
    @ValueSource(booleans = {false, true})
    void readerWithAnAccessOpenPassesAWriterWaitingForIt(boolean all) throws Exception {
        Reservation shared = new Reservation();
        SharedBuffer x = new SharedBuffer(ByteBuffer.allocate(8), shared);
        SharedBuffer y = new SharedBuffer(ByteBuffer.allocate(8), shared);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch readingX = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch readingY = new CountDownLatch(1);
        Thread reader = start("reader", errors, () -> {
            x.beginCpuAccess(Direction.READ);
            try {
                readingX.countDown();
                go.await();
                begin(y, Direction.READ, all);
                readingY.countDown();
                end(y, Direction.READ, all);
            } finally {
                x.endCpuAccess(Direction.READ); // also when interrupted: lets the writer finish
            }
        });
        assertTrue(readingX.await(10, TimeUnit.SECONDS));
        Access writer = new Access("writer-y", y, Direction.WRITE, false, errors);
        awaitParked(writer.thread); // waiting for the read of x, a fence of the shared reservation
        go.countDown();
        boolean passed = readingY.await(10, TimeUnit.SECONDS);
        if (!passed) {
            reader.interrupt(); // break the cycle so the test ends
        }
        join(reader);
        assertTrue(writer.in.await(10, TimeUnit.SECONDS));
        writer.out.countDown();
        join(writer.thread);
        assertTrue(passed, "deadlock: the read of y waited for a writer that waits for the read"
                + " of x");
        assertNoErrors(errors);
    }

    /** A waiting writer that gives up (interrupted) lets the readers it held back in. */
    @Test
    void interruptedWaitingWriterReleasesTheReadersItHeldBack() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> writerErrors = new ConcurrentLinkedQueue<>();
        Access first = new Access("reader-0", buf, Direction.READ, false, errors);
        assertTrue(first.in.await(10, TimeUnit.SECONDS));
        Thread writer = start("writer", writerErrors, () -> buf.beginCpuAccess(Direction.WRITE));
        awaitParked(writer);
        Access second = new Access("reader-1", buf, Direction.READ, false, errors);
        awaitParked(second.thread); // held back by the waiting writer
        assertEquals(1, second.in.getCount(), "reader-1 began while the writer waited");
        writer.interrupt();
        join(writer);
        assertEquals(1, writerErrors.size());
        assertInstanceOf(InterruptedException.class, writerErrors.peek());
        assertTrue(second.in.await(10, TimeUnit.SECONDS), "the writer gave up, yet reader-1 waits");
        first.out.countDown();
        second.out.countDown();
        join(first.thread);
        join(second.thread);
        assertNoErrors(errors);
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP), "a CPU fence was left pending");
    }
}
