package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Reservation#describe()} is a debugging description of every fence: a driver's
 * {@code describe()} override that throws is shown as its class and the failure, and the other
 * fences are still described. Before, the override's exception escaped and the whole description
 * was lost.
 */
@Timeout(10)
class ReservationDescribeThrowingTest {

    /** A driver fence whose describe() override throws. */
    static final class BadDescribe extends Fence {
        BadDescribe() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        public String describe() {
            throw new IllegalStateException("expected test failure: describe() throws");
        }
    }

    @Test
    void aThrowingDescribeOverrideIsShownAsItsClass() {
        Reservation resv = new Reservation();
        BadDescribe bad = new BadDescribe();
        Fence good = Fence.create(Fence.allocateContexts(1), 7);
        resv.lock();
        try {
            resv.reserveFences(2);
            resv.addFence(bad, Usage.WRITE);
            resv.addFence(good, Usage.READ);
        } finally {
            resv.unlock();
        }
        String d = resv.describe();
        assertTrue(d.contains("write fence: " + BadDescribe.class.getName()
                + " (describe() threw"), d);
        assertTrue(d.contains("read fence: " + good.describe()), d);
        bad.signal();
        good.signal();
    }
}
