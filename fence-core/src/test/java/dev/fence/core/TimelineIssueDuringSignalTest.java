package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A fence issued at or below the value while another thread is still signalling up to that
 * value must not signal before the earlier points the signaller has not reached yet: fences of
 * one context signal in seqno order (sw_sync signals its list in order under the timeline lock,
 * so a point created meanwhile is created after every earlier one has signalled), and consumers
 * such as a reservation object keep only the later fence of a context on that assumption.
 */
class TimelineIssueDuringSignalTest {

    /**
     * Parks a signaller inside point {@code first}'s callback while it signals up to
     * {@code value}, issues a fence with {@code issue}, and reports whether that fence was
     * signalled while point {@code earlier} was still pending.
     */
    private static void check(Timeline tl, Fence first, Fence earlier, long value,
            Supplier<Fence> issue) throws InterruptedException {
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> order = new CopyOnWriteArrayList<>();
        first.onSignal(f -> {
            order.add(f.seqno());
            inCallback.countDown();
            awaitQuietly(release);
        });
        earlier.onSignal(f -> order.add(f.seqno()));
        Thread signaller = new Thread(() -> tl.signalUpTo(value), "signaller");
        signaller.start();
        assertTrue(inCallback.await(5, TimeUnit.SECONDS));
        Fence late = issue.get();
        boolean before = late.isSignaled() && !earlier.isSignaled();
        late.onSignal(f -> order.add(f.seqno()));
        release.countDown();
        signaller.join(5_000);
        assertFalse(signaller.isAlive());
        assertFalse(before, late.describe() + " signalled while " + earlier.describe()
                + " was still pending on the same timeline");
        assertTrue(late.isSignaled(), "the signaller signals it before it returns");
        assertEquals(List.of(first.seqno(), earlier.seqno(), late.seqno()), order);
    }

    /**
     * fenceAt() at or below both the newest seqno and the value, while another thread is still
     * signalling earlier points: the fence waits for the signaller's turn (it is born signalled
     * only at or below the point the signaller has passed), so 3 does not signal with 2 pending.
     * The opposite anomaly, a fresh fence left pending after later points signalled, is what
     * TimelineTest.concurrentProducersAndSignallersKeepOrderAndLoseNothing and the jcstress
     * TimelineTests.PassedPointVsSignalUpTo guard against.
     */
    @Test
    void fenceAtBelowTheNewestSeqnoWaitsForTheSignallerToReachIt() throws Exception {
        Timeline tl = Timeline.create("t");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        tl.next(); // 3
        check(tl, p1, p2, 3, () -> tl.fenceAt(3));
    }

    @Test
    void nextBehindAValueAheadWaitsForTheSignallerToReachIt() throws Exception {
        Timeline tl = Timeline.create("t");
        tl.signalUpTo(1); // the value once ran ahead of everything issued
        assertTrue(tl.next().isSignaled()); // 1, born signalled
        Fence p2 = tl.next();
        Fence p3 = tl.next();
        check(tl, p2, p3, 10, tl::next); // 4, at or below the value 10
    }

    @Test
    void nextFromACallbackOfTheSignallingCallIsSignalledByItInOrder() {
        Timeline tl = Timeline.create("t");
        tl.signalUpTo(1);
        assertTrue(tl.next().isSignaled()); // 1
        Fence p2 = tl.next();
        Fence p3 = tl.next();
        List<Long> order = new CopyOnWriteArrayList<>();
        List<Fence> late = new CopyOnWriteArrayList<>();
        AtomicBoolean early = new AtomicBoolean();
        p2.onSignal(f -> {
            order.add(f.seqno());
            Fence p4 = tl.next(); // at or below the value, issued while 3 is still pending
            early.set(p4.isSignaled() && !p3.isSignaled());
            p4.onSignal(g -> order.add(g.seqno()));
            late.add(p4);
        });
        p3.onSignal(f -> order.add(f.seqno()));
        tl.signalUpTo(10);
        assertFalse(early.get(), "4 signalled before 3");
        assertTrue(late.get(0).isSignaled(), "signalled by the running call before it returned");
        assertEquals(List.of(2L, 3L, 4L), order);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
