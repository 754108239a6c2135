package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
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

    /**
     * The driver's own thread: takes the driver's lock, waits for {@link #go}, then signals
     * {@code point} on the object while still holding that lock (the driver's completion path).
     * The constructor returns once the lock is held.
     */
    private static final class Driver {
        final CountDownLatch go = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread;

        Driver(ReentrantLock driverLock, SyncObj obj, long point) throws InterruptedException {
            CountDownLatch held = new CountDownLatch(1);
            thread = new Thread(() -> {
                driverLock.lock();
                try {
                    held.countDown();
                    go.await();
                    obj.signal(point);
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    driverLock.unlock();
                }
            }, "driver");
            thread.setDaemon(true);
            thread.start();
            assertTrue(held.await(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aPollHookTakingTheDriverLockDoesNotDeadlockWithTheDriverAddingAPoint()
            throws Exception {
        ReentrantLock driverLock = new ReentrantLock();
        LockedPoll first = new LockedPoll(driverLock);
        SyncObj obj = SyncObj.create();
        obj.addPoint(1, first);

        Driver driver = new Driver(driverLock, obj, 2);

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
        driver.go.countDown();

        driver.thread.join(20_000);
        appender.join(20_000);
        assertFalse(driver.thread.isAlive());
        assertFalse(appender.isAlive());
        assertFalse(first.timedOut.get(), "the poll hook waited for the driver's lock while the"
                + " driver waited for the object's: deadlock");
        assertNull(driver.failure.get(), () -> "driver: " + driver.failure.get());
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

        Driver driver = new Driver(driverLock, obj, 3);

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
        driver.go.countDown();

        driver.thread.join(20_000);
        registrar.join(20_000);
        assertFalse(driver.thread.isAlive());
        assertFalse(registrar.isAlive());
        assertFalse(first.timedOut.get(), "the poll hook waited for the driver's lock while the"
                + " driver waited for the object's: deadlock");
        assertNull(driver.failure.get(), () -> "driver: " + driver.failure.get());
        assertNull(registrarFailure.get(), () -> "registrar: " + registrarFailure.get());
        assertEquals(3, obj.lastSubmitted());
        assertEquals(0, told.get(), "point 1 is not reached yet");
        first.signal();
        assertEquals(1, told.get(), "point 1 reached: the registration was kept");
        second.signal();
        assertEquals(3, obj.query());
    }

    /**
     * The same deadlock through a writer's waiter scan: a chain made elsewhere, installed at
     * point 0 over a waiter queued for one of its earlier points, releases that waiter, and
     * finding the waiter's point walks the chain and polls the earlier points' fences. The scan
     * found it under the object's lock, so the installer, whose poll waits for the driver's
     * lock, and the driver adding a point while holding that lock waited for each other.
     */
    @Test
    void installingAForeignChainOverAQueuedWaiterDoesNotDeadlockWithTheDriver()
            throws Exception {
        ReentrantLock driverLock = new ReentrantLock();
        LockedPoll first = new LockedPoll(driverLock);
        Fence second = fresh();
        // made elsewhere (another object's timeline, an imported sync file): points 1 and 2
        FenceChain foreign = FenceChain.link(FenceChain.link(null, first, 1), second, 2);
        SyncObj obj = SyncObj.create();
        AtomicInteger told = new AtomicInteger();
        obj.onPoint(1, 0, told::incrementAndGet); // not submitted: queued, polls nothing
        assertEquals(1, obj.waiterCount());

        Driver driver = new Driver(driverLock, obj, 3);

        AtomicReference<Throwable> installerFailure = new AtomicReference<>();
        Thread installer = new Thread(() -> {
            try {
                obj.replaceFence(foreign); // finding point 1 polls first: the driver's lock
            } catch (Throwable t) {
                installerFailure.set(t);
            }
        }, "installer");
        installer.setDaemon(true);
        installer.start();
        awaitParked(installer); // in pollSignaled, waiting for the driver's lock
        driver.go.countDown();

        driver.thread.join(20_000);
        installer.join(20_000);
        assertFalse(driver.thread.isAlive());
        assertFalse(installer.isAlive());
        assertFalse(first.timedOut.get(), "the poll hook waited for the driver's lock while the"
                + " driver waited for the object's: deadlock");
        assertNull(driver.failure.get(), () -> "driver: " + driver.failure.get());
        assertNull(installerFailure.get(), () -> "installer: " + installerFailure.get());
        assertEquals(3, obj.lastSubmitted());
        assertEquals(0, obj.waiterCount(), "the waiter for point 1 was released by the install");
        assertEquals(0, told.get(), "point 1 is not reached yet");
        first.signal();
        assertEquals(1, told.get(), "point 1 reached: the waiter got point 1's fence");
        second.signal();
    }
}
