package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A {@link FenceArray} holds a reference on each member from creation to its own last release,
 * as the kernel's {@code dma_fence_array} does: a holder that counts only the array (a sync file,
 * a sync object) must not see a member deallocated under it.
 */
class FenceArrayRefsTest {

    /** A fence that counts its deallocate() calls, like a driver returning it to a pool. */
    private static final class Pooled extends Fence {
        final AtomicInteger deallocated = new AtomicInteger();

        Pooled() {
            super(Fence.allocateContexts(1), 1L);
        }

        @Override
        protected void deallocate() {
            deallocated.incrementAndGet();
        }

        @Override
        public String driverName() {
            return "pool";
        }

        @Override
        public String timelineName() {
            return "refs";
        }
    }

    @Test
    void membersOutliveTheirCreatorsReferencesUntilTheArrayGoes() {
        Pooled a = new Pooled();
        Pooled b = new Pooled();
        FenceArray all = FenceArray.all(a, b);
        assertEquals(2, a.refCnt(), "creator and array");
        assertEquals(2, b.refCnt(), "creator and array");
        a.release();
        b.release();
        assertEquals(0, a.deallocated.get(), "the array still holds a");
        assertEquals(1, a.refCnt());
        a.signal();
        b.signal();
        assertTrue(all.isSignaled());
        assertNull(all.error(), "no member was released under the array");
        assertTrue(all.release(), "the array's last reference");
        assertEquals(1, a.deallocated.get());
        assertEquals(1, b.deallocated.get());
        assertEquals(0, a.refCnt());
    }

    /**
     * A pending array released to zero stops watching its members before it drops their
     * references, so a member it held last is deallocated quietly rather than force-signalled.
     */
    @Test
    void releasingAWatchingArrayDetachesBeforeDroppingMembers() {
        Pooled a = new Pooled();
        FenceArray any = FenceArray.any(a);
        any.enableSignaling(); // installs the member callback on a
        a.release();
        assertTrue(any.release());
        assertEquals(1, a.deallocated.get(), "the array held the last reference");
        assertFalse(a.isSignaled(), "a was not force-signalled on the array's account");
    }

    @Test
    void aMemberAlreadyAtZeroIsHeldUncountedAndNotReleasedAgain() {
        Pooled dead = new Pooled();
        dead.release();
        Pooled live = new Pooled();
        FenceArray all = FenceArray.all(dead, live);
        assertEquals(0, dead.refCnt());
        assertEquals(2, live.refCnt());
        all.release(); // would throw (release below zero) for `dead` if it were counted
        assertEquals(1, dead.deallocated.get(), "only its own last release");
        assertEquals(1, live.refCnt(), "the array's reference on live is gone");
    }

    /** An owner that over-released one member does not make the array leak the others. */
    @Test
    void anOverReleasedMemberDoesNotStopTheOthersBeingReleased() {
        Pooled a = new Pooled();
        Pooled b = new Pooled();
        FenceArray all = FenceArray.all(a, b);
        a.release();
        a.release(); // the array's reference, taken by its owner by mistake
        assertEquals(0, a.refCnt());
        assertTrue(all.release()); // deallocate's IllegalStateException is logged by release
        assertEquals(1, b.refCnt(), "b's array reference was still released");
    }

    @Test
    void mergeBuildsAnArrayThatHoldsItsMembers() {
        Pooled a = new Pooled();
        Pooled b = new Pooled();
        Fence merged = Fences.merge(a, b);
        assertTrue(merged instanceof FenceArray);
        a.release();
        b.release();
        assertEquals(0, a.deallocated.get() + b.deallocated.get());
        merged.release();
        assertEquals(1, a.deallocated.get());
        assertEquals(1, b.deallocated.get());
    }

    /**
     * Kernel: dma_fence_unwrap_merge gave back the references it had taken when it failed part
     * way ("Fix reference leak on fence merge failure path"). Here the failure is a member whose
     * count would overflow: the members retained before it get their references back.
     */
    @Test
    void failedCreationGivesBackTheReferencesAlreadyTaken() {
        Pooled a = new Pooled();
        Fence full = Fence.create(Fence.allocateContexts(1), 1);
        for (int i = 0; i < Fence.MAX_EXTRA_REFS; i++) {
            full.retain();
        }
        Pooled c = new Pooled();
        assertThrows(IllegalStateException.class, () -> FenceArray.all(a, full, c));
        assertEquals(1, a.refCnt(), "a failed creation kept a reference on the member before");
        assertEquals(Fence.MAX_EXTRA_REFS + 1, full.refCnt());
        assertEquals(1, c.refCnt(), "a member after the failing one was retained");
        a.release();
        assertEquals(1, a.deallocated.get());
    }

    /**
     * docs/kernel-mapping.md: unlike the kernel's, an enabled array takes no reference on itself
     * per pending member callback, so its holders' last release is the last one: with a callback
     * of its own queued it is force-signalled with FenceReleasedException, and it stops watching
     * its members (which stay pending, their own callbacks untouched).
     */
    @Test
    void lastReleaseOfAPendingArrayWithACallbackForceSignalsItAndDetachesIt() {
        Pooled m = new Pooled();
        FenceArray array = FenceArray.all(m);
        TestSupport.CountingCallback cb = new TestSupport.CountingCallback();
        assertTrue(array.addCallback(cb)); // enables: a member callback now sits on m
        assertTrue(m.hasCallbacks());
        assertTrue(array.release());
        assertTrue(array.isSignaled());
        assertTrue(array.error() instanceof FenceReleasedException, String.valueOf(array.error()));
        assertEquals(1, cb.runs());
        assertFalse(m.hasCallbacks(), "the array's member callback outlived its deallocate()");
        assertFalse(m.isSignaled());
        assertEquals(1, m.refCnt(), "the array's reference on m was not released");
        m.signal();
        assertEquals(1, cb.runs());
    }
}
