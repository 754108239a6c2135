package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** FenceArray edge cases: an array of one fence. */
class FenceArrayEdgeTest {

    @Test
    void arrayOfOneFence() {
        Fence f = mockFence();
        FenceArray all = FenceArray.all(f);
        FenceArray any = FenceArray.any(f);
        all.enableSignaling();
        any.enableSignaling();
        RuntimeException e = new RuntimeException("x");
        f.signal(e);
        assertSame(e, all.error());
        assertSame(e, any.error());
        assertFalse(f.hasCallbacks());
        assertTrue(all.timestamp() - f.timestamp() >= 0,
                "array signals no earlier than its member");
    }
}
