package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** CompletableFuture interop: cancellation, time-outs, errors across a round trip. */
class FenceInteropTest {

    @Test
    void cancellingTheFutureUnregistersItsCallback() {
        Fence f = mockFence();
        for (int i = 0; i < 1000; i++) {
            CompletableFuture<Fence> cf = f.toCompletableFuture();
            assertTrue(cf.cancel(true));
        }
        assertFalse(f.hasCallbacks(), "1000 cancelled futures still queued on the pending fence");
    }

    @Test
    void timedOutFutureUnregistersItsCallback() throws Exception {
        Fence f = mockFence();
        CompletableFuture<Fence> cf = f.toCompletableFuture().orTimeout(1, TimeUnit.MILLISECONDS);
        TestSupport.awaitCondition("timed out", cf::isDone);
        // orTimeout returns the same future and completes it (exceptionally) from the JDK's
        // delayer thread: a completion from outside, like cancel(), so the fence's node must go.
        // The removal runs as a dependent action after the completion is visible: wait for it.
        assertTrue(cf.isCompletedExceptionally());
        TestSupport.awaitCondition("the timed-out future's node unlinked from the pending fence",
                () -> !f.hasCallbacks());
        assertFalse(f.isSignaled());
    }

    @Test
    void fromStageCancelledStage() {
        CompletableFuture<String> src = new CompletableFuture<>();
        Fence f = Fences.fromStage(src);
        src.cancel(true);
        assertTrue(f.isSignaled());
        assertInstanceOf(CancellationException.class, f.error());
        CompletableFuture<String> src2 = new CompletableFuture<>();
        Fence g = Fences.fromStage(src2.thenApply(s -> s));
        src2.cancel(true);
        assertInstanceOf(CancellationException.class, g.error(),
                "unwrapped from CompletionException");
    }

    @Test
    void roundTripKeepsTheError() {
        Fence f = mockFence();
        Fence g = Fences.fromStage(f.toCompletableFuture());
        IllegalStateException e = new IllegalStateException("x");
        f.signal(e);
        assertTrue(g.error() == e, String.valueOf(g.error()));
    }
}
