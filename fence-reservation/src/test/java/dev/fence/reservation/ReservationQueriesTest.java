package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Queries and paths that no other test pinned down: {@link Reservation#lockingContext()} (the
 * kernel's {@code dma_resv_locking_ctx}), {@link ExecContext#isContended()}
 * ({@code drm_exec_is_contended}) across a real back-off, and the context-free
 * {@link WwMutex#lockInterruptible()} interrupted while it waits.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReservationQueriesTest {

    @Test
    void lockingContextNamesTheHoldingContextOnly() throws Exception {
        Reservation resv = new Reservation();
        assertNull(resv.lockingContext(), "unlocked");

        resv.lock();
        assertNull(resv.lockingContext(), "locked without a context");
        resv.unlock();

        try (WwAcquireContext ctx = new WwAcquireContext(Reservation.DEFAULT_CLASS)) {
            assertTrue(resv.lock(ctx));
            assertSame(ctx, resv.lockingContext());
            // another thread sees the same holder
            FutureTask<WwAcquireContext> seen = new FutureTask<>(resv::lockingContext);
            Thread t = new Thread(seen, "observer");
            t.start();
            assertSame(ctx, seen.get(10, TimeUnit.SECONDS));
            resv.unlock();
            assertNull(resv.lockingContext(), "released by the context");
        }
    }

    /**
     * Wait-die: a younger transaction that meets an older holder backs off. Inside the block,
     * right after its lock reported the back-off, {@code isContended()} is true; on the re-run
     * (the contended reservation already held for it) it is false again, and the transaction
     * ends holding both reservations with exactly one back-off.
     */
    @Test
    void isContendedIsTrueBetweenABackOffAndTheRetry() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        WwAcquireContext older = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        assertTrue(a.lock(older));

        List<Boolean> contendedAtPassStart = new ArrayList<>();
        List<Boolean> contendedAfterBackOff = new ArrayList<>();
        List<WwAcquireContext> holderSeen = new ArrayList<>();
        FutureTask<Long> younger = new FutureTask<>(() -> {
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(e -> {
                    contendedAtPassStart.add(e.isContended());
                    e.lock(b);
                    try {
                        e.lock(a);
                    } catch (WwDeadlockException dead) {
                        contendedAfterBackOff.add(e.isContended());
                        holderSeen.add(a.lockingContext());
                        throw dead;
                    }
                });
                assertFalse(exec.isContended());
                assertSame(exec.context(), a.lockingContext());
                assertSame(exec.context(), b.lockingContext());
                return exec.backoffs();
            }
        });
        Thread t = new Thread(younger, "younger");
        t.start();
        // the younger transaction backs off, releases b and waits in lockSlow(a)
        awaitParked(t);
        assertFalse(b.isLocked(), "parked while still holding b: it waited instead of dying");
        assertFalse(younger.isDone());
        a.unlock();
        older.close();

        assertEquals(1L, younger.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(false, false), contendedAtPassStart, "one pass, then one retry");
        assertEquals(List.of(true), contendedAfterBackOff);
        assertEquals(List.of(older), holderSeen, "the older context held a at the back-off");
        assertFalse(a.isLocked());
        assertFalse(b.isLocked());
    }

    @Test
    void contextFreeLockInterruptibleEndsOnInterruptWithoutTakingTheMutex() throws Exception {
        WwMutex m = new WwMutex(Reservation.DEFAULT_CLASS);
        m.lock();
        FutureTask<Void> waiter = new FutureTask<>(() -> {
            assertThrows(InterruptedException.class, m::lockInterruptible);
            assertFalse(m.isHeldByCurrentThread());
            return null;
        });
        Thread t = new Thread(waiter, "waiter");
        t.start();
        awaitParked(t);
        t.interrupt();
        waiter.get(10, TimeUnit.SECONDS);
        assertTrue(m.isHeldByCurrentThread(), "the holder kept the mutex");
        m.unlock();
        // the interrupted waiter left nothing queued that would take the mutex from us
        assertTrue(m.tryLock());
        m.unlock();
        assertFalse(m.isLocked());

        // interrupted before it starts: throws at once, even with the mutex free
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, m::lockInterruptible);
        assertFalse(m.isLocked());
    }
}
