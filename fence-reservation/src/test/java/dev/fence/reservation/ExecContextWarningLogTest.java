package dev.fence.reservation;

import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warning {@link ExecContext#lockAll} logs when its block swallows a back-off: a logger that
 * throws must not turn the documented retry into a failure. Before, the logger's exception
 * escaped from {@code lockAll()} (the test's thread saw "appender down" and the transaction was
 * never locked). The test redirects {@code System.err}, which the test binding (slf4j-simple)
 * writes to.
 */
@Timeout(30)
class ExecContextWarningLogTest {

    /** An appender that is down: every write throws (and is counted in {@code writes}). */
    private static PrintStream brokenStream(AtomicInteger writes) {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                writes.incrementAndGet();
                throw new IllegalStateException("appender down");
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.incrementAndGet();
                throw new IllegalStateException("appender down");
            }
        }, true, StandardCharsets.UTF_8);
    }

    @Test
    void swallowedBackoffIsRetriedWhenTheLoggerThrows() throws Exception {
        PrintStream saved = System.err;
        AtomicInteger writes = new AtomicInteger();
        System.setErr(brokenStream(writes));
        try {
            assertEquals(2, ExecContextTest.runSwallowedBackoff());
        } finally {
            System.setErr(saved);
        }
        // otherwise the logger never threw (no warning, or written elsewhere): nothing was tested
        assertTrue(writes.get() > 0, "the swallowed back-off's warning never reached the"
                + " broken appender");
    }

    /**
     * A block that swallows every back-off, around each of its four locks: the second lock dies
     * (wait-die, against an older holder), the third and fourth each rethrow the pending back-off
     * and are swallowed too, and the block returns normally. That is one swallowed back-off, and
     * one warning; the second pass locks all four. Before, it logged three (one per later lock,
     * one when the block returned), N + 1 for a block that goes on through N locks.
     */
    @Test
    void swallowedBackoffWarnsOncePerBackoff() throws Exception {
        Reservation[] rs = {new Reservation(), new Reservation(), new Reservation(),
            new Reservation()};
        Reservation held = rs[1];
        WwAcquireContext older = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        assertTrue(held.lock(older));
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean swallowed = new AtomicBoolean();
        AtomicLong passes = new AtomicLong();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Thread t = start("swallow-all", errors, () -> {
                try (ExecContext exec = ExecContext.create()) {
                    exec.lockAll(e -> {
                        for (Reservation r : rs) {
                            try {
                                e.lock(r);
                            } catch (WwDeadlockException ignored) {
                                swallowed.set(true); // wrong: the context notices
                            }
                        }
                    });
                    for (Reservation r : rs) {
                        assertTrue(r.isHeldByCurrentThread());
                    }
                    passes.set(exec.passes());
                }
            });
            // Once the block has swallowed and the context queued in lockSlow(held), free it.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!(swallowed.get() && held.mutex().queueLength() == 1 || !t.isAlive())
                    && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            held.unlock();
            older.close();
            join(t);
        } finally {
            System.setErr(saved);
        }
        assertNoErrors(errors);
        assertEquals(2, passes.get());
        for (Reservation r : rs) {
            assertFalse(r.isLocked());
        }
        String log = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.split("swallowed a WwDeadlockException", -1).length - 1, log);
    }
}
