package dev.fence.syncfile;

import org.slf4j.Logger;

/**
 * Warnings logged on paths that must finish whatever the logger does. A logger can throw (an
 * appender configured not to swallow its own failures); a warning about one waiter must not
 * lose the other waiters dequeued with it, nor a reference the caller still has to give back.
 */
final class GuardedLog {

    private GuardedLog() {
    }

    /**
     * Logs at WARN and swallows anything the logger throws.
     *
     * @param log the logger
     * @param format the SLF4J format
     * @param args the arguments, a trailing {@link Throwable} logged with its stack trace
     */
    static void warn(Logger log, String format, Object... args) {
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
     * @param message the message
     * @param failure the failure logged with its stack trace
     */
    static void debug(Logger log, String message, Throwable failure) {
        try {
            log.debug(message, failure);
        } catch (RuntimeException | Error logFailure) {
            // as in warn()
        }
    }
}
