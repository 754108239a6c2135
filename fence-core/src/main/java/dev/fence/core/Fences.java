package dev.fence.core;

import dev.fence.core.internal.Diagnostics;
import dev.fence.core.internal.FenceWaitEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operations over several fences: waiting for any or all, flattening containers, merging, and
 * bridging from {@link CompletionStage}.
 */
public final class Fences {

    private static final Logger LOG = LoggerFactory.getLogger(Fences.class);
    private static final LongAdder CALLBACK_FAILURES = new LongAdder();

    private Fences() {
    }

    // ------------------------------------------------------------------------------------------
    // Waiting on many

    /**
     * Waits until any of {@code fences} signals, the kernel's {@code dma_fence_wait_any_timeout()}.
     * If none has signalled yet, enables signalling on the fences in order as it registers with
     * them, up to the first one found signalled (as the kernel's stops at the first); with a
     * zero timeout, or if one has already signalled, it only polls.
     *
     * @param timeout how long to wait; 0 only polls (without enabling signalling, as the kernel's
     *     zero-timeout {@code dma_fence_wait_any_timeout()})
     * @param unit the unit of {@code timeout}
     * @param fences the fences, at least one
     * @return the lowest index of a signalled fence, or -1 if none signalled in time
     * @throws InterruptedException if interrupted while waiting, or already interrupted when it
     *     has registered with every fence and none has signalled (a zero timeout only polls and
     *     never throws); a signalled fence found at the end wins, and the interrupt status is then
     *     left set
     * @throws IllegalArgumentException if {@code fences} is empty or {@code timeout} negative
     * @throws NullPointerException if {@code unit}, {@code fences} or an element is null
     */
    public static int awaitAny(long timeout, TimeUnit unit, Fence... fences)
            throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        checkFences(fences);
        if (fences.length == 0) {
            throw new IllegalArgumentException("awaitAny of no fences");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        int idx = firstSignaled(fences);
        if (idx >= 0 || timeout == 0) {
            return idx;
        }
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        AnyWaiter waiter = new AnyWaiter(Thread.currentThread());
        AnyNode[] nodes = new AnyNode[fences.length];
        FenceWaitEvent event = null; // begun once the thread is about to block, as in await()
        int queued = 0;
        boolean interrupted = false;
        try {
            for (; queued < fences.length; queued++) {
                AnyNode n = new AnyNode(waiter);
                if (!fences[queued].addCallback(n)) {
                    break; // already signalled: no need to park
                }
                nodes[queued] = n;
            }
            // The interrupt is looked at only now, as dma_fence_wait_any_timeout does: a fence
            // that registering found done (enabling its signalling) is reported instead.
            if (queued == fences.length) {
                interrupted = Thread.interrupted();
                if (FenceThread.DEBUG && !interrupted) {
                    FenceThread.checkMayWait(fences[0]);
                }
                if (!interrupted) {
                    // Begun only now, as await() begins its event after its interrupt and debug
                    // checks: a call refused before it could block records no wait.
                    event = new FenceWaitEvent();
                    event.begin();
                }
                while (!interrupted && !waiter.fired) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0L) {
                        break;
                    }
                    LockSupport.parkNanos(waiter, left);
                    interrupted = Thread.interrupted();
                }
            }
        } finally {
            for (int i = 0; i < fences.length; i++) {
                if (nodes[i] != null) {
                    fences[i].removeCallback(nodes[i]);
                }
            }
            idx = firstSignaled(fences);
            if (event != null) {
                commitWait(event, fences, idx);
            }
        }
        if (interrupted) {
            if (idx >= 0) {
                Thread.currentThread().interrupt();
                return idx;
            }
            throw new InterruptedException();
        }
        return idx;
    }

    private static void commitWait(FenceWaitEvent event, Fence[] fences, int idx) {
        event.end();
        if (event.shouldCommit()) {
            event.context = fences[0].context();
            event.seqno = fences[0].seqno();
            event.fences = fences.length;
            event.signalled = idx >= 0;
            event.commit();
        }
    }

    private static int firstSignaled(Fence[] fences) {
        for (int i = 0; i < fences.length; i++) {
            if (fences[i].isSignaled()) {
                return i;
            }
        }
        return -1;
    }

    private static final class AnyWaiter {
        final Thread thread;
        volatile boolean fired;

        AnyWaiter(Thread thread) {
            this.thread = thread;
        }
    }

    private static final class AnyNode extends FenceCallback {
        private final AnyWaiter waiter;

        AnyNode(AnyWaiter waiter) {
            super(true);
            this.waiter = waiter;
        }

        @Override
        protected void onSignaled(Fence fence) {
            waiter.fired = true;
            LockSupport.unpark(waiter.thread);
        }

        @Override
        void wakeEarly() {
            onSignaled(null);
        }
    }

    /**
     * Waits until every one of {@code fences} has signalled or the timeout elapses.
     *
     * @param timeout how long to wait in total; 0 checks without waiting, enabling signalling on
     *     each pending fence it reaches, as {@link Fence#await(long, TimeUnit)} does
     * @param unit the unit of {@code timeout}
     * @param fences the fences; none means {@code true} at once
     * @return {@code true} if all signalled in time
     * @throws InterruptedException if interrupted while waiting, or if the thread is already
     *     interrupted when a fence is found pending (with a zero timeout too)
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code unit}, {@code fences} or an element is null
     */
    public static boolean awaitAll(long timeout, TimeUnit unit, Fence... fences)
            throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        checkFences(fences);
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (Fence f : fences) {
            if (f.isSignaled()) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (f.awaitNanos(Math.max(left, 0L)) <= 0L) {
                return false;
            }
        }
        return true;
    }

    private static void checkFences(Fence[] fences) {
        Objects.requireNonNull(fences, "fences");
        for (int i = 0; i < fences.length; i++) {
            if (fences[i] == null) {
                throw new NullPointerException("fences[" + i + "]"); // message built only here
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Unwrap and merge

    /**
     * Flattens containers: the leaves of a {@link FenceChain} (every contained fence still linked,
     * newest first) and of {@link FenceArray}s (their members, in order, an any-array member of
     * an all-array giving its own members in its place); a plain fence yields itself. Signalled
     * leaves are included. Like {@code dma_fence_unwrap_for_each}, but collected into a list.
     *
     * @param fence the fence to flatten
     * @return the leaves, never containers; unmodifiable
     * @throws NullPointerException if {@code fence} is null
     */
    public static List<Fence> unwrap(Fence fence) {
        Objects.requireNonNull(fence, "fence");
        List<Fence> out = new ArrayList<>();
        walkInto(fence, false, out);
        return Collections.unmodifiableList(out);
    }

    /**
     * The one walk over containers. For {@link #unwrap} ({@code forMerge} false) it lists every
     * leaf. For {@link #merge} it lists what must signal: a container that has signalled is one
     * signalled fence (a reached chain link has reached every earlier point; an any-array, or an
     * array signalled with an error, may have members that never signal), and a pending
     * any-array stays whole, since only one of its members is needed; a pending all-array gives
     * its members, which are plain fences or any-arrays.
     */
    private static void walkInto(Fence fence, boolean forMerge, List<Fence> out) {
        for (Fence node = fence; node != null; ) {
            Fence contained;
            if (node instanceof FenceChain) {
                if (forMerge && node.isSignaled()) {
                    out.add(node);
                    return;
                }
                FenceChain c = (FenceChain) node;
                contained = c.fence();
                node = c.prev();
            } else {
                contained = node;
                node = null;
            }
            if (!(contained instanceof FenceArray)) {
                out.add(contained);
            } else if (!forMerge) {
                ((FenceArray) contained).addLeavesTo(out);
            } else if (((FenceArray) contained).signalOnAny() || contained.isSignaled()) {
                out.add(contained);
            } else {
                ((FenceArray) contained).addMembersTo(out);
            }
        }
    }

    /**
     * Merges fences into one that signals when all of them have, the kernel's
     * {@code dma_fence_unwrap_merge()}: flattens containers, drops signalled leaves, keeps
     * only the later fence of each context, and sorts by context. Inputs are not modified.
     * A leaf that signalled with an error is dropped too, as in the kernel: the result does
     * not carry the errors of fences that had already signalled.
     *
     * <p>Unlike the kernel's, it flattens only what must all signal: a container that has
     * already signalled counts as one signalled fence, and a pending {@linkplain FenceArray#any
     * any-array} is kept whole (in the result, an all-array may hold it), so the result never
     * waits for a member that its input did not need.
     *
     * <p><b>References:</b> the kernel's merge always returns a new reference; this one does
     * only for a fence it creates. What the caller owns depends on the result:
     * <ul>
     * <li>no fences given: the shared {@link Fence#signaledStub()} (immortal: {@link
     *     Fence#retain()} and {@link Fence#release()} do nothing);
     * <li>nothing pending: a new signalled fence on context 0 (carrying the latest timestamp of
     *     the dropped fences; a signalled container whose leaves have all signalled counts with
     *     the latest of theirs, as in the kernel), born with one reference, which is the
     *     caller's;
     * <li>one pending fence left (also when several pending fences share one context): that
     *     fence itself, one of the inputs or a fence reachable from them (a chain link's fence,
     *     an array's member, an any-array), with no reference taken: the caller owns none and
     *     must not release it ({@link Fence#retain()} it to hold it);
     * <li>otherwise a new {@link FenceArray#all all}-array on a fresh context, seqno 1, born
     *     with one reference, which is the caller's; it holds a reference on each member until
     *     its last {@link Fence#release()}.
     * </ul>
     * Code that ignores reference counts can drop any result. Code that counts them tells a new
     * result from a kept one by identity: a result that is neither the shared stub nor a fence
     * reachable from the inputs (taken before the merge: a chain may unlink signalled links
     * meanwhile) is new.
     *
     * @param fences the fences to merge (may be empty)
     * @return the shared stub if {@code fences} is empty; else a new signalled fence if nothing
     *     is pending; the single pending fence (no reference taken) if only one is left;
     *     otherwise a new {@link FenceArray} (see "References" above). Never null.
     * @throws NullPointerException if {@code fences} or an element is null
     */
    public static Fence merge(Fence... fences) {
        checkFences(fences);
        List<Fence> leaves = new ArrayList<>();
        for (Fence f : fences) {
            walkInto(f, true, leaves);
        }
        List<Fence> pending = new ArrayList<>(leaves.size());
        long latest = 0L;
        boolean anySignaled = false;
        for (Fence leaf : leaves) {
            if (leaf.isSignaled()) {
                long ts = completedAt(leaf);
                latest = anySignaled ? (ts - latest > 0 ? ts : latest) : ts;
                anySignaled = true;
            } else {
                pending.add(leaf);
            }
        }
        if (pending.isEmpty()) {
            if (!anySignaled) {
                return Fence.signaledStub();
            }
            Fence stub = Fence.create(0L, 0L);
            stub.signal(latest);
            return stub;
        }
        Fence[] sorted = pending.toArray(new Fence[0]);
        // Context ascending, and within a context the later seqno first; keep the first of each.
        Arrays.sort(sorted, (a, b) -> {
            int c = Long.compareUnsigned(a.context(), b.context());
            return c != 0 ? c : Long.compareUnsigned(b.seqno(), a.seqno());
        });
        int n = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (n == 0 || sorted[n - 1].context() != sorted[i].context()) {
                sorted[n++] = sorted[i];
            }
        }
        if (n == 1) {
            return sorted[0];
        }
        return FenceArray.of(Fence.allocateContexts(1), 1L, false, Arrays.copyOf(sorted, n));
    }

    /**
     * The timestamp a signalled leaf of {@link #merge} contributes: its own, or, for a container
     * kept whole whose every leaf has signalled, the latest of the leaves' timestamps, which is
     * what the kernel's merge (it flattens every container) reports. A container's own timestamp
     * can be much later: one found signalled by polling its members is signalled, and stamped,
     * only then.
     */
    private static long completedAt(Fence fence) {
        long own = fence.timestamp();
        if (!(fence instanceof FenceArray) && !(fence instanceof FenceChain)) {
            return own;
        }
        List<Fence> leaves = new ArrayList<>();
        walkInto(fence, false, leaves);
        long latest = own;
        boolean found = false;
        for (Fence leaf : leaves) {
            if (!leaf.isSignaled()) {
                return own; // e.g. an any-array: the kernel's merge would wait for this leaf
            }
            long ts = leaf.timestamp();
            latest = found ? (ts - latest > 0 ? ts : latest) : ts;
            found = true;
        }
        return latest;
    }

    // ------------------------------------------------------------------------------------------
    // Interop

    /**
     * A fence that signals when {@code stage} completes: normally, or with the stage's exception
     * (unwrapped from {@link CompletionException}) as its error. The fence gets a fresh context,
     * seqno 1.
     *
     * @param stage the stage to follow
     * @return the new fence
     * @throws NullPointerException if {@code stage} is null
     */
    public static Fence fromStage(CompletionStage<?> stage) {
        Objects.requireNonNull(stage, "stage");
        Fence f = Fence.create(Fence.allocateContexts(1), 1L);
        stage.whenComplete((v, t) -> {
            if (t == null) {
                f.signal();
            } else {
                Throwable cause = t;
                while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                        && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                f.signal(cause);
            }
        });
        return f;
    }

    // ------------------------------------------------------------------------------------------
    // Callback failures

    /**
     * How many fence callbacks have thrown since the JVM started (each was logged at WARN).
     *
     * @return the count
     */
    public static long callbackFailures() {
        return CALLBACK_FAILURES.sum();
    }

    static void callbackFailed(Fence fence, FenceCallback callback, Throwable t) {
        CALLBACK_FAILURES.increment();
        // The count above is the record; neither a broken logger nor a driver's describe()
        // override that throws may stop the other callbacks.
        Diagnostics.warn(LOG, "callback {} of fence {} threw", callback,
                Diagnostics.describe(fence), t);
    }
}
