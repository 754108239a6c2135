package dev.fence.core.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fence.core.Fence;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * {@link Diagnostics}: whatever the logger, a driver's name hook or an exception's
 * {@code toString()} throws stays inside the call, so the signal, delivery, close or release the
 * caller logs about still happens.
 */
class DiagnosticsTest {

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
        assertDoesNotThrow(() -> Diagnostics.warn(broken, "x {}", 1));
        assertDoesNotThrow(() -> Diagnostics.debug(broken, "y", new IOException("close failed")));
        assertEquals(2, calls.get(), "both calls reached the logger");

        Logger overflowing = throwingLogger(calls, new StackOverflowError());
        assertDoesNotThrow(() -> Diagnostics.warn(overflowing, "z"));
        assertEquals(3, calls.get());
    }

    @Test
    void debugEnabledAsksTheLoggerAndIsFalseIfItThrows() {
        AtomicInteger calls = new AtomicInteger();
        assertEquals(true, Diagnostics.debugEnabled(throwingLogger(calls, new Error("x"))));
        Logger broken = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(),
                new Class<?>[] {Logger.class}, (proxy, method, args) -> {
                    throw new IllegalStateException("appender down");
                });
        assertEquals(false, Diagnostics.debugEnabled(broken));
    }

    /** A driver fence whose name hooks return or throw what it is given. */
    private static final class NamedFence extends Fence {
        private final String name;
        private final Throwable failure;

        NamedFence(String name, Throwable failure) {
            super(Fence.allocateContexts(1), 1);
            this.name = name;
            this.failure = failure;
        }

        private String answer() {
            if (failure instanceof Error) {
                throw (Error) failure;
            }
            if (failure != null) {
                throw (RuntimeException) failure;
            }
            return name;
        }

        @Override
        public String timelineName() {
            return answer();
        }

        @Override
        public String driverName() {
            return answer();
        }
    }

    /** An exception whose message cannot be built. */
    private static final class UnprintableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("message source gone");
        }
    }

    @Test
    void hookNameShowsTheNameOrAPlaceholderNamingTheHook() {
        assertEquals("ring0", Diagnostics.hookName(new NamedFence("ring0", null), true));
        assertEquals("ring0", Diagnostics.hookName(new NamedFence("ring0", null), false));
        assertEquals("<timelineName returned null>",
                Diagnostics.hookName(new NamedFence(null, null), true));
        assertEquals("<driverName returned null>",
                Diagnostics.hookName(new NamedFence(null, null), false));
        assertEquals("<driverName threw java.lang.IllegalStateException: gone>",
                Diagnostics.hookName(new NamedFence("x", new IllegalStateException("gone")),
                        false));
        assertEquals("<timelineName threw java.lang.NoClassDefFoundError: Drv>",
                Diagnostics.hookName(new NamedFence("x", new NoClassDefFoundError("Drv")), true));
        assertEquals("<driverName threw " + UnprintableException.class.getName() + ">",
                Diagnostics.hookName(new NamedFence("x", new UnprintableException()), false));
    }

    @Test
    void safeStringFallsBackToTheClassName() {
        assertEquals("java.io.IOException: disk", Diagnostics.safeString(new IOException("disk")));
        assertEquals(UnprintableException.class.getName(),
                Diagnostics.safeString(new UnprintableException()));
    }

    /** describe() goes through hookName too: a driver returning a null name used to read "null". */
    @Test
    void describeShowsThePlaceholderForANullName() {
        Fence f = new NamedFence(null, null);
        assertEquals(Long.toUnsignedString(f.context())
                + ":1 <timelineName returned null> <driverName returned null> pending",
                f.describe());
    }
}
