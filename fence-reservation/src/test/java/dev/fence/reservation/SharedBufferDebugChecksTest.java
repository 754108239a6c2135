package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.SignallingSection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debug checks ({@code -Ddev.fence.debug=true}, the {@code debug} group's own JVM) on
 * {@link SharedBuffer}: an open CPU access is a signalling section of its thread, so a begin on
 * another buffer, a lock, or a blocking fence wait inside it is reported instead of deadlocking
 * with device work queued behind the access.
 */
@Tag("debug")
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedBufferDebugChecksTest {

    @BeforeAll
    static void debugModeIsOn() {
        assertTrue(Boolean.getBoolean("dev.fence.debug"),
                "this group must run with -Ddev.fence.debug=true");
    }

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** A device job writing through {@code resv}: its fence is installed as WRITE. */
    private static Fence submitWriter(Reservation resv) {
        Fence job = fresh();
        resv.lock();
        try {
            resv.reserveFences(1);
            resv.addFence(job, Usage.WRITE);
        } finally {
            resv.unlock();
        }
        return job;
    }

    /**
     * The cycle the class comment describes, on two buffers sharing a reservation: this thread
     * reads X; a device writer is queued behind that read (it may only run once the read ends);
     * then a read of Y would wait for the writer, which waits for this thread. Without the
     * check the second begin never returns (the preemptive timeout fails the test).
     */
    @Test
    void beginOnASiblingWhileADeviceWriterWaitsForThisThreadIsReported() {
        Reservation shared = new Reservation();
        SharedBuffer x = new SharedBuffer(ByteBuffer.allocate(8), shared);
        SharedBuffer y = new SharedBuffer(ByteBuffer.allocate(8), shared);
        Fence[] writer = new Fence[1];
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                x.beginCpuAccess(SharedBuffer.Direction.READ);
                // submitted by another thread (this one may not lock inside its access); in a
                // real driver the job runs only after the CPU read has ended
                Thread device = new Thread(() -> writer[0] = submitWriter(shared));
                device.start();
                device.join();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> y.beginCpuAccess(SharedBuffer.Direction.READ));
                assertTrue(e.getMessage().contains("SignallingSection"), e.getMessage());
                x.endCpuAccess(SharedBuffer.Direction.READ);
            });
        } finally {
            if (writer[0] != null) {
                writer[0].signal();
            }
        }
        assertFalse(y.reservation().isLocked(), "the refused begin left no lock behind");
    }

    @Test
    void beginOnAnUnrelatedFreeBufferInsideAnAccessIsReportedAtOnce() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        x.beginCpuAccess(SharedBuffer.Direction.WRITE);
        try {
            assertThrows(IllegalStateException.class,
                    () -> y.beginCpuAccess(SharedBuffer.Direction.READ),
                    "nesting across buffers is reported even when nothing is pending");
            Fence job = fresh();
            assertThrows(IllegalStateException.class,
                    () -> y.importFence(job, SharedBuffer.Direction.WRITE));
            job.signal();
            Fence pending = fresh();
            assertThrows(IllegalStateException.class,
                    () -> pending.await(20, TimeUnit.SECONDS));
            pending.signal();
        } finally {
            x.endCpuAccess(SharedBuffer.Direction.WRITE);
        }
        assertTrue(y.reservation().fences(Usage.BOOKKEEP).isEmpty(),
                "the refused import added nothing");
    }

    @Test
    void nestedReadsAndBeginAllAreAllowedAndEndingCloseTheSection() throws Exception {
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        x.beginCpuAccess(SharedBuffer.Direction.READ);
        x.beginCpuAccess(SharedBuffer.Direction.READ); // nested: no wait, no lock
        assertTrue(SignallingSection.active(), "an open access is a section in debug mode");
        x.endCpuAccess(SharedBuffer.Direction.READ);
        assertTrue(SignallingSection.active(), "the outer read is still open");
        x.endCpuAccess(SharedBuffer.Direction.READ);
        assertFalse(SignallingSection.active(), "ending the last access closes the section");

        SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, x, y);
        assertTrue(SignallingSection.active());
        SharedBuffer.endCpuAccessAll(SharedBuffer.Direction.READ, x, y);
        assertFalse(SignallingSection.active());

        // outside any access, a wait and a begin behave as usual
        Fence pending = fresh();
        assertFalse(pending.await(1, TimeUnit.MILLISECONDS), "a timed wait just times out");
        pending.signal();
        y.beginCpuAccess(SharedBuffer.Direction.WRITE);
        y.endCpuAccess(SharedBuffer.Direction.WRITE);
    }

    /**
     * A multi-buffer write begun inside an access to another buffer counts itself as a waiting
     * writer on its buffers and only then locks their reservations, which the debug checks
     * refuse: the exception must give the count back on every buffer, or later readers of them
     * wait for a writer that is gone (see {@link SharedBufferWriterCountTest}).
     */
    @Test
    void multiBufferWriteRefusedWhileLockingGivesTheWriterCountBack() throws Exception {
        SharedBuffer a = SharedBuffer.allocate(8);
        SharedBuffer x = SharedBuffer.allocate(8);
        SharedBuffer y = SharedBuffer.allocate(8);
        a.beginCpuAccess(SharedBuffer.Direction.READ);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.WRITE, x, y));
            assertTrue(e.getMessage().contains("SignallingSection"), e.getMessage());
        } finally {
            a.endCpuAccess(SharedBuffer.Direction.READ);
        }
        assertFalse(x.reservation().isLocked() || y.reservation().isLocked(),
                "the refused begin left a lock behind");
        SharedBufferWriterCountTest.assertWriterCountBalanced(x);
        SharedBufferWriterCountTest.assertWriterCountBalanced(y);
    }
}
