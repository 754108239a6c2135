package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A thread that already holds a mutex without a context and locks it again with a context (lock
 * or lockSlow) waits for itself forever. The context-free lock() refuses the same situation with
 * an IllegalStateException; the context paths must too, instead of parking for good.
 */
class WwMutexSelfDeadlockTest {

    enum Way { PLAIN_THEN_CTX, PLAIN_THEN_SLOW, PLAIN_THEN_CTX_HOLDING_ANOTHER }

    @ParameterizedTest
    @EnumSource(Way.class)
    void lockingAMutexThisThreadAlreadyHoldsIsRefusedInsteadOfWaitingForever(Way way)
            throws Exception {
        for (WwClass cls : new WwClass[] {WwClass.waitDie("sd"), WwClass.woundWait("sd")}) {
            WwMutex m = new WwMutex(cls, "m");
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> stillHeld = new AtomicReference<>();
            Thread t = new Thread(() -> {
                m.lock();
                WwMutex other = new WwMutex(cls, "other");
                try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
                    if (way == Way.PLAIN_THEN_CTX_HOLDING_ANOTHER) {
                        other.lock(ctx);
                    }
                    try {
                        if (way == Way.PLAIN_THEN_SLOW) {
                            m.lockSlow(ctx);
                        } else {
                            m.lock(ctx);
                        }
                    } catch (Throwable e) {
                        thrown.set(e);
                    } finally {
                        if (other.isLocked()) {
                            other.unlock();
                        }
                    }
                } catch (Throwable e) {
                    thrown.compareAndSet(null, e);
                }
                stillHeld.set(m.isHeldByCurrentThread());
                m.unlock();
            }, "self-" + way);
            t.setDaemon(true); // before the fix it parks forever
            t.start();
            t.join(TimeUnit.SECONDS.toMillis(5));
            assertFalse(t.isAlive(), way + " " + cls + ": waited for itself");
            assertInstanceOf(IllegalStateException.class, thrown.get(), way + " " + cls);
            assertTrue(stillHeld.get(), "the first hold is untouched");
            assertFalse(m.isLocked());
            assertTrue(m.queueLength() == 0, "nothing left queued");
        }
    }
}
