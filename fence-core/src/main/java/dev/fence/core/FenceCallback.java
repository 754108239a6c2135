package dev.fence.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A callback node owned by the caller, the counterpart of the kernel's {@code struct dma_fence_cb}.
 *
 * <p>The node itself is what {@link Fence#addCallback(FenceCallback)} links into the fence's
 * list, so registering a callback allocates nothing. A node may sit on at most one fence at a
 * time; once it has run, or has been removed, it may be added again, to the same fence or to
 * another one. Adding a node that is still queued throws {@link IllegalStateException}.
 *
 * <p>{@link #onSignaled(Fence)} runs once, in the thread that signalled the fence, after the fence
 * is observably signalled and after the node has been detached (so the callback may re-add this
 * very node, for example to re-arm on the next fence of a timeline). Callbacks must be short and
 * must not block: they run before the signaller's {@code signal()} call returns (or, when a
 * callback signals another fence, in the same thread once the callbacks of the fence being
 * dispatched have all run; or, when the signaller has a {@link CallbackDeferral} open, in the
 * same thread when the outermost one closes: until then the node still reads
 * {@link #isQueued()} and can no longer be removed). An exception thrown
 * by a callback is logged and counted ({@link Fences#callbackFailures()}); the remaining callbacks
 * still run.
 *
 * <pre>{@code
 * final class Release extends FenceCallback {
 *     protected void onSignaled(Fence fence) { pool.giveBack(buffer); }
 * }
 * Release cb = new Release();          // allocate once, reuse for every frame
 * if (!frameDone.addCallback(cb)) {    // false: already signalled, not run
 *     pool.giveBack(buffer);
 * }
 * }</pre>
 */
public abstract class FenceCallback {

    /*
     * Implementation overview.
     *
     * `owner` is the node's own claim: null while the node is free, the fence whose list holds it
     * while queued. It is written only by a thread that holds that fence's list lock (claim in
     * Fence.link, release in Fence.removeCallback) or by the thread that won the fence's signal
     * and so owns its detached list (release in Fence.runCallbacks, before onSignaled). Because
     * the claim is a CAS from null (for callers' nodes; `linkedOnce` below), a node can never be
     * linked into two lists, and because a removed node is fully unlinked before its claim is
     * released, re-adding it can never see stale links: the ABA hazard of reusable Treiber nodes
     * does not arise.
     *
     * `next` and `prev` form a circular doubly linked list (head.prev is the tail); plain fields,
     * guarded by the owner fence's list lock or by its signaller. The one exception: parked
     * waiters that a signal hands to a Fence.WakeBatch keep their `next` links, which the woken
     * waiters helping to drain that stack read after its volatile publication (see Fence).
     *
     * `linkedOnce` marks the library's own nodes (waiters, array members, onSignal actions, the
     * nodes of Fences.awaitAny): each is allocated for one registration and linked exactly once,
     * by the thread that allocated it, so no other thread can race to claim it. Their claim is a
     * plain store under the fence's list lock (published by that lock's release store) instead of
     * a CAS, one atomic instruction less per registration (about 7 ns, a fifth of a fan-in
     * member, on the benchmark machine: fence-bench/results/rows-4-9-session10.md). A caller's
     * node keeps the CAS: it is what turns two racing adds of one node into an exception instead
     * of one node on two lists.
     */

    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(FenceCallback.class, "owner", Fence.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through OWNER
    private volatile Fence owner;
    FenceCallback next;
    FenceCallback prev;
    private final boolean linkedOnce;

    /** Creates a free node. */
    protected FenceCallback() {
        this.linkedOnce = false;
    }

    /**
     * Creates a library-owned node that is linked once, by the thread that creates it.
     *
     * @param linkedOnce must be true: the caller promises a single link by the allocating thread
     */
    FenceCallback(boolean linkedOnce) {
        this.linkedOnce = linkedOnce;
    }

    /**
     * Called once when the fence this node was added to signals.
     *
     * @param fence the signalled fence; its {@link Fence#error()} and {@link Fence#timestamp()}
     *     are already visible
     */
    protected abstract void onSignaled(Fence fence);

    /**
     * Whether this node is currently queued on a fence (added, not yet run or removed).
     *
     * @return {@code true} while queued
     */
    public final boolean isQueued() {
        return owner != null;
    }

    final Fence owner() {
        return owner;
    }

    /**
     * For the library's waiter nodes: the fence has signalled but its callbacks are held back
     * (a {@link CallbackDeferral}, or a signal from inside a callback); wake the parked thread
     * now. Must be idempotent with {@link #onSignaled(Fence)}, which still runs later. Default:
     * nothing (user callbacks wait for their turn).
     */
    void wakeEarly() {
    }

    /** Claims the node for {@code fence}; the caller holds {@code fence}'s list lock. */
    final boolean claim(Fence fence) {
        if (linkedOnce) {
            // No rival claimer exists (see the overview); the check only guards our own code.
            if (OWNER.get(this) != null) {
                return false;
            }
            OWNER.set(this, fence);
            return true;
        }
        return OWNER.compareAndSet(this, (Fence) null, fence);
    }

    /** Frees the node; its links have been cleared already. */
    final void unclaim() {
        OWNER.setRelease(this, (Fence) null);
    }
}
