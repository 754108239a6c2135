package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link Fences#merge} never waits for more than its inputs do. The kernel's merge flattens an
 * any-array as if every member were needed, and flattens containers that have already signalled
 * into their pending members. On the old code, which did the same, every test here failed: the
 * merge stayed pending, or the any-array came back flattened into its members.
 */
class MergeAnyArrayTest {

    @Test
    void mergeOfASignalledAnyArrayIsSignalled() {
        Fence job = mockFence();
        Fence shutdown = mockFence(); // signalled only at shutdown, if ever
        FenceArray any = FenceArray.any(job, shutdown);
        job.signal();
        assertTrue(any.isSignaled());
        Fence merged = Fences.merge(any);
        assertTrue(merged.isSignaled(), "merge of a signalled any-array: " + merged);
        assertEquals(any.timestamp(), merged.timestamp(), "carries the input's timestamp");
    }

    @Test
    void aPendingAnyArrayIsKeptWholeAndSignalsTheMergeWithItsFirstMember() {
        Fence job = mockFence();
        Fence shutdown = mockFence();
        Fence other = mockFence();
        FenceArray any = FenceArray.any(job, shutdown);
        Fence merged = Fences.merge(any, other);
        assertTrue(merged instanceof FenceArray, merged.toString());
        assertTrue(((FenceArray) merged).fences().contains(any), "the any-array is a member");
        assertEquals(3, Fences.unwrap(merged).size(), "unwrap still lists every leaf");
        merged.enableSignaling();
        other.signal();
        assertFalse(merged.isSignaled());
        job.signal();
        assertTrue(merged.isSignaled(), "both inputs signalled, shutdown not needed: " + merged);
    }

    @Test
    void aSinglePendingAnyArrayIsTheMergeItself() {
        FenceArray any = FenceArray.any(mockFence(), mockFence());
        Fence done = mockFence();
        done.signal();
        assertSame(any, Fences.merge(any, done));
    }

    @Test
    void mergingAMergeThatHoldsAnAnyArrayKeepsItWhole() {
        Fence job = mockFence();
        Fence shutdown = mockFence();
        Fence other = mockFence();
        Fence x = mockFence();
        FenceArray any = FenceArray.any(job, shutdown);
        Fence again = Fences.merge(Fences.merge(any, other), x);
        assertEquals(3, ((FenceArray) again).fences().size());
        assertTrue(((FenceArray) again).fences().contains(any));
        again.enableSignaling();
        job.signal();
        other.signal();
        x.signal();
        assertTrue(again.isSignaled(), "merge of a merge waits for shutdown: " + again);
    }

    @Test
    void mergeOfAReachedChainPointHoldingAnAnyArrayIsSignalled() {
        Fence job = mockFence();
        Fence shutdown = mockFence();
        FenceChain point1 = FenceChain.link(null, FenceArray.any(job, shutdown), 1);
        job.signal();
        assertTrue(point1.isSignaled());
        Fence merged = Fences.merge(point1); // what SyncObj.transfer does with a chain
        assertTrue(merged.isSignaled(), "flattening a reached chain point gave " + merged);
    }

    @Test
    void anAllArraySignalledWithAnErrorIsOneSignalledFence() {
        Fence ok = mockFence();
        Fence stuck = mockFence();
        FenceArray all = FenceArray.all(ok, stuck);
        all.signal(new IllegalStateException("job aborted")); // forced, members still pending
        assertTrue(Fences.merge(all).isSignaled());
    }

    @Test
    void aPendingChainPointHoldingAnAnyArrayWaitsForItsFirstMemberOnly() {
        Fence first = mockFence();
        Fence job = mockFence();
        Fence shutdown = mockFence();
        FenceChain p1 = FenceChain.link(null, first, 1);
        FenceChain p2 = FenceChain.link(p1, FenceArray.any(job, shutdown), 2);
        Fence merged = Fences.merge(p2);
        merged.enableSignaling();
        first.signal();
        job.signal();
        assertTrue(merged.isSignaled(), merged.toString());
    }
}
