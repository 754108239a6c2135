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
 * escaped from signal() and the later callbacks never ran. The same holds for every warning on a
 * path that must go on (a forced signal at the last release, a failing hook's error signal):
 * they describe the fence through Diagnostics.describe, which contains such an override.
 */
@Timeout(10)
class CallbackFailureDescribeTest {

    /**
     * A driver fence whose own description fails (a torn-down driver's state, say); its enable
     * hook throws {@code enableFailure} if one is given, and it counts its deallocations.
     */
    static final class BadDescribe extends Fence {
        final RuntimeException enableFailure;
        int deallocated;

        BadDescribe() {
            this(null);
        }

        BadDescribe(RuntimeException enableFailure) {
            super(Fence.allocateContexts(1), 1);
            this.enableFailure = enableFailure;
        }

        @Override
        public String describe() {
            throw new IllegalStateException("expected test failure: describe() throws");
        }

        @Override
        protected boolean enableSignalingHook() {
            if (enableFailure != null) {
                throw enableFailure;
            }
            return true;
        }

        @Override
        protected void deallocate() {
            deallocated++;
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
        f.addCallback(new FenceCallbackTest.Recorder(log, "after"));
        long before = Fences.callbackFailures();
        assertDoesNotThrow(() -> assertTrue(f.signal()));
        assertEquals(List.of("thrower", "after"), log, "the later callback was lost");
        assertEquals(1, Fences.callbackFailures() - before);
        assertTrue(f.isSignaled());
    }

    /**
     * The forced signal of a fence released with callbacks queued describes the fence first (for
     * its warning and its FenceReleasedException): a describe() override that throws skipped the
     * signal and the deallocation, leaving the callback never run.
     */
    @Test
    void aThrowingDescribeDoesNotStopTheForcedSignalOfTheLastRelease() {
        BadDescribe f = new BadDescribe();
        List<Throwable> seen = new ArrayList<>();
        f.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                seen.add(fence.error());
            }
        });
        assertDoesNotThrow(() -> assertTrue(f.release()));
        assertEquals(1, seen.size(), "the queued callback ran");
        assertTrue(seen.get(0) instanceof FenceReleasedException, String.valueOf(seen.get(0)));
        assertEquals(1, f.deallocated);
    }

    /** A failing enable hook's error signal describes the fence first too. */
    @Test
    void aThrowingDescribeDoesNotStopTheErrorSignalOfAFailingEnableHook() {
        Fence f = new BadDescribe(
                new IllegalStateException("expected test failure: the hook throws"));
        assertDoesNotThrow(f::enableSignaling);
        assertTrue(f.isSignaled(), "signalled with the hook's error");
        assertTrue(f.error() instanceof IllegalStateException, String.valueOf(f.error()));
    }
}
