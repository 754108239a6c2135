package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * After -EDEADLK the context must release everything and take the contended mutex next. The
 * kernel's ww_mutex_trylock(lock, ctx) goes through ww_mutex_lock_acquired like every other
 * acquisition, so taking the contended mutex with a trylock ends the back-off (contending_lock is
 * cleared) and the transaction continues; a trylock of any other mutex in between is the misuse
 * its debug check warns about, as lock() of another mutex is.
 */
class WwMutexTryLockAfterBackoffTest {

    private final WwClass cls = WwClass.waitDie("trylock-backoff");
    private final WwMutex a = new WwMutex(cls, "a");
    private final WwMutex b = new WwMutex(cls, "b");
    private final WwMutex c = new WwMutex(cls, "c");
    private final WwAcquireContext older = new WwAcquireContext(cls);

    /** {@code ctx} takes a, then meets b held by the older context and backs off (wait-die). */
    private WwDeadlockException backOffOnB(WwAcquireContext ctx) throws Exception {
        assertTrue(b.lock(older));
        assertTrue(a.lock(ctx));
        return assertThrows(WwDeadlockException.class, () -> b.lock(ctx));
    }

    @Test
    void tryLockOfTheContendedMutexEndsTheBackOff() throws Exception {
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            assertSame(b, backOffOnB(ctx).contended());
            a.unlock();
            b.unlock();
            older.close();
            assertTrue(b.tryLock(ctx), "b is free: the trylock takes the contended mutex");
            // the back-off is over: the retry goes on locking the rest
            assertTrue(a.lock(ctx));
            assertTrue(c.lock(ctx));
            c.unlock();
            a.unlock();
            b.unlock();
        }
    }

    @Test
    void tryLockOfAnotherMutexAfterABackOffIsRefusedAsLockIs() throws Exception {
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            backOffOnB(ctx);
            a.unlock();
            assertThrows(IllegalStateException.class, () -> c.lock(ctx));
            assertThrows(IllegalStateException.class, () -> c.tryLock(ctx),
                    "a backed-off context must take the contended mutex next");
            b.unlock();
            older.close();
            b.lockSlow(ctx);
            assertTrue(c.tryLock(ctx));
            c.unlock();
            b.unlock();
        }
    }
}
