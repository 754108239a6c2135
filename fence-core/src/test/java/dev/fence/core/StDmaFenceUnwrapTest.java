package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Port of the kernel's {@code drivers/dma-buf/st-dma-fence-unwrap.c}. The kernel iterates with
 * {@code dma_fence_unwrap_for_each}; here {@link Fences#unwrap(Fence)} returns the same leaves
 * as a list.
 */
class StDmaFenceUnwrapTest {

    /** The selftest's {@code mock_array}: an all-array on a fresh context, seqno 1. */
    private static FenceArray mockArray(Fence... fences) {
        return FenceArray.of(Fence.allocateContexts(1), 1, false, fences);
    }

    /** The selftest's {@code mock_chain}: a link at point 1. */
    private static FenceChain mockChain(Fence prev, Fence fence) {
        return FenceChain.link(prev, fence, 1);
    }

    /** Asserts that {@code leaves} holds exactly {@code expected}, each once, in any order. */
    private static void assertExactly(List<Fence> leaves, Fence... expected) {
        Map<Fence, Integer> seen = new IdentityHashMap<>();
        for (Fence f : leaves) {
            seen.merge(f, 1, Integer::sum);
        }
        for (Fence e : expected) {
            Integer n = seen.remove(e);
            assertEquals(Integer.valueOf(1), n,
                    () -> "expected exactly once: " + e + " in " + leaves);
        }
        assertTrue(seen.isEmpty(), () -> "unexpected fences: " + seen.keySet());
    }

    /** Asserts identity order. */
    private static void assertOrder(List<Fence> leaves, Fence... expected) {
        assertEquals(expected.length, leaves.size(), () -> "wrong leaves: " + leaves);
        for (int i = 0; i < expected.length; i++) {
            assertSame(expected[i], leaves.get(i), "wrong fence at " + i + ": " + leaves);
        }
    }

    @Test
    void sanitycheck() {
        Fence f = mockFence();
        FenceArray array = mockArray(f);
        FenceChain chain = mockChain(null, array);
        assertOrder(Fences.unwrap(chain), f);
        f.signal();
        assertTrue(chain.isSignaled());
    }

    @Test
    void unwrap_array() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray array = mockArray(f1, f2);
        assertExactly(Fences.unwrap(array), f1, f2);
        f1.signal();
        f2.signal();
    }

    @Test
    void unwrap_chain() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceChain chain = mockChain(f1, f2);
        assertExactly(Fences.unwrap(chain), f1, f2);
        f1.signal();
        f2.signal();
        assertTrue(chain.isSignaled());
    }

    @Test
    void unwrap_chain_array() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceChain chain = mockChain(null, mockArray(f1, f2));
        assertExactly(Fences.unwrap(chain), f1, f2);
    }

    @Test
    void unwrap_merge() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        Fence f3 = Fences.merge(f1, f2);
        assertExactly(Fences.unwrap(f3), f1, f2);
        assertFalse(f3.isSignaled());
        f1.signal();
        assertFalse(f3.isSignaled());
        f2.signal();
        assertTrue(f3.isSignaled());
    }

    @Test
    void unwrap_merge_duplicate() {
        Fence f1 = mockFence();
        Fence f2 = Fences.merge(f1, f1);
        assertExactly(Fences.unwrap(f2), f1);
        assertSame(f1, f2, "a single remaining fence is returned as is");
    }

    @Test
    void unwrap_merge_seqno() {
        long ctx0 = Fence.allocateContexts(1);
        long ctx1 = Fence.allocateContexts(1);
        Fence f1 = Fence.create(ctx1, 1);
        Fence f2 = Fence.create(ctx1, 2);
        Fence f3 = Fence.create(ctx0, 1);
        Fence f4 = Fences.merge(f1, f2, f3);
        assertOrder(Fences.unwrap(f4), f3, f2);
    }

    @Test
    void unwrap_merge_order() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray a1 = mockArray(f1, f2);
        FenceChain c1 = mockChain(null, f1);
        FenceChain c2 = mockChain(c1, f2);
        // The chain yields its leaves in the opposite order; the merge must still sort them.
        Fence a2 = Fences.merge(a1, c2);
        assertOrder(Fences.unwrap(a2), f1, f2);
    }

    @Test
    void unwrap_merge_complex() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        Fence f3 = Fences.merge(f1, f2);
        FenceArray f4 = mockArray(f2, f1);
        Fence f5 = Fences.merge(f3, f4, Fence.signaledStub());
        assertExactly(Fences.unwrap(f5), f1, f2);
        assertOrder(Fences.unwrap(f5), f1, f2); // sorted by context, like the kernel's sort()
    }

    @Test
    void unwrap_merge_complex_seqno() {
        long ctx0 = Fence.allocateContexts(1);
        long ctx1 = Fence.allocateContexts(1);
        Fence f1 = Fence.create(ctx0, 2);
        Fence f2 = Fence.create(ctx1, 1);
        Fence f3 = Fence.create(ctx0, 1);
        Fence f4 = Fence.create(ctx1, 2);
        FenceArray f5 = mockArray(f1, f2);
        FenceArray f6 = mockArray(f3, f4);
        Fence f7 = Fences.merge(f5, f6);
        assertOrder(Fences.unwrap(f7), f1, f4);
    }

    // Beyond the kernel cases: the settled merge details from DESIGN.md.

    @Test
    void merge_drops_signaled_and_keeps_latest_timestamp() {
        Fence a = mockFence();
        Fence b = mockFence();
        Fence c = mockFence();
        a.signal(100L);
        b.signal(300L);
        assertSame(c, Fences.merge(a, b, c), "only the pending fence is left");
        Fence done = Fences.merge(a, b);
        assertTrue(done.isSignaled());
        assertEquals(300L, done.timestamp(), "carries the latest timestamp of the dropped fences");
        assertTrue(Fences.merge().isSignaled(), "merge of nothing is signalled");
    }

    @Test
    void unwrap_keeps_signaled_leaves() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        f1.signal();
        assertExactly(Fences.unwrap(mockArray(f1, f2)), f1, f2);
        assertOrder(Fences.unwrap(f1), f1);
    }
}
