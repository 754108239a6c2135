package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Port of the kernel's {@code drivers/dma-buf/st-dma-resv.c} (suite {@code dma_resv}): every test
 * but the sanity check runs once per usage. Each case also checks that a query with a weaker
 * (smaller) usage does not see the fence, which the kernel suite leaves implicit.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReservationKernelTest {

    private static Fence allocFence() {
        Fence f = Fence.create(Fence.allocateContexts(1), 0);
        f.enableSignaling();
        return f;
    }

    private static Reservation lockedWith(Fence f, Usage usage) {
        Reservation resv = new Reservation();
        resv.lock();
        resv.reserveFences(1);
        resv.addFence(f, usage);
        return resv;
    }

    /** sanitycheck: init, lock without a context, unlock. */
    @Test
    void sanitycheck() {
        Reservation resv = new Reservation();
        assertFalse(resv.isLocked());
        resv.lock();
        assertTrue(resv.isLocked());
        assertTrue(resv.isHeldByCurrentThread());
        resv.unlock();
        assertFalse(resv.isLocked());
        assertEquals(0, resv.fenceCount());
    }

    /** test_signaling: test_signaled is false while the fence is pending, true once signalled. */
    @ParameterizedTest
    @EnumSource(Usage.class)
    void testSignaling(Usage usage) {
        Fence f = allocFence();
        Reservation resv = lockedWith(f, usage);
        assertFalse(resv.testSignaled(usage), "resv unexpectedly signaled");
        f.signal();
        assertTrue(resv.testSignaled(usage), "resv not reporting signaled");
        resv.unlock();
    }

    /** test_for_each: the locked iterator yields exactly the fence, with its usage. */
    @ParameterizedTest
    @EnumSource(Usage.class)
    void testForEach(Usage usage) {
        Fence f = allocFence();
        Reservation resv = lockedWith(f, usage);
        List<Reservation.Entry> entries = resv.entries(usage);
        assertEquals(1, entries.size(), "wrong number of fences");
        assertSame(f, entries.get(0).fence(), "unexpected fence");
        assertEquals(usage, entries.get(0).usage(), "unexpected fence usage");
        if (usage.ordinal() > 0) {
            assertTrue(resv.entries(Usage.values()[usage.ordinal() - 1]).isEmpty(),
                    "a weaker query returned a stronger-usage fence");
        }
        f.signal();
        assertSame(f, resv.entries(usage).get(0).fence(), "locked iteration includes signalled");
        resv.unlock();
    }

    /**
     * test_for_each_unlocked: a reader without the lock gets the fence with its usage. The kernel
     * corrupts its cursor to force a restart and expects the fence again; here a reader's
     * snapshot never needs a restart, so the test instead publishes a new list while the reader
     * holds the old one and checks that the old view is intact and the new one complete.
     */
    @ParameterizedTest
    @EnumSource(Usage.class)
    void testForEachUnlocked(Usage usage) {
        Fence f = allocFence();
        Reservation resv = lockedWith(f, usage);
        resv.unlock();
        List<Fence> view = resv.unsignaledFences(usage);
        assertEquals(List.of(f), view);
        assertEquals(usage, resv.entries(usage).get(0).usage(), "unexpected fence usage");

        Fence g = allocFence();
        resv.lock();
        resv.reserveFences(1);
        resv.addFence(g, usage);
        resv.unlock();
        assertEquals(List.of(f), view, "a published snapshot changed under its reader");
        assertEquals(List.of(f, g), resv.unsignaledFences(usage));
        f.signal();
        assertEquals(List.of(g), resv.unsignaledFences(usage), "unlocked readers skip signalled");
        g.signal();
        assertTrue(resv.unsignaledFences(usage).isEmpty());
    }

    /** test_get_fences: one unsignalled fence comes back, and only it. */
    @ParameterizedTest
    @EnumSource(Usage.class)
    void testGetFences(Usage usage) {
        Fence f = allocFence();
        Reservation resv = lockedWith(f, usage);
        resv.unlock();
        List<Fence> fences = resv.unsignaledFences(usage);
        assertEquals(1, fences.size(), "wrong number of fences");
        assertSame(f, fences.get(0), "unexpected fence");
        assertEquals(List.of(f), resv.fences(Usage.BOOKKEEP), "BOOKKEEP sees every usage");
        f.signal();
    }
}
