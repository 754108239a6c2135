package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A CPU write access signals, when it ends, the CPU write fence its own begin installed, even if
 * the reservation lost that fence while the access was open and a second CPU writer got in.
 *
 * <p>Here the fence leaves the list through the pre-5.19 view: a device job made to depend on
 * {@link Reservation#exclusiveFence()} (the CPU write fence) is added with
 * {@link Reservation#addExclusiveFence(Fence)}, which drops it, and is then force-completed with
 * an error (a reset path) before the CPU access ends. A second CPU writer then finds nothing
 * pending and begins. The CPU write fence was one buffer-wide field: the second begin overwrote
 * it, the first writer's end signalled the second writer's fence, and the first fence (which the
 * device job and every exported copy wait for) never signalled.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferLostWriteFenceTest {

    @Test
    void eachWriterSignalsItsOwnFenceWhenTheReservationLostTheFirst() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(8);
        Reservation resv = buf.reservation();
        buf.beginCpuAccess(SharedBuffer.Direction.WRITE);
        Fence first = buf.exportFence(SharedBuffer.Direction.READ); // the single pending fence
        assertFalse(first.isSignaled());

        // A device job: depends on the exclusive fence (our CPU write), replaces it, is reset.
        Fence job = Fence.create(Fence.allocateContexts(1), 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread device = new Thread(() -> {
            try {
                resv.lock();
                try {
                    assertTrue(resv.exclusiveFence() == first, "the job's dependency");
                    resv.reserveFences(1);
                    resv.addExclusiveFence(job);
                } finally {
                    resv.unlock();
                }
                job.signal(new IllegalStateException("reset: job abandoned"));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "device");
        device.start();
        device.join();
        assertNull(failure.get());
        assertTrue(resv.testSignaled(Usage.BOOKKEEP), "the reservation lost the CPU write fence");

        // A second CPU writer now finds nothing to wait for and begins.
        CountDownLatch began = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        AtomicReference<Fence> second = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                buf.beginCpuAccess(SharedBuffer.Direction.WRITE);
                second.set(buf.exportFence(SharedBuffer.Direction.READ));
                began.countDown();
                end.await();
                buf.endCpuAccess(SharedBuffer.Direction.WRITE);
            } catch (Throwable t) {
                failure.set(t);
                began.countDown();
            }
        }, "second-writer");
        writer.start();
        assertTrue(began.await(5, TimeUnit.SECONDS));
        assertNull(failure.get());
        assertNotSame(first, second.get());
        assertFalse(second.get().isSignaled());

        buf.endCpuAccess(SharedBuffer.Direction.WRITE);
        assertTrue(first.isSignaled(), "the first writer's end did not signal its own fence");
        assertFalse(second.get().isSignaled(), "the first writer's end signalled the second's");

        end.countDown();
        writer.join(5000);
        assertFalse(writer.isAlive());
        assertNull(failure.get());
        assertTrue(second.get().isSignaled(), "the second writer's end signalled nothing");
        assertTrue(resv.testSignaled(Usage.BOOKKEEP));
    }
}
