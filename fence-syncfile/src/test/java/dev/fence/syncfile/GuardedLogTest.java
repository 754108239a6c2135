package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * {@link GuardedLog}: whatever the logger throws stays inside the call, so the close, release or
 * delivery the caller logs about still happens.
 */
class GuardedLogTest {

    /** A logger every method of which throws (and counts the attempt), as a broken appender. */
    private static Logger throwingLogger(AtomicInteger calls, Throwable toThrow) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(),
                new Class<?>[] {Logger.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("is")) {
                        return true; // every level enabled
                    }
                    calls.incrementAndGet();
                    throw toThrow;
                });
    }

    @Test
    void warnAndDebugSwallowWhatTheLoggerThrows() {
        AtomicInteger calls = new AtomicInteger();
        Logger broken = throwingLogger(calls, new IllegalStateException("appender down"));
        assertDoesNotThrow(() -> GuardedLog.warn(broken, "x {}", 1));
        assertDoesNotThrow(() -> GuardedLog.debug(broken, "y", new IOException("close failed")));
        assertEquals(2, calls.get(), "both calls reached the logger");

        Logger overflowing = throwingLogger(calls, new StackOverflowError());
        assertDoesNotThrow(() -> GuardedLog.warn(overflowing, "z"));
        assertEquals(3, calls.get());
    }
}
