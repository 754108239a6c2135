package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fence.reservation.SharedBuffer.Direction;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Two buffers sharing one reservation (a supported configuration). A thread with an open
 * access to one of them that begins a conflicting access to the other waits for its own CPU fence
 * on the shared reservation: the single-buffer rule refuses exactly that ("would wait for itself"),
 * and before the twentieth session the check was per buffer while the wait is per reservation,
 * so the thread hung forever (the three refusal tests failed by timing out).
 */
class SharedBufferSharedReservationTest {

    /**
     * Runs {@code outer} then {@code inner} in a fresh thread and expects {@code inner} to be
     * refused with an IllegalStateException within 2 s; fails (after cleaning up) if it hangs.
     */
    private static void expectRefused(SharedBuffer x, Direction outer, SharedBuffer y,
            Direction inner, boolean all) throws Exception {
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                x.beginCpuAccess(outer);
                try {
                    if (all) {
                        SharedBuffer.beginCpuAccessAll(inner, y);
                    } else {
                        y.beginCpuAccess(inner);
                    }
                    y.endCpuAccess(inner);
                    result.complete(null);
                } finally {
                    x.endCpuAccess(outer);
                }
            } catch (Throwable e) {
                result.complete(e);
            }
        }, "cpu");
        t.setDaemon(true);
        t.start();
        Throwable thrown;
        try {
            thrown = result.get(2, TimeUnit.SECONDS);
        } catch (TimeoutException hung) {
            t.interrupt();
            t.join(5_000);
            fail("begin" + (all ? "CpuAccessAll(" : "CpuAccess(") + inner + ") on a buffer sharing"
                    + " the reservation of this thread's open " + outer + " access waited for"
                    + " this thread's own CPU fence (self-deadlock) instead of being refused");
            return;
        } catch (ExecutionException e) {
            throw e;
        }
        assertNotNull(thrown, "the conflicting begin was allowed without waiting");
        assertTrue(thrown instanceof IllegalStateException, "expected ISE, got " + thrown);
        t.join(5_000);
        assertTrue(x.reservation().testSignaled(Usage.BOOKKEEP), "nothing left installed");
        assertEquals(0, x.reservation().unsignaledFences(Usage.BOOKKEEP).size());
    }

    private static SharedBuffer[] sharing() {
        Reservation shared = new Reservation();
        return new SharedBuffer[] {
            new SharedBuffer(ByteBuffer.allocate(8), shared),
            new SharedBuffer(ByteBuffer.allocate(8), shared)};
    }

    @Test
    void writeOfASiblingInsideOwnReadIsRefusedNotSelfDeadlocked() throws Exception {
        SharedBuffer[] b = sharing();
        expectRefused(b[0], Direction.READ, b[1], Direction.WRITE, false);
    }

    @Test
    void readOfASiblingInsideOwnWriteIsRefusedNotSelfDeadlocked() throws Exception {
        SharedBuffer[] b = sharing();
        expectRefused(b[0], Direction.WRITE, b[1], Direction.READ, false);
    }

    @Test
    void beginAllOfASiblingInsideOwnWriteIsRefusedNotSelfDeadlocked() throws Exception {
        SharedBuffer[] b = sharing();
        expectRefused(b[0], Direction.READ_WRITE, b[1], Direction.WRITE, true);
    }

    @Test
    void readOfASiblingInsideOwnReadStillWorks() throws Exception {
        SharedBuffer[] b = sharing();
        b[0].beginCpuAccess(Direction.READ);
        b[1].beginCpuAccess(Direction.READ);   // READ fences are not in the WRITE usage: no wait
        b[1].endCpuAccess(Direction.READ);
        b[0].endCpuAccess(Direction.READ);
        SharedBuffer.beginCpuAccessAll(Direction.WRITE, b[0], b[1]); // together: allowed
        SharedBuffer.endCpuAccessAll(Direction.WRITE, b[0], b[1]);
        b[0].beginCpuAccess(Direction.WRITE);  // sequential after end: allowed
        b[0].endCpuAccess(Direction.WRITE);
        b[1].beginCpuAccess(Direction.WRITE);
        b[1].endCpuAccess(Direction.WRITE);
        assertTrue(b[0].reservation().testSignaled(Usage.BOOKKEEP));
    }
}
