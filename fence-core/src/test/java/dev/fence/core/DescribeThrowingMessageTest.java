package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.CallbackFailureDescribeTest.BadDescribe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The documented exceptions of misuse stay the documented ones when a driver's public
 * {@code describe()} override throws: their messages describe the fence through
 * Diagnostics.describe, as the warnings do. Before, the override's own exception replaced the
 * library's: isLater threw the override's IllegalStateException instead of the documented
 * IllegalArgumentException, and the other calls a message that no longer said what was misused.
 */
@Timeout(10)
class DescribeThrowingMessageTest {

    private static void assertMessageStarts(Class<? extends Throwable> type, String start,
            Executable call) {
        Throwable t = assertThrows(type, call);
        assertTrue(t.getMessage().startsWith(start), () -> "message: " + t.getMessage());
        assertTrue(t.getMessage().contains("describe() threw"), () -> "message: " + t.getMessage());
    }

    @Test
    void overReleaseAndRetainAfterReleaseKeepTheirMessages() {
        BadDescribe f = new BadDescribe();
        f.signal();
        assertTrue(f.release());
        assertEquals(1, f.deallocated);
        assertMessageStarts(IllegalStateException.class, "release() below zero", f::release);
        assertMessageStarts(IllegalStateException.class, "retain() after the last release",
                f::retain);
    }

    @Test
    void timestampOfAPendingFenceKeepsItsMessage() {
        BadDescribe f = new BadDescribe();
        assertMessageStarts(IllegalStateException.class, "timestamp of a pending fence",
                f::timestamp);
        f.signal();
        f.release();
    }

    @Test
    void setErrorAfterSignalKeepsItsMessage() {
        BadDescribe f = new BadDescribe();
        f.signal();
        assertMessageStarts(IllegalStateException.class, "setError after signal",
                () -> f.setError(new RuntimeException("late")));
        f.release();
    }

    @Test
    void isLaterAcrossContextsStaysAnIllegalArgumentException() {
        BadDescribe a = new BadDescribe();
        BadDescribe b = new BadDescribe();
        assertMessageStarts(IllegalArgumentException.class, "fences of different contexts",
                () -> Fence.isLater(a, b));
        a.signal();
        b.signal();
        a.release();
        b.release();
    }
}
