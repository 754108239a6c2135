package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Errors in a Timeline's signalling rounds: what a round survives, and what it must hand on. */
class TimelineDrainErrorTest {

    /** A heap that throws one Error from peek(), standing in for an OOM inside a drain round. */
    @SuppressWarnings("serial")
    static final class ThrowOnce extends PriorityQueue<Timeline.Point> {
        final AtomicInteger left = new AtomicInteger(1);

        ThrowOnce() {
            super((a, b) -> Long.compare(a.seqno(), b.seqno()));
        }

        @Override
        public Timeline.Point peek() {
            if (left.getAndDecrement() > 0) {
                throw new OutOfMemoryError("injected");
            }
            return super.peek();
        }
    }

    /**
     * A user callback's Error never escapes a signal (Fence.runCallbacks catches Throwable), so
     * the drain is unaffected by it.
     */
    @Test
    void callbackErrorDoesNotDisturbTheDrain() {
        Timeline tl = Timeline.create("cb-error");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        List<Long> order = Collections.synchronizedList(new ArrayList<>());
        p1.onSignal(f -> {
            order.add(1L);
            throw new StackOverflowError("user callback Error");
        });
        p2.onSignal(f -> order.add(2L));
        tl.signalUpTo(2);
        assertTrue(p1.isSignaled());
        assertTrue(p2.isSignaled());
        assertEquals(List.of(1L, 2L), order);
        assertEquals(0, tl.wip);
    }

    /**
     * A VM-style Error (an OOM injected into the heap lookup of a round) in the drainer: another
     * thread's signalUpTo(3) made during the round returned at once, counting on the running
     * drainer. Before the twentieth session the drainer reset wip to 0 and died, so points 2 and
     * 3 stayed pending with value() == 3 until some later call raised the value or issued a
     * point (this test failed at the final await); now it drains once more before rethrowing.
     */
    @Test
    void errorInARoundDoesNotDropAConcurrentRequest() throws Exception {
        Timeline tl = Timeline.create("err-round");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        Fence p3 = tl.next();
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Bounded: a lost wake-up of the drainer here must fail the test, not hang it (an
        // Error thrown from a callback is only logged, hence the flag).
        AtomicBoolean released = new AtomicBoolean();
        p1.onSignal(f -> {
            inCallback.countDown();
            try {
                released.set(release.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        AtomicReference<Throwable> drainerError = new AtomicReference<>();
        Thread a = new Thread(() -> {
            try {
                tl.signalUpTo(1);
            } catch (Throwable t) {
                drainerError.set(t);
            }
        }, "drainer");
        a.start();
        assertTrue(inCallback.await(10, TimeUnit.SECONDS));
        tl.signalUpTo(3); // another caller: the running drainer is to signal 2 and 3
        assertEquals(3, tl.value());
        // The Error strikes the drainer's next step (a heap lookup).
        tl.outOfOrder = new ThrowOnce();
        tl.outOfOrderSize = 1;
        release.countDown();
        a.join(20_000);
        assertFalse(a.isAlive());
        assertTrue(released.get(), "the drainer's callback was not released within 10 s");
        assertNotNull(drainerError.get(), "the injected Error reached the drainer");
        tl.outOfOrder = null; // the VM recovered
        tl.outOfOrderSize = 0;
        // No wait here: the drainer serves the request before the Error leaves it, so by the
        // join both points have signalled. (A timed wait would pass on a late signal too, and
        // nobody is left to signal them: only the dropped request shows up as pending.)
        assertTrue(p3.isSignaled(),
                "value " + tl.value() + " but " + p2.describe() + " / " + p3.describe()
                + " pending after the drainer ended: the request of signalUpTo(3) was dropped");
        assertTrue(p2.isSignaled());
    }

    /**
     * After an Error ended a round early, nobody is signalling and the value is above pending
     * points that the round never reached. The overview promises that the next call that issues
     * a point at or below the value carries on, and next()'s javadoc that such a point is born
     * signalled when no call is still signalling. But an in-order producer checks the value only
     * once a drainer has set `ahead`, which the failed round never did: on the old code next()
     * returned point 3 pending with value() == 10, and points 1 to 3 stayed pending until some
     * later call raised the value.
     */
    @Test
    void nextAfterAnErrorInARoundCarriesOnTheSignalling() {
        Timeline tl = Timeline.create("err-next");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        tl.outOfOrder = new ThrowOnce(); // the round's first heap look throws
        tl.outOfOrderSize = 1;
        try {
            tl.signalUpTo(10);
            throw new AssertionError("the injected Error did not reach the drainer");
        } catch (OutOfMemoryError expected) {
            // the round ended before signalling anything
        }
        tl.outOfOrder = null; // the VM recovered
        tl.outOfOrderSize = 0;
        assertEquals(10, tl.value());
        assertFalse(p1.isSignaled());
        Fence p3 = tl.next();
        assertEquals(3, p3.seqno());
        assertTrue(p3.isSignaled(), "value 10, nobody signalling, yet " + p3.describe()
                + " was issued pending");
        assertTrue(p1.isSignaled());
        assertTrue(p2.isSignaled());
        assertEquals(0, tl.wip);
    }
}
