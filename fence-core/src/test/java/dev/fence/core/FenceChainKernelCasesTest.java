package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Kernel cases of {@code dma_fence_chain_find_seqno} / {@code dma_fence_chain_walk} /
 * {@code dma_fence_chain_signaled} (drivers/dma-buf/dma-fence-chain.c, v6.17) that the
 * st-dma-fence-chain port does not exercise: non-chain fences, plain predecessors, context
 * boundaries reached through collection, and polling without enable_signaling.
 */
class FenceChainKernelCasesTest {

    /** find_seqno: {@code if (!seqno) return 0;} comes before the chain check. */
    @Test
    void pointZeroIsANoOpEvenOnAPlainFence() {
        Fence plain = mockFence();
        assertSame(plain, FenceChain.find(plain, 0));
        // a non-chain with a real point: -EINVAL
        assertThrows(IllegalArgumentException.class, () -> FenceChain.find(plain, 1));
    }

    /**
     * A chain started over a plain (binary) fence: once the links in between are collected the
     * walk reaches the plain fence, whose context differs, so find_seqno stops there and returns
     * it (point 1 is reached exactly when that fence signals).
     */
    @Test
    void findThatWalksOntoAPlainPredecessorReturnsIt() {
        Fence binary = mockFence();
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceChain c1 = FenceChain.link(binary, f1, 1);
        assertNotEquals(binary.context(), c1.context());
        assertEquals(0L, c1.prevSeqno(), "prev is not a chain: new context, prev_seqno 0");
        FenceChain c2 = FenceChain.link(c1, f2, 2);
        assertSame(c1, FenceChain.find(c2, 1));
        f1.signal();
        assertSame(binary, FenceChain.find(c2, 1));
        assertSame(binary, c2.prev(), "walk unlinked the signalled link");
        assertSame(c2, FenceChain.find(c2, 2));
        binary.signal();
        assertSame(Fence.signaledStub(), FenceChain.find(c2, 1), "collected: NULL -> stub");
        f2.signal();
        assertTrue(c2.isSignaled());
    }

    /**
     * An unordered point (seqno 0 over a pending chain, as drm_syncobj TIMELINE_SIGNAL at point 0
     * does) starts a new context; a later point continues that context. After the signalled
     * stub link is collected, the walk for a covered point leaves the context and find_seqno
     * returns the node of the old context.
     */
    @Test
    void findLeavesTheContextAfterCollection() {
        Fence f3 = mockFence();
        FenceChain c3 = FenceChain.link(null, f3, 3);
        Fence stub = Fence.create(0, 0);
        stub.signal();
        FenceChain s = FenceChain.link(c3, stub, 0);
        assertNotEquals(c3.context(), s.context());
        assertEquals(3L, s.seqno(), "max(prev->seqno, seqno)");
        assertEquals(0L, s.prevSeqno());
        FenceChain c5 = FenceChain.link(s, mockFence(), 5);
        assertEquals(s.context(), c5.context());
        assertEquals(3L, c5.prevSeqno());
        assertSame(c5, FenceChain.find(c5, 4));
        assertSame(c3, FenceChain.find(c5, 3), "stops at the first node of another context");
        assertSame(c3, FenceChain.find(c5, 1));
        assertThrows(IllegalArgumentException.class, () -> FenceChain.find(c5, 6));
    }

    /** dma_fence_chain_walk unlinks every signalled link between a node and the next pending. */
    @Test
    void walkCollectsSignalledMiddleLinks() {
        Fence[] f = {mockFence(), mockFence(), mockFence(), mockFence()};
        FenceChain c1 = FenceChain.link(null, f[0], 1);
        FenceChain c2 = FenceChain.link(c1, f[1], 2);
        FenceChain c3 = FenceChain.link(c2, f[2], 3);
        FenceChain c4 = FenceChain.link(c3, f[3], 4);
        f[1].signal();
        f[2].signal();
        // point 3 is not reached until point 1 is: the answer is c1, and the walk from c4
        // collected c3 and c2
        assertSame(c1, FenceChain.find(c4, 3));
        assertSame(c1, c4.prev());
        assertFalse(c2.isSignaled());
        assertFalse(c3.isSignaled());
        f[0].signal();
        assertTrue(c3.isSignaled(), "signalled by polling, no enable_signaling needed");
        assertFalse(c4.isSignaled());
    }

    /**
     * dma_fence_chain_signaled polls every reachable contained fence, so a link reads signalled
     * without anyone having enabled signalling on it.
     */
    @Test
    void pollingWithoutEnableSignaling() {
        Fence a = mockFence();
        Fence b = mockFence();
        FenceChain c1 = FenceChain.link(null, a, 1);
        FenceChain c2 = FenceChain.link(c1, b, 2);
        b.signal();
        assertFalse(c2.isSignaled());
        a.signal();
        assertTrue(c2.isSignaled());
        assertTrue(c1.isSignaled());
        assertEquals(FenceStatus.SIGNALED, c2.status());
    }
}
