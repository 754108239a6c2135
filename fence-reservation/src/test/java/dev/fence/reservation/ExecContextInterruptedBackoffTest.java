package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An {@link ExecContext.Flag#INTERRUPTIBLE} lockAll whose wait for the contended reservation
 * (the lockSlow after a back-off) is interrupted ends with {@link InterruptedException}; no
 * back-off is pending afterwards, so {@link ExecContext#isContended()} is {@code false}, as the
 * kernel's {@code drm_exec_lock_contended} clears {@code contended} before its
 * {@code dma_resv_lock_slow_interruptible}. On the old code it stayed {@code true} ("the block is
 * about to be re-run") although lockAll had ended and could not run again.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExecContextInterruptedBackoffTest {

    @Test
    void noBackOffIsPendingAfterTheContendedWaitWasInterrupted() throws Exception {
        WwClass cls = WwClass.waitDie("intr-backoff");
        Reservation a = new Reservation(cls, "a");
        Reservation b = new Reservation(cls, "b");
        WwAcquireContext older = new WwAcquireContext(cls);
        assertTrue(b.lock(older)); // the exec context below is younger: it dies on b, holding a
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("exec", errors, () -> {
            try (ExecContext exec = ExecContext.create(cls, ExecContext.Flag.INTERRUPTIBLE)) {
                assertThrows(InterruptedException.class, () -> exec.lockAll(e -> {
                    e.lock(a);
                    e.lock(b);
                }));
                assertEquals(1, exec.backoffs(), "backed off once, on b");
                assertEquals(List.of(), exec.locked());
                assertFalse(a.isLocked(), "a was released by the back-off");
                assertFalse(exec.isContended(),
                        "lockAll ended: no back-off is pending, nothing is about to be re-run");
            }
        });
        awaitParked(t); // in lockSlowInterruptible(b), holding nothing
        assertEquals(1, b.mutex().queueLength());
        t.interrupt();
        join(t);
        assertNoErrors(errors);
        assertEquals(0, b.mutex().queueLength());
        b.unlock();
        older.close();
    }
}
