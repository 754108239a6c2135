package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reservation locked through an ExecContext and then unlocked directly with
 * Reservation.unlock(). close() threw at that reservation and stopped there: every reservation
 * it had not reached yet stayed locked, and in a try-with-resources nobody closes twice, so
 * any other thread needing one of them waited forever. close() now unlocks all the others
 * before it reports the misuse.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExecContextDirectUnlockTest {

    @Test
    void closeReleasesTheRestBeforeReportingADirectUnlock() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        Reservation c = new Reservation();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(x -> {
                    x.lock(a);
                    x.lock(b);
                    x.lock(c);
                });
                b.unlock(); // misuse: the context locked it
            }
        });
        assertTrue(e.getMessage().contains("unlocked outside"), e.getMessage());
        assertFalse(a.isLocked(), "a stayed locked after close() threw at b");
        assertFalse(c.isLocked());
        // another thread can take them all
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            a.lock();
            b.lock();
            c.lock();
            c.unlock();
            b.unlock();
            a.unlock();
        });
        other.get(5, TimeUnit.SECONDS);
    }

    /** The lockAll() javadoc: a block that throws leaves its locks to close(). */
    @Test
    void aThrowingBlockLeavesItsLocksToClose() {
        Reservation a = new Reservation();
        ExecContext exec = ExecContext.create();
        IllegalStateException mine = new IllegalStateException("mine");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> exec.lockAll(x -> {
                    x.lock(a);
                    throw mine;
                }));
        assertTrue(e == mine, "rethrown as is");
        assertTrue(a.isHeldByCurrentThread(), "still locked until close()");
        exec.close();
        assertFalse(a.isLocked());
    }

    @Test
    void aSecondCloseEndsTheContext() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        ExecContext exec = ExecContext.create();
        exec.lockAll(x -> {
            x.lock(a);
            x.lock(b);
        });
        b.unlock();
        assertThrows(IllegalStateException.class, exec::close);
        exec.close();
        assertTrue(exec.context().isClosed());
        exec.reopen().close();
        assertFalse(a.isLocked() || b.isLocked());
    }
}
