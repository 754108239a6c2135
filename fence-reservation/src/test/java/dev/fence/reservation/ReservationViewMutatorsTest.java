package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.List;
import java.util.ListIterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-usage views ({@code fences(u)}, and {@code unsignaledFences(u)} while nothing in it has
 * signalled) refuse every mutator, as the unmodifiable copy {@code unsignaledFences(u)} returns
 * once something has signalled does. AbstractList's defaults let a mutator that would change
 * nothing pass quietly (remove of an absent fence returned false, addAll at an index of an empty
 * collection returned false, a list iterator's remove or set before next() threw
 * IllegalStateException, a sublist's clear() of an empty range did nothing), so one call of
 * {@code unsignaledFences(u)} answered differently depending on whether a fence had signalled.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReservationViewMutatorsTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    private static void add(Reservation r, Fence f, Usage u) {
        r.lock();
        try {
            r.reserveFences(1);
            r.addFence(f, u);
        } finally {
            r.unlock();
        }
    }

    /** Every mutator throws, whether or not it would change the list. */
    private static void assertRefusesMutators(List<Fence> view, Fence member, Fence absent) {
        assertThrows(UnsupportedOperationException.class, () -> view.remove(absent));
        assertThrows(UnsupportedOperationException.class, () -> view.remove(member));
        assertThrows(UnsupportedOperationException.class, () -> view.addAll(0, List.of()));
        assertThrows(UnsupportedOperationException.class, () -> view.addAll(0, List.of(absent)));
        assertThrows(UnsupportedOperationException.class, () -> view.add(absent));
        ListIterator<Fence> it = view.listIterator();
        assertThrows(UnsupportedOperationException.class, it::remove);
        assertThrows(UnsupportedOperationException.class, () -> it.set(absent));
        assertThrows(UnsupportedOperationException.class, () -> it.add(absent));
        assertSame(member, it.next());
        assertThrows(UnsupportedOperationException.class, it::remove);
        assertThrows(UnsupportedOperationException.class, () -> it.set(absent));
        List<Fence> none = view.subList(0, 0);
        assertThrows(UnsupportedOperationException.class, none::clear);
        assertThrows(UnsupportedOperationException.class, () -> none.addAll(List.of()));
        List<Fence> all = view.subList(0, view.size());
        assertThrows(UnsupportedOperationException.class, () -> all.set(0, absent));
        assertThrows(UnsupportedOperationException.class, all::clear);
    }

    @Test
    void viewsRefuseMutatorsLikeTheUnmodifiableCopy() {
        Reservation r = new Reservation();
        Fence a = fresh();
        Fence b = fresh();
        Fence absent = fresh();
        add(r, a, Usage.WRITE);
        add(r, b, Usage.READ);

        List<Fence> view = r.unsignaledFences(Usage.READ);
        assertSame(r.fences(Usage.READ), view, "nothing signalled: the snapshot's own view");
        assertRefusesMutators(view, a, absent);
        assertRefusesMutators(r.fences(Usage.WRITE), a, absent);

        Fence c = fresh();
        add(r, c, Usage.READ);
        b.signal();
        List<Fence> copy = r.unsignaledFences(Usage.READ);
        assertNotSame(r.fences(Usage.READ), copy, "something signalled: a copy");
        assertRefusesMutators(copy, a, absent);

        // the reads the overrides touch still answer as a list does
        List<Fence> all = r.fences(Usage.READ);
        assertEquals(List.of(a, b, c), all);
        assertEquals(List.of(b, c), all.subList(1, 3));
        assertEquals(1, all.indexOf(b));
        assertEquals(1, all.lastIndexOf(b));
        assertEquals(-1, all.indexOf(absent));
        assertEquals(-1, all.indexOf(null));
        assertEquals(-1, all.lastIndexOf("not a fence"));
        assertTrue(all.contains(c));
        assertFalse(all.contains(absent));
        ListIterator<Fence> back = all.listIterator(3);
        assertSame(c, back.previous());
        assertEquals(1, back.previousIndex());
        assertThrows(IndexOutOfBoundsException.class, () -> all.listIterator(4));
        assertThrows(IndexOutOfBoundsException.class, () -> all.subList(0, 4));
        assertEquals(List.of(a, b, c).hashCode(), all.hashCode());
    }
}
