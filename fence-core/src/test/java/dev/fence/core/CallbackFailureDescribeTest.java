package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A throwing callback is logged and counted and the remaining callbacks still run
 * (FenceCallback's contract), also for a driver fence whose {@code describe()} override throws:
 * the warning's description used to be built inside callbackFailed's guard, and when that guard
 * moved into Diagnostics.warn the description was left outside it, so the driver's exception
 * escaped from signal() and the later callbacks never ran.
 */
@Timeout(10)
class CallbackFailureDescribeTest {

    /** A driver fence whose own description fails (a torn-down driver's state, say). */
    static final class BadDescribe extends Fence {
        BadDescribe() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        public String describe() {
            throw new IllegalStateException("expected test failure: describe() throws");
        }
    }

    @Test
    void aThrowingDescribeDoesNotStopTheOtherCallbacks() {
        Fence f = new BadDescribe();
        List<String> log = new ArrayList<>();
        f.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                log.add("thrower");
                throw new IllegalStateException("expected test failure: callback throws");
            }
        });
        f.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                log.add("after");
            }
        });
        long before = Fences.callbackFailures();
        assertDoesNotThrow(() -> assertTrue(f.signal()));
        assertEquals(List.of("thrower", "after"), log, "the later callback was lost");
        assertEquals(1, Fences.callbackFailures() - before);
        assertTrue(f.isSignaled());
    }
}
