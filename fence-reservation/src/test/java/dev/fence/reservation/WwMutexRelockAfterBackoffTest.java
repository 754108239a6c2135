package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * After a back-off the context must release every lock and take the contended mutex next; any
 * other lock is an {@link IllegalStateException} (WwMutex's class comment and
 * {@link WwMutex#lock(WwAcquireContext)}'s javadoc). That includes a lock of a mutex the context
 * still holds, which shows that it did not release everything: {@code tryLock(ctx)} refused it,
 * but {@code lock(ctx)} and {@code lockInterruptible(ctx)} returned {@code false} ("already
 * held") on the old code, so a caller that swallowed the back-off and re-walked its held
 * mutexes was told all was well.
 */
class WwMutexRelockAfterBackoffTest {

    @Test
    void relockingAStillHeldMutexAfterABackOffIsRefused() throws Exception {
        WwClass cls = WwClass.waitDie("relock-backoff");
        WwMutex a = new WwMutex(cls, "a");
        WwMutex b = new WwMutex(cls, "b");
        WwAcquireContext older = new WwAcquireContext(cls);
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            assertTrue(b.lock(older));
            assertTrue(a.lock(ctx));
            WwDeadlockException e = assertThrows(WwDeadlockException.class, () -> b.lock(ctx));
            assertSame(b, e.contended());
            // a is still held: the back-off was not honoured
            assertThrows(IllegalStateException.class, () -> a.tryLock(ctx));
            assertThrows(IllegalStateException.class, () -> a.lock(ctx));
            assertThrows(IllegalStateException.class, () -> a.lockInterruptible(ctx));
            a.unlock();
            b.unlock();
            older.close();
            b.lockSlow(ctx);
            assertTrue(a.lock(ctx), "after the contended mutex, the retry goes on");
            assertTrue(!a.lock(ctx), "and a lock of a held mutex is -EALREADY again");
            a.unlock();
            b.unlock();
        }
    }
}
