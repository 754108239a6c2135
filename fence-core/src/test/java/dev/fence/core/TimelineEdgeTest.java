package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Timeline edge rules: seqno overflow, a value running ahead of every issued point. */
class TimelineEdgeTest {

    @Test
    void nextOverflowThrows() {
        Timeline tl = Timeline.create("o");
        Fence top = tl.fenceAt(Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, top.seqno());
        assertThrows(ArithmeticException.class, tl::next);
        tl.signalUpTo(Long.MAX_VALUE);
        assertTrue(top.isSignaled());
    }

    @Test
    void advanceOverflowThrowsAndChangesNothing() {
        Timeline tl = Timeline.create("o");
        Fence f = tl.fenceAt(Long.MAX_VALUE);
        tl.signalUpTo(Long.MAX_VALUE - 1);
        assertThrows(ArithmeticException.class, () -> tl.advance(2));
        assertEquals(Long.MAX_VALUE - 1, tl.value());
        assertFalse(f.isSignaled());
        tl.advance(1);
        assertTrue(f.isSignaled());
    }

    @Test
    void valueAheadOfEverythingIssued() {
        Timeline tl = Timeline.create("a");
        tl.signalUpTo(10);
        Fence at = tl.fenceAt(10);
        assertTrue(at.isSignaled(), "at the value: born signalled");
        Fence n = tl.next();
        assertEquals(11, n.seqno());
        assertFalse(n.isSignaled(), "above the value: pending");
        Fence below = tl.fenceAt(3);
        assertTrue(below.isSignaled());
        assertEquals(12, tl.next().seqno(), "next() = max issued + 1");
    }
}
