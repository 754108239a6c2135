package dev.fence.core;

import dev.fence.core.internal.Diagnostics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.Objects;

/**
 * One point of a timeline built as a linked list, newest first, the kernel's
 * {@code dma_fence_chain}. A link holds a fence (the work for its point) and the previous link;
 * it signals once its own fence <em>and every earlier point</em> have signalled.
 *
 * <pre>{@code
 * FenceChain head = null;
 * head = FenceChain.link(head, uploadDone, 1);
 * head = FenceChain.link(head, renderDone, 2);
 * Fence point1 = FenceChain.find(head, 1);   // signals when point 1 is reached
 * }</pre>
 *
 * <p>Links whose fence has signalled are unlinked as the chain is walked (by
 * {@link #link}, {@link #find}, {@link #isSignaled()} and signalling), so a chain that keeps
 * growing while its points complete retains only its pending tail. Every walk is a loop: a chain
 * of any length never recurses.
 *
 * <p><b>Errors:</b> a link signals with its own fence's error, and only that one: a link whose
 * fence succeeded signals without error even if an earlier point failed. The kernel's links
 * never carry an error. A point answered by {@link #find} with an earlier link or the stub does
 * not carry its fence's error either; keep a job's own fence to learn whether it failed.
 *
 * <p><b>References:</b> unlike the kernel's chain (and unlike {@link FenceArray}), a link takes
 * no reference ({@link Fence#retain()}) on the fences it holds: links are collected as their
 * points signal, so the garbage collector keeps them reachable. A driver that recycles fences
 * from {@link Fence#deallocate()} must therefore keep a reference on a chained fence for as long
 * as the chain may still poll it or add callbacks to it (at least until it signals).
 */
public final class FenceChain extends Fence {

    /*
     * Implementation overview.
     *
     * `prev` is the only mutable field. Walkers replace it by CAS with its own predecessor when
     * the link it points to holds a signalled fence (collection); it only ever moves towards
     * older points and ends at null. A link becomes signalled through one reusable callback node
     * (`waiter`), armed on the newest unsignalled fence reachable from the link; when it fires
     * it re-arms on the next one, and signals the link when none is left. The node is only
     * re-armed from its own callback, so it is never queued twice.
     *
     * Collection from the new link alone only looks behind its immediate predecessor, which is
     * usually still pending, so links that signal deeper in the chain would never be unlinked.
     * link() therefore also runs an incremental sweep: every SWEEP_PERIOD-th append it advances
     * by SWEEP_PERIOD * SWEEP_STEPS pending links, starting where the previous sweep stopped
     * (`sweep`, a plain field holding a SweepPosition, handed from the previous newest link to
     * the new one and cleared on the old one; the position counts down the appends left before
     * the next sweep in a plain int). A stale or lost position, or a lost or repeated
     * countdown step (two threads appending to the same link), only changes where or when the
     * sweep runs next: a countdown at zero always sweeps and starts a fresh one. Each append does
     * O(SWEEP_PERIOD * SWEEP_STEPS) work at most and the whole chain is swept once every
     * (length / SWEEP_STEPS) appends, so a chain that keeps growing while its points complete
     * stays proportional to its pending points. Sweeping in periods rather than on every append
     * allocates one position per period instead of one per append whenever the position moves
     * (with 256 points in flight, every append: 32 B and about 6 ns each, fifteenth session).
     *
     * The sweep position is held weakly. It is a link that was pending when the sweep passed it,
     * and other walks may since have collected it out of the chain; its own prev pointers are
     * then never walked again, so a strong reference kept every link below it reachable as it was
     * when last swept (after appends stop, with the oldest point still pending, a chain built
     * while pending kept most of its collected links). Weakly held, a position that is still in
     * the chain stays reachable through it, and one that is not is simply dropped (the sweep then
     * restarts at the newest link).
     */

    private static final int SWEEP_STEPS = 2;
    private static final int SWEEP_PERIOD = 8;

    private static final VarHandle PREV;

    static {
        try {
            PREV = MethodHandles.lookup().findVarHandle(FenceChain.class, "prev", Fence.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through PREV
    private volatile Fence prev;
    private final long prevSeqno;
    private final Fence fence;
    private final Rearm waiter = new Rearm(this);
    private SweepPosition sweep;

    private FenceChain(long context, long seqno, Fence prev, long prevSeqno, Fence fence) {
        super(context, seqno);
        this.prev = prev;
        this.prevSeqno = prevSeqno;
        this.fence = fence;
    }

    /**
     * Appends a point, the kernel's {@code dma_fence_chain_init()}. If {@code prev} is a chain
     * and {@code point} is later than its seqno, the new link continues {@code prev}'s context;
     * otherwise it starts a new context and its seqno is {@code max(prev.seqno(), point)} (so
     * seqnos never go backwards along a chain).
     *
     * @param prev the previous link or any fence to wait for first; may be null
     * @param fence the fence for this point; must not be a chain
     * @param point the timeline point
     * @return the new link
     * @throws NullPointerException if {@code fence} is null
     * @throws IllegalArgumentException if {@code fence} is a chain
     */
    public static FenceChain link(Fence prev, Fence fence, long point) {
        Objects.requireNonNull(fence, "fence");
        if (fence instanceof FenceChain) {
            throw new IllegalArgumentException("a chain link cannot contain a chain ("
                    + Diagnostics.describe(fence) + "); chains link through prev");
        }
        long context;
        long seqno = point;
        long prevSeqno = 0L;
        if (prev instanceof FenceChain && Long.compareUnsigned(point, prev.seqno()) > 0) {
            context = prev.context();
            prevSeqno = prev.seqno();
        } else {
            context = Fence.allocateContexts(1);
            if (prev instanceof FenceChain && Long.compareUnsigned(prev.seqno(), point) > 0) {
                seqno = prev.seqno();
            }
        }
        FenceChain chain = new FenceChain(context, seqno, prev, prevSeqno, fence);
        chain.collect();
        if (prev instanceof FenceChain) {
            FenceChain pc = (FenceChain) prev;
            SweepPosition pos = pc.sweep;
            pc.sweep = null;
            Fence from = pos != null ? pos.get() : null;
            if (from != null && pos.skips > 0) {
                pos.skips--; // not this time: hand the position on
                chain.sweep = pos;
            } else {
                Fence next = sweepFrom(from != null ? from : pc); // never returns from itself
                chain.sweep = next == null ? null : new SweepPosition(next);
            }
        }
        return chain;
    }

    /**
     * Where the append sweep resumes, held weakly (see the overview), and how many appends are
     * left before it next runs.
     */
    private static final class SweepPosition extends WeakReference<Fence> {
        /** Plain: racing appends on one link only change when the sweep runs. */
        int skips = SWEEP_PERIOD - 1;

        SweepPosition(Fence at) {
            super(at);
        }
    }

    /**
     * Collects behind up to {@code SWEEP_PERIOD * SWEEP_STEPS} pending links starting at
     * {@code from}.
     *
     * @return the link to resume from, or null to restart at the newest link next time
     */
    private static Fence sweepFrom(Fence from) {
        Fence cur = from;
        for (int i = 0; i < SWEEP_PERIOD * SWEEP_STEPS && cur instanceof FenceChain; i++) {
            cur = ((FenceChain) cur).collect();
        }
        return cur instanceof FenceChain ? cur : null;
    }

    /**
     * The previous link (or fence), after any collection of signalled links; null at the end.
     *
     * @return the predecessor, or {@code null}
     */
    public Fence prev() {
        return prev;
    }

    /**
     * The seqno of the previous link on the same context, or 0 if this link started a new
     * context (the kernel's {@code prev_seqno}); {@link #find} uses it to decide which link
     * signals a point.
     *
     * @return the previous point on this link's context, or 0
     */
    public long prevSeqno() {
        return prevSeqno;
    }

    /**
     * The fence this link holds for its point.
     *
     * @return the contained fence
     */
    public Fence fence() {
        return fence;
    }

    /**
     * The fence that signals when {@code point} is reached on the chain ending at {@code head},
     * the kernel's {@code dma_fence_chain_find_seqno()}: normally the link with the smallest
     * seqno at or above {@code point} on {@code head}'s context; an earlier link when the links
     * in between hold fences that have already signalled and were collected (that earlier link
     * then signals exactly when {@code point} is reached). Such an earlier link, or the stub,
     * does not carry the error of the collected point's fence: the answer tells when the point
     * is reached, not whether its job failed (keep the job's own fence for that).
     *
     * @param head the newest link
     * @param point the point to find; 0 returns {@code head} itself
     * @return that link; the signalled stub if the point has already been reached and its
     *     link collected; or, when the walk reaches a predecessor that is not a link on
     *     {@code head}'s context (a plain fence or another context's chain linked as
     *     {@code prev}), that predecessor, as the kernel's walk returns it
     * @throws NullPointerException if {@code head} is null
     * @throws IllegalArgumentException if {@code point} has not been submitted yet (it is later
     *     than {@code head}'s seqno, or {@code head} is not a chain)
     */
    public static Fence find(Fence head, long point) {
        Objects.requireNonNull(head, "head");
        if (point == 0L) {
            return head;
        }
        if (!(head instanceof FenceChain) || Long.compareUnsigned(head.seqno(), point) < 0) {
            throw new IllegalArgumentException("point " + Long.toUnsignedString(point)
                    + " not submitted yet on " + Diagnostics.describe(head));
        }
        FenceChain node = (FenceChain) head;
        for (;;) {
            if (Long.compareUnsigned(node.prevSeqno, point) < 0) {
                return node;
            }
            Fence p = node.collect();
            if (p == null) {
                return Fence.signaledStub();
            }
            if (!(p instanceof FenceChain) || p.context() != head.context()) {
                return p;
            }
            node = (FenceChain) p;
        }
    }

    /**
     * Unlinks every predecessor whose fence has signalled, the kernel's
     * {@code dma_fence_chain_walk()} step.
     *
     * @return the first predecessor whose fence is still pending, or null
     */
    Fence collect() {
        for (;;) {
            Fence p = prev;
            if (p == null) {
                // Every earlier point has signalled: nothing is left to sweep either, and a stale
                // sweep position would keep collected links reachable (plain write, benign race).
                sweep = null;
                return null;
            }
            Fence replacement;
            if (p instanceof FenceChain) {
                FenceChain pc = (FenceChain) p;
                if (!pc.fence.isSignaled()) {
                    return p;
                }
                replacement = pc.prev;
            } else {
                if (!p.isSignaled()) {
                    return p;
                }
                replacement = null;
            }
            PREV.compareAndSet(this, p, replacement);
        }
    }

    /** Arms {@link #waiter} on the newest pending fence reachable from here, if any. */
    private boolean arm() {
        if (fence.addCallback(waiter)) {
            return true;
        }
        Fence node = collect();
        while (node != null) {
            if (node instanceof FenceChain) {
                FenceChain c = (FenceChain) node;
                if (c.fence.addCallback(waiter)) {
                    return true;
                }
                node = c.collect();
            } else {
                return node.addCallback(waiter);
            }
        }
        return false;
    }

    @Override
    protected boolean enableSignalingHook() {
        return arm();
    }

    @Override
    protected boolean pollSignaled() {
        return fence.isSignaled() && collect() == null;
    }

    @Override
    void signalPolled() {
        Throwable e = fence.error();
        if (e == null) {
            signal();
        } else {
            signal(e);
        }
    }

    @Override
    protected void onDeadline(long deadlineNanos) {
        fence.setDeadline(deadlineNanos);
        for (Fence node = prev; node != null; ) {
            if (node instanceof FenceChain) {
                FenceChain c = (FenceChain) node;
                c.fence.setDeadline(deadlineNanos);
                node = c.prev;
            } else {
                node.setDeadline(deadlineNanos);
                node = null;
            }
        }
    }

    /**
     * Returns {@code "fence_chain"}.
     *
     * @return the driver name
     */
    @Override
    public String driverName() {
        return "fence_chain";
    }

    /**
     * Returns {@code "unbound"}.
     *
     * @return the timeline name
     */
    @Override
    public String timelineName() {
        return "unbound";
    }

    private static final class Rearm extends FenceCallback {
        private final FenceChain chain;

        Rearm(FenceChain chain) {
            this.chain = chain;
        }

        @Override
        protected void onSignaled(Fence signalled) {
            if (!chain.arm()) {
                chain.signalPolled();
            }
        }

        @Override
        public String toString() {
            return "chain link " + chain.describe();
        }
    }
}
