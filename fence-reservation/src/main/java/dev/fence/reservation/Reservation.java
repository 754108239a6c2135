package dev.fence.reservation;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import dev.fence.core.Fences;
import dev.fence.core.internal.Diagnostics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The synchronization state of a shared object, the kernel's {@code struct dma_resv}: a
 * {@link WwMutex} plus a list of fences, each tagged with a {@link Usage}.
 *
 * <p>Writers (code adding fences) hold the lock: {@link #lock(WwAcquireContext)} (usually through
 * {@link ExecContext}) or {@link #lock()}, then {@link #reserveFences(int)}, then
 * {@link #addFence(Fence, Usage)}. Readers never lock: {@link #fences(Usage)},
 * {@link #testSignaled(Usage)}, {@link #await(Usage, long, TimeUnit)}, {@link #singleton(Usage)}
 * and friends read an immutable snapshot of the list, published with release semantics and read
 * with acquire semantics, so they always see a consistent list (as the kernel's RCU readers do)
 * and never block a writer.
 *
 * <pre>{@code
 * Reservation resv = new Reservation();
 * resv.lock();
 * try {
 *     Fence before = resv.singleton(Usage.forAccess(true));  // what a writer must wait for
 *     Fence job = gpu.submit(work, before);                  // job starts after `before`
 *     resv.reserveFences(1);
 *     resv.addFence(job, Usage.WRITE);
 * } finally {
 *     resv.unlock();
 * }
 * }</pre>
 *
 * <h2>Replacement rule</h2>
 * {@link #addFence(Fence, Usage)} follows {@code dma_resv_add_fence}: the new fence takes the slot
 * of the first entry that either has the same context, a usage at least as weak (greater or
 * equal) and a lower seqno than the new fence's (or is that fence), or has already signalled (of
 * any context); otherwise it is appended. So a later fence of the same context replaces the
 * earlier one and may promote it (BOOKKEEP to READ), never degrade it.
 *
 * <h2>Reserved slots</h2>
 * Every {@code addFence} needs a {@link #reserveFences(int)} call during the current lock hold: a
 * reservation of {@code n} slots is room for {@code n} more entries, and unlocking discards unused
 * slots (the kernel does this only with debug options on; here it is always checked, so a missing
 * reserve fails every time, not only when the list happens to be full). As in the kernel, only an
 * add that appends an entry uses up a slot; one that replaces an entry (see above) needs no room.
 * Adding without holding the lock, without a reservation in this lock hold, or appending beyond
 * the reserved slots is an {@link IllegalStateException}.
 *
 * <h2>Exclusive and shared view</h2>
 * The model before Linux 5.19 (one exclusive fence, many shared ones) maps onto usages:
 * {@link #addExclusiveFence(Fence)} adds a {@link Usage#WRITE} fence and drops every WRITE and READ
 * fence (the caller has made the new fence wait for them), {@link #addSharedFence(Fence)} adds a
 * {@link Usage#READ} fence, {@link #exclusiveFence()} and {@link #sharedFences()} read them back.
 * KERNEL and BOOKKEEP fences are outside that view and untouched by it.
 *
 * <h2>Fence lifetime</h2>
 * The reservation keeps ordinary Java references to its fences and does not call
 * {@link Fence#retain()} or {@link Fence#release()}: lock-free readers may still hold a snapshot
 * containing a fence after the reservation dropped it, and the garbage collector is what keeps it
 * valid for them. The queries that combine fences ({@link #singleton(Usage)},
 * {@link #exclusiveFence()}) follow {@link Fences#merge(Fence...)}: a single pending fence comes
 * back as itself, with no reference taken (do not release it), while a merge is a new
 * {@link FenceArray} that holds a reference on each member until its own last
 * {@link Fence#release()}. Several fences do not always make an array: the merge keeps one
 * fence per context, and fences may signal while it runs, so several can also come back as one
 * of them (no reference taken) or as a new signalled fence (one reference, the caller's, which
 * it may release or drop). Since a reservation holds no containers, a {@link FenceArray} result
 * is always a new one. Code whose fences recycle themselves in {@code deallocate()} releases a
 * {@link FenceArray} result when done with it; code that ignores reference counts can let it be
 * collected.
 */
public final class Reservation {

    /*
     * Implementation overview.
     *
     * `list` holds an immutable Snapshot (parallel arrays of fences and usages, never modified
     * after publication). Only the lock holder replaces it: it builds a new Snapshot (copy on
     * write) and publishes it with a release store (LIST.setRelease). Readers load it with an
     * acquire load (LIST.getAcquire) and then read only final arrays, so they see a complete list,
     * either the old one or the new one, never a mix. One add therefore costs one array copy of
     * the (short) list; reserveFences() also compacts away signalled entries, as the kernel does
     * when it reallocates.
     *
     * Each Snapshot also carries, built in its constructor (so by the writer, before the release
     * store publishes it), one immutable FenceList per usage u: the fences whose usage is at most
     * u, in list order. A usage with no entry of its own shares the list of the usage below it,
     * and a list that takes every entry shares the snapshot's array. fences(u) is then one
     * acquire load plus an array read and allocates nothing; unsignaledFences(u) returns the same
     * view when nothing in it has signalled and copies only otherwise. The lists are reachable
     * only through their (immutable, safely published) snapshot, so a reader sees one consistent
     * list however many writers publish meanwhile.
     *
     * `reserved` and `reservedGeneration` are plain fields used only by the lock holder: a
     * reservation counts only while mutex.generation() still equals the generation recorded when
     * it was made, so any unlock/relock discards it without a hook in unlock.
     */

    /**
     * The class of reservations unless another one is given, the kernel's
     * {@code reservation_ww_class}: {@linkplain WwClass.Algorithm#WAIT_DIE wait-die}.
     */
    public static final WwClass DEFAULT_CLASS = WwClass.waitDie("reservation_ww_class");

    /**
     * One fence of a reservation with its usage, as the kernel's iterators return them
     * ({@code dma_resv_iter_usage}).
     *
     * @param fence the fence
     * @param usage its usage
     */
    public record Entry(Fence fence, Usage usage) {
        /**
         * Creates an entry.
         *
         * @param fence the fence
         * @param usage its usage
         * @throws NullPointerException if either is null
         */
        public Entry {
            Objects.requireNonNull(fence, "fence");
            Objects.requireNonNull(usage, "usage");
        }
    }

    private static final class Snapshot {
        // USAGES before EMPTY: it is not a constant expression, and EMPTY's constructor reads it
        private static final int USAGES = Usage.values().length;
        static final Snapshot EMPTY = new Snapshot(new Fence[0], new Usage[0]);

        final Fence[] fences;
        final Usage[] usages;
        /** views[u]: the fences with usage ordinal <= u, in list order (see the overview). */
        final FenceList[] views;

        Snapshot(Fence[] fences, Usage[] usages) {
            this.fences = fences;
            this.usages = usages;
            int n = fences.length;
            FenceList[] v = new FenceList[USAGES];
            FenceList prev = null;
            for (int u = 0; u < USAGES; u++) {
                int count = 0;
                for (int i = 0; i < n; i++) {
                    if (usages[i].ordinal() <= u) {
                        count++;
                    }
                }
                if (prev != null && prev.size() == count) {
                    v[u] = prev;                      // no entry of usage u: same list as u - 1
                } else if (count == n) {
                    v[u] = new FenceList(fences, n);  // every entry: share the array
                } else {
                    Fence[] sub = new Fence[count];
                    int j = 0;
                    for (int i = 0; i < n; i++) {
                        if (usages[i].ordinal() <= u) {
                            sub[j++] = fences[i];
                        }
                    }
                    v[u] = new FenceList(sub, count);
                }
                prev = v[u];
            }
            this.views = v;
        }

        int size() {
            return fences.length;
        }
    }

    private static final VarHandle LIST;

    static {
        try {
            LIST = MethodHandles.lookup().findVarHandle(Reservation.class, "list", Snapshot.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final WwMutex mutex;
    private Snapshot list; // accessed through LIST; null means empty
    private int reserved;
    private long reservedGeneration;

    /**
     * Creates an empty reservation of {@link #DEFAULT_CLASS}, the kernel's
     * {@code dma_resv_init}.
     */
    public Reservation() {
        this(DEFAULT_CLASS, "resv");
    }

    /**
     * Creates an empty reservation whose lock belongs to {@code wwClass}.
     *
     * @param wwClass the class of the lock; every reservation locked in one transaction must
     *     share it
     * @throws NullPointerException if {@code wwClass} is null
     */
    public Reservation(WwClass wwClass) {
        this(wwClass, "resv");
    }

    /**
     * Creates an empty reservation with a name for diagnostics.
     *
     * @param wwClass the class of the lock
     * @param name a name for diagnostics
     * @throws NullPointerException if either is null
     */
    public Reservation(WwClass wwClass, String name) {
        this.mutex = new WwMutex(wwClass, name);
    }

    // ------------------------------------------------------------------------------------------
    // Locking

    /**
     * The lock of this reservation.
     *
     * @return the mutex
     */
    public WwMutex mutex() {
        return mutex;
    }

    /**
     * Locks as part of a multi-object transaction, the kernel's {@code dma_resv_lock}; see
     * {@link WwMutex#lock(WwAcquireContext)}.
     *
     * @param ctx the acquisition context
     * @return {@code true} if acquired, {@code false} if {@code ctx} already held it
     * @throws WwDeadlockException if {@code ctx} must back off
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException on misuse, as for {@link WwMutex#lock(WwAcquireContext)}
     */
    public boolean lock(WwAcquireContext ctx) throws WwDeadlockException {
        return mutex.lock(ctx);
    }

    /**
     * Interruptible {@link #lock(WwAcquireContext)}, the kernel's
     * {@code dma_resv_lock_interruptible}.
     *
     * @param ctx the acquisition context
     * @return {@code true} if acquired, {@code false} if {@code ctx} already held it
     * @throws WwDeadlockException if {@code ctx} must back off
     * @throws InterruptedException if the thread is interrupted before or while waiting, even if
     *     the lock is free or {@code ctx} already holds it (the status is cleared; not acquired)
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException on misuse, as for {@link WwMutex#lock(WwAcquireContext)}
     */
    public boolean lockInterruptible(WwAcquireContext ctx)
            throws WwDeadlockException, InterruptedException {
        return mutex.lockInterruptible(ctx);
    }

    /**
     * Locks the contended reservation after a back-off, the kernel's {@code dma_resv_lock_slow}.
     *
     * @param ctx the acquisition context, holding nothing
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException on misuse, as for {@link WwMutex#lockSlow(WwAcquireContext)}
     *     (for example if {@code ctx} still holds locks)
     */
    public void lockSlow(WwAcquireContext ctx) {
        mutex.lockSlow(ctx);
    }

    /**
     * Interruptible {@link #lockSlow(WwAcquireContext)}.
     *
     * @param ctx the acquisition context, holding nothing
     * @throws InterruptedException if the thread is interrupted before or while waiting, even if
     *     the lock is free (the status is cleared; not acquired)
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException on misuse, as for {@link WwMutex#lockSlow(WwAcquireContext)}
     */
    public void lockSlowInterruptible(WwAcquireContext ctx) throws InterruptedException {
        mutex.lockSlowInterruptible(ctx);
    }

    /**
     * Locks this single reservation without a context (no deadlock avoidance).
     *
     * @throws IllegalStateException if the calling thread already holds it (not reentrant)
     */
    public void lock() {
        mutex.lock();
    }

    /**
     * Locks this single reservation without a context, interruptibly.
     *
     * @throws InterruptedException if the thread is interrupted before or while waiting, even if
     *     the lock is free (the status is cleared; not acquired)
     * @throws IllegalStateException if the calling thread already holds it (not reentrant)
     */
    public void lockInterruptible() throws InterruptedException {
        mutex.lockInterruptible();
    }

    /**
     * Takes the lock without a context if it is free, the kernel's {@code dma_resv_trylock}.
     *
     * @return {@code true} if acquired
     */
    public boolean tryLock() {
        return mutex.tryLock();
    }

    /**
     * Unlocks, the kernel's {@code dma_resv_unlock}. Unused reserved slots are discarded.
     *
     * @throws IllegalStateException if the caller does not hold the lock
     */
    public void unlock() {
        mutex.unlock();
    }

    /**
     * {@link #lock(WwAcquireContext)} reporting a back-off as {@link WwMutex#DEADLK} instead of
     * throwing (see {@link WwMutex#lockOrBackOff}).
     *
     * @return {@link WwMutex#ACQUIRED}, {@link WwMutex#ALREADY} or {@link WwMutex#DEADLK}
     */
    int lockOrBackOff(WwAcquireContext ctx, boolean interruptible) throws InterruptedException {
        return mutex.lockOrBackOff(ctx, interruptible);
    }

    /**
     * {@link #unlock()} that leaves the wake-up to the caller (see {@link WwMutex#release()}).
     *
     * @return the thread the caller must unpark, or {@code null}
     */
    Thread unlockDeferringWakeup() {
        return mutex.release();
    }

    /**
     * Whether anyone holds the lock, the kernel's {@code dma_resv_is_locked}.
     *
     * @return {@code true} if locked
     */
    public boolean isLocked() {
        return mutex.isLocked();
    }

    /**
     * Whether the calling thread holds the lock (directly or through its context), the kernel's
     * {@code dma_resv_held}.
     *
     * @return {@code true} if the caller may add fences
     */
    public boolean isHeldByCurrentThread() {
        return mutex.isHeldByCurrentThread();
    }

    /**
     * The context holding the lock, the kernel's {@code dma_resv_locking_ctx}.
     *
     * @return the context, or {@code null} if unlocked or locked without a context
     */
    public WwAcquireContext lockingContext() {
        return mutex.owningContext();
    }

    // ------------------------------------------------------------------------------------------
    // Adding fences (lock held)

    /**
     * Makes room for {@code n} more {@link #addFence(Fence, Usage)} calls during the current lock
     * hold, the kernel's {@code dma_resv_reserve_fences}. Reserving is not cumulative: afterwards
     * at least {@code n} adds are allowed. Also drops entries whose fence has signalled.
     *
     * @param n how many fences will be added, at least 1
     * @throws IllegalArgumentException if {@code n < 1} (the kernel warns and returns -EINVAL)
     * @throws IllegalStateException if the caller does not hold the lock
     */
    public void reserveFences(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("reserveFences(" + n + "): n must be at least 1");
        }
        checkHeld("reserveFences");
        long gen = mutex.generation();
        if (reservedGeneration != gen) {
            reservedGeneration = gen;
            reserved = 0;
        }
        reserved = Math.max(reserved, n);
        Snapshot s = snapshot();
        int live = 0;
        for (Fence f : s.fences) {
            if (!f.isSignaled()) {
                live++;
            }
        }
        if (live != s.size()) {
            Fence[] fences = new Fence[live];
            Usage[] usages = new Usage[live];
            int j = 0;
            for (int i = 0; i < s.size(); i++) {
                if (!s.fences[i].isSignaled() && j < live) {
                    fences[j] = s.fences[i];
                    usages[j] = s.usages[i];
                    j++;
                }
            }
            publish(new Snapshot(Arrays.copyOf(fences, j), Arrays.copyOf(usages, j)));
        }
    }

    /**
     * Adds a fence, the kernel's {@code dma_resv_add_fence}, following the replacement rule (see
     * the class comment). An append consumes one reserved slot; a replacement needs no room but
     * still a {@link #reserveFences(int)} call in this lock hold.
     *
     * @param fence the fence; must not be a container ({@link FenceArray}, {@link FenceChain}):
     *     add the members one by one
     * @param usage how the fence uses the object
     * @throws NullPointerException if either argument is null
     * @throws IllegalArgumentException if {@code fence} is a container
     * @throws IllegalStateException if the caller does not hold the lock, has not reserved in
     *     this lock hold, or would append with no reserved slot left
     */
    public void addFence(Fence fence, Usage usage) {
        checkAdd(fence, usage, "addFence");
        checkReserved("addFence");
        Snapshot s = snapshot();
        for (int i = 0; i < s.size(); i++) {
            Fence old = s.fences[i];
            // The kernel's dma_fence_is_later_or_same(): the same fence, or a strictly later
            // seqno; a distinct fence with the same seqno is kept beside the old one.
            boolean sameContextLater = old.context() == fence.context()
                    && s.usages[i].compareTo(usage) >= 0
                    && (fence == old || Long.compareUnsigned(fence.seqno(), old.seqno()) > 0);
            if (sameContextLater || old.isSignaled()) {
                Fence[] fences = s.fences.clone();
                Usage[] usages = s.usages.clone();
                fences[i] = fence;
                usages[i] = usage;
                publish(new Snapshot(fences, usages));
                return;
            }
        }
        takeSlot("addFence"); // only an append needs room (the kernel's BUG_ON is here too)
        Fence[] fences = Arrays.copyOf(s.fences, s.size() + 1);
        Usage[] usages = Arrays.copyOf(s.usages, s.size() + 1);
        fences[s.size()] = fence;
        usages[s.size()] = usage;
        publish(new Snapshot(fences, usages));
    }

    /**
     * Replaces every fence of {@code context} by {@code replacement} with {@code usage}, the
     * kernel's {@code dma_resv_replace_fences}. Only valid when the old work no longer touches the
     * object once {@code replacement} signals (for example a preemption fence replaced by a
     * page-table update fence). Needs no reserved slot.
     *
     * @param context the context whose fences are replaced
     * @param replacement the fence that takes their place
     * @param usage the usage of the replacement
     * @throws NullPointerException if {@code replacement} or {@code usage} is null
     * @throws IllegalArgumentException if {@code replacement} is a container
     * @throws IllegalStateException if the caller does not hold the lock
     */
    public void replaceFences(long context, Fence replacement, Usage usage) {
        checkAdd(replacement, usage, "replaceFences");
        Snapshot s = snapshot();
        Fence[] fences = null;
        Usage[] usages = null;
        for (int i = 0; i < s.size(); i++) {
            if (s.fences[i].context() == context) {
                if (fences == null) {
                    fences = s.fences.clone();
                    usages = s.usages.clone();
                }
                fences[i] = replacement;
                usages[i] = usage;
            }
        }
        if (fences != null) {
            publish(new Snapshot(fences, usages));
        }
    }

    /**
     * Replaces this reservation's fences by the unsignalled fences of {@code src} (every usage,
     * kept per entry), the kernel's {@code dma_resv_copy_fences}. This reservation must be locked;
     * {@code src} is read without its lock. Reserved slots are left as they were.
     *
     * @param src the reservation to copy from
     * @throws NullPointerException if {@code src} is null
     * @throws IllegalStateException if the caller does not hold this reservation's lock
     */
    public void copyFences(Reservation src) {
        Objects.requireNonNull(src, "src");
        checkHeld("copyFences");
        Snapshot s = src.snapshot();
        List<Fence> fences = new ArrayList<>(s.size());
        List<Usage> usages = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            if (!s.fences[i].isSignaled()) {
                fences.add(s.fences[i]);
                usages.add(s.usages[i]);
            }
        }
        publish(new Snapshot(fences.toArray(new Fence[0]), usages.toArray(new Usage[0])));
    }

    // ------------------------------------------------------------------------------------------
    // Exclusive / shared view (lock held for adds)

    /**
     * Adds an exclusive (writer) fence in the pre-5.19 model: the new fence becomes the only
     * {@link Usage#WRITE} fence and every WRITE and READ fence is dropped. The caller must already
     * have made {@code fence} wait for (or depend on) the current {@link #exclusiveFence()} and
     * {@link #sharedFences()}; that is what makes dropping them safe. Consumes one reserved slot.
     *
     * @param fence the writer's fence (not a container)
     * @throws NullPointerException if {@code fence} is null
     * @throws IllegalArgumentException if {@code fence} is a container
     * @throws IllegalStateException if the caller does not hold the lock or has no reserved slot
     */
    public void addExclusiveFence(Fence fence) {
        checkAdd(fence, Usage.WRITE, "addExclusiveFence");
        takeSlot("addExclusiveFence");
        Snapshot s = snapshot();
        List<Fence> fences = new ArrayList<>(s.size() + 1);
        List<Usage> usages = new ArrayList<>(s.size() + 1);
        for (int i = 0; i < s.size(); i++) {
            Usage u = s.usages[i];
            if (u != Usage.WRITE && u != Usage.READ) {
                fences.add(s.fences[i]);
                usages.add(u);
            }
        }
        fences.add(fence);
        usages.add(Usage.WRITE);
        publish(new Snapshot(fences.toArray(new Fence[0]), usages.toArray(new Usage[0])));
    }

    /**
     * Adds a shared (reader) fence: {@code addFence(fence, Usage.READ)}. The caller must have made
     * {@code fence} wait for the current {@link #exclusiveFence()}.
     *
     * @param fence the reader's fence (not a container)
     * @throws NullPointerException if {@code fence} is null
     * @throws IllegalArgumentException if {@code fence} is a container
     * @throws IllegalStateException if the caller does not hold the lock or has no reserved slot
     */
    public void addSharedFence(Fence fence) {
        addFence(fence, Usage.READ);
    }

    /**
     * The exclusive fence of the pre-5.19 view: the {@link Usage#WRITE} fence, signalled or not.
     * Lock-free.
     *
     * @return {@code null} if there is no WRITE fence; the fence if there is one (no reference
     *     taken); if several writers were added with {@link #addFence(Fence, Usage)}, their
     *     {@linkplain Fences#merge(Fence...) merge}: a new {@link FenceArray} holding a reference
     *     on each member until it is released, or, if only one of them is pending (or all pending
     *     ones share a context), that one (no reference taken), or a new signalled fence if none
     *     is (see "Fence lifetime" above)
     */
    public Fence exclusiveFence() {
        Snapshot s = snapshot();
        List<Fence> writes = new ArrayList<>(1);
        for (int i = 0; i < s.size(); i++) {
            if (s.usages[i] == Usage.WRITE) {
                writes.add(s.fences[i]);
            }
        }
        if (writes.isEmpty()) {
            return null;
        }
        return writes.size() == 1 ? writes.get(0) : Fences.merge(writes.toArray(new Fence[0]));
    }

    /**
     * The shared fences of the pre-5.19 view: every {@link Usage#READ} fence, signalled or not.
     * Lock-free.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Fence> sharedFences() {
        Snapshot s = snapshot();
        List<Fence> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            if (s.usages[i] == Usage.READ) {
                out.add(s.fences[i]);
            }
        }
        return Collections.unmodifiableList(out);
    }

    // ------------------------------------------------------------------------------------------
    // Lock-free readers

    /**
     * Every fence whose usage is at most {@code usage}, signalled or not, with its usage, from one
     * consistent snapshot. The kernel's {@code dma_resv_for_each_fence}; lock-free.
     *
     * @param usage the usage asked for ({@code READ} includes KERNEL and WRITE)
     * @return an unmodifiable list in list order
     * @throws NullPointerException if {@code usage} is null
     */
    public List<Entry> entries(Usage usage) {
        Objects.requireNonNull(usage, "usage");
        Snapshot s = snapshot();
        List<Entry> out = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            if (s.usages[i].includedIn(usage)) {
                out.add(new Entry(s.fences[i], s.usages[i]));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Every fence whose usage is at most {@code usage}, signalled or not, from one consistent
     * snapshot. Lock-free.
     *
     * @param usage the usage asked for ({@code READ} includes KERNEL and WRITE)
     * @return an unmodifiable list in list order
     * @throws NullPointerException if {@code usage} is null
     */
    public List<Fence> fences(Usage usage) {
        return collect(usage, false);
    }

    /**
     * The fences still pending whose usage is at most {@code usage}, the kernel's
     * {@code dma_resv_get_fences} and unlocked iterator. Lock-free.
     *
     * @param usage the usage asked for
     * @return an unmodifiable list of unsignalled fences
     * @throws NullPointerException if {@code usage} is null
     */
    public List<Fence> unsignaledFences(Usage usage) {
        return collect(usage, true);
    }

    /**
     * Whether every fence with usage at most {@code usage} has signalled, the kernel's
     * {@code dma_resv_test_signaled} (an empty list counts as signalled). Lock-free.
     *
     * @param usage the usage asked for
     * @return {@code true} if nothing of that usage is pending
     * @throws NullPointerException if {@code usage} is null
     */
    public boolean testSignaled(Usage usage) {
        Objects.requireNonNull(usage, "usage");
        Snapshot s = snapshot();
        for (int i = 0; i < s.size(); i++) {
            if (s.usages[i].includedIn(usage) && !s.fences[i].isSignaled()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Waits until every fence with usage at most {@code usage} that is in the list now has
     * signalled, the kernel's {@code dma_resv_wait_timeout}. Fences added after the call started
     * are not waited for. Lock-free.
     *
     * @param usage the usage asked for
     * @param timeout how long to wait at most; 0 polls
     * @param unit the unit of {@code timeout}
     * @return {@code true} if all signalled in time, {@code false} on timeout
     * @throws InterruptedException if interrupted while waiting, or, even when polling, if the
     *     thread is already interrupted when a fence is found pending
     * @throws NullPointerException if {@code usage} or {@code unit} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public boolean await(Usage usage, long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(unit, "unit");
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        long remaining = unit.toNanos(timeout);
        for (Fence f : collect(usage, true)) {
            if (f.isSignaled()) {
                continue;
            }
            // As dma_resv_wait_timeout: a zero timeout still asks each fence with a zero-timeout
            // wait, which enables signalling first (a fence may learn of its completion only
            // then), and stays a poll for the next fence (awaitNanos(0) answers at least 1).
            long left = f.awaitNanos(remaining);
            if (left <= 0) {
                return false;
            }
            if (remaining != 0) {
                remaining = left;
            }
        }
        return true;
    }

    /**
     * Waits without a time limit until every fence with usage at most {@code usage} that is in
     * the list now has signalled. Lock-free.
     *
     * @param usage the usage asked for
     * @throws InterruptedException if interrupted while waiting, or if the thread is already
     *     interrupted when a fence is found pending
     * @throws NullPointerException if {@code usage} is null
     */
    public void await(Usage usage) throws InterruptedException {
        for (Fence f : collect(usage, true)) {
            f.await();
        }
    }

    /**
     * One fence that signals when every pending fence with usage at most {@code usage} has, the
     * kernel's {@code dma_resv_get_singleton}. Lock-free. Do not add the result back to this
     * reservation if it is a {@link FenceArray} (containers are refused).
     *
     * @param usage the usage asked for
     * @return an already signalled fence if nothing is pending, the fence itself if only one is
     *     (no reference taken), otherwise a {@link Fences#merge(Fence...) merge} of them: a new
     *     {@link FenceArray} holding a reference on each member until it is released, or, if the
     *     pending fences share one context or all but one signal meanwhile, one of them (no
     *     reference taken), or a new signalled fence if all signal meanwhile (see "Fence
     *     lifetime" above)
     * @throws NullPointerException if {@code usage} is null
     */
    public Fence singleton(Usage usage) {
        List<Fence> pending = collect(usage, true);
        if (pending.isEmpty()) {
            return Fence.signaledStub();
        }
        if (pending.size() == 1) {
            return pending.get(0);
        }
        return Fences.merge(pending.toArray(new Fence[0]));
    }

    /**
     * Passes a deadline hint to every pending fence with usage at most {@code usage}, the
     * kernel's {@code dma_resv_set_deadline}. Lock-free.
     *
     * @param usage the usage asked for
     * @param deadlineNanos the deadline, in {@link System#nanoTime()} time
     * @throws NullPointerException if {@code usage} is null
     */
    public void setDeadline(Usage usage, long deadlineNanos) {
        for (Fence f : collect(usage, true)) {
            f.setDeadline(deadlineNanos);
        }
    }

    /**
     * The number of entries in the list, signalled or not. Lock-free.
     *
     * @return the entry count
     */
    public int fenceCount() {
        return snapshot().size();
    }

    /**
     * A multi-line description of the fences (usage and {@link Fence#describe()} per line), the
     * kernel's {@code dma_resv_describe}. Lock-free. Unlike the kernel's, which stops at
     * {@link Usage#READ}, it lists {@link Usage#BOOKKEEP} fences too: a debugging description
     * should not hide a fence that somebody may be waiting behind. A driver's
     * {@link Fence#describe()} override that throws is shown as its class and the failure: the
     * description never fails because of one fence.
     *
     * @return the description, empty if there are no fences
     */
    public String describe() {
        Snapshot s = snapshot();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.size(); i++) {
            sb.append('\t').append(s.usages[i].name().toLowerCase(java.util.Locale.ROOT))
                    .append(" fence: ").append(Diagnostics.describe(s.fences[i])).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "Reservation[" + mutex + ", " + fenceCount() + " fence(s)]";
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    private Snapshot snapshot() {
        Snapshot s = (Snapshot) LIST.getAcquire(this);
        return s == null ? Snapshot.EMPTY : s;
    }

    private void publish(Snapshot s) {
        LIST.setRelease(this, s);
    }

    private List<Fence> collect(Usage usage, boolean pendingOnly) {
        Objects.requireNonNull(usage, "usage");
        FenceList view = snapshot().views[usage.ordinal()];
        if (!pendingOnly) {
            return view;
        }
        int n = view.size();
        int firstSignaled = 0;
        while (firstSignaled < n && !view.get(firstSignaled).isSignaled()) {
            firstSignaled++;
        }
        if (firstSignaled == n) {
            return view;                              // all pending: the view is the answer
        }
        List<Fence> out = new ArrayList<>(n - 1);
        for (int i = 0; i < n; i++) {
            Fence f = view.get(i);
            if (i != firstSignaled && !f.isSignaled()) {
                out.add(f);
            }
        }
        return Collections.unmodifiableList(out);
    }

    private void checkHeld(String op) {
        if (!mutex.isHeldByCurrentThread()) {
            throw new IllegalStateException(op + " on " + this
                    + " without holding its lock");
        }
    }

    private void checkAdd(Fence fence, Usage usage, String op) {
        Objects.requireNonNull(fence, "fence");
        Objects.requireNonNull(usage, "usage");
        refuseContainer(fence, op);
        checkHeld(op);
    }

    /** A reservation holds only leaf fences, as the kernel's dma_resv_add_fence WARNs. */
    static void refuseContainer(Fence fence, String op) {
        if (fence instanceof FenceArray || fence instanceof FenceChain) {
            throw new IllegalArgumentException(op + ": containers cannot be added ("
                    + fence.describe() + "); add their members with Fences.unwrap");
        }
    }

    private void checkReserved(String op) {
        if (reservedGeneration != mutex.generation()) {
            throw new IllegalStateException(op + " on " + this
                    + " without a reserved slot: call reserveFences(n) after locking");
        }
    }

    private void takeSlot(String op) {
        checkReserved(op);
        if (reserved == 0) {
            throw new IllegalStateException(op + " on " + this
                    + " would append beyond the reserved slots: reserve more with"
                    + " reserveFences(n)");
        }
        reserved--;
    }
}
