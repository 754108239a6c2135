package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The state word packs the flags, the reference count and SIGNALED (the sign bit) into one int:
 * neither may leak into the other.
 */
class FenceStateWordTest {

    @Test
    void signallingDoesNotChangeTheCountAndTheCountDoesNotSignal() {
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        for (int i = 0; i < 3; i++) {
            f.retain();
        }
        assertFalse(f.isSignaled());
        assertEquals(4, f.refCnt());
        f.signal();
        assertTrue(f.isSignaled());
        assertEquals(4, f.refCnt(), "SIGNALED read as references");
        for (int i = 0; i < 3; i++) {
            assertFalse(f.release());
        }
        assertTrue(f.release(), "the last reference, with SIGNALED set");
        assertEquals(0, f.refCnt());
        assertTrue(f.isSignaled());
    }

    /**
     * Filling the count to its limit must neither carry into SIGNALED (a pending fence read as
     * signalled) nor wrap: the next retain is refused.
     */
    @Test
    void aFullCountIsRefusedWithoutTouchingSignaled() {
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        for (int i = 0; i < Fence.MAX_EXTRA_REFS; i++) {
            f.retain();
        }
        assertEquals(Fence.MAX_EXTRA_REFS + 1, f.refCnt());
        assertFalse(f.isSignaled(), "the count carried into SIGNALED");
        assertThrows(IllegalStateException.class, f::retain);
        assertThrows(IllegalStateException.class, f::tryRetain);
        assertFalse(f.isSignaled());
        f.signal();
        assertTrue(f.isSignaled());
        assertEquals(Fence.MAX_EXTRA_REFS + 1, f.refCnt());
        assertFalse(f.release());
        assertEquals(Fence.MAX_EXTRA_REFS, f.refCnt());
    }
}
