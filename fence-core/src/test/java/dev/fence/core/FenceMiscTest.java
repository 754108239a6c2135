package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.TestSupport.CountingCallback;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ordering helpers, describe(), the stub, and CompletableFuture interop. */
class FenceMiscTest {

    @Test
    void isLaterAndLater() {
        long ctx = Fence.allocateContexts(1);
        Fence a = Fence.create(ctx, 1);
        Fence b = Fence.create(ctx, 2);
        Fence b2 = Fence.create(ctx, 2);
        assertTrue(Fence.isLater(b, a));
        assertFalse(Fence.isLater(a, b));
        assertFalse(Fence.isLater(b, b2), "equal seqnos are not later");
        assertSame(b, Fence.later(a, b));
        assertSame(b, Fence.later(b, a));
        assertSame(b2, Fence.later(b, b2), "equal seqnos: the second");
        b.signal();
        assertNull(Fence.later(a, b), "the later fence has signalled: both are done");
        assertSame(b2, Fence.later(a, b2));
    }

    @Test
    void isLaterIs64BitUnsigned() {
        long ctx = Fence.allocateContexts(1);
        Fence small = Fence.create(ctx, 1);
        Fence huge = Fence.create(ctx, -1L); // 2^64 - 1
        Fence beyond32 = Fence.create(ctx, (1L << 32) + 1);
        assertTrue(Fence.isLater(huge, small));
        assertTrue(Fence.isLater(beyond32, small), "no 32-bit wrap-around compare");
        assertTrue(Fence.isLater(huge, beyond32));
    }

    @Test
    void laterPollsTheDriver() {
        long ctx = Fence.allocateContexts(1);
        Fence a = Fence.create(ctx, 1);
        Fence b = new Fence(ctx, 2) {
            @Override
            protected boolean pollSignaled() {
                return true;
            }
        };
        assertNull(Fence.later(a, b));
        assertTrue(b.signaledBit(), "later() signalled it on the driver's behalf");
    }

    @Test
    void describeShowsIdentityNamesAndState() {
        Fence f = Fence.create(Fence.allocateContexts(1), 42);
        String pending = f.describe();
        assertTrue(pending.startsWith(f.context() + ":42 "), pending);
        assertTrue(pending.contains("unbound") && pending.contains("fence"), pending);
        assertTrue(pending.endsWith("pending"), pending);
        f.signal();
        assertTrue(f.describe().endsWith(" signalled"), f.describe());

        Fence g = new Fence(Fence.allocateContexts(1), -1L) {
            @Override
            public String driverName() {
                return "gpu";
            }

            @Override
            public String timelineName() {
                return "gpu-ring";
            }
        };
        g.signal(new IOException("reset"));
        String d = g.describe();
        assertTrue(d.startsWith(g.context() + ":18446744073709551615 gpu-ring gpu "), d);
        assertTrue(d.contains("signalled with error") && d.contains("reset"), d);
        assertTrue(g.toString().contains(d), g.toString());
    }

    @Test
    void theStub() {
        Fence stub = Fence.signaledStub();
        assertTrue(stub.isSignaled());
        assertEquals(FenceStatus.SIGNALED, stub.status());
        assertEquals(0, stub.context());
        assertEquals(0, stub.seqno());
        assertFalse(stub.signal(), "already signalled");
        assertFalse(stub.signal(new RuntimeException("no")));
        assertNull(stub.error(), "the stub never takes an error");
        assertThrows(IllegalStateException.class, () -> stub.setError(new RuntimeException()));
        assertEquals(1, stub.refCnt());
        assertSame(stub, stub.retain());
        assertFalse(stub.release());
        assertFalse(stub.release());
        assertFalse(stub.release());
        assertEquals(1, stub.refCnt(), "immortal");
        assertTrue(stub.isSignaled());
        CountingCallback cb = new CountingCallback();
        assertFalse(stub.addCallback(cb));
        assertEquals(0, cb.runs());
        assertEquals("stub", stub.driverName());
        assertEquals("stub", stub.timelineName());
        assertTrue(stub.timestamp() - System.nanoTime() <= 0);
        assertTrue(stub.describe().contains("signalled"));
        assertSame(stub, Fence.signaledStub());
    }

    @Test
    void toCompletableFutureSuccess() throws Exception {
        Fence f = mockFence();
        CompletableFuture<Fence> cf = f.toCompletableFuture();
        assertFalse(cf.isDone());
        f.signal();
        assertTrue(cf.isDone());
        assertSame(f, cf.get());
        CompletableFuture<Fence> late = f.toCompletableFuture();
        assertNotSame(cf, late);
        assertSame(f, late.getNow(null), "already signalled: completed at once");
    }

    @Test
    void toCompletableFutureError() {
        Fence f = mockFence();
        CompletableFuture<Fence> cf = f.toCompletableFuture();
        IOException err = new IOException("dma fault");
        f.signal(err);
        assertTrue(cf.isCompletedExceptionally());
        ExecutionException ee = assertThrows(ExecutionException.class, cf::get);
        assertSame(err, ee.getCause());
    }

    @Test
    void fromStageSuccessAndError() throws Exception {
        CompletableFuture<String> ok = new CompletableFuture<>();
        Fence f = Fences.fromStage(ok);
        assertFalse(f.isSignaled());
        assertTrue(f.context() > 0);
        ok.complete("done");
        assertTrue(f.isSignaled());
        assertNull(f.error());

        CompletableFuture<String> bad = new CompletableFuture<>();
        Fence g = Fences.fromStage(bad);
        IOException err = new IOException("io");
        bad.completeExceptionally(err);
        assertSame(err, g.error());
        assertEquals(FenceStatus.ERROR, g.status());

        CompletableFuture<String> src = new CompletableFuture<>();
        IllegalStateException cause = new IllegalStateException("inner");
        Fence h = Fences.fromStage(src.thenApply(s -> {
            throw cause;
        }));
        src.complete("x");
        assertSame(cause, h.error(), "CompletionException is unwrapped");

        Fence already = Fences.fromStage(CompletableFuture.completedFuture(1));
        assertTrue(already.await(0, TimeUnit.SECONDS));
    }

    @Test
    void contextsAreAllocatedFreshAndNonZero() {
        long a = Fence.allocateContexts(1);
        long b = Fence.allocateContexts(1);
        assertTrue(a > 0 && b > a);
        Fence f = Fence.create(a, 3);
        assertEquals(a, f.context());
        assertEquals(3, f.seqno());
    }
}
