package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import dev.fence.reservation.ExecContext;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.Usage;
import dev.fence.reservation.WwAcquireContext;
import dev.fence.reservation.WwClass;
import dev.fence.reservation.WwDeadlockException;
import dev.fence.reservation.WwMutex;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * fence-reservation under load: transactions lock random subsets of shared reservations in random
 * order through {@link ExecContext} (wait-die and wound-wait classes, with and without
 * {@code INTERRUPTIBLE} and {@code IGNORE_DUPLICATES}), add a fence to every locked reservation,
 * and release; some are abandoned mid-acquire by an exception thrown from the locking block,
 * some end by an injected interrupt. A hand-written {@link WwMutex} retry loop (the javadoc's)
 * runs over a separate set of wound-wait mutexes. Lock-free readers list, test and wait on the
 * reservations meanwhile; a timeline signals the transactions' fences.
 *
 * <p>Checked as it goes: a reservation's critical section is exclusive (a per-reservation
 * holder count must read 1 inside); every fence a committed transaction added is in every
 * reservation it locked before that transaction unlocks; after a transaction ends (committed,
 * abandoned or interrupted) the thread holds none of its locks; a reader's list never holds one
 * fence twice; timed waits honour their bound. At the end: no reservation or mutex is locked,
 * every holder count is 0, and once the timeline has signalled everything every reservation
 * tests signalled.
 */
final class ReservationWorkload implements SoakWorkload {

    private static final int RESERVATIONS = 24;
    private static final int MUTEXES = 16;
    private static final int MAX_SUBSET = 6;

    private final SoakContext ctx;
    private final WwClass waitDie = WwClass.waitDie("soak-wd");
    private final WwClass woundWait = WwClass.woundWait("soak-ww");
    /** The first half uses wait-die, the second wound-wait. */
    private final Reservation[] resvs = new Reservation[RESERVATIONS];
    private final AtomicIntegerArray holders = new AtomicIntegerArray(RESERVATIONS);
    private final WwMutex[] mutexes = new WwMutex[MUTEXES];
    private final AtomicIntegerArray mutexHolders = new AtomicIntegerArray(MUTEXES);
    private final Timeline timeline = Timeline.create("soak-resv");
    /** Per thread, one reusable context per (class, interruptible, duplicates) combination. */
    private final ThreadLocal<ExecContext[]> kept =
            ThreadLocal.withInitial(() -> new ExecContext[8]);
    private final AtomicLong maxIssued = new AtomicLong();

    private final LongAdder committed = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final LongAdder interrupted = new LongAdder();
    private final LongAdder backoffs = new LongAdder();
    private final LongAdder fencesAdded = new LongAdder();
    private final LongAdder manualTransactions = new LongAdder();

    /** Thrown from a locking block to abandon a transaction mid-acquire. */
    private static final class Abandon extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abandon() {
            super("soak: transaction abandoned on purpose", null, false, false);
        }
    }

    ReservationWorkload(SoakContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i < RESERVATIONS; i++) {
            resvs[i] = new Reservation(i < RESERVATIONS / 2 ? waitDie : woundWait, "soak-" + i);
        }
        for (int i = 0; i < MUTEXES; i++) {
            mutexes[i] = new WwMutex(woundWait, "soak-m" + i);
        }
    }

    @Override
    public String name() {
        return "resv";
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        int op = rnd.nextInt(100);
        if (op < 45) {
            transaction(rnd);
        } else if (op < 55) {
            manual(rnd);
        } else if (op < 85) {
            read(rnd);
        } else if (op < 93) {
            waitOn(rnd);
        } else {
            if (rnd.nextBoolean()) {
                timeline.advance(1 + rnd.nextInt(3));
            } else {
                timeline.signalUpTo(Math.max(0, maxIssued.get() - rnd.nextInt(4)));
            }
            ctx.op("resv.signal");
        }
    }

    private void transaction(SplittableRandom rnd) throws InterruptedException {
        boolean wd = rnd.nextBoolean();
        int base = wd ? 0 : RESERVATIONS / 2;
        int n = 1 + rnd.nextInt(MAX_SUBSET);
        List<Integer> subset = new ArrayList<>(n);
        boolean dupes = rnd.nextInt(4) == 0;
        for (int i = 0; i < n; i++) {
            int k = base + rnd.nextInt(RESERVATIONS / 2);
            if (dupes || !subset.contains(k)) {
                subset.add(k);
            }
        }
        boolean interruptible = rnd.nextInt(3) == 0;
        int abandonAt = rnd.nextInt(8) == 0 ? rnd.nextInt(subset.size()) : -1;
        List<ExecContext.Flag> flags = new ArrayList<>();
        if (interruptible) {
            flags.add(ExecContext.Flag.INTERRUPTIBLE);
        }
        if (dupes) {
            flags.add(ExecContext.Flag.IGNORE_DUPLICATES);
        }
        WwClass cls = wd ? waitDie : woundWait;
        ExecContext.Flag[] flagArray = flags.toArray(new ExecContext.Flag[0]);
        ExecContext exec;
        if (rnd.nextBoolean()) {
            // half the transactions reopen the thread's context for these flags (ExecContext
            // .reopen()), so stale references to its previous transactions race the new ones
            int slot = (wd ? 4 : 0) | (interruptible ? 2 : 0) | (dupes ? 1 : 0);
            ExecContext[] mine = kept.get();
            if (mine[slot] == null) {
                mine[slot] = ExecContext.create(cls, flagArray);
            }
            exec = mine[slot].reopen();
        } else {
            exec = ExecContext.create(cls, flagArray);
        }
        List<Integer> inside = new ArrayList<>();
        try {
            exec.lockAll(e -> {
                for (int i = 0; i < subset.size(); i++) {
                    if (i == abandonAt) {
                        throw new Abandon();
                    }
                    e.prepare(resvs[subset.get(i)], 1);
                    SoakContext.maybeDelay(rnd, 16);
                }
            });
            // critical section over every locked reservation
            for (Reservation r : exec.locked()) {
                int k = indexOf(r);
                inside.add(k);
                if (holders.incrementAndGet(k) != 1) {
                    ctx.violation("resv: two transactions inside reservation " + k + " at once");
                }
            }
            if (exec.locked().size() != distinct(subset)) {
                ctx.violation("resv: lockAll locked " + exec.locked().size() + " of "
                        + distinct(subset) + " reservations");
            }
            Fence f = timeline.next();
            maxIssued.accumulateAndGet(f.seqno(), Math::max);
            exec.addFence(f, rnd.nextBoolean() ? Usage.WRITE : Usage.READ);
            fencesAdded.add(exec.locked().size());
            for (Reservation r : exec.locked()) {
                if (!r.fences(Usage.BOOKKEEP).contains(f)) {
                    ctx.violation("resv: a committed transaction's fence is missing from " + r);
                }
            }
            SoakContext.maybeDelay(rnd, 8);
            committed.increment();
            ctx.op("resv.transaction.committed");
        } catch (Abandon e) {
            abandoned.increment();
            ctx.op("resv.transaction.abandoned");
        } catch (InterruptedException e) {
            if (!interruptible) {
                ctx.violation("resv: a non-interruptible lockAll threw InterruptedException");
            }
            interrupted.increment();
            ctx.op("resv.transaction.interrupted");
        } finally {
            for (int k : inside) {
                holders.decrementAndGet(k);
            }
            backoffs.add(exec.backoffs());
            exec.close();
            for (int k : subset) {
                if (resvs[k].isHeldByCurrentThread()) {
                    ctx.violation("resv: reservation " + k
                            + " still held after the transaction closed");
                }
            }
        }
    }

    /** The javadoc's retry loop by hand over wound-wait mutexes, lock-slow and all. */
    private void manual(SplittableRandom rnd) {
        int n = 2 + rnd.nextInt(3);
        List<WwMutex> wanted = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            WwMutex m = mutexes[rnd.nextInt(MUTEXES)];
            if (!wanted.contains(m)) {
                wanted.add(m);
            }
        }
        List<WwMutex> held = new ArrayList<>();
        WwAcquireContext tx = new WwAcquireContext(woundWait);
        try {
            WwMutex slow = null;
            retry:
            for (;;) {
                for (WwMutex m : wanted) {
                    if (m == slow) {
                        continue;
                    }
                    try {
                        if (m.lock(tx)) {
                            held.add(m);
                        }
                    } catch (WwDeadlockException e) {
                        for (WwMutex h : held) {
                            h.unlock();
                        }
                        held.clear();
                        slow = e.contended();
                        slow.lockSlow(tx);
                        held.add(slow);
                        continue retry;
                    }
                }
                break;
            }
            tx.done();
            for (WwMutex m : held) {
                int k = mutexIndex(m);
                if (mutexHolders.incrementAndGet(k) != 1) {
                    ctx.violation("resv: two transactions hold mutex " + k + " at once");
                }
            }
            SoakContext.maybeDelay(rnd, 8);
            for (WwMutex m : held) {
                mutexHolders.decrementAndGet(mutexIndex(m));
            }
            backoffs.add(tx.backoffs());
            manualTransactions.increment();
            ctx.op("resv.manual");
        } finally {
            for (WwMutex m : held) {
                m.unlock();
            }
            tx.close();
        }
    }

    private void read(SplittableRandom rnd) {
        Reservation r = resvs[rnd.nextInt(RESERVATIONS)];
        Usage u = Usage.values()[rnd.nextInt(Usage.values().length)];
        List<Reservation.Entry> entries = r.entries(u);
        Map<Fence, Boolean> seen = new IdentityHashMap<>();
        for (Reservation.Entry e : entries) {
            if (seen.put(e.fence(), Boolean.TRUE) != null) {
                ctx.violation("resv: one fence listed twice in " + r);
            }
            if (!e.usage().includedIn(u)) {
                ctx.violation("resv: entries(" + u + ") returned a " + e.usage() + " fence");
            }
        }
        r.testSignaled(u);
        r.singleton(u);
        ctx.op("resv.read");
    }

    private void waitOn(SplittableRandom rnd) throws InterruptedException {
        Reservation r = resvs[rnd.nextInt(RESERVATIONS)];
        long timeout = rnd.nextInt(1_000_000);
        long start = System.nanoTime();
        boolean done = r.await(Usage.BOOKKEEP, timeout, TimeUnit.NANOSECONDS);
        long elapsed = System.nanoTime() - start;
        if (done) {
            ctx.checkOvershoot("resv await", timeout, elapsed);
        } else {
            ctx.checkTimeout("resv await", timeout, elapsed);
        }
        ctx.op(done ? "resv.await.done" : "resv.await.timeout");
    }

    private int indexOf(Reservation r) {
        for (int i = 0; i < RESERVATIONS; i++) {
            if (resvs[i] == r) {
                return i;
            }
        }
        throw new IllegalStateException("unknown reservation " + r);
    }

    private int mutexIndex(WwMutex m) {
        for (int i = 0; i < MUTEXES; i++) {
            if (mutexes[i] == m) {
                return i;
            }
        }
        throw new IllegalStateException("unknown mutex " + m);
    }

    private static int distinct(List<Integer> subset) {
        return (int) subset.stream().distinct().count();
    }

    @Override
    public void finish(SoakContext c) {
        for (int i = 0; i < RESERVATIONS; i++) {
            if (resvs[i].isLocked()) {
                ctx.violation("resv: reservation " + i + " left locked");
            }
            if (holders.get(i) != 0) {
                ctx.violation("resv: holder count of reservation " + i + " is " + holders.get(i));
            }
        }
        for (int i = 0; i < MUTEXES; i++) {
            if (mutexes[i].isLocked()) {
                ctx.violation("resv: mutex " + i + " left locked");
            }
        }
        timeline.signalUpTo(maxIssued.get());
        for (int i = 0; i < RESERVATIONS; i++) {
            if (!resvs[i].testSignaled(Usage.BOOKKEEP)) {
                ctx.violation("resv: reservation " + i
                        + " has a pending fence after the timeline ended");
            }
        }
    }

    @Override
    public String summary() {
        return String.format("transactions committed %d, abandoned mid-acquire %d, interrupted %d;"
                        + " hand-written %d; back-offs %d; fences added %d",
                committed.sum(), abandoned.sum(), interrupted.sum(), manualTransactions.sum(),
                backoffs.sum(), fencesAdded.sum());
    }
}
