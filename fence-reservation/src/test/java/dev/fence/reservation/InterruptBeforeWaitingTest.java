package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.reservation.SharedBuffer.Direction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the javadoc of {@link SharedBuffer#beginCpuAccess} and
 * {@link Reservation#lockInterruptible()} says about a thread already interrupted when it calls:
 * the call throws even though it would not have waited (an idle buffer, a free lock), clearing the
 * status, except a nested read, which does not lock or wait and leaves the status alone.
 */
@Timeout(10)
class InterruptBeforeWaitingTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void beginCpuAccessOnAnIdleBufferThrowsForAPendingInterrupt() {
        SharedBuffer buf = SharedBuffer.allocate(16);
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> buf.beginCpuAccess(Direction.READ));
        assertFalse(Thread.currentThread().isInterrupted(), "the status is cleared");
        assertFalse(buf.reservation().isLocked());
        assertThrows(IllegalStateException.class, () -> buf.endCpuAccess(Direction.READ),
                "no access was started");
    }

    @Test
    void aNestedReadIgnoresAPendingInterrupt() throws InterruptedException {
        SharedBuffer buf = SharedBuffer.allocate(16);
        buf.beginCpuAccess(Direction.READ);
        Thread.currentThread().interrupt();
        buf.beginCpuAccess(Direction.READ); // nests: no lock, no wait
        assertTrue(Thread.currentThread().isInterrupted(), "the status is left set");
        buf.endCpuAccess(Direction.READ);
        buf.endCpuAccess(Direction.READ);
    }

    @Test
    void lockInterruptibleOnAFreeReservationThrowsForAPendingInterrupt() {
        Reservation resv = new Reservation();
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, resv::lockInterruptible);
        assertFalse(Thread.currentThread().isInterrupted(), "the status is cleared");
        assertFalse(resv.isLocked());
    }
}
