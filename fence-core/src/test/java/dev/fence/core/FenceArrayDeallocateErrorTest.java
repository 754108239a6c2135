package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * FenceArray.deallocate() releases the reference it holds on each member. Releasing a member's
 * last reference while it is still pending with callbacks forces its signal, which at callback
 * depth 0 also drains this thread's deferred queue and rethrows the first failure there (an
 * Error in a Timeline round, injected as in TimelineDrainErrorTest). That Error must not leave
 * the later members' references unreleased (their deallocate() would never run).
 */
class FenceArrayDeallocateErrorTest {

    static final class Counted extends Fence {
        final AtomicInteger deallocs = new AtomicInteger();

        Counted() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected void deallocate() {
            deallocs.incrementAndGet();
        }
    }

    @Test
    void anErrorReleasingOneMemberStillReleasesTheOthers() {
        Counted m1 = new Counted();
        Counted m2 = new Counted();
        Timeline tl = Timeline.create("array-dealloc-error");
        Fence p1 = tl.next();
        p1.onSignal(x -> { });
        m1.onSignal(x -> {
            tl.signalUpTo(1); // p1's callback queued, the timeline's next round behind it
            tl.outOfOrder = new TimelineDrainErrorTest.ThrowOnce(); // that round hits an Error
            tl.outOfOrderSize = 1;
        });
        FenceArray array = FenceArray.all(m1, m2);
        m1.release(); // the owner lets go; the array holds the last references
        m2.release();
        array.release(); // deallocate: m1's forced signal rethrows the Error (logged)
        tl.outOfOrder = null;
        tl.outOfOrderSize = 0;
        assertEquals(0, m1.refCnt());
        assertEquals(1, m1.deallocs.get());
        assertEquals(0, m2.refCnt(), "the array's reference on m2 was never released");
        assertEquals(1, m2.deallocs.get(), "m2's deallocate() never ran");
    }
}
