package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.reservation.SharedBuffer.Direction;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Who owns the references behind {@link Reservation#singleton},
 * {@link Reservation#exclusiveFence()} and {@link SharedBuffer#exportFence}: a single pending
 * fence comes back as itself (no reference taken, the reservation counts none), while a merge is
 * a new {@link FenceArray} that holds a reference on each member until the caller releases it.
 * A driver whose fences recycle themselves in {@code deallocate()} depends on the second half:
 * its fences come back only once the merge is released.
 */
class ReservationMergeReferencesTest {

    /** A driver fence that counts its deallocations, as a pooled fence would recycle itself. */
    static final class PooledFence extends Fence {
        final AtomicInteger deallocated;

        PooledFence(long context, AtomicInteger deallocated) {
            super(context, 1L);
            this.deallocated = deallocated;
        }

        @Override
        protected void deallocate() {
            deallocated.incrementAndGet();
        }
    }

    /** Counts the deallocations of every fence {@link #pooled()} made for this test. */
    private final AtomicInteger deallocated = new AtomicInteger();

    /** A pending pooled fence on a fresh context. */
    private PooledFence pooled() {
        return new PooledFence(Fence.allocateContexts(1), deallocated);
    }

    /** What a {@link SharedBuffer} on {@code resv} exports for a reader. */
    private static Fence exported(Reservation resv) {
        return new SharedBuffer(ByteBuffer.allocate(16), resv).exportFence(Direction.READ);
    }

    private static Reservation withFences(Usage usage, Fence... fences) {
        Reservation resv = new Reservation();
        resv.lock();
        try {
            resv.reserveFences(fences.length);
            for (Fence f : fences) {
                resv.addFence(f, usage);
            }
        } finally {
            resv.unlock();
        }
        return resv;
    }

    @Test
    void aMergeKeepsPooledMembersUntilTheCallerReleasesIt() {
        PooledFence a = pooled();
        PooledFence b = pooled();
        Reservation resv = withFences(Usage.READ, a, b);

        Fence merged = resv.singleton(Usage.READ);
        assertInstanceOf(FenceArray.class, merged, "two pending contexts merge");
        assertEquals(2, a.refCnt(), "the merge holds a reference on a");
        assertEquals(2, b.refCnt(), "the merge holds a reference on b");

        a.signal();
        b.signal();
        assertFalse(a.release(), "the driver's own reference is not the last one");
        assertFalse(b.release());
        assertEquals(0, deallocated.get(), "an unreleased merge keeps the members from the pool");

        assertTrue(merged.release(), "the caller owned the merge's only reference");
        assertEquals(2, deallocated.get(), "releasing the merge returns both members");
    }

    @Test
    void aSinglePendingFenceComesBackWithoutANewReference() {
        PooledFence only = pooled();
        Reservation resv = withFences(Usage.WRITE, only);

        assertSame(only, resv.singleton(Usage.READ));
        assertSame(only, resv.exclusiveFence());
        assertSame(only, exported(resv));
        assertEquals(1, only.refCnt(), "nothing was taken: the caller must not release it");

        only.signal();
        assertTrue(only.release(), "the driver's reference is still the only one");
        assertEquals(1, deallocated.get());
    }

    @Test
    void exclusiveFenceAndExportFenceMergeTheSameWay() {
        PooledFence a = pooled();
        PooledFence b = pooled();
        Reservation resv = withFences(Usage.WRITE, a, b);

        Fence exclusive = resv.exclusiveFence();
        Fence exported = exported(resv);
        assertInstanceOf(FenceArray.class, exclusive);
        assertInstanceOf(FenceArray.class, exported);
        assertEquals(3, a.refCnt(), "each merge holds its own reference");

        a.signal();
        b.signal();
        a.release();
        b.release();
        assertTrue(exclusive.release());
        assertEquals(0, deallocated.get(), "the exported merge still holds both");
        assertTrue(exported.release());
        assertEquals(2, deallocated.get());
    }

    /**
     * Two pending fences of one context (a WRITE, then a later READ, which the replacement rule
     * appends beside it): singleton(READ) merges them, and the merge keeps only the later one,
     * which comes back as itself with no reference taken, not as a new array. So the caller
     * tells the cases apart by the result (a FenceArray is new), not by how many fences it
     * expected.
     */
    @Test
    void severalPendingFencesOfOneContextComeBackAsTheLaterOneWithoutANewReference() {
        long ctx = Fence.allocateContexts(1);
        Fence w = Fence.create(ctx, 1L);
        Fence r = Fence.create(ctx, 2L);
        Reservation resv = new Reservation();
        resv.lock();
        try {
            resv.reserveFences(2);
            resv.addFence(w, Usage.WRITE);
            resv.addFence(r, Usage.READ);
        } finally {
            resv.unlock();
        }
        assertEquals(2, resv.fences(Usage.READ).size(), "both kept: the WRITE is not replaced");
        Fence single = resv.singleton(Usage.READ);
        assertSame(r, single);
        assertEquals(1, r.refCnt(), "no reference taken on the fence that came back");
        assertEquals(1, w.refCnt());
    }
}
