package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warnings {@link Fence} logs about misuse and failing hooks: a logger that throws must not
 * stop the action the warning is about, and a hook that always throws must not flood the log.
 * The tests redirect {@code System.err}, which the test binding (slf4j-simple) writes to.
 */
class FenceWarningLogTest {

    /** An appender that is down: every write throws. */
    private static PrintStream brokenStream() {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                throw new IllegalStateException("appender down");
            }

            @Override
            public void write(byte[] b, int off, int len) {
                throw new IllegalStateException("appender down");
            }
        }, true, StandardCharsets.UTF_8);
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void withErr(PrintStream err, Body body) throws Exception {
        PrintStream saved = System.err;
        System.setErr(err);
        try {
            body.run();
        } finally {
            System.setErr(saved);
        }
    }

    /**
     * The last release of a fence with a pending callback warns, then signals it with
     * {@link FenceReleasedException}. Before the warning was guarded, the logger's exception
     * left {@code release()} after the fence was marked dead and before the signal: the callback
     * never ran and {@code release()} threw "appender down".
     */
    @Test
    void lastReleaseSignalsEvenIfTheLoggerThrows() throws Exception {
        Fence f = mockFence();
        AtomicReference<Throwable> seen = new AtomicReference<>();
        f.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                seen.set(fence.error());
            }
        });
        withErr(brokenStream(), () -> assertTrue(f.release()));
        assertInstanceOf(FenceReleasedException.class, seen.get());
        assertTrue(f.isSignaled());
    }

    /**
     * A callback added after the last release: the fence is signalled with an error and the
     * add reports "already signalled". Before, the logger's exception escaped from
     * {@code addCallback} and left the fence pending, so every later await hung.
     */
    @Test
    void callbackAfterLastReleaseSignalsEvenIfTheLoggerThrows() throws Exception {
        Fence f = mockFence();
        f.release();
        AtomicInteger runs = new AtomicInteger();
        FenceCallback counting = new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                runs.incrementAndGet();
            }
        };
        withErr(brokenStream(), () -> assertFalse(f.addCallback(counting)));
        assertEquals(0, runs.get());
        assertTrue(f.isSignaled());
        assertInstanceOf(FenceReleasedException.class, f.error());
    }

    /** A failing enable hook still ends the fence with its error when the logger throws. */
    @Test
    void failingEnableHookSignalsEvenIfTheLoggerThrows() throws Exception {
        RuntimeException boom = new IllegalArgumentException("driver gone");
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                throw boom;
            }
        };
        withErr(brokenStream(), f::enableSignaling);
        assertTrue(f.isSignaled());
        assertEquals(boom, f.error());
    }

    /** A fence class whose deadline hook always throws (one class per test run). */
    private static final class DeadlineRefused extends Fence {
        DeadlineRefused() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected void onDeadline(long deadlineNanos) {
            throw new UnsupportedOperationException("no deadline support");
        }
    }

    /**
     * One WARN for a driver whose {@code onDeadline} always throws, not one per call: before,
     * 50 calls logged 50 warnings with 50 stack traces.
     */
    @Test
    void alwaysFailingDeadlineHookWarnsOnce() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withErr(new PrintStream(out, true, StandardCharsets.UTF_8), () -> {
            for (int i = 0; i < 50; i++) {
                Fence f = new DeadlineRefused();
                f.setDeadline(System.nanoTime());
                f.signal();
            }
        });
        String log = out.toString(StandardCharsets.UTF_8);
        int warnings = log.split("onDeadline of ", -1).length - 1;
        assertEquals(1, warnings, log);
        assertTrue(log.contains("no deadline support"), log);
        assertTrue(log.contains(DeadlineRefused.class.getName()), log);
    }

    /**
     * A driver whose {@code pollSignaled} throws, polled by two threads at once: both calls
     * throw, one failure becomes the fence's error, and one WARN is logged for it, naming the
     * fence and the failure that became its error. Before, each poller warned "signalling it
     * with the error", two stack traces for one fence, one of them about an error the fence
     * never carried.
     */
    @Test
    @Timeout(10)
    void pollFailureSeenByTwoPollersWarnsOnce() throws Exception {
        CyclicBarrier bothPolling = new CyclicBarrier(2);
        AtomicInteger polls = new AtomicInteger();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean pollSignaled() {
                int n = polls.incrementAndGet();
                try {
                    bothPolling.await(5, TimeUnit.SECONDS); // both threads are inside the hook
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                throw new IllegalStateException("ring lost, poll " + n);
            }

            @Override
            public String timelineName() {
                return "lost-ring";
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicReference<Boolean> otherSaw = new AtomicReference<>();
        withErr(new PrintStream(out, true, StandardCharsets.UTF_8), () -> {
            Thread other = new Thread(() -> otherSaw.set(f.isSignaled()), "second-poller");
            other.start();
            assertTrue(f.isSignaled());
            TestSupport.join(other);
        });
        assertEquals(2, polls.get());
        assertEquals(Boolean.TRUE, otherSaw.get());
        String log = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.split("pollSignaled of ", -1).length - 1, log);
        assertTrue(log.contains("lost-ring"), log);
        assertTrue(log.contains(f.error().getMessage()), log);
    }

    /**
     * Two callbacks added after a fence's last release, the first held (in the fence's
     * describe(), which the warning calls) after it found the fence dead and before it could
     * signal it: the second signals it, and the dead fence is reported once. Before, both warned,
     * one warning per late caller for one released fence.
     */
    @Test
    @Timeout(10)
    void twoLateCallbacksWarnOnce() throws Exception {
        AtomicReference<Thread> gated = new AtomicReference<>();
        CountDownLatch inDescribe = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            public String describe() {
                if (Thread.currentThread() == gated.get()) {
                    inDescribe.countDown();
                    try {
                        assertTrue(proceed.await(5, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
                return super.describe();
            }
        };
        assertTrue(f.release());
        AtomicReference<Boolean> firstAdded = new AtomicReference<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withErr(new PrintStream(out, true, StandardCharsets.UTF_8), () -> {
            Thread first = new Thread(() -> firstAdded.set(f.addCallback(new FenceCallback() {
                @Override
                protected void onSignaled(Fence fence) {
                }
            })), "first-late-caller");
            gated.set(first);
            first.start();
            assertTrue(inDescribe.await(5, TimeUnit.SECONDS));
            assertFalse(f.addCallback(new FenceCallback() {
                @Override
                protected void onSignaled(Fence fence) {
                }
            }));
            proceed.countDown();
            TestSupport.join(first);
        });
        assertEquals(Boolean.FALSE, firstAdded.get());
        assertInstanceOf(FenceReleasedException.class, f.error());
        String log = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.split("after its last release", -1).length - 1, log);
    }
}
