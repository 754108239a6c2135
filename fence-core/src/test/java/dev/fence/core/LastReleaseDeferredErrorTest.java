package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The last release() of a pending fence with callbacks forces its signal; at callback depth 0
 * that signal runs the callbacks and then the thread's deferred queue, whose first failure
 * (an Error in a Timeline round queued there, injected as in TimelineDrainErrorTest) is
 * rethrown. The Error must not skip the deallocate() that the last release owes.
 */
class LastReleaseDeferredErrorTest {

    @Test
    void errorFromTheForcedSignalsDeferredWorkStillDeallocates() {
        AtomicInteger deallocs = new AtomicInteger();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() {
                deallocs.incrementAndGet();
            }
        };
        Timeline tl = Timeline.create("last-release-error");
        Fence p1 = tl.next();
        p1.onSignal(x -> { });
        f.onSignal(x -> {
            tl.signalUpTo(1); // p1's callback queued, the timeline's next round behind it
            tl.outOfOrder = new TimelineDrainErrorTest.ThrowOnce(); // that round hits an Error
            tl.outOfOrderSize = 1;
        });
        Throwable thrown = null;
        try {
            f.release(); // the last reference, f still pending with a callback: forced signal
        } catch (OutOfMemoryError e) {
            thrown = e;
        }
        tl.outOfOrder = null;
        tl.outOfOrderSize = 0;
        assertNotNull(thrown, "the injected Error reached release()");
        assertTrue(f.isSignaled());
        assertEquals(0, f.refCnt());
        assertEquals(1, deallocs.get(), "the last release never called deallocate()");
    }
}
