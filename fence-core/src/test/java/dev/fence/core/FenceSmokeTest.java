package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FenceSmokeTest {

    @Test
    void signalRunsCallbacksInOrderOnce() {
        Fence f = Fence.create(Fence.allocateContexts(1), 1);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int k = i;
            f.onSignal(x -> order.add(k));
        }
        assertTrue(f.signal());
        assertFalse(f.signal());
        assertEquals(List.of(0, 1, 2), order);
        assertEquals(FenceStatus.SIGNALED, f.status());
    }
}
