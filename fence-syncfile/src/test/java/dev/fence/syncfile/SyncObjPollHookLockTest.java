package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * addPoint links the new point over the earlier ones, which polls their fences (the driver's
 * pollSignaled). The kernel's add_point only initialises the link under the syncobj's lock; here
 * the polling ran under the object's lock, so a driver whose pollSignaled takes the driver's lock
 * deadlocked against the driver's own thread adding a point while holding that lock: the
 * appender held the object's lock and waited for the driver's, the driver held its lock and
 * waited for the object's.
 */
@Timeout(30)
class SyncObjPollHookLockTest {

    /** A driver fence whose completion check takes the driver's lock (bounded, so no hang). */
    static final class LockedPoll extends Fence {
        final ReentrantLock driverLock;
        final AtomicBoolean timedOut = new AtomicBoolean();

        LockedPoll(ReentrantLock driverLock) {
            super(Fence.allocateContexts(1), 1);
            this.driverLock = driverLock;
        }

        @Override
        protected boolean pollSignaled() {
            try {
                // 5 s stands for "forever": the deadlock this test looks for
                if (!driverLock.tryLock(5, TimeUnit.SECONDS)) {
                    timedOut.set(true);
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            try {
                return false; // the hardware has not reached it
            } finally {
                driverLock.unlock();
            }
        }
    }

    @Test
    void aPollHookTakingTheDriverLockDoesNotDeadlockWithTheDriverAddingAPoint()
            throws Exception {
        ReentrantLock driverLock = new ReentrantLock();
        LockedPoll first = new LockedPoll(driverLock);
        SyncObj obj = SyncObj.create();
        obj.addPoint(1, first);

        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> driverFailure = new AtomicReference<>();
        Thread driver = new Thread(() -> {
            driverLock.lock();
            try {
                held.countDown();
                go.await();
                obj.signal(2); // the driver's completion path, under its own lock
            } catch (Throwable t) {
                driverFailure.set(t);
            } finally {
                driverLock.unlock();
            }
        }, "driver");
        driver.setDaemon(true);
        driver.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));

        AtomicReference<Throwable> appenderFailure = new AtomicReference<>();
        Thread appender = new Thread(() -> {
            try {
                obj.addPoint(10, fresh()); // polls point 1: waits for the driver's lock
            } catch (Throwable t) {
                appenderFailure.set(t);
            }
        }, "appender");
        appender.setDaemon(true);
        appender.start();
        awaitParked(appender); // in pollSignaled, waiting for the driver's lock
        go.countDown();

        driver.join(20_000);
        appender.join(20_000);
        assertFalse(driver.isAlive());
        assertFalse(appender.isAlive());
        assertFalse(first.timedOut.get(), "the poll hook waited for the driver's lock while the"
                + " driver waited for the object's: deadlock");
        assertNull(driverFailure.get(), () -> "driver: " + driverFailure.get());
        assertNull(appenderFailure.get(), () -> "appender: " + appenderFailure.get());
        assertEquals(10, obj.lastSubmitted());
        first.signal();
        assertEquals(2, obj.query());
    }

    /**
     * The same deadlock through onPoint: registering on a point that is already there walks the
     * chain to it, which polls the earlier points' fences. That walk ran under the object's
     * lock, so an onPoint on an added point, whose poll waits for the driver's lock, and the
     * driver adding a point while holding that lock waited for each other.
     */
    @Test
    void onPointOnAnAddedPointDoesNotDeadlockWithTheDriverAddingAPoint() throws Exception {
        ReentrantLock driverLock = new ReentrantLock();
        LockedPoll first = new LockedPoll(driverLock);
        SyncObj obj = SyncObj.create();
        obj.addPoint(1, first);
        Fence second = fresh();
        obj.addPoint(2, second); // finding point 1 now walks past point 2's link to first's

        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> driverFailure = new AtomicReference<>();
        Thread driver = new Thread(() -> {
            driverLock.lock();
            try {
                held.countDown();
                go.await();
                obj.signal(3); // the driver's completion path, under its own lock
            } catch (Throwable t) {
                driverFailure.set(t);
            } finally {
                driverLock.unlock();
            }
        }, "driver");
        driver.setDaemon(true);
        driver.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));

        AtomicInteger told = new AtomicInteger();
        AtomicReference<Throwable> registrarFailure = new AtomicReference<>();
        Thread registrar = new Thread(() -> {
            try {
                obj.onPoint(1, 0, told::incrementAndGet); // polls point 1: the driver's lock
            } catch (Throwable t) {
                registrarFailure.set(t);
            }
        }, "registrar");
        registrar.setDaemon(true);
        registrar.start();
        awaitParked(registrar); // in pollSignaled, waiting for the driver's lock
        go.countDown();

        driver.join(20_000);
        registrar.join(20_000);
        assertFalse(driver.isAlive());
        assertFalse(registrar.isAlive());
        assertFalse(first.timedOut.get(), "the poll hook waited for the driver's lock while the"
                + " driver waited for the object's: deadlock");
        assertNull(driverFailure.get(), () -> "driver: " + driverFailure.get());
        assertNull(registrarFailure.get(), () -> "registrar: " + registrarFailure.get());
        assertEquals(3, obj.lastSubmitted());
        assertEquals(0, told.get(), "point 1 is not reached yet");
        first.signal();
        assertEquals(1, told.get(), "point 1 reached: the registration was kept");
        second.signal();
        assertEquals(3, obj.query());
    }
}
