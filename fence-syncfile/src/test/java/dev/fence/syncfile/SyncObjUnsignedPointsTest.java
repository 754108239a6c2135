package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Seqnos are unsigned 64-bit numbers, as in the kernel and in {@link FenceChain}. Points added
 * through a {@link SyncObj} stay below 2^63, but a chain installed from elsewhere (here with
 * {@link SyncObj#replaceFence}) may carry seqnos at or above it; lookups and the rising-point
 * check must then compare unsigned, or a submitted point reads as "not submitted" and a point
 * below the newest one is accepted.
 */
class SyncObjUnsignedPointsTest {

    private static final long LOW = 0x8000_0000_0000_000AL;  // 2^63 + 10
    private static final long HIGH = 0x8000_0000_0000_0014L; // 2^63 + 20

    @Test
    void pointsBelowAnUnsignedlyLargeHeadAreFoundAndCannotBeAddedAgain() throws Exception {
        Fence first = fresh();
        Fence second = fresh();
        FenceChain low = FenceChain.link(null, first, LOW);
        FenceChain high = FenceChain.link(low, second, HIGH);
        assertEquals(low.context(), high.context(), "one timeline");
        SyncObj obj = SyncObj.create();
        obj.replaceFence(high);

        assertEquals(HIGH, obj.lastSubmitted());
        assertTrue(obj.toString().contains(Long.toUnsignedString(HIGH)), obj.toString());

        // Point 5 is covered by the first link (its prevSeqno is 0), as the kernel's find_seqno.
        Fence at5 = obj.fenceAt(5);
        assertSame(low, at5);
        assertFalse(at5.isSignaled());
        assertEquals(-1, SyncObj.await(new SyncObj[] {obj}, new long[] {5}, 0, 0,
                TimeUnit.MILLISECONDS), "submitted and pending: a zero timeout reports -ETIME");
        first.signal();
        assertTrue(at5.isSignaled());
        assertEquals(0, SyncObj.await(new SyncObj[] {obj}, new long[] {5}, 0, 0,
                TimeUnit.MILLISECONDS));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> obj.addPoint(7, fresh()));
        assertTrue(e.getMessage().contains(Long.toUnsignedString(HIGH)), e.getMessage());
        assertEquals(HIGH, obj.lastSubmitted(), "the refused point left the head alone");
        second.signal();
        assertEquals(HIGH, obj.query());
    }
}
