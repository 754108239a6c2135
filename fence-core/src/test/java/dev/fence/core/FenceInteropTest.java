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
        // orTimeout completes the returned future itself; the source stays registered by design
        // of CompletableFuture, so only the cancel case above is a library defect.
        assertTrue(cf.isCompletedExceptionally());
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
        assertInstanceOf(CancellationException.class, g.error(), "unwrapped from CompletionException");
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
