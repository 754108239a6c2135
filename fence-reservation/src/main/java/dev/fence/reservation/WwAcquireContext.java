package dev.fence.reservation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * One ticket for one multi-object acquisition, the kernel's {@code struct ww_acquire_ctx}. It takes
 * a stamp from its {@link WwClass} when created (a smaller stamp is an older context, and older
 * contexts win conflicts) and keeps it across back-offs, so a transaction that backs off and
 * retries only grows older relative to newcomers and cannot be starved by them.
 *
 * <p>A context belongs to the thread that created it: every lock and unlock made with it must
 * happen in that thread ({@link IllegalStateException} otherwise). Typical use:
 *
 * <pre>{@code
 * try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
 *     // lock a, b, ... with a.lock(ctx); on WwDeadlockException release all, lockSlow, retry
 *     ctx.done();                    // optional: no more locks will be taken with ctx
 *     // ... use the objects ...
 *     // unlock every mutex
 * }                                  // closing with locks still held is an IllegalStateException
 * }</pre>
 *
 * <p>A thread that runs one transaction after another can keep one context and
 * {@link #reopen()} it after each {@code close()} instead of creating a new one: the kernel
 * re-initialises the same {@code ww_acquire_ctx} the same way ({@link ExecContext#reopen()} does
 * it for a whole transaction).
 *
 * <p>Not thread-safe: the context is confined to its thread, although other threads read its
 * stamp, lock count and wounded flag (through volatile fields) to decide conflicts.
 */
public final class WwAcquireContext implements AutoCloseable {

    /*
     * Field access: `wwClass` and `thread` are final. `stamp` is written only by the owner thread,
     * in the constructor and in reopen() (a release store), and only while the context holds
     * nothing and waits nowhere; other threads read it (volatile) after finding the context in a
     * mutex's owner field or wait list (volatile reads), so they see the stamp of the transaction
     * that published it there or a later one, never an earlier one. A reader may thus judge a
     * context younger than the transaction it met (which is over: reopen() needs everything
     * released) or older than the one now running; WwMutex's overview ("Reopened contexts")
     * shows that either costs at most a needless back-off, wound or wake-up. `acquired` is
     * written only by the owner thread (in WwMutex, once it owns or gives up a mutex) and read by
     * other threads deciding die/wound, so it is volatile for readers and written with a release
     * store (acquireOne, releaseOne): a single writer needs no StoreLoad fence, and the readers'
     * decisions are racy snapshots in the kernel too. `wounded` is written by other threads
     * (wound-wait wounders: under the wait lock of the mutex they block on, or without it
     * from the spin before queueing) and by the owner (reset when it holds nothing, and by
     * reopen()), and read by the owner: volatile. `queued` is written by the owner thread
     * under the wait lock of the mutex it queues on (true while its node is in a wait list) and
     * read by wounders to decide whether to unpark it.
     * `contending`, `done`, `closed`, `backoffs` are owner-thread only, and so is `waiter`, the
     * WwMutex wait-list node reused by every wait of this context, across reopen() too (created
     * at the first wait; a context waits on at most one mutex at a time).
     */

    private static final VarHandle ACQUIRED;
    private static final VarHandle STAMP;

    static {
        try {
            ACQUIRED = MethodHandles.lookup()
                    .findVarHandle(WwAcquireContext.class, "acquired", int.class);
            STAMP = MethodHandles.lookup()
                    .findVarHandle(WwAcquireContext.class, "stamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final WwClass wwClass;
    private volatile long stamp;
    private final Thread thread;
    volatile int acquired;
    volatile boolean wounded;
    volatile boolean queued;
    WwMutex contending;
    private boolean done;
    private boolean closed;
    private long backoffs;
    private WwMutex.Waiter waiter;

    /**
     * Starts an acquisition: takes the next stamp of {@code wwClass}, the kernel's
     * {@code ww_acquire_init}. The calling thread owns the context.
     *
     * @param wwClass the class of every mutex this context will lock
     * @throws NullPointerException if {@code wwClass} is null
     */
    public WwAcquireContext(WwClass wwClass) {
        this.wwClass = Objects.requireNonNull(wwClass, "wwClass");
        STAMP.setRelease(this, wwClass.nextStamp()); // published later by a volatile owner CAS
        this.thread = Thread.currentThread();
    }

    /**
     * Starts the next acquisition with this closed context, the kernel's {@code ww_acquire_init}
     * on a context that was {@code ww_acquire_fini}ed: takes a new stamp from the class (the
     * context is now the youngest, as a new one would be) and clears the done, closed, wounded
     * and back-off state. Nothing is allocated, which is the point: a thread running transaction
     * after transaction keeps one context.
     *
     * <p>Other threads may still hold a reference to this context from its previous transaction
     * (read from a mutex it held, or from a wait list it was in) and read its stamp or wound it.
     * Such a reader sees the stamp of the transaction it met or a later one, so it may judge the
     * context younger than that transaction (which is over) or older than the one now running;
     * and a stale wound makes the new transaction back off once if it must wait while holding
     * locks. WwMutex's implementation overview ("Reopened contexts") shows that each of these
     * costs at most a needless back-off, wound or wake-up, which every caller already handles.
     *
     * @return this context
     * @throws IllegalStateException if the context is not closed, or if called from another thread
     */
    public WwAcquireContext reopen() {
        checkThread();
        if (!closed) {
            throw new IllegalStateException("reopen() of " + this + ", which is not closed");
        }
        // closed implies acquired == 0 and not queued: close() refuses while locks are held, and
        // a thread waits on a mutex only inside a lock call.
        STAMP.setRelease(this, wwClass.nextStamp());
        wounded = false;
        contending = null;
        backoffs = 0;
        done = false;
        closed = false;
        return this;
    }

    /**
     * The class this context was created for.
     *
     * @return the class
     */
    public WwClass wwClass() {
        return wwClass;
    }

    /**
     * The stamp: smaller (in wrap-around order) means older.
     *
     * @return the stamp
     */
    public long stamp() {
        return stamp;
    }

    /**
     * The thread that owns this context.
     *
     * @return the creating thread
     */
    public Thread owner() {
        return thread;
    }

    /**
     * How many mutexes this context holds right now.
     *
     * @return the count
     */
    public int acquiredCount() {
        return acquired;
    }

    /**
     * Whether an older wound-wait context has asked this one to back off. The flag is cleared when
     * the context next tries to lock while holding nothing. Always {@code false} for wait-die.
     *
     * @return the wounded flag
     */
    public boolean isWounded() {
        return wounded;
    }

    /**
     * How many times a lock call with this context reported a back-off
     * ({@link WwDeadlockException}).
     *
     * @return the back-off count
     */
    public long backoffs() {
        return backoffs;
    }

    /**
     * Whether {@link #done()} was called.
     *
     * @return {@code true} after {@code done()}
     */
    public boolean isDone() {
        return done;
    }

    /**
     * Marks the end of the acquire phase, the kernel's {@code ww_acquire_done}: any further lock
     * with this context is an {@link IllegalStateException}. Unlocking stays allowed.
     *
     * @throws IllegalStateException if already done or closed, or called from another thread
     */
    public void done() {
        checkThread();
        if (closed) {
            throw new IllegalStateException("done() on a closed " + this);
        }
        if (done) {
            throw new IllegalStateException("done() called twice on " + this);
        }
        done = true;
    }

    /**
     * Ends the acquisition, the kernel's {@code ww_acquire_fini}. Every mutex locked with this
     * context must have been unlocked first. A second close does nothing.
     *
     * @throws IllegalStateException if the context still holds locks (it stays open, so the
     *     caller can unlock and close again), or if called from another thread
     */
    @Override
    public void close() {
        checkThread();
        if (closed) {
            return;
        }
        int n = acquired;
        if (n != 0) {
            throw new IllegalStateException(this + " closed while still holding " + n
                    + " lock(s); unlock them first");
        }
        closed = true;
    }

    /**
     * Whether {@link #close()} completed.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /** Checks that a lock attempt with this context is legal right now (owner thread only). */
    void checkCanLock(WwMutex mutex) {
        checkThread();
        if (closed) {
            throw new IllegalStateException("lock with a closed " + this);
        }
        if (done) {
            throw new IllegalStateException("lock after done() with " + this);
        }
        if (mutex.wwClass() != wwClass) {
            throw new IllegalArgumentException(mutex + " belongs to " + mutex.wwClass()
                    + " but " + this + " to " + wwClass);
        }
    }

    void checkThread() {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException(this + " belongs to thread " + thread.getName()
                    + ", not " + Thread.currentThread().getName());
        }
    }

    void countBackoff() {
        backoffs++;
    }

    /**
     * One more mutex held (owner thread only; see the field comment). Any acquisition ends a
     * back-off: the back-off rule lets a context that backed off take only the contended mutex.
     */
    void acquireOne() {
        contending = null;
        ACQUIRED.setRelease(this, acquired + 1);
    }

    /** One mutex fewer held (owner thread only). */
    void releaseOne() {
        ACQUIRED.setRelease(this, acquired - 1);
    }

    /** This context's wait-list node, created at its first wait (owner thread only). */
    WwMutex.Waiter waiterNode() {
        WwMutex.Waiter w = waiter;
        if (w == null) {
            w = new WwMutex.Waiter(thread, this);
            waiter = w;
        }
        return w;
    }

    /** Whether {@code a} is younger than {@code b}: the kernel's {@code __ww_ctx_less(a, b)}. */
    static boolean younger(WwAcquireContext a, WwAcquireContext b) {
        return a.stamp - b.stamp > 0;
    }

    @Override
    public String toString() {
        return "WwAcquireContext[" + wwClass.name() + " #" + stamp + ", holds " + acquired + ']';
    }
}
