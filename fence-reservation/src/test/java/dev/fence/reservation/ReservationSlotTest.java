package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.lang.reflect.Field;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reserved-slot accounting against dma_resv_reserve_fences / dma_resv_add_fence: a reservation of
 * n slots is room for n more entries; an add that replaces an entry (a later fence of the same
 * context, a promotion, or a signalled entry recycled) takes no room, so only appends use up the
 * reservation (the kernel's BUG_ON(num_fences >= max_fences) sits on the append path only).
 */
class ReservationSlotTest {

    @Test
    void anAddThatReplacesAnEntryDoesNotUseUpAReservedSlot() {
        Reservation resv = new Reservation();
        long ctx = Fence.allocateContexts(1);
        Fence job = Fence.create(ctx, 1);
        Fence next = Fence.create(ctx, 2);
        Fence other = Fence.create(Fence.allocateContexts(1), 1);
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, Usage.BOOKKEEP);  // appends: the one reserved slot
            resv.addFence(job, Usage.READ);      // promotion: replaces, no new room needed
            resv.addFence(next, Usage.READ);     // later fence of the context: replaces
            assertEquals(List.of(next), resv.fences(Usage.BOOKKEEP));
            // an append beyond the reservation is still refused
            assertThrows(IllegalStateException.class, () -> resv.addFence(other, Usage.READ));
        } finally {
            resv.unlock();
        }
        next.signal();
        resv.lock();
        try {
            resv.reserveFences(2);             // also compacts the signalled `next` away
            Fence a = Fence.create(Fence.allocateContexts(1), 1);
            Fence b = Fence.create(Fence.allocateContexts(1), 1);
            resv.addFence(a, Usage.WRITE);     // appends: first slot
            a.signal();
            resv.addFence(other, Usage.WRITE); // recycles a's signalled entry: no slot used
            resv.addFence(b, Usage.WRITE);     // appends: second slot
            assertEquals(List.of(other, b), resv.fences(Usage.WRITE));
            assertThrows(IllegalStateException.class,
                    () -> resv.addFence(Fence.create(Fence.allocateContexts(1), 1), Usage.READ),
                    "both reserved slots are used up");
            other.signal();
            b.signal();
        } finally {
            resv.unlock();
        }
    }

    @Test
    void aReplacingAddStillNeedsAReservationInThisLockHold() {
        Reservation resv = new Reservation();
        long ctx = Fence.allocateContexts(1);
        Fence f1 = Fence.create(ctx, 1);
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(f1, Usage.READ);
        } finally {
            resv.unlock();
        }
        resv.lock();
        try {
            assertThrows(IllegalStateException.class,
                    () -> resv.addFence(Fence.create(ctx, 2), Usage.READ),
                    "no reserveFences since this lock was taken");
        } finally {
            resv.unlock();
        }
        f1.signal();
    }

    /**
     * A reservation expires when its holder unlocks, however many acquisitions follow: it counts
     * only while the mutex's acquisition counter still reads what it read at reserveFences. The
     * test moves the counter as 2^32 - 1 acquisitions would (one more follows in lock()); with an
     * int counter that came back to the reserving value, and an add without a new
     * reserveFences was accepted on the strength of a reservation made 2^32 locks earlier.
     */
    @Test
    void aReservationDoesNotComeBackAfterTheAcquisitionCounterGoesRound() throws Exception {
        Reservation resv = new Reservation();
        resv.lock();
        resv.reserveFences(1);
        resv.unlock();

        Field generation = WwMutex.class.getDeclaredField("generation");
        generation.setAccessible(true);
        long skipped = (1L << 32) - 1;
        if (generation.getType() == int.class) {
            generation.setInt(resv.mutex(), (int) (generation.getInt(resv.mutex()) + skipped));
        } else {
            generation.setLong(resv.mutex(), generation.getLong(resv.mutex()) + skipped);
        }

        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        resv.lock();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> resv.addFence(f, Usage.WRITE), "the old reservation came back");
            assertTrue(e.getMessage().contains("without a reserved slot"), e.getMessage());
        } finally {
            resv.unlock();
        }
    }
}
