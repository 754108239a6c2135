package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Debug checks ({@code -Ddev.fence.debug=true}; the core pom runs the {@code debug} group in its
 * own JVM with that property): waiting on a pending fence inside a {@link SignallingSection} or
 * inside a fence callback is reported with a clear {@link IllegalStateException}.
 */
@Tag("debug")
@SuppressWarnings("try") // sections are opened for their effect, not referenced
class FenceDebugChecksTest {

    @BeforeAll
    static void debugModeIsOn() {
        assertTrue(FenceThread.DEBUG, "this group must run with -Ddev.fence.debug=true");
    }

    @Test
    void awaitPendingInsideSectionThrows() {
        Fence f = mockFence();
        try (SignallingSection s = SignallingSection.begin()) {
            assertTrue(SignallingSection.active());
            IllegalStateException e = assertThrows(IllegalStateException.class, f::await);
            assertTrue(e.getMessage().contains("SignallingSection"), e.getMessage());
            assertTrue(e.getMessage().contains(f.describe()), e.getMessage());
            assertThrows(IllegalStateException.class, () -> f.await(1, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class,
                    () -> f.awaitNanos(TimeUnit.SECONDS.toNanos(1)));
            assertThrows(IllegalStateException.class, f::awaitUninterruptibly);
            assertThrows(IllegalStateException.class,
                    () -> Fences.awaitAny(1, TimeUnit.SECONDS, f, mockFence()));
            assertThrows(IllegalStateException.class,
                    () -> Fences.awaitAll(1, TimeUnit.SECONDS, f));
        }
        assertFalse(SignallingSection.active());
        assertFalse(f.hasCallbacks(), "a rejected wait leaves nothing queued");
    }

    @Test
    void awaitSignalledInsideSectionIsFine() throws InterruptedException {
        Fence f = mockFence();
        f.signal();
        try (SignallingSection s = SignallingSection.begin()) {
            f.await();
            assertTrue(f.await(1, TimeUnit.SECONDS));
            assertTrue(f.awaitNanos(0) > 0);
            f.awaitUninterruptibly();
            assertEquals(0, Fences.awaitAny(1, TimeUnit.SECONDS, f));
            assertTrue(Fences.awaitAll(1, TimeUnit.SECONDS, f));
        }
    }

    @Test
    void sectionsNest() {
        Fence f = mockFence();
        try (SignallingSection outer = SignallingSection.begin()) {
            try (SignallingSection inner = SignallingSection.begin()) {
                assertTrue(SignallingSection.active());
            }
            assertTrue(SignallingSection.active(), "still inside the outer section");
            assertThrows(IllegalStateException.class, f::await);
        }
        assertFalse(SignallingSection.active());
        assertFalse(f.isSignaled());
    }

    @Test
    void closingTwiceIsHarmlessAndOtherThreadsAreRejected() throws Exception {
        SignallingSection s = SignallingSection.begin();
        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                s.close();
            } catch (Throwable e) {
                fromOther.set(e);
            }
        });
        t.start();
        TestSupport.join(t);
        assertTrue(fromOther.get() instanceof IllegalStateException,
                String.valueOf(fromOther.get()));
        assertTrue(SignallingSection.active());
        s.close();
        s.close();
        assertFalse(SignallingSection.active(), "the second close did not unbalance the depth");
    }

    @Test
    void sectionsArePerThread() throws Exception {
        Fence f = mockFence();
        try (SignallingSection s = SignallingSection.begin()) {
            // The other thread's checks fail through its future, not in a thread nobody joins.
            FutureTask<Void> other = new FutureTask<>(() -> {
                assertFalse(SignallingSection.active(), "another thread's section leaked here");
                f.await(); // allowed: this thread is not signalling
                return null;
            });
            Thread t = new Thread(other, "not-signalling");
            t.setDaemon(true);
            t.start();
            TestSupport.awaitCondition("other thread waiting (or failed)",
                    () -> f.hasCallbacks() || other.isDone());
            f.signal(); // signalling inside a section is what sections are for
            try {
                other.get(TestSupport.PATIENCE_NANOS, TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("the thread outside the section failed: " + e.getCause(),
                        e.getCause());
            }
        }
    }

    @Test
    void awaitPendingInsideCallbackThrows() {
        Fence trigger = mockFence();
        Fence other = mockFence();
        Fence done = mockFence();
        done.signal();
        AtomicReference<Throwable> pending = new AtomicReference<>();
        AtomicReference<Throwable> signalled = new AtomicReference<>();
        trigger.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                try {
                    other.await();
                } catch (Throwable e) {
                    pending.set(e);
                }
                try {
                    done.await();
                    fence.await(); // the signalling fence itself is signalled by now
                } catch (Throwable e) {
                    signalled.set(e);
                }
            }
        });
        trigger.signal();
        assertTrue(pending.get() instanceof IllegalStateException, String.valueOf(pending.get()));
        assertTrue(pending.get().getMessage().contains("callback"), pending.get().getMessage());
        assertNull(signalled.get(), "waiting on signalled fences inside a callback is fine");
        assertFalse(other.hasCallbacks());
    }

    @Test
    void checksEndWithTheCallback() throws InterruptedException {
        Fence trigger = mockFence();
        trigger.onSignal(f -> { });
        trigger.signal();
        Fence f = mockFence();
        assertFalse(f.await(1, TimeUnit.MILLISECONDS), "outside callbacks and sections waits work");
    }
}
