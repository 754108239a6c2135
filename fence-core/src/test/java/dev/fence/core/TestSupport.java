package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the fence-core tests. */
final class TestSupport {

    /** Generous bound for "this must happen eventually" checks; only a hang guard. */
    static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(20);

    private TestSupport() {
    }

    /** A fresh fence on its own context, like the selftests' mock fences. */
    static Fence mockFence() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** Spins (yielding) until {@code condition} holds; fails after {@link #PATIENCE_NANOS}. */
    static void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for: " + what);
            }
            Thread.yield();
        }
    }

    /**
     * Waits until {@code t} is parked in a wait on {@code fence} (the fence is its park blocker,
     * which a waiter sets only once its node is linked); fails after {@link #PATIENCE_NANOS}.
     * Signal after this, not before: a wait whose timeout runs out still reports a fence
     * signalled meanwhile, so only a signal that reaches a parked waiter tests its wake-up.
     */
    static void awaitParkedOn(Thread t, Fence fence) {
        awaitCondition(t.getName() + " parked on " + fence,
                () -> LockSupport.getBlocker(t) == fence);
    }

    /** Joins {@code t}, failing if it does not end within {@link #PATIENCE_NANOS}. */
    static void join(Thread t) throws InterruptedException {
        t.join(TimeUnit.NANOSECONDS.toMillis(PATIENCE_NANOS));
        assertTrue(!t.isAlive(), () -> "thread did not finish: " + t);
    }

    /**
     * Runs {@code body} in a new thread with the given stack size and rethrows whatever it
     * threw (as an AssertionError carrying the cause).
     */
    static void runWithStack(long stackBytes, ThrowingRunnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", stackBytes);
        t.start();
        t.join(TimeUnit.MINUTES.toMillis(2));
        if (t.isAlive()) {
            fail("small-stack thread did not finish");
        }
        Throwable e = failure.get();
        if (e != null) {
            throw new AssertionError("small-stack body failed: " + e, e);
        }
    }

    /** A runnable that may throw anything. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A callback that counts its runs and remembers the fence it ran for. */
    static class CountingCallback extends FenceCallback {
        final AtomicInteger runs = new AtomicInteger();
        volatile Fence seen;

        @Override
        protected void onSignaled(Fence fence) {
            seen = fence;
            runs.incrementAndGet();
        }

        int runs() {
            return runs.get();
        }
    }
}
