package dev.fence.reservation;

import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SharedBuffer#beginCpuAccessAll(SharedBuffer.Direction, SharedBuffer...)}: CPU access to
 * several buffers at once, without the deadlock of nested single-buffer begins against device
 * work that writes more than one of them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferMultiTest {

    private static final SharedBuffer.Direction READ = SharedBuffer.Direction.READ;
    private static final SharedBuffer.Direction WRITE = SharedBuffer.Direction.WRITE;
    private static final SharedBuffer.Direction READ_WRITE = SharedBuffer.Direction.READ_WRITE;
    private static final long BOUND_MILLIS = 10_000;

    /** A device job's submission: what it waits for, and its own fence (already published). */
    private record Submission(Fence deps, List<Fence> depList) {
    }

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** Submits {@code job} on {@code bufs} through an ExecContext, as a device would. */
    private static Submission submit(Fence job, boolean writes, SharedBuffer... bufs)
            throws InterruptedException {
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(e -> {
                for (SharedBuffer b : bufs) {
                    e.prepare(b.reservation(), 1);
                }
            });
            Usage wait = Usage.forAccess(writes);
            Submission s = new Submission(exec.dependency(wait), exec.dependencies(wait));
            exec.addFence(job, writes ? Usage.WRITE : Usage.READ);
            return s;
        }
    }

    /** This thread has no open access of any direction on {@code b}. */
    private static void assertNoAccess(SharedBuffer b) {
        for (SharedBuffer.Direction d : SharedBuffer.Direction.values()) {
            assertThrows(IllegalStateException.class, () -> b.endCpuAccess(d),
                    "an access " + d + " was left started on " + b);
        }
    }

    /** Waits until {@code t} is parked (WAITING), failing after the bound. */
    static void awaitParked(Thread t) throws InterruptedException {
        awaitParkedOn(t, null);
    }

    /**
     * Waits until {@code t} is parked (WAITING) with {@code blocker} as its park blocker (a
     * fence parks with itself as the blocker; null: any blocker), failing after the bound.
     */
    static void awaitParkedOn(Thread t, Object blocker) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MILLIS);
        while (t.getState() != Thread.State.WAITING
                || blocker != null && LockSupport.getBlocker(t) != blocker) {
            if (System.nanoTime() - end > 0) {
                fail(t.getName() + " did not block" + (blocker == null ? "" : " on " + blocker)
                        + " (state " + t.getState() + ", blocker " + LockSupport.getBlocker(t)
                        + ")");
            }
            Thread.sleep(1);
        }
    }

    private static void bounded(Thread t) throws InterruptedException {
        t.join(BOUND_MILLIS);
        if (t.isAlive()) {
            t.interrupt();
            fail(t.getName() + " did not finish: deadlock");
        }
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(BOUND_MILLIS, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("latch timed out");
        }
    }

    // ------------------------------------------------------------------------------------------
    // The audit's scenario

    /**
     * The audit's scenario with the CPU accesses begun together: the device job submitted on X
     * and Y after the CPU began cannot be ordered between the two accesses, so it waits for both
     * and the CPU never waits for it. A nested single-buffer read of Y (Y is already read by this
     * thread) does not wait either.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS,
            threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void multiBufferReadOfTwoBuffersDoesNotDeadlockWithAMultiBufferDeviceWrite()
            throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        CountDownLatch xOpen = new CountDownLatch(1);
        CountDownLatch submitted = new CountDownLatch(1);
        CountDownLatch cpuDone = new CountDownLatch(1);
        AtomicReference<Fence> deviceDeps = new AtomicReference<>();
        AtomicReference<Throwable> cpuError = new AtomicReference<>();
        AtomicReference<Throwable> devError = new AtomicReference<>();
        Fence job = fresh();
        Thread cpu = new Thread(() -> {
            try {
                SharedBuffer.beginCpuAccessAll(READ, x, y);
                try {
                    xOpen.countDown();
                    await(submitted);
                    y.beginCpuAccess(READ);  // nested in this thread's read of Y: no wait
                    y.endCpuAccess(READ);
                    assertFalse(deviceDeps.get().isSignaled(),
                            "the device job must wait for the CPU reads");
                    assertFalse(job.isSignaled(), "the device job ran during the CPU access");
                    cpuDone.countDown();
                } finally {
                    SharedBuffer.endCpuAccessAll(READ, x, y);
                }
            } catch (Throwable e) {
                cpuError.set(e);
            }
        }, "cpu");
        Thread device = new Thread(() -> {
            try {
                await(xOpen);
                Submission s = submit(job, true, x, y);
                assertEquals(2, s.depList().size(), "the CPU read fences of X and Y");
                deviceDeps.set(s.deps());
                submitted.countDown();
                s.deps().await();     // the "hardware" runs once its dependencies signalled
                job.signal();
            } catch (Throwable e) {
                devError.set(e);
            }
        }, "device");
        cpu.setDaemon(true);
        device.setDaemon(true);
        cpu.start();
        device.start();
        boolean ok = cpuDone.await(5, TimeUnit.SECONDS);
        if (!ok) {
            cpu.interrupt();      // break the cycle so the test can end
        }
        cpu.join(BOUND_MILLIS);
        device.join(BOUND_MILLIS);
        assertNull(cpuError.get());
        assertNull(devError.get());
        assertTrue(ok, "CPU access waited for a device write that waits for the CPU access");
        assertTrue(job.await(BOUND_MILLIS, TimeUnit.MILLISECONDS), "the device job never ran");
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));
    }

    /**
     * The audit's scenario with the device job submitted while the multi-buffer begin is still
     * waiting (for an earlier device write of Y). Nested single-buffer begins would have
     * installed X's read by then, so the job would wait for it while the CPU waits for the job
     * (this test then fails after 5 s). The multi-buffer begin has installed nothing yet: the job
     * runs, and the CPU read of Y comes after it.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS,
            threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void deviceWriteSubmittedWhileTheMultiBufferBeginWaitsDoesNotDeadlock() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        Fence earlier = fresh();
        submit(earlier, true, y);   // the CPU read of Y must wait for it
        CountDownLatch cpuDone = new CountDownLatch(1);
        AtomicReference<Throwable> cpuError = new AtomicReference<>();
        AtomicReference<Throwable> devError = new AtomicReference<>();
        Fence job = fresh();
        Thread cpu = new Thread(() -> {
            try {
                SharedBuffer.beginCpuAccessAll(READ, x, y);
                try {
                    assertTrue(job.isSignaled(), "the CPU read of Y began before the device"
                            + " write queued before it");
                    cpuDone.countDown();
                } finally {
                    SharedBuffer.endCpuAccessAll(READ, x, y);
                }
            } catch (Throwable e) {
                cpuError.set(e);
            }
        }, "cpu");
        Thread device = new Thread(() -> {
            try {
                Submission s = submit(job, true, x, y);
                earlier.signal();     // the earlier job finishes after this one was queued
                s.deps().await();     // the "hardware" runs once its dependencies signalled
                job.signal();
            } catch (Throwable e) {
                devError.set(e);
            }
        }, "device");
        cpu.setDaemon(true);
        device.setDaemon(true);
        cpu.start();
        awaitParked(cpu);             // waiting for `earlier`
        device.start();
        boolean ok = cpuDone.await(5, TimeUnit.SECONDS);
        if (!ok) {
            cpu.interrupt();          // break the cycle so the test can end
        }
        cpu.join(BOUND_MILLIS);
        device.join(BOUND_MILLIS);
        assertTrue(ok, "CPU read of Y waits for a device write that waits for the CPU read of X");
        assertNull(cpuError.get());
        assertNull(devError.get());
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));
    }

    /**
     * The hazard the class comment documents, bounded: the same scenario with nested
     * single-buffer begins does not complete (the CPU waits for the device job, which waits for
     * the CPU); an interrupt breaks it, leaves no access started on Y, and ends X's.
     */
    @Test
    void nestedSingleBeginsAcrossBuffersDeadlockAsDocumented() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        CountDownLatch xOpen = new CountDownLatch(1);
        CountDownLatch submitted = new CountDownLatch(1);
        CountDownLatch cpuDone = new CountDownLatch(1);
        AtomicReference<Throwable> cpuError = new AtomicReference<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Fence job = fresh();
        Thread cpu = start("cpu", errors, () -> {
            x.beginCpuAccess(READ);
            try {
                xOpen.countDown();
                await(submitted);
                try {
                    y.beginCpuAccess(READ);
                    y.endCpuAccess(READ);
                    cpuDone.countDown();
                } catch (InterruptedException e) {
                    cpuError.set(e);
                    assertNoAccess(y);
                }
            } finally {
                x.endCpuAccess(READ);
            }
        });
        Thread device = start("device", errors, () -> {
            await(xOpen);
            Submission s = submit(job, true, x, y);
            submitted.countDown();
            s.deps().await();
            job.signal();
        });
        await(submitted);
        // Parked on the device job itself (Y's write fence), not still on `submitted` nor on
        // anything else: the wait the documented deadlock is made of.
        awaitParkedOn(cpu, job);
        assertFalse(cpuDone.await(300, TimeUnit.MILLISECONDS),
                "nested single-buffer begins across buffers are documented to deadlock here");
        assertFalse(job.isSignaled());
        cpu.interrupt();
        bounded(cpu);
        bounded(device);
        assertNoErrors(errors);
        assertInstanceOf(InterruptedException.class, cpuError.get());
        assertTrue(job.isSignaled(), "ending X's read released the device job");
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP), "no CPU fence left on Y");
    }

    // ------------------------------------------------------------------------------------------
    // Ordering

    @Test
    void deviceWorkSubmittedDuringTheAccessWaitsUntilEveryAccessEnds() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer.beginCpuAccessAll(READ, x, y);
        Fence readJob = fresh();
        Submission reader = submit(readJob, false, x, y);
        assertTrue(reader.deps().isSignaled(), "a device reader need not wait for CPU readers");
        readJob.signal();
        Fence writeJob = fresh();
        Submission writer = submit(writeJob, true, x, y);
        assertEquals(2, writer.depList().size(), "one CPU read fence per buffer");
        x.endCpuAccess(READ);
        assertFalse(writer.deps().isSignaled(), "Y is still being read");
        y.endCpuAccess(READ);
        assertTrue(writer.deps().isSignaled());
        writeJob.signal();

        SharedBuffer.beginCpuAccessAll(READ_WRITE, x, y);
        Fence afterJob = fresh();
        Submission afterWrite = submit(afterJob, false, x, y);
        assertEquals(2, afterWrite.depList().size(), "one CPU write fence per buffer");
        SharedBuffer.endCpuAccessAll(READ_WRITE, y);
        assertFalse(afterWrite.deps().isSignaled(), "X is still being written");
        SharedBuffer.endCpuAccessAll(READ_WRITE, x);
        assertTrue(afterWrite.deps().isSignaled());
        afterJob.signal();
    }

    /**
     * While the begin waits, nothing is installed, so a device job submitted meanwhile on both
     * buffers does not wait for the CPU; after the first fence signals, the re-check under the
     * locks finds that job and waits for it too.
     */
    @Test
    void waitsWithoutInstallingAnythingAndRechecksUnderTheLocks() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        Fence job1 = fresh();
        submit(job1, true, y);
        CountDownLatch began = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread cpu = start("cpu", errors, () -> {
            SharedBuffer.beginCpuAccessAll(READ, x, y);
            began.countDown();
            SharedBuffer.endCpuAccessAll(READ, x, y);
        });
        awaitParked(cpu);   // waiting for job1
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP), "X's access installed early");
        Fence job2 = fresh();
        Submission s2 = submit(job2, true, x, y);
        assertEquals(List.of(job1), s2.depList(), "job2 must not wait for the CPU");
        job1.signal();
        // Woken by job1, the re-check under the locks finds job2: wait until the begin is parked
        // on it (it was parked on job1 before, so a plain state check could pass at once).
        awaitParkedOn(cpu, job2);
        assertFalse(began.await(100, TimeUnit.MILLISECONDS), "began before job2 signalled");
        job2.signal();
        await(began);
        bounded(cpu);
        assertNoErrors(errors);
    }

    @Test
    void cpuWriteWaitsForDeviceReadersOfEveryBuffer() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        Fence reader = fresh();
        submit(reader, false, y);
        CountDownLatch began = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread cpu = start("cpu", errors, () -> {
            SharedBuffer.beginCpuAccessAll(WRITE, List.of(x, y));
            began.countDown();
            SharedBuffer.endCpuAccessAll(WRITE, List.of(x, y));
        });
        awaitParkedOn(cpu, reader); // waiting for the device reader of Y, not for anything else
        assertFalse(began.await(50, TimeUnit.MILLISECONDS));
        reader.signal();
        await(began);
        bounded(cpu);
        assertNoErrors(errors);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
    }

    // ------------------------------------------------------------------------------------------
    // Validation

    @Test
    void nullsAreRejectedNamingTheIndex() {
        SharedBuffer x = SharedBuffer.allocate(8);
        assertThrows(NullPointerException.class,
                () -> SharedBuffer.beginCpuAccessAll(null, x));
        assertThrows(NullPointerException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, (SharedBuffer[]) null));
        assertThrows(NullPointerException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, (List<SharedBuffer>) null));
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, x, null));
        assertTrue(e.getMessage().contains("buffers[1]"), e.getMessage());
        e = assertThrows(NullPointerException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, Arrays.asList(null, x)));
        assertTrue(e.getMessage().contains("buffers[0]"), e.getMessage());
        e = assertThrows(NullPointerException.class,
                () -> SharedBuffer.endCpuAccessAll(READ, x, null));
        assertTrue(e.getMessage().contains("buffers[1]"), e.getMessage());
        assertNoAccess(x);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
    }

    @Test
    void duplicatesAreRejectedAndNothingStarts() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, x, y, x));
        assertTrue(e.getMessage().contains("buffers[0] and buffers[2]"), e.getMessage());
        assertNoAccess(x);
        assertNoAccess(y);
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));
        SharedBuffer.beginCpuAccessAll(READ, x, y);
        assertThrows(IllegalArgumentException.class,
                () -> SharedBuffer.endCpuAccessAll(READ, y, y));
        SharedBuffer.endCpuAccessAll(READ, x, y);   // still open: the refused end ended nothing
        assertNoAccess(x);
        assertNoAccess(y);
    }

    @Test
    void emptyDoesNothing() throws Exception {
        // This thread has a WRITE access open on x: empty calls must neither end it nor open
        // another (a per-thread registry that an empty end cleared would fail here).
        SharedBuffer x = SharedBuffer.allocate(8);
        x.beginCpuAccess(WRITE);
        SharedBuffer.beginCpuAccessAll(READ);
        SharedBuffer.beginCpuAccessAll(WRITE, List.of());
        SharedBuffer.endCpuAccessAll(WRITE);
        SharedBuffer.endCpuAccessAll(READ, List.of());
        x.endCpuAccess(WRITE); // throws if the empty end had ended it
        assertNoAccess(x);     // and the empty begins opened nothing on it
    }

    @Test
    void reservationsOfDifferentClassesAreRejected() {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer other = new SharedBuffer(ByteBuffer.allocate(8),
                new Reservation(WwClass.waitDie("other")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, x, other));
        assertTrue(e.getMessage().contains("different classes"), e.getMessage());
        assertNoAccess(x);
        assertNoAccess(other);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
    }

    @Test
    void buffersSharingAReservationBeginTogether() throws Exception {
        WwClass cls = WwClass.woundWait("vm");
        Reservation shared = new Reservation(cls);
        SharedBuffer a = new SharedBuffer(ByteBuffer.allocate(8), shared);
        SharedBuffer b = new SharedBuffer(ByteBuffer.allocate(8), shared);
        SharedBuffer c = new SharedBuffer(ByteBuffer.allocate(8), new Reservation(cls));
        SharedBuffer.beginCpuAccessAll(WRITE, a, b, c);
        assertEquals(2, shared.unsignaledFences(Usage.WRITE).size(), "one CPU fence per buffer");
        assertEquals(1, c.reservation().unsignaledFences(Usage.WRITE).size());
        SharedBuffer.endCpuAccessAll(WRITE, a, b, c);
        assertTrue(shared.testSignaled(Usage.BOOKKEEP));
        assertTrue(c.reservation().testSignaled(Usage.BOOKKEEP));
    }

    @Test
    void holdingOneOfTheReservationLocksIsRefusedBeforeWaiting() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        Fence pending = fresh();
        submit(pending, true, x);    // a wait for it would not end
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("holder", errors, () -> {
            y.reservation().lock();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> SharedBuffer.beginCpuAccessAll(READ, x, y));
                assertTrue(e.getMessage().contains("holds"), e.getMessage());
            } finally {
                y.reservation().unlock();
            }
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(e -> e.lock(x.reservation()));
                assertThrows(IllegalStateException.class,
                        () -> SharedBuffer.beginCpuAccessAll(WRITE, y, x));
            }
            assertNoAccess(x);
            assertNoAccess(y);
        });
        bounded(t);
        assertNoErrors(errors);
        assertEquals(List.of(pending), x.reservation().unsignaledFences(Usage.BOOKKEEP));
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));
        pending.signal();
    }

    @Test
    void eachBufferFollowsTheSingleBufferRules() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer z = SharedBuffer.allocate(8);
        y.beginCpuAccess(WRITE);
        assertThrows(IllegalStateException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ, x, y), "inside one's own write");
        assertThrows(IllegalStateException.class,
                () -> SharedBuffer.beginCpuAccessAll(WRITE, x, y), "inside one's own write");
        assertNoAccess(x);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP), "nothing installed on X");
        y.endCpuAccess(WRITE);

        y.beginCpuAccess(READ);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SharedBuffer.beginCpuAccessAll(READ_WRITE, x, y, z));
        assertTrue(e.getMessage().contains("wait for itself"), e.getMessage());
        assertNoAccess(x);
        assertNoAccess(z);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
        assertTrue(z.reservation().testSignaled(Usage.BOOKKEEP));
        y.endCpuAccess(READ);
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));

        // an end checks every buffer before ending any
        SharedBuffer.beginCpuAccessAll(READ, x, y);
        assertThrows(IllegalStateException.class,
                () -> SharedBuffer.endCpuAccessAll(READ, x, y, z), "z was not begun");
        assertThrows(IllegalStateException.class,
                () -> SharedBuffer.endCpuAccessAll(WRITE, x, y), "direction mismatch");
        assertFalse(x.reservation().testSignaled(Usage.READ), "X's read was ended");
        SharedBuffer.endCpuAccessAll(READ, x, y);
        assertTrue(x.reservation().testSignaled(Usage.READ));
        assertTrue(y.reservation().testSignaled(Usage.READ));
        assertNoAccess(x);
        assertNoAccess(y);
    }

    /**
     * A READ of a buffer this thread already reads nests and does not wait, even for a device
     * writer queued behind the outer read (as with the single form), while the other buffers
     * are begun normally.
     */
    @Test
    void nestedReadOfABufferAlreadyReadDoesNotWait() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Fence writer = fresh();
        Thread t = start("cpu", errors, () -> {
            x.beginCpuAccess(READ);
            Submission s = submit(writer, true, x);  // queued behind the outer read
            assertFalse(s.deps().isSignaled());
            SharedBuffer.beginCpuAccessAll(READ, x, y);  // must not wait for `writer`
            assertFalse(y.reservation().testSignaled(Usage.READ), "Y's read was not installed");
            SharedBuffer.endCpuAccessAll(READ, x, y);
            assertFalse(s.deps().isSignaled(), "the outer read is still open");
            assertTrue(y.reservation().testSignaled(Usage.READ));
            x.endCpuAccess(READ);
            assertTrue(s.deps().isSignaled());
            assertNoAccess(x);
        });
        bounded(t);
        assertNoErrors(errors);
        writer.signal();
    }

    // ------------------------------------------------------------------------------------------
    // Interrupts

    @Test
    void interruptWhileWaitingForFencesStartsNothing() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        SharedBuffer z = SharedBuffer.allocate(8);
        Fence pending = fresh();
        submit(pending, true, z);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread t = start("cpu", errors, () -> {
            x.beginCpuAccess(READ);       // nested: would only be counted at the end
            assertThrows(InterruptedException.class,
                    () -> SharedBuffer.beginCpuAccessAll(READ, x, y, z));
            x.endCpuAccess(READ);
            assertNoAccess(x);           // the nested read was not counted
            assertNoAccess(y);
            assertNoAccess(z);
        });
        awaitParked(t);
        t.interrupt();
        bounded(t);
        assertNoErrors(errors);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));
        assertEquals(List.of(pending), z.reservation().unsignaledFences(Usage.BOOKKEEP));
        pending.signal();
    }

    @Test
    void interruptWhileWaitingForALockStartsNothing() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = start("holder", errors, () -> {
            y.reservation().lock();
            try {
                locked.countDown();
                await(release);
            } finally {
                y.reservation().unlock();
            }
        });
        await(locked);
        Thread t = start("cpu", errors, () -> {
            assertThrows(InterruptedException.class,
                    () -> SharedBuffer.beginCpuAccessAll(WRITE, x, y));
            assertNoAccess(x);
            assertNoAccess(y);
        });
        awaitParked(t);     // X locked, waiting for Y's lock
        assertTrue(x.reservation().isLocked());
        t.interrupt();
        bounded(t);
        release.countDown();
        bounded(holder);
        assertNoErrors(errors);
        assertFalse(x.reservation().isLocked(), "X's lock was left held");
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP));
        assertTrue(y.reservation().testSignaled(Usage.BOOKKEEP));
    }

    // ------------------------------------------------------------------------------------------
    // Stress

    /** Who touches a buffer right now; a writer must be alone. */
    private static final class Occupancy {
        final AtomicInteger readers = new AtomicInteger();
        final AtomicInteger writers = new AtomicInteger();

        void enter(boolean write, String who) {
            if (write) {
                writers.incrementAndGet();
                if (writers.get() > 1 || readers.get() > 0) {
                    throw new AssertionError(who + " writes while another access is running");
                }
            } else {
                readers.incrementAndGet();
                if (writers.get() > 0) {
                    throw new AssertionError(who + " reads while a write is running");
                }
            }
        }

        void exit(boolean write) {
            (write ? writers : readers).decrementAndGet();
        }
    }

    private static void touch(SharedBuffer b, boolean write, byte value) {
        ByteBuffer buf = b.buffer();
        if (write) {
            for (int i = 0; i < buf.capacity(); i++) {
                buf.put(i, value);
                if ((i & 15) == 0) {
                    Thread.yield();
                }
            }
        } else {
            byte first = buf.get(0);
            for (int i = 1; i < buf.capacity(); i++) {
                if (buf.get(i) != first) {
                    throw new AssertionError("half-written buffer at byte " + i);
                }
            }
        }
    }

    private static List<Integer> subset(ThreadLocalRandom rnd, int n) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, rnd);
        return idx.subList(0, 1 + rnd.nextInt(n));
    }

    /**
     * CPU threads begin random subsets of four buffers together (reads, writes, nested reads,
     * some single-buffer begins) while device threads submit jobs on random subsets through
     * {@link ExecContext} and run them once their dependency fences signal. For about a second:
     * nobody deadlocks, and no write (CPU or device) overlaps another access to its buffer.
     */
    @Test
    void cpuThreadsAndDeviceJobsOverSeveralBuffers() throws Exception {
        int n = 4;
        SharedBuffer[] bufs = new SharedBuffer[n];
        Occupancy[] occ = new Occupancy[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = SharedBuffer.allocate(64);
            occ[i] = new Occupancy();
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong cpuAccesses = new AtomicLong();
        AtomicLong deviceJobs = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            boolean single = c == 2;
            threads.add(start("cpu-" + c, errors, () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                byte v = 0;
                while (System.nanoTime() - end < 0 && errors.isEmpty()) {
                    List<Integer> idx = single ? List.of(rnd.nextInt(n)) : subset(rnd, n);
                    SharedBuffer.Direction dir = SharedBuffer.Direction.values()[rnd.nextInt(3)];
                    boolean write = dir.writes();
                    List<SharedBuffer> mine = new ArrayList<>();
                    for (int i : idx) {
                        mine.add(bufs[i]);
                    }
                    if (single) {
                        mine.get(0).beginCpuAccess(dir);
                    } else {
                        SharedBuffer.beginCpuAccessAll(dir, mine);
                    }
                    try {
                        v++;
                        for (int i : idx) {
                            occ[i].enter(write, Thread.currentThread().getName());
                        }
                        try {
                            for (int i : idx) {
                                touch(bufs[i], write, v);
                            }
                            if (!write) {
                                // a nested read of a buffer already read: no wait
                                SharedBuffer.beginCpuAccessAll(READ, mine.get(0));
                                touch(mine.get(0), false, v);
                                mine.get(0).endCpuAccess(READ);
                            }
                        } finally {
                            for (int i : idx) {
                                occ[i].exit(write);
                            }
                        }
                    } finally {
                        Collections.shuffle(mine, rnd);
                        if (rnd.nextBoolean()) {
                            SharedBuffer.endCpuAccessAll(dir, mine);
                        } else {
                            for (SharedBuffer b : mine) {
                                b.endCpuAccess(dir);
                            }
                        }
                    }
                    cpuAccesses.incrementAndGet();
                    Thread.yield();
                }
            }));
        }
        for (int d = 0; d < 2; d++) {
            threads.add(start("device-" + d, errors, () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                Timeline ring = Timeline.create(Thread.currentThread().getName());
                byte v = 100;
                while (System.nanoTime() - end < 0 && errors.isEmpty()) {
                    List<Integer> idx = subset(rnd, n);
                    boolean write = rnd.nextInt(3) != 0;
                    SharedBuffer[] mine = new SharedBuffer[idx.size()];
                    for (int k = 0; k < mine.length; k++) {
                        mine[k] = bufs[idx.get(k)];
                    }
                    Fence job = ring.next();
                    Submission s = submit(job, write, mine);
                    s.deps().await();   // the "hardware" starts once its dependencies signalled
                    v++;
                    try {
                        for (int i : idx) {
                            occ[i].enter(write, Thread.currentThread().getName());
                        }
                        try {
                            for (int i : idx) {
                                touch(bufs[i], write, v);
                            }
                        } finally {
                            for (int i : idx) {
                                occ[i].exit(write);
                            }
                        }
                    } finally {
                        job.signal();
                    }
                    deviceJobs.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join(BOUND_MILLIS);
        }
        for (Thread t : threads) {
            if (t.isAlive()) {
                threads.forEach(Thread::interrupt);
                fail(t.getName() + " did not finish: deadlock");
            }
        }
        assertNoErrors(errors);
        assertTrue(cpuAccesses.get() > 0, "no CPU access happened");
        assertTrue(deviceJobs.get() > 0, "no device job ran");
        for (SharedBuffer b : bufs) {
            assertTrue(b.reservation().testSignaled(Usage.BOOKKEEP), "a fence was left pending");
            assertFalse(b.reservation().isLocked());
        }
    }
}
