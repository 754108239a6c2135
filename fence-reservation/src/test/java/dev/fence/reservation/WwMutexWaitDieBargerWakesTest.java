package dev.fence.reservation;

import static dev.fence.reservation.WwMutexStaleFirstCtxTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wait-die, step 6 (checkWaiters): an older context that takes the mutex by barging must wake
 * the first context waiter if it is younger and holds locks, so that it dies at once instead of
 * waiting behind the older holder. The wake-up matters only when that waiter is not the head
 * (the head is woken by the release anyway): here a context-free waiter N is the head and the
 * young context Y queues behind it. Three threads, which is why no two-actor jcstress test can
 * reach it (helper B's audit, twenty-seventh session: the mutant without the unpark passed every
 * test). Without the unpark Y stayed parked for as long as O held the mutex (failed after 5 s).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WwMutexWaitDieBargerWakesTest {

    @Test
    void anOlderBargerWakesAYoungerWaiterBehindTheHeadToDie() throws Exception {
        for (int attempt = 0; attempt < 200; attempt++) {
            if (attempt()) {
                return;
            }
        }
        fail("the older context never won the barging race in 200 attempts");
    }

    /** One try; false if the head took the mutex before the older context could barge. */
    private static boolean attempt() throws Exception {
        WwClass cls = WwClass.waitDie("barger-wakes");
        WwMutex m = new WwMutex(cls, "M");
        WwMutex l = new WwMutex(cls, "L"); // held by Y, so that Y must die, not wait
        WwAcquireContext older = new WwAcquireContext(cls); // stamped first: older than Y's
        m.lock(); // held without a context: waiters queue behind it, nobody dies
        Thread n = new Thread(() -> {
            m.lock();
            m.unlock();
        }, "context-free head");
        n.setDaemon(true);
        n.start();
        waitUntil(() -> m.queueLength() == 1, "N queued as the head");
        AtomicReference<String> yResult = new AtomicReference<>();
        Thread y = new Thread(() -> {
            WwAcquireContext young = new WwAcquireContext(cls);
            try {
                assertTrue(l.lock(young));
                try {
                    m.lock(young);
                    m.unlock();
                    yResult.set("acquired");
                } catch (WwDeadlockException e) {
                    yResult.set("died");
                } finally {
                    l.unlock();
                }
            } catch (Throwable e) {
                yResult.set("threw " + e);
            } finally {
                young.close();
            }
        }, "young context");
        y.setDaemon(true);
        y.start();
        waitUntil(() -> m.queueLength() == 2, "Y queued behind N");
        // Both parked, not spinning: a spinning head would take M before the older one barges.
        waitUntil(() -> n.getState() == Thread.State.WAITING
                && y.getState() == Thread.State.WAITING, "N and Y parked");
        m.unlock(); // wakes N, the head
        boolean barged = m.tryLock(older); // the older context barges before N runs
        // The scenario needs N and Y both still queued when O took M (N may have run, taken and
        // released M, and woken Y meanwhile: then Y would die by its own check).
        if (!barged || m.queueLength() != 2) {
            if (barged) {
                m.unlock();
            }
            n.join(10_000);
            y.join(10_000);
            older.close();
            return false;
        }
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (yResult.get() == null && System.nanoTime() - end < 0) {
                Thread.yield();
            }
            assertEquals("died", yResult.get(),
                    "the younger waiter holding L, queued behind the head, was not woken to die"
                            + " while the older context held M");
        } finally {
            m.unlock();
            older.close();
        }
        n.join(10_000);
        y.join(10_000);
        assertTrue(!n.isAlive() && !y.isAlive(), "N and Y finished");
        return true;
    }
}
