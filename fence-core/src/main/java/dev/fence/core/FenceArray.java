package dev.fence.core;

import dev.fence.core.internal.Diagnostics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A fence over a fixed set of member fences that signals when all of them have signalled
 * ({@link #all}) or when the first one does ({@link #any}), the kernel's {@code dma_fence_array}.
 *
 * <p>With {@code all}, the array carries the first member error it observes; with {@code any},
 * the error (or success) of the member that signalled it. Once the array watches its members
 * that is signal order; an array not yet enabled, found signalled by {@link #isSignaled()}
 * polling its members, observes them in member order (the first error in the list, or the
 * lowest-index signalled member). Members must not themselves be containers, which is what keeps
 * every operation on containers free of recursion: instead of an {@code all} array of containers,
 * use {@link Fences#merge(Fence...)} of them, which flattens them into one {@code all} array; an
 * {@code any} array takes plain fences only (the leaves of {@link Fences#unwrap(Fence)}, if any of
 * them will do). The one exception is what a merge needs: an {@code all} array may hold {@code any}
 * arrays (whose members are alternatives, so they cannot be flattened into it), and since an
 * {@code any} array holds only plain fences, nesting stays two deep.
 *
 * <p>Like the kernel's, the array watches its members lazily: member callbacks are installed when
 * signalling is first enabled (a callback, a waiter, or {@link #enableSignaling()}); until then
 * {@link #isSignaled()} answers by polling the members.
 *
 * <p><b>References:</b> like the kernel's, the array holds a reference ({@link Fence#retain()})
 * on each member from its creation until its own last {@link #release()}, so a holder that
 * counts references on the array (a sync file, a sync object) keeps the members alive too, and
 * the members' {@link Fence#deallocate()} hooks run only after the array's. Unlike the kernel's,
 * the caller keeps its own references: creating an array takes new ones rather than the
 * caller's. A member whose count had already reached zero is held uncounted. Also unlike the
 * kernel's, an enabled array takes no reference on itself while members are pending, so its
 * holders' last release is the last one even then: a pending array with a callback or waiter of
 * its own queued is signalled with {@link FenceReleasedException} (as any fence is), and it
 * stops watching its members, so it never signals otherwise. Code that never counts references
 * is unaffected (the garbage collector reclaims everything).
 */
public final class FenceArray extends Fence {

    /*
     * Implementation overview.
     *
     * `pending` counts completions still needed: members for `all`, 1 for `any`. Each member
     * completes exactly once towards it: either its callback runs, or addCallback found it
     * already signalled. The completion that moves `pending` from 1 to 0 signals the array (with
     * `firstError`); any later decrements (an `any` array) go negative and are ignored.
     * `firstError` is set once by CAS from null, before that decrement, so the signaller reads it
     * after its own getAndAdd.
     *
     * Detaching a fired `any` array races with the enable hook still installing member callbacks
     * (a member may fire mid-loop, and the signaller cannot see callbacks installed after it
     * looked). So the hook publishes `armed` (volatile write, then a full fence) once every
     * callback is installed and detaches itself if the array has signalled by then; the
     * signaller's detachRest() only acts when it sees `armed`. Dekker-style, at least one of
     * the two sees the other, and whoever acts sees every installed callback. The signaller's
     * side of that handshake is its signal CAS (which sets SIGNALING), not the later release store
     * of SIGNALED, so the hook tests for either bit.
     *
     * References: of() retains every member it can (`uncounted` marks those already at zero,
     * written once before the array is published); deallocate() removes the member callbacks
     * still queued and releases those references. `members` is a plain field written by the enable
     * hook; the enabling thread holds a reference while the hook runs, and the release CAS by
     * which it (or anyone after it) lets go publishes the write to whoever drops the last one.
     * A caller that enables without holding a reference races the release anyway; deallocate()
     * then may miss callbacks, which only costs the forced signal of an unheld pending member.
     */

    private static final VarHandle PENDING;
    private static final VarHandle FIRST_ERROR;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PENDING = l.findVarHandle(FenceArray.class, "pending", int.class);
            FIRST_ERROR = l.findVarHandle(FenceArray.class, "firstError", Throwable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Fence[] fences;
    /** Members whose count was already zero at creation (not retained); null if none. */
    private final boolean[] uncounted;
    private final boolean signalOnAny;
    @SuppressWarnings("unused") // accessed through PENDING
    private volatile int pending;
    @SuppressWarnings("unused") // accessed through FIRST_ERROR
    private volatile Throwable firstError;
    private Member[] members;
    private volatile boolean armed;

    private FenceArray(long context, long seqno, boolean signalOnAny, Fence[] fences,
            boolean[] uncounted) {
        super(context, seqno);
        this.fences = fences;
        this.uncounted = uncounted;
        this.signalOnAny = signalOnAny;
        this.pending = signalOnAny ? 1 : fences.length;
    }

    /**
     * An array on a fresh context that signals once every fence has signalled. With no fences
     * it is born signalled.
     *
     * @param fences the members (not containers, except {@link #any} arrays)
     * @return the array
     * @throws NullPointerException if {@code fences} or an element is null
     * @throws IllegalArgumentException if a member is an {@code all} array or a
     *     {@link FenceChain}
     */
    public static FenceArray all(Fence... fences) {
        return of(Fence.allocateContexts(1), 1L, false, fences);
    }

    /**
     * An array on a fresh context that signals as soon as any fence signals, at once if one
     * already has.
     *
     * @param fences the members, at least one (not containers)
     * @return the array
     * @throws NullPointerException if {@code fences} or an element is null
     * @throws IllegalArgumentException if {@code fences} is empty or holds a container
     */
    public static FenceArray any(Fence... fences) {
        return of(Fence.allocateContexts(1), 1L, true, fences);
    }

    /**
     * An array with an explicit context and seqno, the kernel's {@code dma_fence_array_create()}.
     *
     * @param context the array's context
     * @param seqno the array's seqno
     * @param signalOnAny {@code true} to signal on the first member, {@code false} on the last
     * @param fences the members (copied; not containers, except {@code any} arrays in an array
     *     that is not {@code signalOnAny}); each gets a reference held until the array's last
     *     release
     * @return the array
     * @throws NullPointerException if {@code fences} or an element is null
     * @throws IllegalArgumentException if a member is a container (other than an {@code any}
     *     array in an {@code all} array), or if {@code signalOnAny} and there are no members
     * @throws IllegalStateException if a member's reference count would overflow (no reference
     *     is kept on any member then)
     */
    public static FenceArray of(long context, long seqno, boolean signalOnAny, Fence... fences) {
        Objects.requireNonNull(fences, "fences");
        Fence[] copy = fences.clone();
        for (int i = 0; i < copy.length; i++) {
            Fence f = copy[i];
            if (f == null) {
                throw new NullPointerException("fences[" + i + "]"); // message built only here
            }
            if (f instanceof FenceChain || f instanceof FenceArray
                    && (signalOnAny || !((FenceArray) f).signalOnAny)) {
                throw new IllegalArgumentException("fences[" + i + "] is a container ("
                        + Diagnostics.describe(f) + "); containers must not nest (only an"
                        + " all-array may hold any-arrays): " + (signalOnAny
                                ? "an any-array holds plain fences only: pass the leaves of"
                                        + " Fences.unwrap(container) if any of them will do, or"
                                        + " wait with Fences.awaitAny on the containers"
                                : "use Fences.merge of all the fences instead, which flattens"
                                        + " them into one all-array"));
            }
        }
        if (signalOnAny && copy.length == 0) {
            throw new IllegalArgumentException("a signal-on-any array needs at least one fence");
        }
        boolean[] uncounted = null;
        int i = 0;
        try {
            for (; i < copy.length; i++) {
                if (!copy[i].tryRetain()) {
                    if (uncounted == null) {
                        uncounted = new boolean[copy.length];
                    }
                    uncounted[i] = true;
                }
            }
        } catch (RuntimeException | Error e) {
            // A member's count would overflow: no array will own the references taken so far,
            // so give them back (the kernel's merge fixed the same leak on its failure path).
            for (int j = 0; j < i; j++) {
                if (uncounted == null || !uncounted[j]) {
                    copy[j].release();
                }
            }
            throw e;
        }
        FenceArray array = new FenceArray(context, seqno, signalOnAny, copy, uncounted);
        if (copy.length == 0) {
            array.signal();
        }
        return array;
    }

    /**
     * The member fences, in the order given.
     *
     * @return an unmodifiable list
     */
    public List<Fence> fences() {
        return Collections.unmodifiableList(Arrays.asList(fences));
    }

    /**
     * Whether this array signals on its first member rather than its last.
     *
     * @return {@code true} for an {@link #any} array
     */
    public boolean signalOnAny() {
        return signalOnAny;
    }

    /** Adds the leaves: the members, with those of a member any-array in its place. */
    void addLeavesTo(List<Fence> out) {
        for (Fence f : fences) {
            if (f instanceof FenceArray) {
                Collections.addAll(out, ((FenceArray) f).fences); // plain fences only
            } else {
                out.add(f);
            }
        }
    }

    /** Adds the members themselves (plain fences and, in an all-array, any-arrays). */
    void addMembersTo(List<Fence> out) {
        Collections.addAll(out, fences);
    }

    @Override
    protected boolean enableSignalingHook() {
        Member[] ms = new Member[fences.length];
        members = ms;
        for (int i = 0; i < fences.length; i++) {
            if (signaledBit()) {
                break; // an `any` array already fired; no need to watch the rest
            }
            Member m = new Member(this);
            ms[i] = m;
            if (!fences[i].addCallback(m)) {
                ms[i] = null;
                memberDone(fences[i]);
            }
        }
        if (signalOnAny) {
            armed = true;
            VarHandle.fullFence();
            // SIGNALING counts too: the signaller sets it by CAS (a full fence) before it reads
            // `armed`, but publishes SIGNALED with a release store that its read of `armed` may
            // pass; testing SIGNALED alone could let both sides skip the detach.
            if (signalWon()) {
                detachRest(); // fired while we were installing: the signaller may have missed some
            }
        }
        return true; // memberDone signals us itself, possibly already
    }

    private void memberDone(Fence member) {
        Throwable e = member.error();
        if (e != null || signalOnAny) {
            FIRST_ERROR.compareAndSet(this, (Throwable) null, e != null ? e : NO_ERROR);
        }
        if ((int) PENDING.getAndAdd(this, -1) == 1) {
            Throwable err = (Throwable) FIRST_ERROR.getAcquire(this);
            if (err == null || err == NO_ERROR) {
                signal();
            } else {
                signal(err);
            }
            if (signalOnAny) {
                detachRest();
            }
        }
    }

    /** Marker for an `any` array whose deciding member succeeded. */
    private static final Throwable NO_ERROR = new Throwable("no error", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    /** An `any` array has fired: stop watching the other members. */
    private void detachRest() {
        if (!armed) {
            return; // the enable hook is still installing callbacks; it detaches them itself
        }
        Member[] ms = members;
        if (ms == null) {
            return;
        }
        for (int i = 0; i < ms.length; i++) {
            Member m = ms[i];
            if (m != null) {
                fences[i].removeCallback(m);
            }
        }
    }

    @Override
    protected boolean pollSignaled() {
        if (signalingEnabled()) {
            return false; // member callbacks are installed and will signal us
        }
        int signaled = 0;
        for (Fence f : fences) {
            if (f.isSignaled()) {
                if (signalOnAny) {
                    return true;
                }
                signaled++;
            }
        }
        return signaled == fences.length;
    }

    @Override
    void signalPolled() {
        Throwable err = null;
        for (Fence f : fences) {
            if (signalOnAny) {
                if (f.isSignaled()) {
                    err = f.error();
                    break;
                }
            } else if (err == null) {
                err = f.error();
            }
        }
        if (err == null) {
            signal();
        } else {
            signal(err);
        }
    }

    @Override
    protected void onDeadline(long deadlineNanos) {
        for (Fence f : fences) {
            f.setDeadline(deadlineNanos);
        }
    }

    /**
     * The array's last reference went: stops watching the members that have not signalled (so
     * dropping what may be their last reference does not force-signal them on the array's
     * account), then releases the references taken at creation.
     */
    @Override
    protected void deallocate() {
        Member[] ms = members;
        Throwable failure = null;
        for (int i = 0; i < fences.length; i++) {
            if (ms != null && ms[i] != null) {
                fences[i].removeCallback(ms[i]);
            }
            if (uncounted == null || !uncounted[i]) {
                try {
                    fences[i].release();
                } catch (RuntimeException | Error e) {
                    // A member over-released by its owner, or an Error rethrown by the forced
                    // signal of a pending member (its callbacks drain this thread's queue): the
                    // other members' references must still be released.
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        } else if (failure != null) {
            throw (Error) failure;
        }
    }

    /**
     * Returns {@code "fence_array"}.
     *
     * @return the driver name
     */
    @Override
    public String driverName() {
        return "fence_array";
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

    private static final class Member extends FenceCallback {
        private final FenceArray array;

        Member(FenceArray array) {
            super(true);
            this.array = array;
        }

        @Override
        protected void onSignaled(Fence fence) {
            array.memberDone(fence);
        }

        @Override
        public String toString() {
            return "member of " + array.describe();
        }
    }
}
