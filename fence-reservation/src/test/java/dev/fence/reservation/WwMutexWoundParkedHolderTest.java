package dev.fence.reservation;

import static dev.fence.reservation.SharedBufferMultiTest.awaitParked;
import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wound-wait, a wounded holder that is already parked: the younger context holds x and waits
 * (parked) for m3, which a plain thread holds and keeps. The older context, holding a, asks for
 * x: it wounds the younger one, and since that one is waiting, it must be woken to back off at
 * once (the kernel's __ww_mutex_wound wakes the owner), so the older gets x while m3 is still
 * held. Coverage for a case the other tests reach only with a running holder
 * (WwMutexTest.woundWaitIsLazyUntilTheWoundedContextMustWait) or through the chain back-off.
 * Passes on the current code; with wound() not unparking a queued holder it hangs until the
 * timeout.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WwMutexWoundParkedHolderTest {

    @Test
    void aWoundedHolderParkedOnAThirdMutexIsWokenAndBacksOff() throws Exception {
        WwClass cls = WwClass.woundWait("wound-parked");
        WwMutex a = new WwMutex(cls, "a");
        WwMutex x = new WwMutex(cls, "x");
        WwMutex m3 = new WwMutex(cls, "m3");
        WwAcquireContext older = new WwAcquireContext(cls);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch plainHoldsM3 = new CountDownLatch(1);
        CountDownLatch releaseM3 = new CountDownLatch(1);
        Thread plain = start("plain", errors, () -> {
            m3.lock();
            plainHoldsM3.countDown();
            releaseM3.await();
            m3.unlock();
        });
        plainHoldsM3.await();
        AtomicReference<WwDeadlockException> backoff = new AtomicReference<>();
        Thread younger = start("younger", errors, () -> {
            try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
                assertTrue(x.lock(ctx));
                try {
                    m3.lock(ctx);
                    m3.unlock();
                    x.unlock();
                } catch (WwDeadlockException e) {
                    backoff.set(e);
                    assertTrue(ctx.isWounded());
                    x.unlock();
                    m3.lockSlow(ctx); // holding nothing: waits for the plain holder
                    m3.unlock();
                }
            }
        });
        awaitParked(younger);
        assertEquals(1, m3.queueLength(), "younger waits for m3, holding x");
        assertTrue(a.lock(older));
        assertTrue(x.lock(older)); // wounds the parked younger holder, which must back off
        assertTrue(m3.isLocked(), "m3 is still held: only the wound's wake-up freed x");
        assertSame(m3, backoff.get().contended());
        x.unlock();
        a.unlock();
        older.close();
        releaseM3.countDown();
        join(plain);
        join(younger);
        assertNoErrors(errors);
        assertFalse(m3.isLocked() || x.isLocked() || a.isLocked());
    }
}
