package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
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
}
