package dev.fence.core.internal;

import dev.fence.core.Fence;
import org.slf4j.Logger;

/**
 * Logging and naming that must never fail, shared by the three libraries (exported to
 * {@code dev.fence.syncfile} and {@code dev.fence.reservation} only; not API).
 *
 * <p>Every caller is on a path that must finish whatever the diagnostics do: a forced signal of a
 * released fence, a delivery to the other waiters dequeued with the one being warned about, an
 * unlock, a reference the caller still has to give back. A logger can throw (an appender
 * configured not to swallow its own failures), and a driver's name hook can throw (a torn-down
 * driver whose classes no longer load throws a {@link LinkageError}); so can the
 * {@code toString()} of the exception being reported. Each of those is contained here.
 */
public final class Diagnostics {

    private Diagnostics() {
    }

    /**
     * Logs at WARN and swallows anything the logger throws.
     *
     * @param log the logger
     * @param format the SLF4J format
     * @param args the arguments, a trailing {@link Throwable} logged with its stack trace
     */
    public static void warn(Logger log, String format, Object... args) {
        try {
            log.warn(format, args);
        } catch (RuntimeException | Error logFailure) {
            // Nothing else to report to; the caller goes on with what the warning describes.
        }
    }

    /**
     * Logs at DEBUG and swallows anything the logger throws.
     *
     * @param log the logger
     * @param format the SLF4J format
     * @param args the arguments, a trailing {@link Throwable} logged with its stack trace
     */
    public static void debug(Logger log, String format, Object... args) {
        try {
            log.debug(format, args);
        } catch (RuntimeException | Error logFailure) {
            // as in warn()
        }
    }

    /**
     * Whether DEBUG is enabled, {@code false} if the logger throws: lets a caller skip building
     * arguments (a fence's description) that a repeated, usually disabled message would drop.
     *
     * @param log the logger
     * @return whether {@code log} logs at DEBUG
     */
    public static boolean debugEnabled(Logger log) {
        try {
            return log.isDebugEnabled();
        } catch (RuntimeException | Error logFailure) {
            return false;
        }
    }

    /**
     * A fence's {@link Fence#timelineName()} or {@link Fence#driverName()}, or a placeholder
     * naming the hook if it returns null or throws (an {@link Error} included).
     *
     * @param f the fence
     * @param timeline {@code true} for the timeline name, {@code false} for the driver name
     * @return the name, or for example
     *     {@code "<driverName threw java.lang.NoClassDefFoundError: X>"}
     */
    public static String hookName(Fence f, boolean timeline) {
        String hook = timeline ? "timelineName" : "driverName";
        try {
            String n = timeline ? f.timelineName() : f.driverName();
            return n != null ? n : "<" + hook + " returned null>";
        } catch (RuntimeException | Error e) {
            return "<" + hook + " threw " + safeString(e) + ">";
        }
    }

    /**
     * {@link Fence#describe()}, or the fence's class and the failure if a driver's override of
     * it throws (the library's own never does): the warnings of the paths that must go on (a
     * forced signal, a failing hook's error signal, a callback failure) describe the fence first.
     *
     * @param f the fence
     * @return its description, or for example
     *     {@code "com.example.GpuFence (describe() threw java.lang.IllegalStateException: gone)"}
     */
    public static String describe(Fence f) {
        try {
            return f.describe();
        } catch (RuntimeException | Error e) {
            return f.getClass().getName() + " (describe() threw " + safeString(e) + ")";
        }
    }

    /**
     * {@code t.toString()}, or its class name if that throws (a message built from torn-down
     * state): describing a failure must not fail because of the exception it describes.
     *
     * @param t the throwable
     * @return its description
     */
    public static String safeString(Throwable t) {
        try {
            return t.toString();
        } catch (RuntimeException | Error e) {
            return t.getClass().getName();
        }
    }
}
