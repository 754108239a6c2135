package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.Timeline;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input to the public API of fence-reservation: each refused call throws the documented
 * exception before it changes anything (no lock taken, no entry added or dropped).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReservationBadInputTest {

    /**
     * prepareAll() with a null element: the reservations listed before it were locked (and their
     * slots reserved) before the NullPointerException, so the refused call left locks behind.
     */
    @Test
    void prepareAllWithANullElementLocksNothing() throws Exception {
        Reservation first = new Reservation();
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> {
                NullPointerException npe = assertThrows(NullPointerException.class,
                        () -> e.prepareAll(Arrays.asList(first, null), 1));
                assertEquals(List.of(), e.locked(), "nothing locked by the refused call");
                assertFalse(first.isLocked());
                assertTrue(npe.getMessage() != null && npe.getMessage().contains("[1]"),
                        "the message names the index: " + npe.getMessage());
            });
        }
    }

    /** prepareAll() checks its count even when the collection is empty, as prepare() does. */
    @Test
    void prepareAllChecksTheCountFirst() throws Exception {
        Reservation r = new Reservation();
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> {
                assertThrows(IllegalArgumentException.class, () -> e.prepareAll(List.of(), 0));
                assertThrows(IllegalArgumentException.class, () -> e.prepareAll(List.of(r), 0));
                assertEquals(List.of(), e.locked());
            });
        }
    }

    /**
     * ExecContext.addFence() of a container: the first locked reservation's reserveFences(1)
     * ran before Reservation.addFence refused the container, dropping its signalled entries, and
     * with nothing locked the container was not refused at all.
     */
    @Test
    void addFenceOfAContainerChangesNothing() throws Exception {
        Timeline tl = Timeline.create("old");
        Fence old = tl.next();
        Reservation r = new Reservation();
        r.lock();
        try {
            r.reserveFences(1);
            r.addFence(old, Usage.WRITE);
        } finally {
            r.unlock();
        }
        old.signal();
        Fence array = FenceArray.all(Timeline.create("a").next(), Timeline.create("b").next());
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> e.lock(r));
            assertThrows(IllegalArgumentException.class, () -> exec.addFence(array, Usage.READ));
            assertEquals(List.of(old), r.fences(Usage.BOOKKEEP),
                    "the refused add must not prune the list");
        }
        try (ExecContext empty = ExecContext.create()) {
            empty.lockAll(e -> { });
            assertThrows(IllegalArgumentException.class,
                    () -> empty.addFence(array, Usage.READ),
                    "a container is refused whatever is locked");
        }
    }

    /**
     * SharedBuffer.importFence() by a thread holding the reservation's lock is refused as
     * documented, also for a signalled fence: that case returned quietly, so the misuse was
     * reported only when the imported fence happened to be pending.
     */
    @Test
    void importFenceWhileHoldingTheLockIsRefusedEvenWhenSignalled() {
        SharedBuffer buf = SharedBuffer.allocate(8);
        Fence done = Timeline.create("done").next();
        done.signal();
        buf.reservation().lock();
        try {
            assertThrows(IllegalStateException.class,
                    () -> buf.importFence(done, SharedBuffer.Direction.WRITE));
            assertThrows(IllegalStateException.class,
                    () -> buf.importFence(Timeline.create("pending").next(),
                            SharedBuffer.Direction.READ));
        } finally {
            buf.reservation().unlock();
        }
        assertEquals(0, buf.reservation().fenceCount());
        // unlocked: a signalled fence adds nothing
        buf.importFence(done, SharedBuffer.Direction.WRITE);
        assertEquals(0, buf.reservation().fenceCount());
    }

    /**
     * Usage.includedIn(null) failed inside Enum.compareTo with a NullPointerException about
     * "other", naming neither the method's parameter nor being documented.
     */
    @Test
    void includedInNullNamesTheParameter() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> Usage.READ.includedIn(null));
        assertEquals("query", e.getMessage());
    }

    /**
     * The lists a Reservation hands out keep Iterable.forEach's contract: a null action is a
     * NullPointerException even when the list is empty (it was silently accepted).
     */
    @Test
    void forEachOfAnEmptyFenceListRefusesNull() {
        Reservation r = new Reservation();
        assertThrows(NullPointerException.class, () -> r.fences(Usage.BOOKKEEP).forEach(null));
        assertThrows(NullPointerException.class,
                () -> r.unsignaledFences(Usage.READ).forEach(null));
    }

    /**
     * lockInterruptible(ctx) with the interrupt status set checked the interrupt first: a null
     * context, a context of another class or a closed one gave InterruptedException (and cleared
     * the status) instead of the documented NullPointerException, IllegalArgumentException or
     * IllegalStateException, unlike lockSlowInterruptible, which checks its arguments first.
     */
    @Test
    void lockInterruptibleChecksItsArgumentsBeforeTheInterrupt() {
        Reservation r = new Reservation();
        WwAcquireContext closed = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        closed.close();
        try (WwAcquireContext foreign = new WwAcquireContext(WwClass.waitDie("foreign"))) {
            Thread.currentThread().interrupt();
            try {
                assertThrows(NullPointerException.class, () -> r.lockInterruptible(null));
                assertTrue(Thread.currentThread().isInterrupted(), "the status is kept");
                assertThrows(IllegalArgumentException.class, () -> r.lockInterruptible(foreign));
                assertThrows(IllegalStateException.class, () -> r.lockInterruptible(closed));
                assertTrue(Thread.currentThread().isInterrupted(), "the status is kept");
            } finally {
                Thread.interrupted();
            }
        }
        assertFalse(r.isLocked());
    }

    /**
     * The plain (context-free) lockInterruptible() too: a thread that already holds the mutex
     * gets the documented IllegalStateException (not reentrant) even with an interrupt pending,
     * and keeps its interrupt status; before, the interrupt was consumed and reported instead.
     */
    @Test
    void plainLockInterruptibleReportsReentryBeforeTheInterrupt() {
        WwMutex m = new WwMutex(WwClass.waitDie("plain"));
        m.lock();
        Thread.currentThread().interrupt();
        try {
            assertThrows(IllegalStateException.class, m::lockInterruptible);
            assertTrue(Thread.currentThread().isInterrupted(), "the status is kept");
        } finally {
            Thread.interrupted();
            m.unlock();
        }
        assertFalse(m.isLocked());
    }

    /**
     * ExecContext.addFence() after one of its reservations was unlocked directly: the fence
     * went into the reservations before it in locking order, then Reservation.reserveFences
     * refused the unlocked one, leaving the job attached to part of the transaction.
     */
    @Test
    void addFenceAfterADirectUnlockAddsToNone() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        Fence job = Timeline.create("job").next();
        ExecContext exec = ExecContext.create();
        exec.lockAll(e -> {
            e.prepare(a, 1);
            e.prepare(b, 1);
        });
        b.unlock(); // misuse: the context locked it
        IllegalStateException ise = assertThrows(IllegalStateException.class,
                () -> exec.addFence(job, Usage.WRITE));
        assertEquals(List.of(), a.fences(Usage.BOOKKEEP), "no half-installed fence");
        assertEquals(List.of(), b.fences(Usage.BOOKKEEP));
        assertTrue(ise.getMessage().contains("unlocked outside"), ise.getMessage());
        assertThrows(IllegalStateException.class, exec::close); // reports the direct unlock
        exec.close();
        assertFalse(a.isLocked());
    }
}
