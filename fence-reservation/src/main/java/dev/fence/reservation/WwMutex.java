package dev.fence.reservation;

import dev.fence.core.SignallingSection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A mutex with deadlock avoidance for acquiring many locks in any order, the kernel's
 * {@code struct ww_mutex}. Lock it with a {@link WwAcquireContext} when a transaction takes several
 * mutexes of one {@link WwClass}; conflicts between contexts are resolved by stamp (older wins)
 * with the class's algorithm, and the loser is told to back off by a {@link WwDeadlockException}.
 * Without a context ({@link #lock()}, {@link #tryLock()}) it is a plain, non-reentrant mutex.
 *
 * <p>The retry loop a caller writes by hand (or lets {@link ExecContext} write):
 *
 * <pre>{@code
 * try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
 *     List<WwMutex> held = new ArrayList<>();
 *     WwMutex slow = null;
 *     retry:
 *     for (;;) {
 *         for (WwMutex m : wanted) {
 *             if (m == slow) { continue; }              // taken by lockSlow already
 *             try {
 *                 if (m.lock(ctx)) { held.add(m); }      // false: this ctx already holds m
 *             } catch (WwDeadlockException e) {
 *                 held.forEach(WwMutex::unlock);         // release everything ...
 *                 held.clear();
 *                 slow = e.contended();
 *                 slow.lockSlow(ctx);                    // ... wait for the contended one ...
 *                 held.add(slow);
 *                 continue retry;                        // ... and retry with the same stamp
 *             }
 *         }
 *         break;
 *     }
 *     ctx.done();
 *     // ... use the objects, then unlock every mutex in held ...
 * }
 * }</pre>
 *
 * <p>Rules the kernel states and this class enforces where it can: a context belongs to one
 * thread; a mutex is unlocked by the thread that holds it; after a back-off the context must
 * release every lock and take the contended mutex next ({@link IllegalStateException} for any
 * other lock); {@link #lockSlow(WwAcquireContext)} is legal only while the context holds nothing.
 * Mixing context and context-free locking of mutexes of one class, or using two contexts of one
 * class in one thread at once, can deadlock undetected, as in the kernel.
 *
 * <p>With debug checks on ({@code -Ddev.fence.debug=true}), every lock call that may block (all
 * but the {@code tryLock} methods, and a context's lock of a mutex it already holds, which returns
 * {@code false} at once) throws {@link IllegalStateException} inside a fence callback,
 * a {@link dev.fence.core.CallbackDeferral} or a {@link dev.fence.core.SignallingSection},
 * contended or not: the thread holding the mutex may be waiting for the very fence this thread is
 * about to signal (the kernel's lockdep flags a {@code dma_resv} lock in a signalling section the
 * same way). This covers {@link Reservation}'s locks, {@link ExecContext#lockAll} and
 * {@link SharedBuffer#beginCpuAccess}, which lock through this class.
 *
 * <p>Waiting threads park with {@link LockSupport}; no monitor is ever held, so virtual threads do
 * not pin.
 */
public final class WwMutex {

    /*
     * Implementation overview.
     *
     * Fields:
     *   owner     volatile Object: null (free), the holding Thread (context-free lock) or the
     *             holding WwAcquireContext (its thread is ctx.owner()). It changes only by
     *             (a) CAS null -> requester, by any running requester (barging, as the kernel's
     *             trylock and optimistic spinning may take a free mutex although others wait);
     *             (b) the holder's release: a volatile store of null, or, with `handoff` set, a
     *             volatile store of the head waiter's requester under waitLock (hand-off: the
     *             mutex goes from holder to head without ever being free, so nobody can steal it).
     *   waitLock  a j.u.c ReentrantLock (the kernel's wait_lock) guarding the wait list and
     *             `handoff` writes. Held only for a few list operations, never while user code
     *             runs, spinning, or parking.
     *   head/tail the wait list of Waiter nodes, edited under waitLock; `head` is volatile because
     *             unlock() reads it without the lock to wake the head (see Release).
     *             Waiters with a context are kept in stamp order, oldest first; context-free
     *             waiters keep their FIFO position (new ones go to the tail) and are skipped by
     *             every stamp comparison, as in the kernel. A context waits on at most one mutex
     *             at a time, so it carries one reusable Waiter node (no allocation per wait).
     *   waiters   volatile int, the length of the wait list, written under waitLock and read
     *             without it by unlock() and by the spin heuristics.
     *   firstCtx  volatile Waiter, written under waitLock by every list edit, read without it by
     *             step 6 after a barging acquire: the waiter step 6 judges by (wait-die: the
     *             first context waiter; wound-wait: the first context waiter holding locks;
     *             both are the oldest such, as context waiters are in stamp order), or null.
     *   handoff   volatile boolean, the kernel's MUTEX_FLAG_HANDOFF: set under waitLock by the
     *             head waiter that was woken and found the mutex taken again (a barger won the
     *             race); read by the releaser without the lock; cleared under waitLock by the
     *             releaser that hands the mutex over, or when the list empties.
     *   generation plain long, incremented by each new holder once it owns the mutex and read by
     *             the holder (Reservation uses it to expire fence-slot reservations at unlock);
     *             ordered by the volatile owner hand-over. A long, so that it never comes round
     *             to an old value (an int did after 2^32 acquisitions, about an hour at 1M/s).
     *
     * Acquire (requester R, ctx C or none):
     *   1. C already owns this mutex -> ALREADY (-EALREADY). C holds nothing -> C.wounded = false.
     *   2. Trylock: CAS(owner, null, R), whether or not others wait (barging). On success, step 6
     *      from firstCtx, without waitLock. (grab(): small, inlined into every lock method;
     *      acquire(), steps 3 to 6, stays out of line.)
     *   3. Optimistic spin, only while the list is empty (the kernel does not spin past waiters,
     *      so a newcomer does not overtake an older queued context by spinning) and only while
     *      the algorithm lets R wait for the current holder, re-judged whenever the holder
     *      changes: a wait-die R holding locks that meets an older holder dies at once (DEADLK,
     *      the kill check's verdict without queueing); a wound-wait R holding locks that meets
     *      a younger holder wounds it (sets holder.wounded if not yet set, unparks its thread)
     *      and may then wait; a wounded R (also one wounded while it spins: the flag is read in
     *      every spin iteration, so an older context waiting for R does not wait out R's spin)
     *      goes to step 4, whose kill check backs it off.
     *      Spin with onSpinWait for at most SPIN_NANOS (a few microseconds; the owner is a Java
     *      thread that may be descheduled, so never unbounded), CASing whenever the mutex is free,
     *      and stop as soon as the holder is a context that is itself queued on some mutex (the
     *      kernel spins only while the owner is on a CPU; a queued holder is most likely parked,
     *      and on a 2-CPU machine spinning on it only takes the CPU its wake-up needs).
     *   4. Under waitLock: retry the CAS (then step 6). Otherwise enqueue:
     *        - no ctx: at the tail.
     *        - ctx, scanning from the tail: stop at the first ctx waiter older than C (wait-die:
     *          if C holds locks, C dies now: an older context is already queued); every younger
     *          ctx waiter passed that holds locks is woken (wait-die) to re-check and die.
     *          Wound-wait: after enqueueing, wound the holder if it is a younger context and C
     *          holds locks (set holder.wounded, unpark its thread).
     *   5. Wait loop, each round under waitLock:
     *        - owner == R (handed over by the releaser) or CAS(owner, null, R) succeeds:
     *          dequeue, acquired (step 6 if waiters remain);
     *        - interruptible and interrupted: dequeue (waking the new head if the mutex is free),
     *          throw InterruptedException;
     *        - kill check (only if C holds locks): wound-wait: C.wounded -> DEADLK, and (unlike
     *          the kernel, CHAIN_BACKOFF) the holder is an older context that is itself queued on
     *          some mutex -> DEADLK; wait-die: the holder is an older context, or any ctx waiter
     *          is queued ahead of R -> DEADLK (dequeue as above);
     *        - R was woken by a release (its armed flag was cleared, see Release) and is the
     *          head, so the mutex was stolen from it. R reads the flag when park() returns and
     *          again when it re-arms the flag at the start of the next round (an atomic swap):
     *          a stray permit or a spurious return may wake R just before a release disarms it,
     *          and the release's own unpark then only leaves a permit; re-arming with a plain
     *          store would erase the only trace of that release, and the bound below would slip
     *          by one steal for every such wake-up. The first time
     *          after a wake-up, release waitLock, spin as in step 3 (bounded; only waiting for
     *          owner to become null or R, not taking it) and re-run the round; the second time
     *          (or with SPIN_NANOS = 0) set handoff, so the next release hands the mutex to the
     *          head;
     *        - release waitLock and park. Spurious wake-ups just re-run the round.
     *   6. After acquiring with waiters present (check-waiters, the kernel's
     *      __ww_mutex_check_waiters): wait-die: wake the first ctx waiter if it holds locks and is
     *      younger than C (it must die); wound-wait: if some ctx waiter holding locks is older than
     *      C, C wounds itself (it backs off at its next wait). Every holder reads both from
     *      firstCtx, with or without waitLock (under it, firstCtx is exact). No waiter is missed:
     *      the barger CASes owner and then reads firstCtx; a queueing waiter writes firstCtx
     *      (inserting) and then reads owner (wound-wait: addCtxWaiter wounds a younger holder;
     *      wait-die: its first round's kill check dies for an older holder). All volatile, so
     *      one of the two sees the other. The holder reads firstCtx again after judging it and
     *      re-judges if it changed: the waiter it read may have left and reopened its context
     *      in between, and judged by its new, younger stamp it would hide an older waiter
     *      behind it (a missed wound; with the chain back-off off, an ABBA deadlock). A waiter
     *      that leaves after the second read can only cause a needless wound or wake-up, both
     *      harmless. Measured: taking waitLock here was half of the wound-wait samples at 8
     *      threads once the fast path was inline (row 13 wound-wait t8 0.61x -> 0.71x of sorted
     *      ReentrantLocks).
     *
     * Release: the holder checks ownership and decrements its context's count (a release store:
     * only the owner thread writes it). If handoff is clear, it stores owner = null (volatile),
     * reads `head` (volatile) and, if the head is armed, clears head.armed by CAS and unparks it,
     * all without waitLock. A waiter sets its `armed` flag at the start of every round (under
     * waitLock, by getAndSet, see step 5) before it tries the mutex, so of a burst of releases
     * only the first one after a round unparks a parked head (the others see it disarmed), as
     * AQS does with its node status;
     * and the woken head knows whether a release woke it (armed cleared) or something else did
     * (a wound, a wait-die wake-up, a stray permit), which is what the steal heuristics of step 5
     * count. Taking waitLock in every contended release made waitLock itself a convoy: in a
     * t8 profile 28% of the running samples were AQS.signalNext unparking threads queued on it.
     * If handoff is set it takes waitLock, and if the list is not empty stores owner = head's
     * requester and clears handoff; an empty list just frees it. In both cases it unparks the
     * head (which finds owner == itself, or a free mutex, in step 5) after releasing waitLock.
     *
     * Deferred wake-up: release() does all of the above but returns the thread to unpark instead
     * of unparking it; unlock() unparks at once, and ExecContext, which releases a whole
     * transaction, unparks every returned thread only after its last release (in a finally, so
     * an unlock that throws cannot strand a disarmed head). A woken thread may preempt its waker
     * (the wakee has slept, so the scheduler favours it); a waker preempted while it still holds
     * the rest of its locks stalls every thread that needs them, which on 2 CPUs was the largest
     * cost in wound-wait profiles. The kernel defers its wake-ups past wait_lock with a wake_q
     * for the same reason. Deferral changes only when the unpark happens, not whether: the
     * releaser that disarmed the head by CAS is the one that owes it the unpark.
     *
     * No lost wake-up: in every round the waiter stores armed = true and then reads owner (the
     * CAS); a releaser stores owner = null and then reads head and head.armed. All are volatile,
     * so either the waiter sees the mutex free, or the releaser sees it armed and unparks it (or
     * another releaser already disarmed and unparked it; a permit given before park() is not
     * lost). A waiter that is not yet the head when the mutex is released becomes the head either
     * because the old head took the mutex (whose release will see the new head) or because it
     * left: leave() removes it (volatile head write) and then reads owner, and unparks the new
     * head if the mutex is free, so the releaser (owner store, then head read) or the leaver sees
     * the other. An unpark meant for a node that has since left this mutex and queued elsewhere
     * (nodes are reused per context) is a spurious wake-up there: the round simply re-runs. A
     * handoff set after the releaser read it clear is harmless: that releaser still frees the
     * mutex and unparks the head.
     *
     * No starvation: barging lets a running thread take a free mutex, but a head that loses such
     * a race once sets handoff, and the release after that gives the mutex to the head directly.
     * The list is stamp ordered, so an old context retrying with lockSlow reaches the head ahead
     * of younger ones and is served within a bounded number of releases. Deadlock avoidance is
     * unchanged by barging: a barger with a context runs step 6 exactly as the kernel's fast path
     * does, and every wait (spin or park) is one the algorithm allows.
     *
     * Reopened contexts (WwAcquireContext.reopen(): the same object, a new and larger stamp, only
     * while it holds nothing and waits nowhere). A thread that found context C as the owner or
     * in a wait list reads C's stamp after that volatile read, so it sees the stamp of the
     * transaction that published C there, or a later one:
     *   - Later: the transaction it met is over (reopen() needs everything released). A verdict
     *     about it concerns a holder that is gone; the requester's next look at `owner` (the
     *     spin re-judges a changed owner; every queued round reads it afresh) or the new holder's
     *     step 6 decides about whoever holds the mutex then. Step 6 itself reads a waiter C
     *     from firstCtx: if C left and reopened before its stamp was read, the verdict concerns
     *     a waiter that is gone, so step 6 reads firstCtx again and re-judges whoever is first
     *     now (without that, an older waiter behind C went unwounded:
     *     WwMutexStaleFirstCtxTest). The one case a changed owner is not
     *     seen as a change is the spin meeting C itself, reopened and holding the mutex again:
     *     its new stamp is larger, so a wait-die wait allowed for the old transaction (C younger)
     *     is allowed for the new one too, and a wound owed to the new transaction is delivered
     *     when the bounded spin ends in the queue, whose insertion reads `owner` afresh.
     *   - Earlier than C's current transaction (the reader met the old one and is slow): C looks
     *     older than it is. Wait-die: the reader may die needlessly. Wound-wait: a spinning
     *     reader may skip a wound until its bounded spin ends in the queue (as above); a queueing
     *     reader may skip it and park, but it met the old owner after inserting itself, so C's
     *     current transaction took the mutex after the reader's firstCtx write and its step 6
     *     sees the reader (or an older waiter holding locks) and wounds itself, as for any
     *     barger.
     *   - A stale wound (set on the old transaction, landing on the new one) makes the new one
     *     back off once at a wait while it holds locks: needless, and something every caller
     *     handles. reopen() clears `wounded`, so a wound that arrived before it is dropped.
     * So reuse adds needless back-offs, wounds and wake-ups in races, never a forbidden wait.
     * jcstress WwMutexTests.ReopenPublishesStamp and the reopened ABBA tests exercise this.
     */

    private static final VarHandle OWNER;
    private static final VarHandle ARMED;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(WwMutex.class, "owner", Object.class);
            ARMED = MethodHandles.lookup().findVarHandle(Waiter.class, "armed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Upper bound of one optimistic spin (step 3), in nanoseconds: system property
     * {@code dev.fence.reservation.spinNanos}, default 3000; 0 disables spinning. Clamped to
     * 100 microseconds, so a misconfiguration cannot turn it into a busy wait.
     */
    static final long SPIN_NANOS = Math.max(0L,
            Math.min(100_000L, Long.getLong("dev.fence.reservation.spinNanos", 3000L)));

    /**
     * Wound-wait only, a deliberate difference from the kernel: a context holding locks that
     * would wait for an <em>older</em> holder which is itself queued on some mutex backs off
     * instead of parking (system property {@code dev.fence.reservation.woundWaitChainBackoff},
     * default {@code true}). Plain wound-wait lets it park holding its locks; on few CPUs such
     * waits chain (parked holders behind parked holders), every link costs a wake-up, and an
     * older context that needs one of the parked holder's locks must wound it, wake it and wait
     * for a second wake-up. Measured on 2 CPUs at 8 threads: this is what collapsed wound-wait
     * throughput for 100 ms stretches (fence-bench/results/row13-session2.md). The oldest
     * context is never younger than a holder, so it still never backs off; a context keeps its
     * stamp, so starvation freedom is unchanged; a back-off can only remove a wait, so deadlock
     * freedom is unchanged; and callers must already handle a back-off at any lock made while
     * holding others (the kernel's own debug build injects them at random).
     */
    static final boolean CHAIN_BACKOFF =
            !"false".equals(System.getProperty("dev.fence.reservation.woundWaitChainBackoff"));

    static final int ACQUIRED = 0;
    static final int ALREADY = 1;
    static final int DEADLK = 2;
    private static final int SLOW = 3;

    /**
     * A queued requester. A context keeps one for all its waits (it waits on one mutex at a
     * time).
     */
    static final class Waiter {
        final Thread thread;
        final WwAcquireContext ctx;
        /** The requester: {@code ctx}, or {@link #thread} for a context-free lock. */
        final Object requester;
        Waiter prev;
        Waiter next;
        /**
         * Set by the waiter (under waitLock, getAndSet) at the start of every round that may end
         * in park(); cleared by the one releaser that unparks it (compareAndSet, without
         * waitLock), so a stream of releases wakes a parked head once, and the waiter can tell
         * a release's wake-up (armed cleared) from a wound, die or stray wake-up (still armed).
         */
        volatile boolean armed;

        Waiter(Thread thread, WwAcquireContext ctx) {
            this.thread = thread;
            this.ctx = ctx;
            this.requester = ctx != null ? ctx : thread;
        }
    }

    private final WwClass wwClass;
    private final String name;
    private final ReentrantLock waitLock = new ReentrantLock();
    private volatile Object owner;
    private volatile int waiters;
    private volatile boolean handoff;
    private volatile Waiter head;
    private Waiter tail;
    private volatile Waiter firstCtx;
    private long generation;

    /**
     * Creates an unlocked mutex of the given class, the kernel's {@code ww_mutex_init}.
     *
     * @param wwClass the class shared by every mutex and context that may conflict with this one
     * @throws NullPointerException if {@code wwClass} is null
     */
    public WwMutex(WwClass wwClass) {
        this(wwClass, "ww_mutex");
    }

    /**
     * Creates an unlocked mutex of the given class with a name for diagnostics.
     *
     * @param wwClass the class shared by every mutex and context that may conflict with this one
     * @param name a name for diagnostics
     * @throws NullPointerException if either argument is null
     */
    public WwMutex(WwClass wwClass, String name) {
        this.wwClass = Objects.requireNonNull(wwClass, "wwClass");
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * The class of this mutex.
     *
     * @return the class
     */
    public WwClass wwClass() {
        return wwClass;
    }

    // ------------------------------------------------------------------------------------------
    // Locking with a context

    /**
     * Locks this mutex as part of the transaction {@code ctx}, the kernel's {@code ww_mutex_lock}.
     * Blocks while another holder keeps it, unless the algorithm decides that {@code ctx} must back
     * off. Interrupts do not end the wait (the interrupt status is kept).
     *
     * @param ctx the acquisition context; it must belong to the calling thread
     * @return {@code true} if this call acquired the mutex; {@code false} if {@code ctx} already
     *     holds it (the kernel's {@code -EALREADY}: nothing changed, and the mutex must still be
     *     unlocked only once)
     * @throws WwDeadlockException if {@code ctx} holds other locks and must back off: release them
     *     all, then {@link #lockSlow(WwAcquireContext) lockSlow} this mutex
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException if {@code ctx} belongs to another thread, is done or closed,
     *     has backed off and must first release everything and {@code lockSlow} the contended
     *     mutex, or if the calling thread already holds this mutex without a context (it would
     *     wait for itself)
     */
    public boolean lock(WwAcquireContext ctx) throws WwDeadlockException {
        try {
            return lockCtx(ctx, false);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible lock interrupted", e);
        }
    }

    /**
     * Like {@link #lock(WwAcquireContext)}, but a thread interrupt ends the wait, the kernel's
     * {@code ww_mutex_lock_interruptible} ({@code -EINTR}).
     *
     * @param ctx the acquisition context; it must belong to the calling thread
     * @return {@code true} if acquired; {@code false} if {@code ctx} already holds it
     * @throws WwDeadlockException if {@code ctx} must back off
     * @throws InterruptedException if the thread was interrupted before or while waiting; the
     *     mutex is then not acquired
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException on misuse, as for {@link #lock(WwAcquireContext)}
     */
    public boolean lockInterruptible(WwAcquireContext ctx)
            throws WwDeadlockException, InterruptedException {
        return lockCtx(ctx, true);
    }

    /**
     * Locks the contended mutex after a back-off, the kernel's {@code ww_mutex_lock_slow}: waits
     * (uninterruptibly) until it is free. Legal only while {@code ctx} holds no lock, which is also
     * why it cannot be told to back off.
     *
     * @param ctx the acquisition context that backed off (or any context holding nothing)
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException if {@code ctx} still holds locks, backed off on a different
     *     mutex, belongs to another thread, or is done or closed, or if the calling thread already
     *     holds this mutex without a context
     */
    public void lockSlow(WwAcquireContext ctx) {
        checkSlow(ctx);
        boolean got;
        try {
            got = lockCtx(ctx, false);
        } catch (WwDeadlockException | InterruptedException e) {
            throw new AssertionError("lockSlow with nothing held cannot back off", e);
        }
        assert got;
    }

    /**
     * Like {@link #lockSlow(WwAcquireContext)}, but a thread interrupt ends the wait, the kernel's
     * {@code ww_mutex_lock_slow_interruptible}.
     *
     * @param ctx the acquisition context holding nothing
     * @throws InterruptedException if interrupted before or while waiting (not acquired)
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException on misuse, as for {@link #lockSlow(WwAcquireContext)}
     */
    public void lockSlowInterruptible(WwAcquireContext ctx) throws InterruptedException {
        checkSlow(ctx);
        try {
            lockCtx(ctx, true);
        } catch (WwDeadlockException e) {
            throw new AssertionError("lockSlow with nothing held cannot back off", e);
        }
    }

    /**
     * Takes the mutex for {@code ctx} if it is free right now, the kernel's
     * {@code ww_mutex_trylock(lock, ctx)}. Never waits and never backs off. Unlike
     * {@link #lock(WwAcquireContext)}, a mutex already held by {@code ctx} just returns
     * {@code false}. After a back-off it may take the contended mutex (which ends the back-off,
     * as {@link #lockSlow(WwAcquireContext) lockSlow} does), but no other.
     *
     * @param ctx the acquisition context
     * @return {@code true} if acquired
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException if {@code ctx} belongs to another {@link WwClass}
     * @throws IllegalStateException if {@code ctx} belongs to another thread, is done or closed,
     *     or has backed off and must first release everything and take the contended mutex
     */
    public boolean tryLock(WwAcquireContext ctx) {
        Objects.requireNonNull(ctx, "ctx");
        ctx.checkCanLock(this);
        beginCtxLock(ctx);
        return grab(ctx, ctx); // success ends a back-off (acquireOne)
    }

    // ------------------------------------------------------------------------------------------
    // Plain mutex

    /**
     * Locks without a context: a plain mutex with no deadlock avoidance (the kernel's
     * {@code ww_mutex_lock(lock, NULL)}). Waits uninterruptibly.
     *
     * @throws IllegalStateException if the calling thread already holds this mutex (it is not
     *     reentrant; waiting would never end)
     */
    public void lock() {
        try {
            lockPlain(false);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible lock interrupted", e);
        }
    }

    /**
     * Locks without a context, ending the wait if the thread is interrupted.
     *
     * @throws InterruptedException if interrupted before or while waiting (not acquired)
     * @throws IllegalStateException if the calling thread already holds this mutex
     */
    public void lockInterruptible() throws InterruptedException {
        lockPlain(true); // checks the misuse first, then a pending interrupt
    }

    /**
     * Takes the mutex without a context if it is free right now, the kernel's
     * {@code ww_mutex_trylock(lock, NULL)}.
     *
     * @return {@code true} if acquired
     */
    public boolean tryLock() {
        return grab(Thread.currentThread(), null);
    }

    // ------------------------------------------------------------------------------------------
    // Unlock and queries

    /**
     * Releases the mutex, the kernel's {@code ww_mutex_unlock}, and wakes the first waiter.
     *
     * @throws IllegalStateException if the mutex is not locked, or is held by another thread (or
     *     by a context of another thread)
     */
    public void unlock() {
        Thread t = release();
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Releases the mutex like {@link #unlock()} but returns the thread that must be woken instead
     * of waking it, so that a caller releasing several mutexes (ExecContext) wakes
     * waiters only once it holds none of them; the caller must unpark the returned thread. The
     * kernel defers wake-ups past its wait_lock with a wake_q for the same reason: a woken thread
     * may preempt its waker, and a waker preempted while holding locks stalls everyone who needs
     * them.
     *
     * @return the thread to unpark, or {@code null}
     * @throws IllegalStateException as for {@link #unlock()}
     */
    Thread release() {
        Object o = owner;
        Thread me = Thread.currentThread();
        if (o == null) {
            throw new IllegalStateException("unlock of an unlocked " + this);
        }
        if (o instanceof WwAcquireContext) {
            WwAcquireContext ctx = (WwAcquireContext) o;
            if (ctx.owner() != me) {
                throw new IllegalStateException("unlock of " + this + " by " + me.getName()
                        + ", but it is held by " + ctx + " of " + ctx.owner().getName());
            }
            ctx.releaseOne();
        } else if (o != me) {
            throw new IllegalStateException("unlock of " + this + " by " + me.getName()
                    + ", but it is held by " + ((Thread) o).getName());
        }
        if (handoff) {
            return handOff();
        }
        OWNER.setVolatile(this, null);
        Waiter h = head;
        if (h != null && h.armed && ARMED.compareAndSet(h, true, false)) {
            return h.thread;
        }
        return null;
    }

    /** Release with the hand-off flag seen set (see the overview); returns whom to wake. */
    private Thread handOff() {
        waitLock.lock();
        try {
            Waiter h = head;
            if (h != null && handoff) {
                handoff = false;
                OWNER.setVolatile(this, h.requester);
                return h.thread;
            }
            handoff = false;
            OWNER.setVolatile(this, null);
            return h != null ? h.thread : null;
        } finally {
            waitLock.unlock();
        }
    }

    /**
     * Whether some thread or context holds the mutex (a racy snapshot), the kernel's
     * {@code ww_mutex_is_locked}.
     *
     * @return {@code true} if locked
     */
    public boolean isLocked() {
        return owner != null;
    }

    /**
     * Whether the calling thread holds the mutex, directly or through a context it owns.
     *
     * @return {@code true} if the caller may use what this mutex protects
     */
    public boolean isHeldByCurrentThread() {
        Object o = owner;
        Thread me = Thread.currentThread();
        return o == me || (o instanceof WwAcquireContext && ((WwAcquireContext) o).owner() == me);
    }

    /**
     * The context holding the mutex, the kernel's {@code dma_resv_locking_ctx}.
     *
     * @return the holding context, or {@code null} if the mutex is free or held without a context
     */
    public WwAcquireContext owningContext() {
        Object o = owner;
        return o instanceof WwAcquireContext ? (WwAcquireContext) o : null;
    }

    /** How many threads are queued (a racy snapshot, for tests and diagnostics). */
    int queueLength() {
        return waiters;
    }

    /** Whether the next release hands the mutex to the head waiter (racy, for tests). */
    boolean handoffPending() {
        return handoff;
    }

    /** Incremented at every acquisition; read by the holder (see the overview). */
    long generation() {
        return generation;
    }

    @Override
    public String toString() {
        Object o = owner;
        String state = o == null ? "unlocked"
                : o instanceof Thread ? "locked by " + ((Thread) o).getName() : "locked by " + o;
        return "WwMutex[" + name + ", " + state + ']';
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    private void checkSlow(WwAcquireContext ctx) {
        Objects.requireNonNull(ctx, "ctx");
        ctx.checkCanLock(this);
        if (ctx.acquired != 0) {
            throw new IllegalStateException("lockSlow(" + this + ") while " + ctx
                    + " still holds locks; release them all first");
        }
        if (ctx.contending != null && ctx.contending != this) {
            throw new IllegalStateException("lockSlow(" + this + ") but " + ctx
                    + " backed off on " + ctx.contending);
        }
    }

    /**
     * What every context acquisition of this mutex (lock or tryLock) starts with. After a back-off
     * the context must release everything and take the contended mutex next (lock, lockSlow or
     * tryLock of it); anything else is misuse. A context that holds nothing forgets an old wound.
     */
    private void beginCtxLock(WwAcquireContext ctx) {
        WwMutex contending = ctx.contending;
        if (contending != null && (contending != this || ctx.acquired != 0)) {
            throw new IllegalStateException(ctx + " backed off on " + contending
                    + ": release every lock and lockSlow it before locking " + this);
        }
        if (ctx.acquired == 0 && ctx.wounded) {
            ctx.wounded = false;
        }
    }

    private boolean lockCtx(WwAcquireContext ctx, boolean interruptible)
            throws WwDeadlockException, InterruptedException {
        int r = lockOrBackOff(ctx, interruptible);
        if (r == DEADLK) {
            throw new WwDeadlockException(this, ctx);
        }
        return r == ACQUIRED;
    }

    /**
     * {@link #lock(WwAcquireContext)} without the exception: returns {@link #ACQUIRED},
     * {@link #ALREADY} or {@link #DEADLK} (the back-off is recorded on {@code ctx} as for a
     * thrown one). For ExecContext, which reports the back-off to its block itself, so that one
     * back-off unwinds the stack once.
     */
    int lockOrBackOff(WwAcquireContext ctx, boolean interruptible) throws InterruptedException {
        // Bad arguments and misuse first, as lockSlowInterruptible checks them: a pending
        // interrupt must not hide them (nor be consumed by a call that was wrong anyway).
        Objects.requireNonNull(ctx, "ctx");
        ctx.checkCanLock(this);
        // The back-off rule before -EALREADY: a context that backed off still holding this
        // mutex has not released everything, which tryLock(ctx) already refuses.
        beginCtxLock(ctx);
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (owner == ctx) {
            return ALREADY; // cannot block, so not a lock the debug checks report (as lockdep)
        }
        SignallingSection.checkMayWait(this); // debug mode only
        int r = grab(ctx, ctx) ? ACQUIRED : acquire(ctx, ctx, interruptible);
        if (r == DEADLK) {
            ctx.contending = this;
            ctx.countBackoff();
            return DEADLK;
        }
        return ACQUIRED; // acquireOne() ended any back-off
    }

    private void lockPlain(boolean interruptible) throws InterruptedException {
        Thread me = Thread.currentThread();
        if (isHeldByCurrentThread()) {
            throw new IllegalStateException(this + " is already held by the calling thread "
                    + me.getName() + " (not reentrant)");
        }
        if (interruptible && Thread.interrupted()) { // after the misuse, as lockOrBackOff
            throw new InterruptedException();
        }
        SignallingSection.checkMayWait(this); // debug mode only
        if (!grab(me, null)) {
            acquire(me, null, interruptible);
        }
    }

    /**
     * Step 2, the barging trylock, with step 6 on success: small enough to inline into every
     * caller (acquire() is the out-of-line rest: spin, queue, park).
     */
    private boolean grab(Object me, WwAcquireContext ctx) {
        if (!OWNER.compareAndSet(this, null, me)) {
            return false;
        }
        acquired(ctx);
        if (ctx != null) {
            checkWaiters(ctx);
        }
        return true;
    }

    private void acquired(WwAcquireContext ctx) {
        if (ctx != null) {
            ctx.acquireOne();
        }
        generation++;
    }

    /** Steps 3 to 6 of the overview, after grab() failed. Returns ACQUIRED or DEADLK. */
    private int acquire(Object me, WwAcquireContext ctx, boolean interruptible)
            throws InterruptedException {
        if (ctx != null) {
            checkNotHeldPlainByCaller(ctx);
        }
        int r = SPIN_NANOS > 0 && waiters == 0 ? spin(me, ctx, false) : SLOW;
        if (r != SLOW) {
            return r;
        }
        Waiter w = ctx != null ? ctx.waiterNode() : new Waiter(Thread.currentThread(), null);
        waitLock.lock();
        try {
            if (grab(me, ctx)) {
                return ACQUIRED;
            }
            if (ctx == null) {
                insertBefore(w, null);
            } else if (!addCtxWaiter(w, ctx)) {
                return DEADLK;
            }
        } finally {
            waitLock.unlock();
        }
        boolean interruptedWhileWaiting = false;
        boolean signalled = false;
        boolean spun = false;
        boolean armedBefore = false;  // whether an earlier round armed w
        try {
            for (;;) {
                boolean spinNow = false;
                waitLock.lock();
                try {
                    if (!(boolean) ARMED.getAndSet(w, true) && armedBefore) {
                        signalled = true;     // a release disarmed w after park() returned
                    }
                    armedBefore = true;
                    if (owner == me || OWNER.compareAndSet(this, null, me)) {
                        w.armed = false;
                        remove(w);
                        acquired(ctx);
                        if (ctx != null) {
                            checkWaiters(ctx);
                        }
                        return ACQUIRED;
                    }
                    if (interruptible && Thread.interrupted()) {
                        w.armed = false;
                        leave(w);
                        throw new InterruptedException();
                    }
                    if (ctx != null && mustBackOff(w, ctx)) {
                        w.armed = false;
                        leave(w);
                        return DEADLK;
                    }
                    if (signalled && head == w) {
                        if (spun || handoff || SPIN_NANOS == 0) {
                            handoff = true;   // stolen after a wake-up (and a spin)
                        } else {
                            spinNow = true;   // first miss after this wake-up: spin once
                        }
                    }
                } finally {
                    waitLock.unlock();
                }
                if (spinNow) {
                    spin(me, ctx, true);      // the next round sees what it left: owner or free
                    spun = true;
                    continue;
                }
                LockSupport.park(this);
                signalled = !w.armed;
                spun = false;
                if (!interruptible && Thread.interrupted()) {
                    interruptedWhileWaiting = true;
                }
            }
        } finally {
            if (interruptedWhileWaiting) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Refuses a context lock of a mutex that the calling thread already holds without a context:
     * it would wait for itself forever (the context-free {@link #lock()} refuses the same case).
     * Exact without waitLock: only the caller could release such a hold. (A hold through another
     * context of this thread is left to the algorithm: wait-die may rightly tell a younger one to
     * back off; using two contexts in one thread stays the caller's risk, as documented.)
     */
    private void checkNotHeldPlainByCaller(WwAcquireContext ctx) {
        Thread me = Thread.currentThread();
        if (owner == me) {
            throw new IllegalStateException(this + " is already held by the calling thread "
                    + me.getName() + " without a context; locking it with " + ctx
                    + " would wait forever");
        }
    }

    /**
     * Bounded optimistic spin: step 3 before queueing ({@code queued == false}: it may take the
     * mutex, and stops when waiters appear), or the head waiter's spin after a wake-up that found
     * the mutex taken ({@code queued == true}: it only waits for the mutex to be released or
     * handed over; the caller's next round under waitLock takes it). Returns ACQUIRED (not
     * queued only), DEADLK (wait-die: R holds locks and the holder is older: die now, as the
     * kill check would), or SLOW (go on to the queue / the next round).
     */
    private int spin(Object me, WwAcquireContext ctx, boolean queued) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        Object seen = null;
        for (int i = 1;; i++) {
            Object o = owner;
            if (o == null || o == me) {
                if (queued) {
                    return SLOW;
                }
                if (grab(me, ctx)) {
                    return ACQUIRED;
                }
                continue;
            }
            if (o instanceof WwAcquireContext && ((WwAcquireContext) o).queued) {
                return SLOW;          // the holder is waiting itself (parked): spinning is futile
            }
            if (o != seen) {
                if (ctx != null) {
                    int v = mayWaitFor(ctx, o);
                    if (v != ACQUIRED) {
                        return queued ? SLOW : v;
                    }
                }
                seen = o;
            } else if (ctx != null && ctx.wounded && ctx.acquired > 0) {
                return SLOW;          // wounded while spinning: the kill check backs it off now
            }
            if ((i & 15) == 0
                    && ((!queued && waiters != 0) || System.nanoTime() - deadline >= 0)) {
                return SLOW;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Whether {@code ctx} may wait for holder {@code o}: ACQUIRED (yes: it may spin), DEADLK
     * (wait-die: it holds locks and the holder is older, so it dies), SLOW (wound-wait: it was
     * wounded and must take the slow path, whose kill check backs it off). A wound-wait context
     * holding locks that meets a younger holder wounds it here (as the slow path would once
     * queued) and may then wait for it.
     */
    private int mayWaitFor(WwAcquireContext ctx, Object o) {
        if (ctx.acquired == 0) {
            return ACQUIRED;
        }
        boolean isCtx = o instanceof WwAcquireContext;
        if (wwClass.isWaitDie()) {
            return isCtx && WwAcquireContext.younger(ctx, (WwAcquireContext) o) ? DEADLK : ACQUIRED;
        }
        if (ctx.wounded) {
            return SLOW;
        }
        if (isCtx) {
            WwAcquireContext holder = (WwAcquireContext) o;
            if (WwAcquireContext.younger(holder, ctx) && !holder.wounded) {
                wound(holder);
            }
        }
        return ACQUIRED;
    }

    /**
     * Sets the wounded flag of a younger holder and, if it is queued on some mutex, wakes its
     * thread so that its kill check backs it off. A running holder is not unparked: unlike the
     * kernel's wake_up_process, an unpark of a running thread leaves a permit that would make its
     * next park return at once and look like a wake-up. No wound is missed: the holder sets
     * `queued` before its kill check reads `wounded`, and we set `wounded` before reading
     * `queued` (both volatile), so it sees the wound or we see it queued.
     */
    private static void wound(WwAcquireContext holder) {
        holder.wounded = true;
        Thread t = holder.owner();
        if (holder.queued && t != Thread.currentThread()) {
            LockSupport.unpark(t);
        }
    }

    /** Stamp-ordered insertion (step 3). Under waitLock. False: wait-die says die now. */
    private boolean addCtxWaiter(Waiter w, WwAcquireContext ctx) {
        boolean waitDie = wwClass.isWaitDie();
        Waiter pos = null;
        for (Waiter c = tail; c != null; c = c.prev) {
            if (c.ctx == null) {
                continue;
            }
            if (WwAcquireContext.younger(ctx, c.ctx)) {
                if (waitDie && ctx.acquired > 0) {
                    return false;
                }
                break;
            }
            pos = c;
            if (waitDie && c.ctx.acquired > 0) {
                LockSupport.unpark(c.thread);
            }
        }
        insertBefore(w, pos);
        if (!waitDie) {
            Object o = owner;
            if (o instanceof WwAcquireContext) {
                WwAcquireContext holder = (WwAcquireContext) o;
                if (ctx.acquired > 0 && WwAcquireContext.younger(holder, ctx)) {
                    wound(holder);
                }
            }
        }
        return true;
    }

    /** The kill check of step 4. Under waitLock. */
    private boolean mustBackOff(Waiter w, WwAcquireContext ctx) {
        if (ctx.acquired == 0) {
            return false;
        }
        if (!wwClass.isWaitDie()) {
            if (ctx.wounded) {
                return true;
            }
            if (!CHAIN_BACKOFF) {
                return false;
            }
            Object h = owner;
            return h instanceof WwAcquireContext && ((WwAcquireContext) h).queued
                    && WwAcquireContext.younger(ctx, (WwAcquireContext) h);
        }
        Object o = owner;
        if (o instanceof WwAcquireContext && WwAcquireContext.younger(ctx, (WwAcquireContext) o)) {
            return true;
        }
        for (Waiter c = w.prev; c != null; c = c.prev) {
            if (c.ctx != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Step 6, run by the new holder {@code ctx}, with or without waitLock: the verdict depends
     * only on the waiter {@code firstCtx} names (see the overview), so no holder walks the list
     * or takes waitLock for it.
     */
    private void checkWaiters(WwAcquireContext ctx) {
        for (Waiter f = firstCtx; f != null; ) {
            WwAcquireContext c = f.ctx;
            Runnable seam = checkWaitersTestSeam;
            if (seam != null) {
                seam.run();
            }
            boolean act = wwClass.isWaitDie()
                    ? c.acquired > 0 && WwAcquireContext.younger(c, ctx)
                    : WwAcquireContext.younger(ctx, c);
            // f may have left between the two reads and its context been reopened with a newer
            // stamp, hiding an older waiter now first: judge again whoever is first now. The
            // same node first again is judged rightly (it re-queued behind no older waiter).
            Waiter now = firstCtx;
            if (now == f) {
                if (act) {
                    if (wwClass.isWaitDie()) {
                        LockSupport.unpark(f.thread);
                    } else {
                        ctx.wounded = true;
                    }
                }
                return;
            }
            f = now;
        }
    }

    /**
     * Test seam: run by {@link #checkWaiters} between reading the first waiter and judging it,
     * only when a context waiter is queued, so a test can widen that window
     * ({@code WwMutexStaleFirstCtxTest}). Always null outside tests.
     */
    static volatile Runnable checkWaitersTestSeam;

    /**
     * Whether {@code w} can be {@code firstCtx}: for wait-die any context waiter (step 6 looks at
     * the first one), for wound-wait a context waiter holding locks (step 6 looks for the first
     * such). A queued context's lock count cannot change while it waits, so the answer holds
     * from insertion to removal.
     */
    private boolean judged(Waiter w) {
        return w.ctx != null && (wwClass.isWaitDie() || w.ctx.acquired > 0);
    }

    /** Dequeues a waiter that gives up; if it was the head and the mutex is free, wake the next. */
    private void leave(Waiter w) {
        boolean wasHead = head == w;
        remove(w);
        Waiter h = head;
        if (wasHead && h != null && owner == null) {
            LockSupport.unpark(h.thread);
        }
    }

    private void insertBefore(Waiter w, Waiter pos) {
        if (w.ctx != null) {
            w.ctx.queued = true;
            Waiter f = firstCtx;
            if (judged(w) && (f == null || WwAcquireContext.younger(f.ctx, w.ctx))) {
                firstCtx = w;     // context waiters are in stamp order: the oldest is first
            }
        }
        if (pos == null) {
            w.prev = tail;
            if (tail == null) {
                head = w;
            } else {
                tail.next = w;
            }
            tail = w;
        } else {
            w.next = pos;
            w.prev = pos.prev;
            if (pos.prev == null) {
                head = w;
            } else {
                pos.prev.next = w;
            }
            pos.prev = w;
        }
        waiters = waiters + 1;
    }

    private void remove(Waiter w) {
        if (w == firstCtx) {
            Waiter n = w.next;
            while (n != null && !judged(n)) {
                n = n.next;
            }
            firstCtx = n;
        }
        if (w.prev == null) {
            head = w.next;
        } else {
            w.prev.next = w.next;
        }
        if (w.next == null) {
            tail = w.prev;
        } else {
            w.next.prev = w.prev;
        }
        w.prev = null;
        w.next = null;
        if (w.ctx != null) {
            w.ctx.queued = false;
        }
        waiters = waiters - 1;
        if (head == null) {
            handoff = false;
        }
    }
}
