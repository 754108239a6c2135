package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // the deferrals are used for their scope
class CallbackDeferralTest {

    /** A driver fence that reports completion only when polled. */
    static final class Polled extends Fence {
        volatile boolean done;

        Polled() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean pollSignaled() {
            return done;
        }
    }

    @Test
    void callbacksWaitForCloseButTheSignalIsPublishedAtOnce() {
        Fence f = mockFence();
        List<String> log = new ArrayList<>();
        f.onSignal(x -> log.add("callback"));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(f.signal());
            assertTrue(f.isSignaled());
            log.add("after signal");
        }
        log.add("after close");
        assertEquals(List.of("after signal", "callback", "after close"), log);
    }

    @Test
    void nestedDeferralsRunAtTheOutermostCloseInSignallingOrder() {
        Fence a = mockFence();
        Fence b = mockFence();
        List<String> log = new ArrayList<>();
        a.onSignal(x -> log.add("a"));
        b.onSignal(x -> log.add("b"));
        try (CallbackDeferral outer = CallbackDeferral.begin()) {
            try (CallbackDeferral inner = CallbackDeferral.begin()) {
                b.signal();
                a.signal();
            }
            log.add("inner closed");
        }
        assertEquals(List.of("inner closed", "b", "a"), log);
    }

    @Test
    void aFenceSignalledByPollingDefersItsCallbacksToo() {
        Polled p = new Polled();
        List<String> log = new ArrayList<>();
        p.onSignal(x -> log.add("callback"));
        p.done = true;
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(p.isSignaled()); // signals on the driver's behalf
            log.add("polled");
        }
        assertEquals(List.of("polled", "callback"), log);
    }

    @Test
    void callbacksSignalledFromDeferredCallbacksRunBeforeCloseReturns() {
        Fence a = mockFence();
        Fence b = mockFence();
        List<String> log = new ArrayList<>();
        a.onSignal(x -> {
            log.add("a");
            b.signal();
        });
        b.onSignal(x -> log.add("b"));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            a.signal();
        }
        assertEquals(List.of("a", "b"), log);
    }

    @Test
    void aDeferralInsideACallbackClosesIntoThatCallbacksQueue() {
        Fence outer = mockFence();
        Fence inner = mockFence();
        List<String> log = new ArrayList<>();
        inner.onSignal(x -> log.add("inner callback"));
        outer.onSignal(x -> {
            try (CallbackDeferral d = CallbackDeferral.begin()) {
                inner.signal();
            }
            log.add("outer callback returns");
        });
        outer.signal();
        assertEquals(List.of("outer callback returns", "inner callback"), log);
    }

    @Test
    void aWaiterInAnotherThreadReturnsWhileCallbacksAreHeldBack() throws Exception {
        Fence f = mockFence();
        FutureTask<Boolean> waiter = new FutureTask<>(() -> f.await(60, TimeUnit.SECONDS));
        Thread t = new Thread(waiter, "waiter");
        t.start();
        TestSupport.awaitParkedOn(t, f);
        List<String> log = new ArrayList<>();
        f.onSignal(x -> log.add("callback"));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            f.signal();
            assertTrue(f.isSignaled());
            // The parked waiter is woken at the signal (no user code runs for that), not by its
            // node's turn at the close: it returns while the user callback is still held back.
            assertTrue(waiter.get(10, TimeUnit.SECONDS));
            assertEquals(List.of(), log, "the user callback is still held back");
        }
        assertEquals(List.of("callback"), log);
        TestSupport.join(t);
    }

    @Test
    void closeBelongsToTheOpeningThreadAndIsIdempotent() throws Exception {
        Fence f = mockFence();
        List<String> log = new ArrayList<>();
        f.onSignal(x -> log.add("callback"));
        CallbackDeferral d = CallbackDeferral.begin();
        FutureTask<Void> other = new FutureTask<>(() -> {
            d.close();
            return null;
        });
        Thread t = new Thread(other, "other");
        t.start();
        t.join(10_000);
        java.util.concurrent.ExecutionException e = assertThrows(
                java.util.concurrent.ExecutionException.class, other::get);
        assertTrue(e.getCause() instanceof IllegalStateException, e.getCause().toString());
        f.signal();
        assertEquals(List.of(), log);
        d.close();
        d.close();
        assertEquals(List.of("callback"), log);
        Fence g = mockFence(); // the thread is back to running callbacks at once
        g.onSignal(x -> log.add("g"));
        g.signal();
        assertEquals(List.of("callback", "g"), log);
    }
}
