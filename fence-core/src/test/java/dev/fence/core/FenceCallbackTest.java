package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.TestSupport.CountingCallback;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Callback semantics: order, failures, re-use, the trampoline, onSignal. */
class FenceCallbackTest {

    /** Appends its id to a shared list when it runs (also used by CallbackFailureDescribeTest). */
    static final class Recorder extends FenceCallback {
        private final List<String> log;
        private final String id;

        Recorder(List<String> log, String id) {
            this.log = log;
            this.id = id;
        }

        @Override
        protected void onSignaled(Fence fence) {
            log.add(id);
        }
    }

    @Test
    void callbacksRunFifoOnceInTheSignallingThread() throws InterruptedException {
        Fence f = mockFence();
        List<String> log = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String id = "cb" + i;
            assertTrue(f.addCallback(new FenceCallback() {
                @Override
                protected void onSignaled(Fence fence) {
                    log.add(id);
                    threads.add(Thread.currentThread());
                }
            }));
        }
        Thread signaller = new Thread(f::signal, "signaller");
        signaller.start();
        TestSupport.join(signaller);
        assertEquals(100, log.size());
        for (int i = 0; i < 100; i++) {
            assertEquals("cb" + i, log.get(i), "FIFO order");
            assertSame(signaller, threads.get(i), "callbacks run in the signalling thread");
        }
        f.signal();
        assertEquals(100, log.size(), "a second signal runs nothing");
    }

    @Test
    void removedCallbackKeepsTheOthersInOrder() {
        Fence f = mockFence();
        List<String> log = new ArrayList<>();
        Recorder a = new Recorder(log, "a");
        Recorder b = new Recorder(log, "b");
        Recorder c = new Recorder(log, "c");
        Recorder d = new Recorder(log, "d");
        f.addCallback(a);
        f.addCallback(b);
        f.addCallback(c);
        f.addCallback(d);
        assertTrue(f.removeCallback(a)); // head
        assertTrue(f.removeCallback(c)); // middle
        assertTrue(f.removeCallback(d)); // tail
        f.addCallback(a);                // re-added at the tail
        f.signal();
        assertEquals(List.of("b", "a"), log);
        assertFalse(c.isQueued());
        assertFalse(d.isQueued());
    }

    @Test
    void throwingCallbackDoesNotStopTheOthersAndIsCounted() {
        Fence f = mockFence();
        List<String> log = new ArrayList<>();
        f.addCallback(new Recorder(log, "before"));
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
                log.add("error-thrower");
                throw new AssertionError("expected test failure: callback throws an Error");
            }
        });
        f.addCallback(new Recorder(log, "after"));
        long failuresBefore = Fences.callbackFailures();
        assertTrue(f.signal(), "signal still reports the win");
        assertEquals(List.of("before", "thrower", "error-thrower", "after"), log);
        assertTrue(f.isSignaled());
        assertEquals(FenceStatus.SIGNALED, f.status(),
                "a callback failure is not the fence's error");
        assertEquals(2, Fences.callbackFailures() - failuresBefore, "each failure counted once");
    }

    @Test
    void callbackSeesSignalledFenceWithErrorAndTimestamp() {
        Fence f = mockFence();
        RuntimeException err = new RuntimeException("job failed");
        AtomicReference<String> seen = new AtomicReference<>();
        f.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                seen.set(fence.isSignaled() + " " + (fence.error() == err) + " " + fence.timestamp()
                        + " " + fence.status() + " queued=" + isQueued());
            }
        });
        f.setError(err);
        f.signal(42L);
        assertEquals("true true 42 ERROR queued=false", seen.get());
    }

    @Test
    void callbackMayReAddItselfToAnotherFence() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        List<Fence> seen = new ArrayList<>();
        FenceCallback rearm = new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                seen.add(fence);
                if (fence == f1) {
                    assertTrue(f2.addCallback(this), "node is free once its callback runs");
                }
            }
        };
        f1.addCallback(rearm);
        f1.signal();
        assertTrue(rearm.isQueued());
        f2.signal();
        assertEquals(List.of(f1, f2), seen);
        assertFalse(rearm.isQueued());
    }

    @Test
    void addingToTheSignallingFenceFromItsCallbackFails() {
        Fence f = mockFence();
        CountingCallback late = new CountingCallback();
        AtomicReference<Boolean> added = new AtomicReference<>();
        f.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                added.set(fence.addCallback(late));
            }
        });
        f.signal();
        assertEquals(Boolean.FALSE, added.get());
        assertEquals(0, late.runs());
    }

    @Test
    void signalInsideCallbackIsPublishedAtOnceAndItsCallbacksRunAfter() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        List<String> log = new ArrayList<>();
        f1.addCallback(new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                log.add("A-start");
                assertTrue(f2.signal());
                log.add("A-f2-signalled=" + f2.isSignaled());
                log.add("A-end");
            }
        });
        f2.addCallback(new Recorder(log, "C"));
        f1.signal();
        assertEquals(List.of("A-start", "A-f2-signalled=true", "A-end", "C"), log,
                "the nested signal's callbacks run after the current callback,"
                        + " before signal() returns");
    }

    @Test
    void onSignalRunsNowWhenSignalledOrLater() {
        Fence f = mockFence();
        List<String> log = new ArrayList<>();
        f.onSignal(x -> log.add("later"));
        assertEquals(List.of(), log);
        f.signal();
        assertEquals(List.of("later"), log);
        f.onSignal(x -> log.add("now:" + (x == f)));
        assertEquals(List.of("later", "now:true"), log);
    }

    @Test
    void onSignalWithExecutor() throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> new Thread(r, "cb-executor"));
        try {
            Fence f = mockFence();
            AtomicReference<String> ran = new AtomicReference<>();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(2);
            f.onSignal(x -> {
                ran.set(Thread.currentThread().getName());
                done.countDown();
            }, ex);
            f.signal();
            f.onSignal(x -> done.countDown(), ex); // already signalled: still on the executor
            assertTrue(done.await(20, TimeUnit.SECONDS));
            assertEquals("cb-executor", ran.get());
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void rejectingExecutorIsCountedAsCallbackFailure() {
        Fence f = mockFence();
        f.onSignal(x -> { }, r -> {
            throw new RejectedExecutionException("expected test failure: executor rejects");
        });
        long before = Fences.callbackFailures();
        assertTrue(f.signal());
        assertEquals(1, Fences.callbackFailures() - before);
    }

    /** On a fence that has signalled already the caller submits, so the rejection is its own. */
    @Test
    void rejectingExecutorOnASignalledFenceThrowsToTheCaller() {
        Fence f = mockFence();
        f.signal();
        long before = Fences.callbackFailures();
        assertThrows(RejectedExecutionException.class, () -> f.onSignal(x -> { }, r -> {
            throw new RejectedExecutionException("expected test failure: executor rejects");
        }));
        assertEquals(0, Fences.callbackFailures() - before, "not counted as a callback failure");
    }
}
