package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A zero-timeout check never blocks, so the debug checks must not reject it (awaitAny's never
 * did). Before the twentieth session await(0), awaitNanos(0) and awaitAll(0) on a pending fence
 * threw inside a SignallingSection or a callback; both tests failed.
 */
@Tag("debug")
@SuppressWarnings("try")
class FenceDebugZeroTimeoutTest {

    @BeforeAll
    static void debugModeIsOn() {
        assertTrue(FenceThread.DEBUG, "this group must run with -Ddev.fence.debug=true");
    }

    @Test
    void zeroTimeoutChecksOfAPendingFenceInsideASectionDoNotThrow() throws Exception {
        Fence f = mockFence();
        try (SignallingSection s = SignallingSection.begin()) {
            assertEquals(-1, Fences.awaitAny(0, TimeUnit.SECONDS, f));
            assertFalse(f.await(0, TimeUnit.SECONDS), "0 checks without waiting");
            assertTrue(f.awaitNanos(0) <= 0);
            assertFalse(Fences.awaitAll(0, TimeUnit.SECONDS, f));
        }
    }

    @Test
    void zeroTimeoutChecksInsideACallbackDoNotThrow() {
        Fence trigger = mockFence();
        Fence other = mockFence();
        AtomicReference<Object> seen = new AtomicReference<>();
        trigger.onSignal(x -> {
            try {
                seen.set(other.await(0, TimeUnit.MILLISECONDS));
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        trigger.signal();
        assertEquals(Boolean.FALSE, seen.get());
    }
}
