package dev.fence.reservation;

import static dev.fence.reservation.WwMutexKernelTest.assertNoErrors;
import static dev.fence.reservation.WwMutexKernelTest.join;
import static dev.fence.reservation.WwMutexKernelTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /** An appender that is down: every write throws. */
    private static PrintStream brokenStream() {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                throw new IllegalStateException("appender down");
            }

            @Override
            public void write(byte[] b, int off, int len) {
                throw new IllegalStateException("appender down");
            }
        }, true, StandardCharsets.UTF_8);
    }

    @Test
    void swallowedBackoffIsRetriedWhenTheLoggerThrows() throws Exception {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        WwAcquireContext older = new WwAcquireContext(Reservation.DEFAULT_CLASS);
        assertTrue(b.lock(older));
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong passes = new AtomicLong();
        AtomicBoolean swallowed = new AtomicBoolean();
        PrintStream saved = System.err;
        System.setErr(brokenStream());
        try {
            Thread t = start("swallower", errors, () -> {
                try (ExecContext exec = ExecContext.create()) {
                    exec.lockAll(e -> {
                        e.lock(a);
                        try {
                            e.lock(b);
                        } catch (WwDeadlockException ignored) {
                            swallowed.set(true); // wrong, and warned about
                        }
                    });
                    assertTrue(a.isHeldByCurrentThread() && b.isHeldByCurrentThread());
                    passes.set(exec.passes());
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // The warning comes before the retry's lockSlow(b) queues on b.
            while (!(swallowed.get() && b.mutex().queueLength() == 1 || !t.isAlive())
                    && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            b.unlock();
            older.close();
            join(t);
        } finally {
            System.setErr(saved);
        }
        assertNoErrors(errors);
        assertEquals(2, passes.get());
        assertFalse(a.isLocked() || b.isLocked());
    }
}
