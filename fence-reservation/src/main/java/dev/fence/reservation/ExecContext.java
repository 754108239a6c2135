package dev.fence.reservation;

import dev.fence.core.Fence;
import dev.fence.core.Fences;
import dev.fence.core.internal.Diagnostics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks any set of {@link Reservation}s without deadlock, with the back-off and retry hidden, the
 * kernel's {@code drm_exec}. The caller writes the locking code once, as a {@link LockingBlock};
 * {@link #lockAll(LockingBlock)} runs it, and whenever a lock reports that this transaction must
 * back off, it releases everything, waits for the contended reservation
 * ({@link WwMutex#lockSlow(WwAcquireContext) lockSlow}, keeping the same stamp so the transaction
 * only gets older and cannot starve) and runs the block again from the top.
 *
 * <pre>{@code
 * try (ExecContext exec = ExecContext.create(ExecContext.Flag.IGNORE_DUPLICATES)) {
 *     exec.lockAll(e -> {
 *         for (Reservation r : buffersOfThisJob) {
 *             e.prepare(r, 1);                        // lock + reserve one fence slot
 *         }
 *     });
 *     Fence deps = exec.dependency(Usage.forAccess(true)); // what a writer must wait for
 *     Fence done = gpu.submit(job, deps);
 *     exec.addFence(done, Usage.WRITE);               // publish the job on every buffer
 * }                                                    // unlocks everything
 * }</pre>
 *
 * <p>Inside the block, every {@link #lock(Reservation)} or {@link #prepare(Reservation, int)} may
 * throw {@link WwDeadlockException}; let it propagate (the block's signature allows it) and the
 * context retries. A block that catches and swallows it is still retried, with a warning, because
 * the context remembers the contention. Any other exception ends {@code lockAll} and leaves the
 * locks taken so far held until {@link #close()}.
 *
 * <p>An {@code ExecContext} belongs to the thread that created it and is not thread-safe.
 * Reservations locked through it must share its {@link WwClass}
 * ({@link Reservation#DEFAULT_CLASS} by default).
 */
public final class ExecContext implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExecContext.class);

    /** Options of an {@link ExecContext}, the kernel's {@code DRM_EXEC_*} flags. */
    public enum Flag {
        /**
         * Waits for locks are interruptible ({@code DRM_EXEC_INTERRUPTIBLE_WAIT}): an interrupt
         * ends {@link ExecContext#lockAll(LockingBlock)} with {@link InterruptedException}. A
         * pending interrupt is seen at the next lock even if it would not wait (the kernel looks
         * at signals only while waiting).
         */
        INTERRUPTIBLE,
        /**
         * Locking a reservation this context already holds is a no-op returning {@code false}
         * ({@code DRM_EXEC_IGNORE_DUPLICATES}); without it, it is an
         * {@link IllegalArgumentException}.
         */
        IGNORE_DUPLICATES
    }

    /**
     * The locking code run (and re-run after back-offs) by {@link ExecContext#lockAll}: it locks
     * or prepares reservations through the context it is given. At the start of every run no
     * reservation is locked except, after a back-off, the contended one (which the context
     * already holds and treats as locked when the block asks for it).
     */
    @FunctionalInterface
    public interface LockingBlock {
        /**
         * Locks what the transaction needs.
         *
         * @param exec the context to lock through
         * @throws WwDeadlockException to be propagated: the context backs off and re-runs the block
         * @throws InterruptedException if an interruptible wait was interrupted
         */
        void lock(ExecContext exec) throws WwDeadlockException, InterruptedException;
    }

    private final WwAcquireContext ctx;
    private final boolean interruptible;
    private final boolean ignoreDuplicates;
    private static final Reservation[] NONE = new Reservation[0];
    private static final Thread[] NO_THREADS = new Thread[0];

    /** Threads to unpark after a release of everything (unlockAll), reused by every release. */
    private Thread[] wakeBuffer = NO_THREADS;

    /** The locked reservations, in locking order: objects[0 .. count) (grown on demand). */
    private Reservation[] objects = NONE;
    private int count;
    private Reservation contended;
    /**
     * Whether the swallowed back-off of the current {@link #contended} has been warned about:
     * one warning per back-off the block swallows, however many locks it goes on to try (each
     * rethrowing it) and whether or not it then returns normally. Cleared with each new
     * back-off, on the back-off path only.
     */
    private boolean swallowWarned;
    private Reservation prelocked;
    private boolean inBlock;
    private boolean ran;
    private boolean closed;
    private long passes;

    private ExecContext(WwClass wwClass, Flag... flags) {
        Objects.requireNonNull(wwClass, "wwClass");
        Objects.requireNonNull(flags, "flags");
        boolean intr = false;
        boolean dups = false;
        for (Flag f : flags) {
            switch (Objects.requireNonNull(f, "flag")) {
                case INTERRUPTIBLE:
                    intr = true;
                    break;
                case IGNORE_DUPLICATES:
                    dups = true;
                    break;
                default:
                    throw new AssertionError(f);
            }
        }
        this.interruptible = intr;
        this.ignoreDuplicates = dups;
        this.ctx = new WwAcquireContext(wwClass);
    }

    /**
     * Creates a context for reservations of {@link Reservation#DEFAULT_CLASS}, the kernel's
     * {@code drm_exec_init}. The calling thread owns it.
     *
     * @param flags options
     * @return the new context
     * @throws NullPointerException if {@code flags} or an element is null
     */
    public static ExecContext create(Flag... flags) {
        return new ExecContext(Reservation.DEFAULT_CLASS, flags);
    }

    /**
     * Creates a context for reservations of {@code wwClass}.
     *
     * @param wwClass the class of every reservation this context will lock
     * @param flags options
     * @return the new context
     * @throws NullPointerException if an argument or flag is null
     */
    public static ExecContext create(WwClass wwClass, Flag... flags) {
        return new ExecContext(wwClass, flags);
    }

    /**
     * Runs {@code block} until it completes without contention, the kernel's
     * {@code drm_exec_until_all_locked} loop. Before each re-run, every lock is released and the
     * contended reservation is waited for and locked. On return the acquire phase is over
     * ({@link WwAcquireContext#done()}): the locked reservations are {@link #locked()}. If the
     * block throws anything but a back-off, {@code lockAll} rethrows it and what the block locked
     * stays locked until {@link #close()} (as with the kernel's {@code drm_exec_fini}): use
     * try-with-resources.
     *
     * @param block the locking code
     * @throws InterruptedException if interrupted (with {@link Flag#INTERRUPTIBLE}) or if the
     *     block throws it
     * @throws NullPointerException if {@code block} is null
     * @throws IllegalStateException if called twice, from another thread, after close, or if the
     *     block reports a back-off for a lock not taken through this context
     */
    public void lockAll(LockingBlock block) throws InterruptedException {
        Objects.requireNonNull(block, "block");
        checkOpen();
        if (ran) {
            throw new IllegalStateException("lockAll() may run only once per ExecContext");
        }
        ran = true;
        for (;;) {
            if (contended != null) {
                Reservation c = contended;
                unlockAll();
                // Cleared before the wait, as the kernel's drm_exec_lock_contended does: if the
                // wait ends in an interrupt, lockAll is over and no back-off is pending any more.
                contended = null;
                if (interruptible) {
                    c.lockSlowInterruptible(ctx);
                } else {
                    c.lockSlow(ctx);
                }
                add(c);
                prelocked = c;
            }
            passes++;
            inBlock = true;
            try {
                block.lock(this);
            } catch (WwDeadlockException e) {
                if (contended == null) {
                    throw new IllegalStateException("the block reported a back-off on "
                            + e.contended() + ", which was not locked through this ExecContext",
                            e);
                }
                continue;
            } finally {
                inBlock = false;
            }
            if (contended != null) {
                if (!swallowWarned) {
                    swallowWarned = true;
                    Diagnostics.warn(LOG, "an ExecContext locking block swallowed a"
                            + " WwDeadlockException for {}; retrying anyway (let it propagate)",
                            contended);
                }
                continue;
            }
            prelocked = null;
            ctx.done();
            return;
        }
    }

    /**
     * Locks {@code resv} as part of this transaction, the kernel's {@code drm_exec_lock_obj}.
     * Only legal inside the {@link LockingBlock}.
     *
     * @param resv the reservation to lock
     * @return {@code true} if locked now (or already locked for the contended reservation after a
     *     back-off); {@code false} if it was already locked by this context and
     *     {@link Flag#IGNORE_DUPLICATES} is set
     * @throws WwDeadlockException to propagate out of the block: the context backs off and retries
     * @throws InterruptedException with {@link Flag#INTERRUPTIBLE}, if the thread is interrupted
     *     before or while waiting: a pending interrupt throws even for a free reservation or one
     *     this context already holds (as {@link Reservation#lockInterruptible(WwAcquireContext)};
     *     not for the contended reservation it re-took after a back-off)
     * @throws NullPointerException if {@code resv} is null
     * @throws IllegalArgumentException if {@code resv} is already locked by this context and
     *     {@link Flag#IGNORE_DUPLICATES} is not set, or belongs to another {@link WwClass}
     * @throws IllegalStateException if called outside the locking block or from another thread,
     *     or if the calling thread already holds {@code resv} without a context (as for
     *     {@link WwMutex#lock(WwAcquireContext)})
     */
    public boolean lock(Reservation resv) throws WwDeadlockException, InterruptedException {
        Objects.requireNonNull(resv, "resv");
        ctx.checkThread();
        if (!inBlock) {
            throw new IllegalStateException("ExecContext.lock() outside the lockAll() block");
        }
        if (resv == prelocked) {
            prelocked = null;
            return true;
        }
        if (contended != null) {
            // The block swallowed a back-off and went on locking: this pass is lost, so unwind
            // it now; lockAll() waits for the contended reservation and runs the block again.
            if (!swallowWarned) {
                swallowWarned = true;
                Diagnostics.warn(LOG, "an ExecContext locking block swallowed a"
                        + " WwDeadlockException for {} and went on locking {}; backing off again"
                        + " (let it propagate)", contended, resv);
            }
            throw new WwDeadlockException(contended.mutex(), ctx);
        }
        int r = resv.lockOrBackOff(ctx, interruptible);
        if (r == WwMutex.DEADLK) {
            contended = resv;
            swallowWarned = false;
            throw new WwDeadlockException(resv.mutex(), ctx);
        }
        if (r == WwMutex.ALREADY) {
            if (ignoreDuplicates) {
                return false;
            }
            throw new IllegalArgumentException(resv + " locked twice in one ExecContext;"
                    + " create it with Flag.IGNORE_DUPLICATES to allow that");
        }
        add(resv);
        return true;
    }

    /**
     * Locks {@code resv} and reserves {@code numFences} fence slots on it, the kernel's
     * {@code drm_exec_prepare_obj}. Only legal inside the {@link LockingBlock}.
     *
     * @param resv the reservation
     * @param numFences how many fences will be added, at least 1
     * @throws WwDeadlockException to propagate out of the block
     * @throws InterruptedException as for {@link #lock}
     * @throws NullPointerException if {@code resv} is null
     * @throws IllegalArgumentException if {@code numFences < 1}, or as for {@link #lock}
     * @throws IllegalStateException as for {@link #lock}
     */
    public void prepare(Reservation resv, int numFences)
            throws WwDeadlockException, InterruptedException {
        checkNumFences(numFences);
        lock(resv);
        resv.reserveFences(numFences);
    }

    private static void checkNumFences(int numFences) {
        if (numFences < 1) {
            throw new IllegalArgumentException("numFences must be at least 1: " + numFences);
        }
    }

    /**
     * {@link #prepare(Reservation, int)} for each reservation in order, the kernel's
     * {@code drm_exec_prepare_array}.
     *
     * @param resvs the reservations
     * @param numFences fence slots to reserve on each, at least 1
     * @throws WwDeadlockException to propagate out of the block
     * @throws InterruptedException as for {@link #lock}
     * @throws NullPointerException if {@code resvs} or an element is null (checked before
     *     anything is locked; the message names the index)
     * @throws IllegalArgumentException if {@code numFences < 1} (checked before the elements,
     *     even for an empty collection), or as for {@link #prepare}
     * @throws IllegalStateException as for {@link #lock}
     */
    public void prepareAll(Collection<? extends Reservation> resvs, int numFences)
            throws WwDeadlockException, InterruptedException {
        Objects.requireNonNull(resvs, "resvs");
        checkNumFences(numFences);
        // Refuse bad input before the first lock: a null found halfway would leave the earlier
        // reservations locked and reserved by a call that failed on its arguments.
        Reservation[] all = resvs.toArray(new Reservation[0]);
        for (int i = 0; i < all.length; i++) {
            if (all[i] == null) {
                throw new NullPointerException("resvs[" + i + "]"); // message built only here
            }
        }
        for (Reservation r : all) {
            prepare(r, numFences);
        }
    }

    /**
     * Unlocks one reservation locked through this context and forgets it, the kernel's
     * {@code drm_exec_unlock_obj}.
     *
     * @param resv a reservation in {@link #locked()}
     * @throws NullPointerException if {@code resv} is null
     * @throws IllegalStateException if {@code resv} is not locked through this context, if called
     *     from another thread, or if {@code resv} was unlocked directly (it is forgotten then)
     */
    public void unlock(Reservation resv) {
        Objects.requireNonNull(resv, "resv");
        ctx.checkThread();
        for (int i = count - 1; i >= 0; i--) {
            if (objects[i] == resv) {
                System.arraycopy(objects, i + 1, objects, i, count - i - 1);
                objects[--count] = null;
                if (prelocked == resv) {
                    prelocked = null;
                }
                resv.unlock();
                return;
            }
        }
        throw new IllegalStateException(resv + " is not locked through this ExecContext");
    }

    /**
     * The reservations currently locked through this context, in locking order.
     *
     * @return an unmodifiable snapshot
     */
    public List<Reservation> locked() {
        return Collections.unmodifiableList(Arrays.asList(Arrays.copyOf(objects, count)));
    }

    /**
     * Whether a back-off is pending (the block is about to be re-run), the kernel's
     * {@code drm_exec_is_contended}.
     *
     * @return {@code true} while a contended reservation waits to be locked
     */
    public boolean isContended() {
        return contended != null;
    }

    /**
     * Adds {@code fence} with {@code usage} to every locked reservation, reserving the slot if
     * the block did not (the "fence_buffers" step of the 2012 design).
     *
     * @param fence the fence (not a container)
     * @param usage its usage
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code fence} is a container
     * @throws IllegalStateException if called from another thread, before {@link #lockAll}
     *     (nothing is locked: the fence would be attached nowhere) or after close, or if a
     *     reservation locked through this context was unlocked directly (checked first: the
     *     fence is then added to none of them)
     */
    public void addFence(Fence fence, Usage usage) {
        Objects.requireNonNull(fence, "fence");
        Objects.requireNonNull(usage, "usage");
        // Before the loop: each reservation's reserveFences(1) below prunes its signalled
        // entries, so a container refused only by Reservation.addFence changed the first
        // reservation already (and was not refused at all with nothing locked).
        Reservation.refuseContainer(fence, "ExecContext.addFence");
        checkOpen();
        checkLockAllRan("addFence()");
        // Every lock first: a reservation unlocked behind this context's back refused the add
        // only when the loop reached it, after the fence had gone into the ones before it.
        for (int i = 0; i < count; i++) {
            if (!objects[i].isHeldByCurrentThread()) {
                throw new IllegalStateException("addFence() on " + this + ": " + objects[i]
                        + " was locked through it but unlocked outside it"
                        + " (Reservation.unlock()?); the fence was added to none");
            }
        }
        for (int i = 0; i < count; i++) {
            Reservation r = objects[i];
            r.reserveFences(1);
            r.addFence(fence, usage);
        }
    }

    /**
     * The pending fences of every locked reservation with usage at most {@code usage}, each fence
     * once: what new work must wait for before it touches the objects (use
     * {@link Usage#forAccess(boolean)} to pick the usage).
     *
     * @param usage the usage asked for
     * @return an unmodifiable list without duplicates
     * @throws NullPointerException if {@code usage} is null
     * @throws IllegalStateException if called from another thread, before {@link #lockAll} or
     *     after close (the objects are not locked: the answer would be "nothing to wait for")
     */
    public List<Fence> dependencies(Usage usage) {
        Objects.requireNonNull(usage, "usage");
        checkOpen();
        checkLockAllRan("dependencies()");
        Map<Fence, Boolean> seen = new IdentityHashMap<>();
        List<Fence> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            for (Fence f : objects[i].unsignaledFences(usage)) {
                if (seen.put(f, Boolean.TRUE) == null) {
                    out.add(f);
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * One fence for {@link #dependencies(Usage)}: signalled if there is nothing to wait for, the
     * fence itself if there is one, otherwise their {@linkplain Fences#merge(Fence...) merge}.
     *
     * @param usage the usage asked for
     * @return the dependency fence; as for {@link Reservation#singleton(Usage)}, a new
     *     {@link dev.fence.core.FenceArray} holding a reference on each member until it is
     *     released if the merge built one, otherwise a fence of the reservations (no reference
     *     taken) or a signalled fence
     * @throws NullPointerException if {@code usage} is null
     * @throws IllegalStateException as for {@link #dependencies(Usage)}
     */
    public Fence dependency(Usage usage) {
        List<Fence> deps = dependencies(usage);
        if (deps.isEmpty()) {
            return Fence.signaledStub();
        }
        return deps.size() == 1 ? deps.get(0) : Fences.merge(deps.toArray(new Fence[0]));
    }

    /**
     * How many back-offs this transaction went through.
     *
     * @return the back-off count
     */
    public long backoffs() {
        return ctx.backoffs();
    }

    /**
     * How many times the locking block ran (1 without contention).
     *
     * @return the pass count
     */
    public long passes() {
        return passes;
    }

    /**
     * The acquisition context (its stamp and counters), for diagnostics.
     *
     * @return the context
     */
    public WwAcquireContext context() {
        return ctx;
    }

    /**
     * Unlocks every reservation still locked through this context and ends the transaction, the
     * kernel's {@code drm_exec_fini}. A second close does nothing.
     *
     * @throws IllegalStateException if called from another thread or inside the locking block, or
     *     if a reservation locked through this context was unlocked directly (every other one is
     *     still unlocked; the context stays open, and a second close ends it)
     */
    @Override
    public void close() {
        ctx.checkThread();
        if (closed) {
            return;
        }
        checkNotInBlock("close()");
        unlockAll();
        contended = null;
        prelocked = null;
        ctx.close(); // first: if it refuses (a lock taken through context() is still held), this
                     // context stays open, so the caller can unlock that and close again
        closed = true;
    }

    /**
     * Starts the next transaction on this context, so that a thread running one transaction after
     * another allocates nothing per transaction (the kernel runs {@code drm_exec_init} again on
     * the same {@code struct drm_exec}). The flags stay; the {@linkplain #context() acquisition
     * context} stays the same object and is {@linkplain WwAcquireContext#reopen() reopened} with a
     * new stamp, so the new transaction is the youngest, as a new context's would be; the pass
     * and back-off counts start again from zero.
     *
     * <p>Legal after {@link #close()}, and also on a context whose {@code lockAll} has not run
     * and which holds nothing (it then only takes a fresh stamp), so a loop can open every
     * transaction the same way:
     *
     * <pre>{@code
     * ExecContext exec = ExecContext.create(cls);          // once per thread
     * for (Job job : jobs) {
     *     try (ExecContext e = exec.reopen()) {
     *         e.lockAll(b -> { for (Reservation r : job.buffers()) b.prepare(r, 1); });
     *         // ... submit, addFence ...
     *     }                                                // unlocks everything
     * }
     * }</pre>
     *
     * <p>Measured on row 13 of {@code docs/benchmarks.md} (8 of 64 objects): no allocation per
     * transaction, single-threaded 0.96x of sorted {@code ReentrantLock}s instead of 0.88x, and
     * under contention on 2 CPUs as fast or faster in most alternated runs
     * (fence-bench/results/row13-session7.md).
     *
     * @return this context
     * @throws IllegalStateException if called from another thread or inside the locking block,
     *     or if the context is open and has run {@code lockAll} or holds locks (close it first)
     */
    public ExecContext reopen() {
        ctx.checkThread();
        checkNotInBlock("reopen()");
        if (!closed) {
            if (ran || count != 0) {
                throw new IllegalStateException("reopen() of " + this
                        + " while in use: close() it first");
            }
            ctx.close(); // throws if locks were taken through context() directly
        }
        ctx.reopen();
        // close() (or never running lockAll) already left contended and prelocked null
        ran = false;
        passes = 0;
        closed = false;
        return this;
    }

    private void unlockAll() {
        Reservation[] objs = objects;
        Thread[] wake = wakeBuffer; // kept across transactions (reopen): most releases wake nobody
        int nwake = 0;
        IllegalStateException failed = null;
        try {
            for (int i = count - 1; i >= 0; i--) {
                Reservation r = objs[i];
                objs[i] = null;
                count = i;
                Thread t;
                try {
                    t = r.unlockDeferringWakeup();
                } catch (IllegalStateException e) {
                    // Unlocked (and perhaps relocked) behind this context's back: report it, but
                    // release the rest first, or they would stay locked for good.
                    if (failed == null) {
                        failed = new IllegalStateException(r + " was locked through " + this
                                + " but unlocked outside it (Reservation.unlock()?); the other"
                                + " reservations were unlocked", e);
                    }
                    continue;
                }
                if (t != null) {
                    if (wake.length <= i) {
                        wake = new Thread[objs.length];
                        wakeBuffer = wake;
                    }
                    wake[nwake++] = t;
                }
            }
        } finally {
            // Wake-ups only once nothing is held (see WwMutex.release), even if an unlock threw.
            for (int k = 0; k < nwake; k++) {
                LockSupport.unpark(wake[k]);
                wake[k] = null; // the buffer must not keep threads reachable
            }
        }
        prelocked = null;
        if (failed != null) {
            throw failed;
        }
    }

    private void add(Reservation resv) {
        Reservation[] objs = objects;
        if (count == objs.length) {
            objs = Arrays.copyOf(objs, Math.max(8, count * 2));
            objects = objs;
        }
        objs[count++] = resv;
    }

    private void checkNotInBlock(String op) {
        if (inBlock) {
            throw new IllegalStateException(op + " inside the lockAll() block of " + this);
        }
    }

    private void checkLockAllRan(String op) {
        if (!ran) {
            throw new IllegalStateException(op + " before lockAll() on " + this
                    + ": nothing is locked yet");
        }
    }

    private void checkOpen() {
        ctx.checkThread();
        if (closed) {
            throw new IllegalStateException("ExecContext used after close()");
        }
    }

    @Override
    public String toString() {
        return "ExecContext[" + ctx + ", " + count + " locked]";
    }
}
