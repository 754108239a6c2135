package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An Error in a Timeline round that runs from a thread's deferred queue. The "drain once more"
 * of drainRounds' catch (added earlier in the twentieth session) runs at callback depth 1
 * (inside drainDeferred), so its signals only queue their callbacks and it queues its next round
 * behind them, keeping wip; then
 * the Error leaves drainDeferred, and everything it just queued is stranded in that thread's
 * queue: the timeline's wip stays held by a Runnable nobody runs, so every later signalUpTo from
 * any thread only "asks" a drainer that never comes, and the queued callbacks (with the
 * references their fences hold for them) never run. drainDeferred now runs every queued item
 * and rethrows the first failure; this test failed before that ("timeline wedged").
 */
@SuppressWarnings("try")
class TimelineDeferredErrorTest {

    @Test
    void errorInADeferredRoundDoesNotWedgeTheTimeline() throws Exception {
        Timeline tl = Timeline.create("review-i");
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        Fence p3 = tl.next();
        p1.onSignal(f -> log.add("cb1"));
        p2.onSignal(f -> log.add("cb2"));
        p3.onSignal(f -> log.add("cb3"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try (CallbackDeferral d = CallbackDeferral.begin()) {
                tl.signalUpTo(1); // p1's callbacks queued; the round queued behind them
                tl.signalUpTo(3); // asks the running drainer (this thread, queued) for 2 and 3
                // An Error strikes the queued round's next heap lookup (as in
                // TimelineDrainErrorTest).
                tl.outOfOrder = new TimelineDrainErrorTest.ThrowOnce();
                tl.outOfOrderSize = 1;
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "worker");
        worker.start();
        TestSupport.join(worker); // the worker is gone (a pool thread that moved on, say)
        assertNotNull(thrown.get(), "the injected Error reached the worker");
        tl.outOfOrder = null;
        tl.outOfOrderSize = 0;
        assertTrue(p2.isSignaled() && p3.isSignaled(), "the re-drain signalled 2 and 3");
        // Another thread goes on using the timeline.
        Fence p4 = tl.next();
        tl.signalUpTo(4);
        assertTrue(p4.isSignaled(), "timeline wedged: wip=" + tl.wip + " is held by a drain round"
                + " stranded in the dead worker's deferred queue; signalUpTo(4) did nothing");
        assertEquals(List.of("cb1", "cb2", "cb3"), log,
                "callbacks of signalled points stranded in the worker's queue");
    }
}
