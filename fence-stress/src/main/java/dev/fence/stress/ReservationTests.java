package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.reservation.ExecContext;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.Usage;
import dev.fence.reservation.WwClass;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.LLI_Result;
import org.openjdk.jcstress.infra.results.LL_Result;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * {@link Reservation}: locked updates racing lock-free readers, and {@link ExecContext}
 * transactions locking two reservations in opposite orders. Claims: a reader sees one published
 * list, old or new, never a mix of two updates; successive reads never go back to an older list;
 * two transactions that each add a fence to both reservations are serialized (the same order on
 * both), complete without deadlock, and leave nothing locked; an ExecContext that releases its
 * reservations wakes their waiters although it unparks them only after its last release.
 *
 * <p>Reader outcomes list the fences as {@code label/usage} in list order, usage by its initial
 * (k, w, r, b).
 *
 * <p>How to run:
 * {@code java -jar fence-stress/target/jcstress.jar -t ReservationTests[.SubTestName]}
 */
public final class ReservationTests {

    private ReservationTests() {
    }

    /** Fences with labels, for readable outcomes. */
    static final class Labels {
        private final Map<Fence, String> names = new IdentityHashMap<>();

        Fence fence(String label) {
            return fence(label, Fence.allocateContexts(1), 1);
        }

        Fence fence(String label, long context, long seqno) {
            Fence f = Fence.create(context, seqno);
            names.put(f, label);
            return f;
        }

        String of(List<Reservation.Entry> entries) {
            StringBuilder sb = new StringBuilder();
            for (Reservation.Entry e : entries) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                String n = names.get(e.fence());
                sb.append(n == null ? "?" : n).append('/')
                        .append(Character.toLowerCase(e.usage().name().charAt(0)));
            }
            return sb.length() == 0 ? "empty" : sb.toString();
        }

        /** Labels of bare fences (a per-usage view), in list order; "?" for an unknown fence. */
        String names(List<Fence> fences) {
            StringBuilder sb = new StringBuilder();
            for (Fence f : fences) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                String n = names.get(f);
                sb.append(n == null ? "?" : n);
            }
            return sb.length() == 0 ? "empty" : sb.toString();
        }
    }

    static void add(Reservation r, Fence f, Usage u) {
        r.lock();
        try {
            r.reserveFences(1);
            r.addFence(f, u);
        } finally {
            r.unlock();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * copyFences replaces the whole list {A, B} by {C, D} in one locked update. A lock-free
     * reader sees either list, never a mix.
     */

    @JCStressTest
    @Description("copyFences: {A, B} replaced by {C, D} in one locked update vs entries(): old or new list, never a mix.")
    @Outcome(id = "A/w,B/r", expect = ACCEPTABLE, desc = "The reader saw the old list.")
    @Outcome(id = "C/w,D/r", expect = ACCEPTABLE, desc = "The reader saw the new list.")
    @Outcome(expect = FORBIDDEN, desc = "A mix of old and new fences, a partial list, or unknown fences.")
    @State
    public static class CopyFencesVsReader {
        final Labels l = new Labels();
        final Reservation resv = new Reservation();
        final Reservation src = new Reservation();

        {
            add(resv, l.fence("A"), Usage.WRITE);
            add(resv, l.fence("B"), Usage.READ);
            add(src, l.fence("C"), Usage.WRITE);
            add(src, l.fence("D"), Usage.READ);
        }

        @Actor
        public void writer() {
            resv.lock();
            try {
                resv.copyFences(src);
            } finally {
                resv.unlock();
            }
        }

        @Actor
        public void reader(L_Result r) {
            r.r1 = l.of(resv.entries(Usage.BOOKKEEP));
        }
    }

    /* ------------------------------------------------------------------------------------------
     * addExclusiveFence(C) drops every WRITE and READ fence and appends C, in one update; the
     * KERNEL fence K stays. The reader sees {K, A, B} or {K, C}.
     */

    @JCStressTest
    @Description("addExclusiveFence(C) on {K, A/w, B/r} vs entries(): old list or {K, C}, never a mix.")
    @Outcome(id = "K/k,A/w,B/r", expect = ACCEPTABLE, desc = "The reader saw the list before the exclusive add.")
    @Outcome(id = "K/k,C/w", expect = ACCEPTABLE, desc = "The reader saw the list after it: A and B dropped, K kept.")
    @Outcome(expect = FORBIDDEN, desc = "A mix (C with A or B), K lost, or a partial list.")
    @State
    public static class AddExclusiveVsReader {
        final Labels l = new Labels();
        final Reservation resv = new Reservation();
        final Fence c = l.fence("C");

        {
            add(resv, l.fence("K"), Usage.KERNEL);
            add(resv, l.fence("A"), Usage.WRITE);
            add(resv, l.fence("B"), Usage.READ);
        }

        @Actor
        public void writer() {
            resv.lock();
            try {
                resv.reserveFences(1);
                resv.addExclusiveFence(c);
            } finally {
                resv.unlock();
            }
        }

        @Actor
        public void reader(L_Result r) {
            r.r1 = l.of(resv.entries(Usage.BOOKKEEP));
        }
    }

    /** The two views the usage-view tests read: fences(READ), then unsignaledFences(WRITE). */
    static void readViews(Labels l, Reservation resv, LLI_Result r) {
        try {
            r.r1 = l.names(resv.fences(Usage.READ));
        } catch (RuntimeException e) {
            r.r1 = e.getClass().getSimpleName();
        }
        try {
            r.r2 = l.names(resv.unsignaledFences(Usage.WRITE));
        } catch (RuntimeException e) {
            r.r2 = e.getClass().getSimpleName();
        }
    }

    /** Whether both views now show the lists {@code read} and {@code write}. */
    static boolean viewsAre(Labels l, Reservation resv, String read, String write) {
        return read.equals(l.names(resv.fences(Usage.READ)))
                && write.equals(l.names(resv.unsignaledFences(Usage.WRITE)));
    }

    /* ------------------------------------------------------------------------------------------
     * The per-usage views (Reservation's overview: each Snapshot carries, built by the writer
     * before the release store, one immutable FenceList per usage; fences(u) is one acquire load
     * plus an array read, unsignaledFences(u) returns that view or copies it without its
     * signalled fences; await(u), singleton(u) and setDeadline(u) go through the same code).
     * entries(u), which the tests above read, filters the snapshot's arrays itself and never
     * touches the views, so these two tests read only views, and with usages for which the
     * filter matters: fences(READ) includes the KERNEL, WRITE and READ fences and excludes
     * BOOKKEEP; unsignaledFences(WRITE) includes KERNEL and WRITE only, and drops signalled
     * ones (S below, a signalled WRITE fence, makes it take its copying branch).
     *
     * copyFences replaces {A/w, P/b, B/r, S/w (signalled), K/k} by src's {Q/b, C/k, D/r, E/w}
     * in one locked update. Old views: fences(READ) = A,B,S,K, unsignaledFences(WRITE) = A,K.
     * New: C,D,E and C,E. The reader takes fences(READ), then unsignaledFences(WRITE): each is
     * the old or the new list, and the second is never older than the first (two acquire loads
     * of one variable). A view mixing old and new fences, one with a fence of another usage
     * (P or Q, BOOKKEEP; B or D in the WRITE view; S in an "unsignalled" one), a partial view,
     * or an exception (a view not yet built) is FORBIDDEN; so are, in the arbiter, views that
     * do not match the new list once the writer is done (a view kept from an older snapshot).
     */

    @JCStressTest
    @Description("copyFences vs fences(READ) then unsignaledFences(WRITE): each view old or new, never a mix, never a fence of another usage.")
    @Outcome(id = "A,B,S,K, A,K, 1", expect = ACCEPTABLE, desc = "Both views read before the copy.")
    @Outcome(id = "A,B,S,K, C,E, 1", expect = ACCEPTABLE, desc = "The READ view before the copy, the WRITE view after it.")
    @Outcome(id = "C,D,E, C,E, 1", expect = ACCEPTABLE, desc = "Both views read after the copy.")
    @Outcome(expect = FORBIDDEN, desc = "A view mixing old and new fences, holding a fence of another usage or a signalled one, partial, going back to the old list, throwing, or stale after the copy.")
    @State
    public static class CopyFencesVsUsageViews {
        final Labels l = new Labels();
        final Reservation resv = new Reservation();
        final Reservation src = new Reservation();

        {
            add(resv, l.fence("A"), Usage.WRITE);
            add(resv, l.fence("P"), Usage.BOOKKEEP);
            add(resv, l.fence("B"), Usage.READ);
            Fence s = l.fence("S");
            add(resv, s, Usage.WRITE);
            add(resv, l.fence("K"), Usage.KERNEL);
            s.signal(); // after the add: an add would have replaced a signalled entry
            add(src, l.fence("Q"), Usage.BOOKKEEP);
            add(src, l.fence("C"), Usage.KERNEL);
            add(src, l.fence("D"), Usage.READ);
            add(src, l.fence("E"), Usage.WRITE);
        }

        @Actor
        public void writer() {
            resv.lock();
            try {
                resv.copyFences(src);
            } finally {
                resv.unlock();
            }
        }

        @Actor
        public void reader(LLI_Result r) {
            readViews(l, resv, r);
        }

        @Arbiter
        public void arbiter(LLI_Result r) {
            r.r3 = viewsAre(l, resv, "C,D,E", "C,E") ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * The same views across addExclusiveFence, which is two publications here: reserveFences(1)
     * first compacts the signalled S away ({K/k, S/w, A/w, P/b, B/r} -> {K, A, P, B}), then
     * addExclusiveFence(C) drops A and B and appends C ({K/k, P/b, C/w}). fences(READ) goes
     * K,S,A,B -> K,A,B -> K,C; unsignaledFences(WRITE) is K,A in the first two lists (copied
     * without S in the first, the view itself in the second) and K,C in the last. The WRITE view
     * is read second, so once the READ view shows K,C it must too.
     */

    @JCStressTest
    @Description("reserveFences + addExclusiveFence(C) vs fences(READ) then unsignaledFences(WRITE): each view one published list, never a mix.")
    @Outcome(id = "K,S,A,B, K,A, 1", expect = ACCEPTABLE, desc = "Both views read before the writer published anything.")
    @Outcome(id = {"K,S,A,B, K,C, 1", "K,A,B, K,C, 1"}, expect = ACCEPTABLE, desc = "The READ view before the exclusive add (before or after the compaction), the WRITE view after it.")
    @Outcome(id = "K,A,B, K,A, 1", expect = ACCEPTABLE, desc = "The READ view after the compaction, the WRITE view before the exclusive add.")
    @Outcome(id = "K,C, K,C, 1", expect = ACCEPTABLE, desc = "Both views read after the exclusive add.")
    @Outcome(expect = FORBIDDEN, desc = "C beside A or B, P (BOOKKEEP) in the READ view, B or S in the unsignalled WRITE view, K lost, a view going back, an exception, or stale views after the writer.")
    @State
    public static class AddExclusiveVsUsageViews {
        final Labels l = new Labels();
        final Reservation resv = new Reservation();
        final Fence c = l.fence("C");

        {
            add(resv, l.fence("K"), Usage.KERNEL);
            Fence s = l.fence("S");
            add(resv, s, Usage.WRITE);
            add(resv, l.fence("A"), Usage.WRITE);
            add(resv, l.fence("P"), Usage.BOOKKEEP);
            add(resv, l.fence("B"), Usage.READ);
            s.signal(); // after the adds: an add would have replaced a signalled entry
        }

        @Actor
        public void writer() {
            resv.lock();
            try {
                resv.reserveFences(1);
                resv.addExclusiveFence(c);
            } finally {
                resv.unlock();
            }
        }

        @Actor
        public void reader(LLI_Result r) {
            readViews(l, resv, r);
        }

        @Arbiter
        public void arbiter(LLI_Result r) {
            r.r3 = viewsAre(l, resv, "K,C", "K,C") ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Two adds in one lock hold: A2 replaces A1 (same context, later seqno), then B2 replaces
     * B1. Each add publishes once, so a reader may see the state between them, but in order:
     * never B2 without A2, and a second read never returns to an older list than the first.
     */

    @JCStressTest
    @Description("{A1, B1}: addFence(A2), addFence(B2) under one lock vs two entries() reads: published in order, reads monotonic.")
    @Outcome(id = "A1/w,B1/w, A1/w,B1/w", expect = ACCEPTABLE, desc = "Both reads before the first add.")
    @Outcome(id = {"A1/w,B1/w, A2/w,B1/w", "A1/w,B1/w, A2/w,B2/w"}, expect = ACCEPTABLE,
            desc = "The first read before the adds, the second between or after them.")
    @Outcome(id = {"A2/w,B1/w, A2/w,B1/w", "A2/w,B1/w, A2/w,B2/w"}, expect = ACCEPTABLE,
            desc = "The first read between the adds (A2 replaced A1 in place), the second then or after.")
    @Outcome(id = "A2/w,B2/w, A2/w,B2/w", expect = ACCEPTABLE, desc = "Both reads after both adds.")
    @Outcome(expect = FORBIDDEN, desc = "B2 without A2 (out of order), a read older than the one before it, or a torn list.")
    @State
    public static class OrderedAddsVsReader {
        final Labels l = new Labels();
        final Reservation resv = new Reservation();
        final long ctxA = Fence.allocateContexts(1);
        final long ctxB = Fence.allocateContexts(1);
        final Fence a2 = l.fence("A2", ctxA, 2);
        final Fence b2 = l.fence("B2", ctxB, 2);

        {
            add(resv, l.fence("A1", ctxA, 1), Usage.WRITE);
            add(resv, l.fence("B1", ctxB, 1), Usage.WRITE);
        }

        @Actor
        public void writer() {
            resv.lock();
            try {
                resv.reserveFences(2);
                resv.addFence(a2, Usage.WRITE);
                resv.addFence(b2, Usage.WRITE);
            } finally {
                resv.unlock();
            }
        }

        @Actor
        public void reader(LL_Result r) {
            r.r1 = l.of(resv.entries(Usage.BOOKKEEP));
            r.r2 = l.of(resv.entries(Usage.BOOKKEEP));
        }
    }

    /* ------------------------------------------------------------------------------------------
     * A published list never changes: a view a reader took keeps the fences it had, whatever
     * the lock holder publishes later. addFence(A2) replaces A1 (same context, later seqno), so
     * a writer that wrote the replacement into the published snapshot's array instead of a copy
     * would change a view taken before the add (fences() of a usage that takes every entry
     * shares that array). The reader reads its view once at once and the arbiter reads the same
     * view again after the writer is done: the two must agree. OrderedAddsVsReader can see that
     * mistake only as a torn read inside one traversal (9 of 887 K samples); here every sample
     * whose view predates the add shows it.
     */

    @JCStressTest
    @Description("{A1, B1}: addFence(A2) vs fences(BOOKKEEP) read then re-read after the add: a view taken never changes.")
    @Outcome(id = "A1,B1, A1,B1", expect = ACCEPTABLE, desc = "The view predates the add and still lists A1.")
    @Outcome(id = "A2,B1, A2,B1", expect = ACCEPTABLE, desc = "The view is the new list.")
    @Outcome(expect = FORBIDDEN, desc = "The view changed after it was taken (the add wrote into a published list), or a torn or unknown list.")
    @State
    public static class PublishedViewNeverChanges {
        final Labels l = new Labels();
        final Reservation resv = new Reservation();
        final long ctxA = Fence.allocateContexts(1);
        final Fence a2 = l.fence("A2", ctxA, 2);
        List<Fence> view;

        {
            add(resv, l.fence("A1", ctxA, 1), Usage.WRITE);
            add(resv, l.fence("B1"), Usage.WRITE);
        }

        @Actor
        public void writer() {
            resv.lock();
            try {
                resv.reserveFences(1);
                resv.addFence(a2, Usage.WRITE);
            } finally {
                resv.unlock();
            }
        }

        @Actor
        public void reader(LL_Result r) {
            List<Fence> v = resv.fences(Usage.BOOKKEEP);
            view = v;
            r.r1 = l.names(v);
        }

        @Arbiter
        public void arbiter(LL_Result r) {
            r.r2 = l.names(view);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * ExecContext ABBA: two transactions each lock {R1, R2} (in opposite orders) through
     * lockAll, then add their own fence to both. Two-phase locking means they are serialized:
     * the fence order is the same on both reservations. Both complete (no deadlock), nothing
     * stays locked, and the older ticket never backs off (wait-die).
     */

    @JCStressTest
    @Description("ExecContext lockAll(R1, R2) vs lockAll(R2, R1), each adding its fence to both: same order on both, nothing left locked.")
    @Outcome(id = "F1/w,F2/w, F1/w,F2/w, 1", expect = ACCEPTABLE, desc = "Transaction 1 went first on both reservations.")
    @Outcome(id = "F2/w,F1/w, F2/w,F1/w, 1", expect = ACCEPTABLE, desc = "Transaction 2 went first on both reservations.")
    @Outcome(expect = FORBIDDEN, desc = "Different orders on R1 and R2 (not serialized), a lost fence, a lock left held, or the older ticket backed off.")
    @State
    public static class ExecContextAbba {
        final WwClass cls = WwClass.waitDie("stress-exec");
        final Labels l = new Labels();
        final Reservation r1 = new Reservation(cls, "R1");
        final Reservation r2 = new Reservation(cls, "R2");
        final Fence f1 = l.fence("F1");
        final Fence f2 = l.fence("F2");
        long stamp1;
        long stamp2;
        long backoffs1;
        long backoffs2;

        @Actor
        public void transaction1() {
            try (ExecContext e = ExecContext.create(cls)) {
                e.lockAll(x -> {
                    x.prepare(r1, 1);
                    x.prepare(r2, 1);
                });
                e.addFence(f1, Usage.WRITE);
                stamp1 = e.context().stamp();
                backoffs1 = e.backoffs();
            } catch (InterruptedException e) {
                backoffs1 = -1;
            }
        }

        @Actor
        public void transaction2() {
            try (ExecContext e = ExecContext.create(cls)) {
                e.lockAll(x -> {
                    x.prepare(r2, 1);
                    x.prepare(r1, 1);
                });
                e.addFence(f2, Usage.WRITE);
                stamp2 = e.context().stamp();
                backoffs2 = e.backoffs();
            } catch (InterruptedException e) {
                backoffs2 = -1;
            }
        }

        @Arbiter
        public void arbiter(LLI_Result r) {
            r.r1 = l.of(r1.entries(Usage.BOOKKEEP));
            r.r2 = l.of(r2.entries(Usage.BOOKKEEP));
            long olderBackoffs = stamp1 - stamp2 < 0 ? backoffs1 : backoffs2;
            boolean ok = !r1.isLocked() && !r2.isLocked() && olderBackoffs == 0
                    && backoffs1 >= 0 && backoffs2 >= 0;
            r.r3 = ok ? 1 : BROKEN;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * ExecContext.close() vs a waiter. close() releases every reservation first and unparks the
     * waiters it disarmed only afterwards (WwMutex's "Deferred wake-up": the releaser that
     * cleared the head's armed flag owes it the unpark, later but always). The holder locks R1
     * and R2 through a context; the waiter asks for R2 (context-free) while it is held, and the
     * holder closes after a random 0-12 us, so the release lands in the waiter's spin, its
     * queueing or its park. A lost wake-up would leave the waiter parked for good: the holder
     * stands watchdog for a second after close() and then interrupts it, so a lost wake-up is a
     * FORBIDDEN outcome, not a hang.
     */

    @JCStressTest
    @Description("ExecContext.close() (deferred wake-ups) racing a waiter on one of its reservations: the waiter always gets it, promptly.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The waiter took R2 after close(), within the watchdog's second.")
    @Outcome(expect = FORBIDDEN, desc = "The waiter still waited a second after close() (a lost wake-up; the watchdog interrupted it), or got R2 while it was held.")
    @State
    public static class ExecCloseWakesWaiter extends Probes.ReleaseRace {
        final WwClass cls = WwClass.waitDie("stress-exec-close");
        final Reservation r1 = new Reservation(cls, "R1");
        final Reservation r2 = new Reservation(cls, "R2");
        ExecContext exec;

        @Override
        boolean hold() {
            exec = ExecContext.create(cls);
            try {
                exec.lockAll(x -> {
                    x.lock(r1);
                    x.lock(r2);
                });
                return true;
            } catch (InterruptedException e) {
                exec.close();
                return false;
            }
        }

        @Override
        void release() {
            exec.close();
        }

        @Override
        void waiterLock() throws InterruptedException {
            r2.lockInterruptible();
        }

        @Override
        void waiterUnlock() {
            r2.unlock();
        }

        @Actor
        public void holder(II_Result r) {
            runHolder(r);
        }

        @Actor
        public void waiter(II_Result r) {
            runWaiter(r);
        }
    }
}
