package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SharedBuffer#importFence} of a container that has already signalled adds nothing. An
 * any-array signals with one member, and its other members may never signal; flattening it and
 * keeping the unsignalled leaves (as the import did through {@code Fences.unwrap}) added those
 * members, so the buffer's next access waited for a fence nobody would signal.
 */
@Timeout(10)
class SharedBufferImportSignaledContainerTest {

    private static Fence fence() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    @Test
    void aSignalledAnyArrayAddsNothing() {
        Fence done = fence();
        Fence never = fence(); // an alternative that lost: it never signals
        FenceArray any = FenceArray.any(done, never);
        done.signal();
        assertTrue(any.isSignaled());
        SharedBuffer buf = SharedBuffer.allocate(16);
        buf.importFence(any, SharedBuffer.Direction.WRITE);
        assertEquals(List.of(), buf.reservation().fences(Usage.BOOKKEEP),
                "a signalled any-array left fences for the buffer's users to wait for");
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP));
        never.signal();
    }

    @Test
    void aSignalledAnyArrayInsideAPendingAllArrayAddsOnlyThePendingMembers() {
        Fence done = fence();
        Fence never = fence();
        Fence pending = fence();
        FenceArray any = FenceArray.any(done, never);
        FenceArray all = FenceArray.all(pending, any);
        done.signal();
        assertTrue(any.isSignaled());
        SharedBuffer buf = SharedBuffer.allocate(16);
        buf.importFence(all, SharedBuffer.Direction.READ);
        assertEquals(List.of(pending), buf.reservation().fences(Usage.BOOKKEEP));
        pending.signal();
        assertTrue(buf.reservation().testSignaled(Usage.BOOKKEEP));
        never.signal();
    }

    @Test
    void aPendingAnyArrayIsStillFlattenedAsTheKernelDoes() {
        Fence a = fence();
        Fence b = fence();
        SharedBuffer buf = SharedBuffer.allocate(16);
        buf.importFence(FenceArray.any(a, b), SharedBuffer.Direction.READ);
        assertEquals(2, buf.reservation().fences(Usage.BOOKKEEP).size());
        a.signal();
        b.signal();
    }

    @Test
    void aPendingChainAddsEachPendingLinksFenceAndAPlainPredecessor() {
        Fence first = fence(); // the chain starts from a plain fence, not a link
        Fence second = fence();
        FenceChain link = FenceChain.link(first, second, 2);
        SharedBuffer buf = SharedBuffer.allocate(16);
        buf.importFence(link, SharedBuffer.Direction.READ);
        List<Fence> added = buf.reservation().fences(Usage.BOOKKEEP);
        assertEquals(2, added.size(), added::toString);
        assertTrue(added.contains(first) && added.contains(second), added::toString);
        first.signal();
        second.signal();
    }
}
