package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** FenceChain rules that the other chain tests do not pin down. */
class FenceChainEdgeTest {

    @Test
    void unorderedPointStartsNewContextAndKeepsMaxSeqno() {
        FenceChain c1 = FenceChain.link(null, mockFence(), 5);
        assertEquals(0L, c1.prevSeqno());
        FenceChain c2 = FenceChain.link(c1, mockFence(), 3); // earlier point
        assertNotEquals(c1.context(), c2.context(), "unordered point must start a new context");
        assertEquals(5L, c2.seqno(), "seqno = max(prev.seqno, point)");
        assertEquals(0L, c2.prevSeqno());
        FenceChain c3 = FenceChain.link(c2, mockFence(), 5); // equal point: not later
        assertNotEquals(c2.context(), c3.context());
        assertEquals(5L, c3.seqno());
        FenceChain c4 = FenceChain.link(c3, mockFence(), 6);
        assertEquals(c3.context(), c4.context());
        assertEquals(5L, c4.prevSeqno());
        // find stops at the context boundary
        assertSame(c3, FenceChain.find(c4, 5));
        assertSame(c3, FenceChain.find(c4, 1));
        assertSame(c2, FenceChain.find(c2, 1));
    }

    @Test
    void unsignedSeqnosAbove2To63() {
        long big = -2L; // 2^64 - 2
        FenceChain c1 = FenceChain.link(null, mockFence(), big);
        FenceChain c2 = FenceChain.link(c1, mockFence(), big + 1);
        assertEquals(c1.context(), c2.context(), "2^64-1 is later than 2^64-2 (unsigned)");
        assertSame(c1, FenceChain.find(c2, big));
        assertSame(c2, FenceChain.find(c2, big + 1));
        FenceChain c3 = FenceChain.link(c2, mockFence(), 7);
        assertNotEquals(c2.context(), c3.context());
        assertEquals(big + 1, c3.seqno());
    }

    @Test
    void linkCarriesItsOwnFenceErrorOnly() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceChain c1 = FenceChain.link(null, f1, 1);
        FenceChain c2 = FenceChain.link(c1, f2, 2);
        c2.enableSignaling();
        RuntimeException e2 = new RuntimeException("e2");
        f2.signal(e2);
        assertFalse(c2.isSignaled(), "point 1 still pending");
        f1.signal(new RuntimeException("e1"));
        assertTrue(c2.isSignaled());
        assertSame(e2, c2.error(), "a link carries its own fence's error");

        // polled path, same rule
        Fence g1 = mockFence();
        Fence g2 = mockFence();
        FenceChain d2 = FenceChain.link(FenceChain.link(null, g1, 1), g2, 2);
        g1.signal(new RuntimeException("g1"));
        g2.signal();
        assertTrue(d2.isSignaled());
        assertNull(d2.error(), "an earlier point's error is not carried");
    }

    @Test
    void findFromALinkThatWasCollectedOutOfTheHeadsChain() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        Fence f3 = mockFence();
        FenceChain c1 = FenceChain.link(null, f1, 1);
        FenceChain c2 = FenceChain.link(c1, f2, 2);
        FenceChain c3 = FenceChain.link(c2, f3, 3);
        f2.signal();
        assertSame(c1, FenceChain.find(c3, 2), "point 2 is reached with point 1");
        assertSame(c1, c3.prev(), "c2 collected out of c3's chain");
        // the caller still holds c2: it is pending (point 1) and find works from it
        assertFalse(c2.isSignaled());
        assertSame(c2, FenceChain.find(c2, 2));
        assertSame(c1, FenceChain.find(c2, 1));
        assertThrows(IllegalArgumentException.class, () -> FenceChain.find(c2, 3));
        f1.signal();
        assertSame(Fence.signaledStub(), FenceChain.find(c3, 2));
        assertTrue(c2.isSignaled());
        f3.signal();
        assertTrue(c3.isSignaled());
    }
}
