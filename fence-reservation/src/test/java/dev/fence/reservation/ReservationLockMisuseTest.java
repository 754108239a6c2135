package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The misuse exceptions of Reservation's locking methods, which their javadoc now lists (it
 * listed none for lock(), lockSlow(ctx) and the misuse cases of lock(ctx): the exceptions came
 * from the WwMutex underneath, undocumented at the Reservation level).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReservationLockMisuseTest {

    @Test
    void nullContext() {
        Reservation r = new Reservation();
        assertThrows(NullPointerException.class, () -> r.lock(null));
        assertThrows(NullPointerException.class, () -> r.lockInterruptible(null));
        assertThrows(NullPointerException.class, () -> r.lockSlow(null));
        assertThrows(NullPointerException.class, () -> r.lockSlowInterruptible(null));
        assertFalse(r.isLocked());
    }

    @Test
    void contextOfAnotherClass() {
        Reservation r = new Reservation();
        try (WwAcquireContext ctx = new WwAcquireContext(WwClass.woundWait("other"))) {
            assertThrows(IllegalArgumentException.class, () -> r.lock(ctx));
            assertThrows(IllegalArgumentException.class, () -> r.lockSlow(ctx));
        }
        assertFalse(r.isLocked());
    }

    @Test
    void lockSlowWhileHoldingLocks() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        try (WwAcquireContext ctx = new WwAcquireContext(Reservation.DEFAULT_CLASS)) {
            a.lock(ctx);
            assertThrows(IllegalStateException.class, () -> b.lockSlow(ctx));
            a.unlock();
        }
        assertFalse(b.isLocked());
    }

    @Test
    void plainRelockIsRefusedNotAHang() {
        Reservation r = new Reservation();
        r.lock();
        try {
            assertThrows(IllegalStateException.class, r::lock);
            assertThrows(IllegalStateException.class, r::lockInterruptible);
        } finally {
            r.unlock();
        }
    }
}
