package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.reservation.SharedBuffer.Direction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The seqno order of a buffer's CPU fences. A buffer has three contexts of its own: one for its
 * CPU read fences, one for its CPU write fences and one for the gates that hold readers back
 * while a writer waits. Each fence it makes must be later (a higher seqno) than every earlier
 * fence of its context, as a context's fences are everywhere else: {@link Fence#isLater},
 * {@link Fence#later} and merges keep only the later fence of a context, and the reservation's
 * replacement rule lets a fence take the slot of an earlier one of its context. Readers held back
 * by waiting writers share one gate, and a gate is made only after the previous one signalled.
 *
 * <p>The gates never leave the buffer; a held-back reader parks on its gate, so the tests read
 * it as that thread's blocker ({@link LockSupport#getBlocker(Thread)}: a fence parks with itself
 * as the blocker).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferSeqnoOrderTest {

    /** An access on its own thread: begins, reports in, holds the access until released. */
    private static final class Access {
        final CountDownLatch in = new CountDownLatch(1);
        final CountDownLatch out = new CountDownLatch(1);
        final Thread thread;

        Access(String name, SharedBuffer buf, Direction d,
                ConcurrentLinkedQueue<Throwable> errors) {
            thread = start(name, errors, () -> {
                buf.beginCpuAccess(d);
                in.countDown();
                out.await();
                buf.endCpuAccess(d);
            });
        }

        /** Lets the access end and waits for its thread. */
        void end() throws InterruptedException {
            out.countDown();
            join(thread);
        }
    }

    /** The CPU fence of this thread's open access: the only pending fence of the buffer. */
    private static Fence openCpuFence(SharedBuffer buf) {
        List<Fence> pending = buf.reservation().unsignaledFences(Usage.BOOKKEEP);
        assertEquals(1, pending.size(), "pending fences: " + pending);
        return pending.get(0);
    }

    /** The fence {@code t} is parked on (a gate, for a reader held back by a waiting writer). */
    private static Fence parkedOn(Thread t) throws InterruptedException {
        awaitParked(t);
        Object blocker = LockSupport.getBlocker(t);
        assertInstanceOf(Fence.class, blocker, t.getName() + " is not parked on a fence");
        return (Fence) blocker;
    }

    /** A write begin on its own thread that waits until interrupted (the test expects that). */
    private static Thread waitingWriter(String name, SharedBuffer buf,
            ConcurrentLinkedQueue<Throwable> gaveUp) throws InterruptedException {
        Thread w = start(name, gaveUp, () -> buf.beginCpuAccess(Direction.WRITE));
        awaitParked(w);
        return w;
    }

    /** Interrupts a {@link #waitingWriter} and checks that its begin threw. */
    private static void giveUp(Thread writer, ConcurrentLinkedQueue<Throwable> gaveUp, int count)
            throws InterruptedException {
        writer.interrupt();
        join(writer);
        assertEquals(count, gaveUp.size(), "writers that gave up: " + gaveUp);
        gaveUp.forEach(e -> assertInstanceOf(InterruptedException.class, e));
    }

    /**
     * Accesses one after another, reads and writes mixed (a read, a second read, WRITE,
     * READ_WRITE, a read, WRITE): each CPU fence is later than the previous fence of its context,
     * the read fences share one context and the write fences another. A write made with the
     * counter's current value instead of the next one (an equal seqno, so neither fence is later)
     * fails the WRITE, READ_WRITE step.
     */
    @Test
    void cpuFencesOfEachContextCarryIncreasingSeqnos() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        Direction[] order = {Direction.READ, Direction.READ, Direction.WRITE,
            Direction.READ_WRITE, Direction.READ, Direction.WRITE};
        Fence lastRead = null;
        Fence lastWrite = null;
        for (Direction d : order) {
            buf.beginCpuAccess(d);
            Fence f;
            try {
                f = openCpuFence(buf);
            } finally {
                buf.endCpuAccess(d);
            }
            assertTrue(f.isSignaled(), "the access's end signals its fence");
            Fence previous = d.writes() ? lastWrite : lastRead;
            if (previous != null) {
                assertNotSame(previous, f, d + ": a new access makes a new fence");
                assertEquals(previous.context(), f.context(), d + ": one context per kind");
                assertTrue(Fence.isLater(f, previous), d + ": " + f.describe()
                        + " is not later than the earlier " + previous.describe());
            }
            if (d.writes()) {
                lastWrite = f;
            } else {
                lastRead = f;
            }
        }
        assertNotEquals(lastRead.context(), lastWrite.context(),
                "read and write fences share a context");
    }

    /**
     * Two gates made one after the other with no CPU fence made in between: a writer waits for
     * an open read, a reader is held back on the first gate, the writer gives up (interrupted),
     * so the gate signals and the reader joins the open read (no new fence); a second writer
     * waits and a third reader is held back on a second gate. The second gate is later than the
     * first (which has signalled by then), and on the same context. A gate made with the
     * counter's current value (an equal seqno) fails here; fences made in between would hide it.
     */
    @Test
    void gatesCarryIncreasingSeqnos() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> gaveUp = new ConcurrentLinkedQueue<>();
        Access reader0 = new Access("reader-0", buf, Direction.READ, errors);
        assertTrue(reader0.in.await(10, TimeUnit.SECONDS));
        Fence readFence = buf.reservation().unsignaledFences(Usage.READ).get(0);

        Thread writer1 = waitingWriter("writer-1", buf, gaveUp);
        Access reader1 = new Access("reader-1", buf, Direction.READ, errors);
        Fence gate1 = parkedOn(reader1.thread);
        assertFalse(gate1.isSignaled(), "reader-1 parked on a signalled fence");
        assertNotEquals(readFence.context(), gate1.context(),
                "reader-1 is parked on the read fence, not on a gate");
        giveUp(writer1, gaveUp, 1);
        assertTrue(reader1.in.await(10, TimeUnit.SECONDS), "the gate did not let reader-1 in");
        assertTrue(gate1.isSignaled());
        assertEquals(List.of(readFence), buf.reservation().unsignaledFences(Usage.BOOKKEEP),
                "reader-1 joined the open read: no fence was made after the first gate");

        Thread writer2 = waitingWriter("writer-2", buf, gaveUp);
        Access reader2 = new Access("reader-2", buf, Direction.READ, errors);
        Fence gate2 = parkedOn(reader2.thread);
        assertNotSame(gate1, gate2, "a signalled gate was handed out again");
        assertEquals(gate1.context(), gate2.context(), "the gates of a buffer share a context");
        assertTrue(Fence.isLater(gate2, gate1), gate2.describe() + " is not later than the"
                + " earlier gate " + gate1.describe());

        giveUp(writer2, gaveUp, 2);
        assertTrue(reader2.in.await(10, TimeUnit.SECONDS), "the gate did not let reader-2 in");
        reader0.end();
        reader1.end();
        reader2.end();
        assertNoErrors(errors);
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP), "a CPU fence was left pending");
    }

    /**
     * Readers held back by one waiting writer share one gate (at most one exists at a time), and
     * every one of them begins once the writer has come and gone. A reader that replaced the gate
     * with a new one would leave the first held-back reader parked on a gate nobody signals.
     */
    @Test
    void readersHeldBackTogetherShareOneGate() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Access reader0 = new Access("reader-0", buf, Direction.READ, errors);
        assertTrue(reader0.in.await(10, TimeUnit.SECONDS));
        Access writer = new Access("writer", buf, Direction.WRITE, errors);
        awaitParked(writer.thread);
        List<Access> heldBack = new ArrayList<>();
        List<Fence> gates = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Access r = new Access("reader-" + i, buf, Direction.READ, errors);
            heldBack.add(r);
            gates.add(parkedOn(r.thread));
        }
        assertSame(gates.get(0), gates.get(1), "two gates at once: " + gates.get(0).describe()
                + ", " + gates.get(1).describe());

        reader0.end();
        assertTrue(writer.in.await(10, TimeUnit.SECONDS), "the writer did not get in");
        assertTrue(gates.get(0).isSignaled(), "the writer began without opening its gate");
        assertEquals(1, heldBack.get(0).in.getCount(), "a reader began beside the writer");
        assertEquals(1, heldBack.get(1).in.getCount(), "a reader began beside the writer");
        writer.end();
        for (Access r : heldBack) {
            assertTrue(r.in.await(10, TimeUnit.SECONDS), r.thread.getName() + " never began"
                    + " after the writer had come and gone");
            r.end();
        }
        assertNoErrors(errors);
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP), "a CPU fence was left pending");
    }
}
