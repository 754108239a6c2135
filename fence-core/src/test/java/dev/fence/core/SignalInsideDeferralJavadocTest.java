package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The javadoc of Fence.signal() and of FenceCallback said callbacks run before signal()
 * returns (except when signalled from a callback); inside a CallbackDeferral they do not. This
 * pins down what the corrected javadoc now says: signalled at once, callbacks at the outermost
 * close, the node queued (and not removable) until then.
 */
@SuppressWarnings("try") // the deferral is only opened and closed
class SignalInsideDeferralJavadocTest {

    @Test
    void signalInsideADeferralReturnsBeforeItsCallbacksRun() {
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        AtomicInteger ran = new AtomicInteger();
        FenceCallback cb = new FenceCallback() {
            @Override protected void onSignaled(Fence fence) { ran.incrementAndGet(); }
        };
        assertTrue(f.addCallback(cb));
        try (CallbackDeferral outer = CallbackDeferral.begin()) {
            try (CallbackDeferral inner = CallbackDeferral.begin()) {
                assertTrue(f.signal());
                assertTrue(f.isSignaled(), "signalled at once");
            }
            assertEquals(0, ran.get(), "not run when signal() returned, nor at the inner close");
            assertTrue(cb.isQueued(), "still queued until it runs");
            assertFalse(f.removeCallback(cb), "about to run: cannot be removed");
            Fence other = Fence.create(Fence.allocateContexts(1), 1);
            assertThrows(IllegalStateException.class, () -> other.addCallback(cb));
        }
        assertEquals(1, ran.get(), "ran when the outermost deferral closed");
        assertFalse(cb.isQueued());
    }
}
