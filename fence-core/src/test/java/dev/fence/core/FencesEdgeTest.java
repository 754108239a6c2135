package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Fences: zero-timeout awaitAny, cleanup after a timed-out awaitAny, merge results. */
class FencesEdgeTest {

    static final class Hooked extends Fence {
        final AtomicInteger enables = new AtomicInteger();

        Hooked() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean enableSignalingHook() {
            enables.incrementAndGet();
            return true;
        }
    }

    /** As documented: an awaitAny that finds a signalled fence only polls, enabling nothing. */
    @Test
    void awaitAnyWithOneAlreadySignalledEnablesNothing() throws Exception {
        Fence done = mockFence();
        done.signal();
        Hooked pending = new Hooked();
        assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, pending, done));
        assertEquals(0, pending.enables.get());
        Hooked first = new Hooked();
        Hooked later = new Hooked();
        Fence stub = Fence.signaledStub();
        // Wherever the signalled one stands, the fences around it are not enabled.
        assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, first, stub, later));
        assertEquals(0, first.enables.get());
        assertEquals(0, later.enables.get());
    }

    @Test
    void awaitAnyZeroTimeoutPollsWithoutEnabling() throws Exception {
        Hooked a = new Hooked();
        Hooked b = new Hooked();
        assertEquals(-1, Fences.awaitAny(0, TimeUnit.SECONDS, a, b));
        assertEquals(0, a.enables.get());
        assertEquals(0, b.enables.get());
        assertEquals(-1, Fences.awaitAny(1, TimeUnit.MILLISECONDS, a, b));
        assertEquals(1, a.enables.get());
        assertFalse(a.hasCallbacks(), "timed-out awaitAny left a node");
        assertFalse(b.hasCallbacks(), "timed-out awaitAny left a node");
    }

    @Test
    void awaitAnyWithAlreadySignalledLaterFenceLeavesNothing() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        Fence c = mockFence();
        c.signal();
        // firstSignaled sees c at once: nothing is registered at all
        assertEquals(2, Fences.awaitAny(1, TimeUnit.SECONDS, a, b, c));
        assertFalse(a.hasCallbacks());
        assertFalse(b.hasCallbacks());
        // c found signalled only while registering (its enable hook says the work is done):
        // the nodes already queued on a and b must be taken off again
        Fence d = FenceWaitFindsDoneTest.doneAtEnable();
        assertFalse(d.isSignaled(), "the first scan must not see d signalled");
        assertEquals(2, Fences.awaitAny(60, TimeUnit.SECONDS, a, b, d));
        assertTrue(d.isSignaled());
        assertFalse(a.hasCallbacks(), "a's node left queued after registration found d done");
        assertFalse(b.hasCallbacks(), "b's node left queued after registration found d done");
    }

    /**
     * Kernel: a merge of signalled fences returns a private stub (dma_fence_allocate_private_stub)
     * carrying the latest timestamp, named "stub"/"stub"; it was "fence"/"unbound" here.
     */
    @Test
    void mergeOfSignalledFencesIsANamedStubWithTheLatestTimestamp() {
        Fence a = mockFence();
        Fence b = mockFence();
        a.signal(100L);
        b.signal(200L);
        Fence m = Fences.merge(a, b);
        assertTrue(m.isSignaled());
        assertEquals(200L, m.timestamp());
        assertEquals("stub", m.driverName());
        assertEquals("stub", m.timelineName());
    }

    /**
     * A signalled container is kept whole by the merge, but its own timestamp is when it was
     * found signalled: an array or chain nobody enabled is signalled by the merge's own poll,
     * so the old merge stamped the result with the time of the merge instead of the latest
     * member timestamp (200), which the kernel's merge, flattening the container, reports, and
     * which merge(a, b) reports for the same fences.
     */
    @Test
    void mergeOfASignalledContainerCarriesItsLeavesLatestTimestamp() {
        Fence a = mockFence();
        Fence b = mockFence();
        a.signal(100L);
        b.signal(200L);
        assertEquals(200L, Fences.merge(FenceArray.all(a, b)).timestamp(), "all-array");
        assertEquals(200L, Fences.merge(FenceChain.link(FenceChain.link(null, a, 1), b, 2))
                .timestamp(), "chain");
        Fence c = mockFence();
        c.signal(50L);
        assertEquals(200L, Fences.merge(c, FenceArray.all(b, a)).timestamp(), "with a plain fence");
    }

    @Test
    void mergeMakesArrayOnFreshContextSeqnoOne() {
        Fence a = mockFence();
        Fence b = mockFence();
        Fence m = Fences.merge(a, b);
        assertTrue(m instanceof FenceArray);
        assertEquals(1L, m.seqno());
        assertNotEquals(a.context(), m.context());
        assertNotEquals(b.context(), m.context());
        assertFalse(((FenceArray) m).signalOnAny());
    }
}
