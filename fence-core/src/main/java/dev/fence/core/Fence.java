package dev.fence.core;

import dev.fence.core.internal.Diagnostics;
import dev.fence.core.internal.FenceSignalEvent;
import dev.fence.core.internal.FenceWaitEvent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-way completion signal: pending, then signalled exactly once, optionally with an error,
 * stamped with the time it signalled. The Java counterpart of the kernel's
 * {@code struct dma_fence}.
 *
 * <p>A fence belongs to a <em>context</em> (a timeline, allocated with
 * {@link #allocateContexts(int)}) and carries a sequence number ordering it within that context.
 * Whoever completes the work calls {@link #signal()}; everyone else either waits
 * ({@link #await()} and its timed and uninterruptible forms) or registers a
 * {@link FenceCallback}, which runs in the signalling thread.
 *
 * <pre>{@code
 * long ctx = Fence.allocateContexts(1);
 * Fence done = Fence.create(ctx, 1);
 * gpu.submit(job, () -> done.signal());      // the producer signals when the job finishes
 * if (!done.await(100, TimeUnit.MILLISECONDS)) {
 *     log.warn("job still running: {}", done.describe());
 * }
 * }</pre>
 *
 * <h2>Drivers</h2>
 * A driver subclasses {@code Fence} and overrides the protected hooks, the kernel's
 * {@code dma_fence_ops}: {@link #driverName()}, {@link #timelineName()},
 * {@link #enableSignalingHook()} (runs at most once, when the first callback or waiter arrives),
 * {@link #pollSignaled()} (polled by {@link #isSignaled()}; if it throws, the fence is signalled
 * with that error), {@link #onDeadline(long)} and
 * {@link #deallocate()} (called when {@link #release()} drops the last reference).
 *
 * <h2>Reference counting</h2>
 * A fence is born with one reference. {@link #retain()} and {@link #release()} exist for holders
 * that need the kernel's lifetime rules (pooled fences, the {@link #deallocate()} hook, leak
 * detection); code that never calls them simply lets the garbage collector reclaim the fence.
 * Releasing below zero or retaining after zero is an {@link IllegalStateException}. A fence whose
 * last reference goes while it is still pending with callbacks or waiters queued is signalled
 * with a {@link FenceReleasedException} and a warning is logged, so nobody waits forever; so is
 * a fence that gets a callback or a waiter after its last release (the waiter may have been
 * spinning when the reference went). Inside a callback or a {@link CallbackDeferral},
 * {@link #deallocate()} runs after the callbacks that forced signal queued; and a fence
 * signalled there holds one extra reference until its queued callbacks have run, so a release
 * that follows the signal deallocates only after them (as the kernel's signal, which runs them,
 * guarantees).
 *
 * <h2>Costs</h2>
 * {@link #isSignaled()} on a signalled fence is one acquire load; {@link #signal()} with no
 * callbacks is one CAS, a clock read and two release stores (waiters see the fence signalled at
 * the first, before the clock is read); {@link #addCallback(FenceCallback)} allocates
 * nothing; waiting on a signalled fence allocates nothing; a waiter spins for a few microseconds
 * (see {@code dev.fence.spinNanos}) and then parks with {@link LockSupport}, never holding a
 * monitor, so virtual threads do not pin.
 */
public class Fence {

    /*
     * Implementation overview.
     *
     * All mutable fence state lives in one int, `state`, changed only by CAS or atomic add:
     *
     *   bit 0 SIGNALING  the signal was won and the winner owns the state word: before
     *                    SIGNALED, while it writes the error (and a given timestamp); beside
     *                    SIGNALED, while it reads the clock and writes the timestamp
     *   bit 2 LOCKED     the callback list is being edited (O(1) link/unlink, never user code)
     *   bit 3 ENABLED    enable-signalling has been claimed (the hook runs at most once)
     *   bit 4 IMMORTAL   the shared stub: refcount operations are no-ops
     *   bit 5 DEAD       the last reference was released
     *   bits 6..30       reference count minus one (so a new fence is state 0: the constructor
     *                    stores nothing, and publishing a fresh fence costs no fence instruction)
     *   bit 31 SIGNALED  terminal; error and timestamp are published (release store). The sign
     *                    bit, so the fast paths test `state < 0`: the loaded word itself is the
     *                    branch operand, and C2 needs no masked copy of it for the
     *                    deoptimisation state of the never-taken slow branch (bit 1, where it
     *                    was, cost a mov and an and per fence in a loop; bit 1 is now unused)
     *
     * Transitions:
     *   pending --CAS(no LOCKED, no SIGNALING) sets SIGNALING--> signalling
     *   signalling --setRelease(SIGNALED) by the winner--> signalled        (signal(ts))
     *   signalling --setRelease(SIGNALED|SIGNALING) by the winner--> signalled, stamping
     *   stamping --setRelease(SIGNALED, SIGNALING cleared) by the winner--> signalled
     *                                                       (signal(), signal(err))
     * While SIGNALING or LOCKED is set, nobody but its setter writes `state`: list lockers,
     * enable-signalling and refcount updates all wait (spin, then yield) for the bit to clear.
     * That is what lets the winner publish, and a list locker unlock, with a plain release store
     * instead of another atomic read-modify-write; and it makes SIGNALED
     * the single linearization point: a losing signal(), an addCallback() that fails, a wait
     * that returns, all return only after the winner's error is visible.
     *
     * The timestamp follows the kernel's order (dma_fence_signal_timestamp_locked sets the
     * signalled bit, then writes the timestamp and sets DMA_FENCE_FLAG_TIMESTAMP_BIT): signal()
     * reads the clock after it has published SIGNALED, so a spinning waiter is not kept waiting
     * for that read (the two-thread ping-pong's median about 80 ns lower on the AMD host's slow
     * mode, about 400 ns lower on an Intel host; on the AMD host the second store below still
     * costs some 30-110 ns, as it takes the state's line back from the waiter that has just read
     * it, and on JDK 25 there the order cost row 8 at 4 waiters 6-13% of the latch's time in
     * one session's pairs (20 of 24) and nothing in a later session's (4 of 8), for reasons not
     * found; JDK 17 and the Intel host show no such cost: docs/benchmarks.md, JDK 25 section).
     * The winner keeps SIGNALING set through the read, so nobody else writes the
     * state, and clears it with a second release store before any callback runs. timestamp(),
     * and a losing signal(), wait for SIGNALING to clear, as dma_fence_timestamp() waits for the
     * timestamp bit; error() and the waits do not. signal(ts) and the stub write the timestamp
     * before publishing and store once.
     *
     * Fields other than `state`:
     *   error      plain; written under LOCKED (setError) or by the winner during SIGNALING;
     *              read after an acquire of SIGNALED, or under LOCKED.
     *   timestamp  plain; written by the winner while SIGNALING is set (before or after
     *              SIGNALED, see above); read after acquiring a state with SIGNALED set and
     *              SIGNALING clear.
     *   head       plain; circular doubly linked list of FenceCallback (head.prev = tail);
     *              edited only under LOCKED; after the winner's CAS it belongs to the winner,
     *              which runs and clears it after publishing SIGNALED.
     *
     * Waiters are FenceCallback nodes too (Waiter), linked at the head so the signaller wakes
     * them before running user callbacks; a waiter first spins for a bounded time in nanoseconds
     * and only links itself (allocating its node) when it is about to park, so the signaller
     * unparks only threads that announced themselves. A waiter that times out or is interrupted
     * unlinks its node.
     *
     * Shared wake-up. Unparking a parked thread is a system call of a few microseconds, so a
     * signaller waking k parked waiters alone makes all k calls while the first ones it woke sit
     * idle. When the signalled list starts with two or more waiters, the signaller hands that
     * run to a WakeBatch: a stack of the waiters (linked by `next`, ending in null; written by
     * the signaller before the batch is published) whose top is popped by CAS. Whoever pops a
     * waiter CASes the batch into the waiter's volatile `batch` field and unparks it; a
     * woken waiter that finds `batch` set pops and unparks the rest with it, as
     * CompletableFuture's woken waiters help with postComplete. The signaller itself pops until
     * the stack is empty before it runs the user callbacks behind the run, so no wake-up depends
     * on a helper (a waiter that returns before its turn loses nothing), and every waiter is
     * still unparked before any user callback runs. Nodes are only ever popped, never pushed
     * back, so the pop has no ABA hazard.
     *
     * Woken waiters need CPUs. The signaller adds a batch's size to the global WAKING count
     * before the first pop, and the batch gives it back once each of its waiters has resumed;
     * a new waiter spins only while SPINNERS + WAKING stay below the CPUs, so sixty-four woken
     * threads queueing for two CPUs are not kept off them by waiters spinning on the next
     * fence. Each waiter is counted exactly once through its node's `batch` field, which one
     * CAS moves from null: the popper CASes in the batch and then unparks; a waiter returning
     * with its node given to the signaller (the signal seen before its turn, an early wake, a
     * lone waiter's unpark) CASes in LEFT if the field is still null. If the popper's CAS wins,
     * the waiter decrements the batch's `unresumed` itself and helps drain; if the waiter's
     * wins, the popper decrements for it and unparks nobody. Whoever takes `unresumed` to zero
     * subtracts the size from WAKING. Two global atomics per batch, none per waiter.
     *
     * Callbacks run in the winning thread through a per-thread trampoline: a signal() issued
     * from inside a callback publishes SIGNALED at once but queues its callbacks to run after the
     * current callback returns, so cascades of any depth use constant stack. Such a queued signal
     * first unparks the list's parked waiters (wakeEarly: no user code runs), and its publishing
     * store adds one reference, dropped once the queued callbacks have run, so deallocate()
     * follows them as it does in the kernel's "signal(f); put(f)" (whose signal runs them).
     *
     * Size with compressed oops: 12 header + 8 context + 8 seqno + 8 timestamp + 4 state
     * + 4 error + 4 head = 48 bytes.
     */

    private static final Logger LOG = LoggerFactory.getLogger(Fence.class);

    static final int SIGNALING = 1;
    static final int SIGNALED = 1 << 31;
    static final int LOCKED = 1 << 2;
    static final int ENABLED = 1 << 3;
    static final int IMMORTAL = 1 << 4;
    static final int DEAD = 1 << 5;
    static final int REF_SHIFT = 6;
    static final int REF_ONE = 1 << REF_SHIFT;
    /** The reference-count bits, between the flags and SIGNALED. */
    static final int REF_MASK = ~SIGNALED & -REF_ONE;
    /** Largest count of extra references (beyond the first) the state word can hold. */
    static final int MAX_EXTRA_REFS = REF_MASK >>> REF_SHIFT;
    private static final int DONE = SIGNALING | SIGNALED;
    /** What {@link #lockList(int)} returns when the fence has signalled. */
    private static final int NOT_LOCKED = -1;
    /** Refcount updates wait while one of these is set. */
    private static final int BUSY = SIGNALING | LOCKED;

    /**
     * The most a waiter spins before parking, in nanoseconds: system property
     * {@code dev.fence.spinNanos}; 0 on a single CPU. Each thread adapts its own budget between
     * an eighth of this and this (see {@code FenceThread.spinNanos}). The default must exceed a
     * park/unpark wake-up (about 5 us in this VM's fast mode): with a 4 us ceiling, two threads
     * handing off to each other stayed in a mode where each side's wait covered the other's
     * wake-up, every spin failed, and the round trip was 42 us; with 20 us one absorbed wake-up
     * lets both sides spin again and the round trip is 0.3 us (docs/benchmarks.md, row 6).
     */
    static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1
            ? Long.getLong("dev.fence.spinNanos", 20_000L) : 0L;

    /** The least a thread's adapted budget falls to: an eighth of {@link #SPIN_NANOS}. */
    static final long SPIN_FLOOR = SPIN_NANOS >> 3;

    /**
     * After this many parks at {@link #SPIN_FLOOR}, a thread's next wait spins the whole
     * {@link #SPIN_NANOS} once; if that catches the signal the budget is back at the ceiling.
     * Halving alone can trap a thread: when the hand-off it waits for takes longer than the floor
     * but less than the ceiling (the other side's own wake-up, say), every spin at the floor
     * fails, so the budget never doubles, and each wait pays a park and an unpark that a longer
     * spin would have saved (docs/benchmarks.md: row 8 with one waiter read 24.5-28 us a round
     * for a whole fork, against 5-9 us in the other forks). One probe in seventeen waits costs
     * at most the ceiling's worth of spinning among sixteen parks when spinning truly does not
     * pay.
     */
    static final int PROBE_AFTER = 16;

    /**
     * At most this many waiters spin at once (one per CPU), fewer while woken waiters wait for a
     * CPU ({@link #WAKING}): a spinner beyond that only takes a CPU from the thread it waits for,
     * or from a thread already woken. The others park at once. (One fewer than the CPUs was
     * tried: it parks the second side of a two-thread hand-off, whose spins briefly overlap.)
     */
    private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors();
    private static final AtomicInteger SPINNERS = new AtomicInteger();
    /**
     * Waiters of shared wake-ups ({@link WakeBatch}) that have not all resumed yet: a batch adds
     * its size when the signaller makes it and takes it back when its last waiter has resumed.
     * A woken waiter needs a CPU to run, so these count against {@link #MAX_SPINNERS}: while 64
     * woken threads queue for two CPUs, a waiter that arrives spins in nobody's interest.
     */
    static final AtomicInteger WAKING = new AtomicInteger();

    private static final VarHandle STATE;
    private static final AtomicLong CONTEXTS = new AtomicLong(1);
    private static final Fence STUB;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Fence.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // Reduce the risk of rare disastrous classloading in first call to LockSupport.park:
        // https://bugs.openjdk.org/browse/JDK-8074773
        Class<?> ensureLoaded = LockSupport.class;
        Objects.requireNonNull(ensureLoaded);
        Fence stub = new Fence(0, 0);
        stub.timestamp = System.nanoTime();
        stub.state = SIGNALED | ENABLED | IMMORTAL;
        STUB = stub;
    }

    private final long context;
    private final long seqno;
    private long timestamp;
    /*
     * Read with plain volatile loads (at least acquire; the same instruction on x86 and ARM).
     * STATE.getAcquire(this) means the same, but C2 keeps the VarHandle's receiver null check
     * as an explicit test and branch, which in a loop over fences halved the unrolling
     * (FenceQueryBenchmark's 256-fence isSignaled loop: 0.37 ns per fence against 0.29).
     */
    private volatile int state;
    private Throwable error;
    private FenceCallback head;

    /**
     * Creates a pending fence holding one reference. Driver fences call this from their
     * constructor.
     *
     * @param context the context (timeline) this fence belongs to, from
     *     {@link #allocateContexts(int)}
     * @param seqno the position of this fence within its context
     */
    protected Fence(long context, long seqno) {
        this.context = context;
        this.seqno = seqno;
        // state stays 0: pending, one reference. No store, hence no fence instruction; like any
        // object, a new fence reaches other threads through a safe publication.
    }

    /**
     * Creates a plain software fence, signalled by whoever calls {@link #signal()}.
     *
     * @param context the context, from {@link #allocateContexts(int)}
     * @param seqno the position within the context
     * @return a new pending fence with one reference
     */
    public static Fence create(long context, long seqno) {
        return new Fence(context, seqno);
    }

    /**
     * The shared, always-signalled stub fence (context 0, seqno 0), the kernel's
     * {@code dma_fence_get_stub()}. Its reference count is not tracked: retaining and releasing
     * it are no-ops.
     *
     * @return the stub
     */
    public static Fence signaledStub() {
        return STUB;
    }

    /**
     * Allocates {@code count} consecutive, never reused context ids. Context 0 is never handed
     * out (the stub uses it).
     *
     * @param count how many contexts, at least 1
     * @return the first of the allocated contexts
     * @throws IllegalArgumentException if {@code count < 1}
     */
    public static long allocateContexts(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, was " + count);
        }
        return CONTEXTS.getAndAdd(count);
    }

    /**
     * The context this fence belongs to.
     *
     * @return the context id
     */
    public final long context() {
        return context;
    }

    /**
     * The position of this fence within its context.
     *
     * @return the sequence number
     */
    public final long seqno() {
        return seqno;
    }

    // ------------------------------------------------------------------------------------------
    // Signalling

    /**
     * Signals the fence now: publishes the signalled state and runs every queued callback, in the
     * order they were added, in this thread, then returns. Called from inside a callback, this
     * fence is signalled at once but its callbacks are queued: they run in this thread once the
     * callbacks of the fence being dispatched have all run (fences queued this way run in the
     * order they were signalled), so chains of callbacks signalling further fences never deepen
     * the stack. Inside a {@link CallbackDeferral} likewise: the fence is signalled at once, but
     * its callbacks run when the outermost deferral closes, not before this call returns.
     *
     * <p>Memory consistency: actions in a thread prior to a successful {@code signal} call
     * <i>happen-before</i> every callback run for this fence, the return of every wait that sees
     * it signalled, and every {@link #isSignaled()} that returns {@code true}.
     *
     * @return {@code true} if this call signalled the fence; {@code false} if it was already
     *     signalled (nothing changes then, not even the error or timestamp; the winner's error and
     *     timestamp are visible when this call returns)
     */
    public final boolean signal() {
        return signal0(0L, true, null);
    }

    /**
     * Signals the fence with an explicit timestamp; see {@link #signal()}.
     *
     * @param timestampNanos the completion time, in the {@link System#nanoTime()} time base
     * @return {@code true} if this call signalled the fence
     */
    public final boolean signal(long timestampNanos) {
        return signal0(timestampNanos, false, null);
    }

    /**
     * Signals the fence with an error (the kernel's {@code dma_fence_set_error()} followed by
     * {@code dma_fence_signal()}); see {@link #signal()}.
     *
     * @param error why the work failed
     * @return {@code true} if this call signalled the fence
     * @throws NullPointerException if {@code error} is null
     */
    public final boolean signal(Throwable error) {
        Objects.requireNonNull(error, "error");
        return signal0(0L, true, error);
    }

    /**
     * Records the error the fence will carry when it signals. Must be called before signalling.
     *
     * @param error the error
     * @throws NullPointerException if {@code error} is null
     * @throws IllegalStateException if the fence has already signalled
     */
    public final void setError(Throwable error) {
        Objects.requireNonNull(error, "error");
        int locked = lockList(0);
        if (locked == NOT_LOCKED) {
            throw new IllegalStateException("setError after signal: " + describeSafely());
        }
        this.error = error;
        unlockList(locked);
    }

    private boolean signal0(long ts, boolean now, Throwable err) {
        // The per-thread state is looked up before the claim when callbacks seem queued (a racy
        // hint): between the claim and the publishing store nothing may throw, or the fence stays
        // SIGNALING and every later query spins forever, and ThreadLocal.get (on a thread's first
        // signal, its initial value) is deep enough to hit a StackOverflowError there.
        FenceThread pre = head != null ? FenceThread.current() : null;
        int s;
        for (int spins = 0;;) {
            s = state;
            if ((s & DONE) != 0) {
                awaitStamped(s);
                return false;
            }
            if ((s & LOCKED) != 0) {
                backoff(++spins);
            } else if (STATE.compareAndSet(this, s, s | SIGNALING)) {
                break;
            }
        }
        // We own the fence until SIGNALED is published: nobody else writes state, error or head.
        if (err != null) {
            error = err;
        }
        FenceThread t = null;
        boolean hold = false;
        if (head != null) {
            t = pre != null ? pre : FenceThread.current();
            // Inside a callback the callbacks will only be queued. The kernel's signal runs them
            // before it returns, so "signal(f); put(f)" deallocates after them; here the queue
            // holds a reference until they have run, taken in the publishing store itself
            // (nobody else writes the state while SIGNALING is set), so no release, from this
            // thread or another, can reach zero first.
            hold = t.callbackDepth > 0 && (s & (DEAD | IMMORTAL)) == 0
                    && (s & REF_MASK) != REF_MASK;
        }
        int signaled = (hold ? s + REF_ONE : s) | SIGNALED;
        // The publication, written out here rather than in a helper: a call is one more frame
        // in which a StackOverflowError could leave the fence SIGNALING for good. A given
        // timestamp is written first and published with the state in one store. Otherwise the
        // clock is read only after SIGNALED is visible, with SIGNALING still held (see the
        // overview), so waiters go on while the winner reads it.
        if (now) {
            STATE.setRelease(this, signaled | SIGNALING);
            timestamp = System.nanoTime();
        } else {
            timestamp = ts;
        }
        STATE.setRelease(this, signaled);
        if (t == null) {
            signalEvent(0);
        } else {
            runOrDefer(t, hold);
        }
        return true;
    }

    private void signalEvent(int callbacks) {
        FenceSignalEvent e = new FenceSignalEvent();
        if (e.shouldCommit()) {
            e.context = context;
            e.seqno = seqno;
            e.error = error != null;
            e.callbacks = callbacks;
            e.commit();
        }
    }

    /** Waits out the few stores between a won signal CAS and its publication. */
    private void awaitPublished(int s) {
        for (int spins = 0; (s & SIGNALED) == 0; s = state) {
            backoff(++spins);
        }
    }

    /**
     * Waits until the winner has published SIGNALED and written the timestamp (SIGNALING
     * cleared): the kernel's wait for DMA_FENCE_FLAG_TIMESTAMP_BIT in dma_fence_timestamp().
     */
    private void awaitStamped(int s) {
        for (int spins = 0; (s & DONE) != SIGNALED; s = state) {
            backoff(++spins);
        }
    }

    /**
     * One step of a short wait for another thread's few instructions (a publication here, a
     * timeline producer's link or heap lock): spin for the first 64 steps, then yield, since the
     * thread waited for may have lost its CPU.
     */
    static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /**
     * Runs this fence's detached callbacks now, or queues them if this thread is inside a
     * callback (or a {@link CallbackDeferral}).
     */
    private void runOrDefer(FenceThread t, boolean held) {
        if (t.callbackDepth > 0) {
            wakeWaitersNow();
            // A held fence is released once its callbacks have run (drainDeferred); a dead one
            // (its forced signal, or a node linked after its last release) holds nothing.
            t.deferred.addLast(held ? this : (Runnable) this::runCallbacks);
            return;
        }
        t.callbackDepth = 1;
        try {
            runCallbacks();
            drainDeferred(t);
        } finally {
            t.callbackDepth = 0;
            t.runsEnded++;
        }
    }

    /**
     * The callbacks are being held back (a deferral, or a signal from inside a callback), but the
     * fence already reads signalled: unpark the threads parked in waits on it now. Waking runs no
     * user code and needs no lock, and a waiter that had to wait for the deferral to close could
     * deadlock a signaller that goes on to take a lock the waiter holds (or wait forever if the
     * deferral is never closed). The nodes stay queued and run again, harmlessly, later. Only the
     * winner of the signal calls this: the detached list is its own.
     */
    private void wakeWaitersNow() {
        FenceCallback n = head;
        FenceCallback tail = n.prev;
        for (;;) {
            n.wakeEarly();
            if (n == tail) {
                return;
            }
            n = n.next;
        }
    }

    /** Runs {@code t}'s queued work in order: fences' callbacks, and deallocations behind them. */
    private static void drainDeferred(FenceThread t) {
        // An item that throws (an Error in a Timeline round queued here) must not strand the
        // items behind it: they hold references, a timeline's drain role, or callbacks that
        // others wait for, and nothing else would ever run them. Run them all; rethrow the first.
        Throwable failure = null;
        for (Object o; (o = t.deferred.pollFirst()) != null; ) {
            try {
                if (o instanceof Fence) {
                    Fence f = (Fence) o;
                    try {
                        f.runCallbacks();
                    } finally {
                        f.releaseHeld();
                    }
                } else {
                    ((Runnable) o).run();
                }
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                } else if (failure != e) {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        } else if (failure instanceof Error) {
            throw (Error) failure;
        } else if (failure != null) { // only a sneaky checked exception gets here
            throw new IllegalStateException("deferred fence work threw " + failure, failure);
        }
    }

    /**
     * Runs the callbacks that {@code t} queued while its callback depth was above zero, and any
     * they queue in turn, at depth 1; {@code t}'s depth must be 0 on entry and is 0 on return.
     */
    static void runDeferred(FenceThread t) {
        if (t.deferred.isEmpty()) {
            return;
        }
        t.callbackDepth = 1;
        try {
            drainDeferred(t);
        } finally {
            t.callbackDepth = 0;
            t.runsEnded++;
        }
    }

    /** Runs and detaches every callback; only the thread that won the signal calls this. */
    private void runCallbacks() {
        FenceCallback n = head;
        head = null;
        FenceSignalEvent event = new FenceSignalEvent();
        event.begin();
        int count = 0;
        FenceCallback tail = n.prev;
        for (;;) {
            FenceCallback next = n.next;
            boolean last = n == tail;
            if (!last && n instanceof Waiter && next instanceof Waiter) {
                // A run of parked waiters: share their wake-ups (see the overview).
                Waiter end = (Waiter) n;
                int size = 0;
                for (;;) {
                    end.prev = null;
                    end.unclaim();
                    size++;
                    FenceCallback after = end.next;
                    if (end == tail || !(after instanceof Waiter)) {
                        break;
                    }
                    end = (Waiter) after;
                }
                last = end == tail;
                next = end.next;
                end.next = null; // the batch's bottom
                count += size;
                WAKING.getAndAdd(size);
                new WakeBatch((Waiter) n, size).drain();
                if (last) {
                    break;
                }
                n = next;
                continue;
            }
            n.next = null;
            n.prev = null;
            n.unclaim();
            count++;
            try {
                n.onSignaled(this);
            } catch (Throwable t) {
                Fences.callbackFailed(this, n, t);
            }
            if (last) {
                break;
            }
            n = next;
        }
        event.end();
        if (event.shouldCommit()) {
            event.context = context;
            event.seqno = seqno;
            event.error = error != null;
            event.callbacks = count;
            event.commit();
        }
    }

    // ------------------------------------------------------------------------------------------
    // State queries

    /**
     * Whether the fence has signalled. If not, asks the driver through {@link #pollSignaled()}
     * and, if the driver says the work is done, signals the fence on its behalf. Does not enable
     * signalling.
     *
     * @return {@code true} once signalled, and forever after
     */
    public final boolean isSignaled() {
        if (state < 0) { // SIGNALED, the sign bit (see the overview)
            return true;
        }
        return isSignaledSlow();
    }

    private boolean isSignaledSlow() {
        int s = state;
        if ((s & SIGNALED) != 0) {
            return true;
        }
        if ((s & SIGNALING) != 0) {
            awaitPublished(s);
            return true;
        }
        boolean done;
        try {
            done = pollSignaled();
        } catch (RuntimeException | Error e) {
            // As for a throwing enable hook: the fence ends, carrying the error, instead of the
            // exception escaping from every container, poller and wait that asks. Several
            // threads may poll at once and all see the hook throw, but only one failure becomes
            // the fence's error: that one warns; a failure that lost to another signal (another
            // poller's failure, or the driver's own signal) changes nothing and is logged at
            // DEBUG, so a failing driver polled by N waiters warns once, not N times.
            String d = describeSafely();
            boolean lost = false;
            try {
                lost = !signal(e);
            } finally {
                // signal() throws only after winning (a queued item's failure it rethrows):
                // that failure still warns.
                if (!lost) {
                    warn("pollSignaled of {} threw; signalled it with the error", d, e);
                } else if (Diagnostics.debugEnabled(LOG)) {
                    debug("pollSignaled of {} threw, but the fence signalled meanwhile; the"
                            + " error is dropped", d, e);
                }
            }
            return true;
        }
        if (done) {
            signalPolled();
            return true;
        }
        return false;
    }

    /** Signals after {@link #pollSignaled()} said the work is done; containers add their error. */
    void signalPolled() {
        signal();
    }

    /**
     * Whether some thread has won this fence's signal (SIGNALING or SIGNALED set), without
     * polling the driver; a volatile read. The error and timestamp may not be published yet.
     */
    final boolean signalWon() {
        return (state & DONE) != 0;
    }

    /** Whether the signalled bit is set, without polling the driver. */
    final boolean signaledBit() {
        return state < 0; // SIGNALED
    }

    /** Whether enable-signalling has been claimed (the hook ran or is running). */
    final boolean signalingEnabled() {
        return (state & ENABLED) != 0;
    }

    /**
     * The fence's state, polling the driver like {@link #isSignaled()} does.
     *
     * @return {@code PENDING}, {@code SIGNALED}, or {@code ERROR} when signalled with an error
     */
    public final FenceStatus status() {
        if (!isSignaled()) {
            return FenceStatus.PENDING;
        }
        return error == null ? FenceStatus.SIGNALED : FenceStatus.ERROR;
    }

    /**
     * The error this fence signalled with, or, while pending, the error recorded by
     * {@link #setError(Throwable)} so far.
     *
     * @return the error, or {@code null} when none
     */
    public final Throwable error() {
        int s = state;
        if ((s & DONE) != 0) {
            awaitPublished(s);
            return error;
        }
        int locked = lockList(0);
        if (locked == NOT_LOCKED) {
            return error; // signalled meanwhile; lockList waited for publication
        }
        Throwable e = error;
        unlockList(locked);
        return e;
    }

    /**
     * When the fence signalled, in the {@link System#nanoTime()} time base. As in the kernel,
     * {@link #signal()} publishes the signalled state first and reads the clock after, so a
     * thread that has just seen the fence signalled may wait here for the few instructions the
     * signaller needs to write the timestamp (the kernel's {@code dma_fence_timestamp()} waits
     * the same way); the timestamp is thus taken just after the fence became signalled.
     *
     * @return the signal timestamp
     * @throws IllegalStateException while the fence is pending
     */
    public final long timestamp() {
        int s = state;
        if ((s & DONE) == 0) {
            throw new IllegalStateException("timestamp of a pending fence: " + describeSafely());
        }
        awaitStamped(s);
        return timestamp;
    }

    // ------------------------------------------------------------------------------------------
    // Callbacks

    /**
     * Queues {@code callback} to run when this fence signals, after every callback added before
     * it. Enables signalling first (see {@link #enableSignaling()}). Allocates nothing.
     *
     * <p>Memory consistency: actions prior to an {@code addCallback} that returns {@code true}
     * <i>happen-before</i> the callback runs.
     *
     * <p><b>Warning:</b> the callback runs in the signalling thread, possibly before
     * {@code addCallback} returns in this one; it must not block, and it must not wait for
     * fences (with {@code -Ddev.fence.debug=true} such waits throw).
     *
     * @param callback a node that is not queued anywhere
     * @return {@code true} if queued; {@code false} if the fence has already signalled, in which
     *     case the callback is <em>not</em> run (the kernel's {@code -ENOENT})
     * @throws NullPointerException if {@code callback} is null
     * @throws IllegalStateException if this fence is pending and {@code callback} is already
     *     queued (on this or any fence); on a signalled fence the call returns {@code false}
     *     without looking at the node
     */
    public final boolean addCallback(FenceCallback callback) {
        Objects.requireNonNull(callback, "callback");
        int s = state;
        if ((s & DONE) != 0) {
            awaitPublished(s);
            return false;
        }
        if ((s & ENABLED) == 0 && getClass() != Fence.class) {
            enableSignaling(); // a subclass may have a hook to run
        }
        return link(callback, false);
    }

    /**
     * Links a node at the tail (callbacks) or at the head (waiters).
     *
     * @return false if the fence has signalled
     */
    private boolean link(FenceCallback node, boolean first) {
        // A plain Fence has no enable-signalling hook: claiming ENABLED with the lock is all
        // that enableSignaling() would do for it.
        int locked = lockList(getClass() == Fence.class ? ENABLED : 0);
        if (locked == NOT_LOCKED) {
            return false;
        }
        if ((locked & DEAD) != 0 && head == null) {
            // The last reference went before this node arrived (a waiter still spinning then,
            // or a use after release), and no node was queued: lastReleased() sees (or saw) an
            // empty list and will not signal, and nobody else may. DEAD cannot be set while we
            // hold LOCKED, and nobody links into a dead fence's empty list, so this is final.
            // If nodes are queued, lastReleased() sees them (or has seen them) and signals, then
            // deallocates: the node is linked normally below and runs with them. Signalling here
            // instead would run those earlier callbacks in this thread while the releasing
            // thread, finding the fence signalled, called deallocate() at once, before or while
            // they ran (the kernel's release runs them first).
            unlockList(locked);
            String d = describeSafely();
            // Several late nodes may all get here before the first signals; the one whose
            // signal wins warns, so the dead fence is reported once, not once per late waiter.
            // (No node is queued, so the signal runs no callbacks ahead of the warning.)
            if (signal(new FenceReleasedException(d))) {
                warn("fence {} waited on or given a callback after its last release; signalled"
                        + " it with an error", d);
            }
            return false;
        }
        if (!node.claim(this)) {
            unlockList(locked);
            throw new IllegalStateException("callback " + node + " is already queued on "
                    + node.owner());
        }
        FenceCallback h = head;
        if (h == null) {
            node.next = node;
            node.prev = node;
            head = node;
        } else {
            FenceCallback t = h.prev;
            node.next = h;
            node.prev = t;
            t.next = node;
            h.prev = node;
            if (first) {
                head = node;
            }
        }
        unlockList(locked);
        return true;
    }

    /**
     * Removes a queued callback so that it will not run.
     *
     * @param callback the node
     * @return {@code true} if it was queued on this fence and is now removed before running;
     *     {@code false} if it has run, is about to run (the fence is signalling), or was never
     *     queued here
     * @throws NullPointerException if {@code callback} is null
     */
    public final boolean removeCallback(FenceCallback callback) {
        Objects.requireNonNull(callback, "callback");
        if (callback.owner() != this) {
            return false;
        }
        int locked = lockList(0);
        if (locked == NOT_LOCKED) {
            return false;
        }
        boolean removed = callback.owner() == this;
        if (removed) {
            FenceCallback next = callback.next;
            if (next == callback) {
                head = null;
            } else {
                FenceCallback prev = callback.prev;
                prev.next = next;
                next.prev = prev;
                if (head == callback) {
                    head = next;
                }
            }
            callback.next = null;
            callback.prev = null;
            callback.unclaim();
        }
        unlockList(locked);
        return removed;
    }

    /** Whether callbacks or waiters are queued; false once signalled. */
    final boolean hasCallbacks() {
        int locked = lockList(0);
        if (locked == NOT_LOCKED) {
            return false;
        }
        boolean any = head != null;
        unlockList(locked);
        return any;
    }

    /**
     * Runs {@code action} when the fence signals, in the signalling thread, or now, in this
     * thread, if it already has. Allocates one small callback node; use a reusable
     * {@link FenceCallback} on hot paths.
     *
     * @param action receives this fence
     * @throws NullPointerException if {@code action} is null
     */
    public final void onSignal(Consumer<? super Fence> action) {
        Objects.requireNonNull(action, "action");
        if (!addCallback(new ActionCallback(action, null))) {
            action.accept(this);
        }
    }

    /**
     * Runs {@code action} on {@code executor} when the fence signals (at once if it already has).
     * If the executor rejects the task when the fence signals, the failure is logged and counted
     * like a failing callback; if the fence had already signalled, the rejection is this
     * caller's and is thrown.
     *
     * @param action receives this fence
     * @param executor where to run it
     * @throws NullPointerException if an argument is null
     * @throws java.util.concurrent.RejectedExecutionException if the fence has already signalled
     *     and {@code executor} rejects the task
     */
    public final void onSignal(Consumer<? super Fence> action, Executor executor) {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(executor, "executor");
        ActionCallback cb = new ActionCallback(action, executor);
        if (!addCallback(cb)) {
            cb.onSignaled(this);
        }
    }

    private static final class ActionCallback extends FenceCallback {
        private final Consumer<? super Fence> action;
        private final Executor executor;

        ActionCallback(Consumer<? super Fence> action, Executor executor) {
            super(true);
            this.action = action;
            this.executor = executor;
        }

        @Override
        protected void onSignaled(Fence fence) {
            if (executor == null) {
                action.accept(fence);
            } else {
                executor.execute(() -> action.accept(fence));
            }
        }

        @Override
        public String toString() {
            return "onSignal(" + action + ")";
        }
    }

    /**
     * A {@link CompletableFuture} completed with this fence when it signals, or exceptionally
     * with its error. Each call returns a new future; completing or cancelling it from outside
     * (or an {@code orTimeout}) takes its callback off the fence.
     *
     * @return the future
     */
    public final CompletableFuture<Fence> toCompletableFuture() {
        CompletableFuture<Fence> cf = new CompletableFuture<>();
        ActionCallback node = new ActionCallback(f -> {
            Throwable e = f.error();
            if (e == null) {
                cf.complete(f);
            } else {
                cf.completeExceptionally(e);
            }
        }, null);
        if (!addCallback(node)) {
            node.onSignaled(this);
            return cf;
        }
        // A future completed from outside (cancelled, say) no longer needs the fence: unhook
        // its node, or a pending fence would keep one node per abandoned future.
        cf.whenComplete((v, t) -> removeCallback(node)); // false (no-op) once it has run
        return cf;
    }

    // ------------------------------------------------------------------------------------------
    // Enable signalling, deadlines

    /**
     * Tells the driver that someone is interested in this fence: runs
     * {@link #enableSignalingHook()} once (the first caller wins; later calls return at once).
     * {@link #addCallback(FenceCallback)} and every wait call it implicitly. If the hook returns
     * {@code false} the fence is signalled; if it throws, the fence is signalled with that error.
     * A fence whose last reference has been released is not enabled (its {@link #deallocate()}
     * has run); like the kernel's, a caller that may race that release should hold a reference.
     */
    public final void enableSignaling() {
        for (int spins = 0;;) {
            int s = state;
            if ((s & (ENABLED | DONE | DEAD)) != 0) {
                return; // DEAD: deallocate() has run, the driver let go of this fence
            }
            if ((s & LOCKED) != 0) {
                backoff(++spins); // the list locker may have lost its CPU
            } else if (STATE.compareAndSet(this, s, s | ENABLED)) {
                break;
            }
        }
        if (signalWon()) {
            return; // signalled since the claim: nobody needs the hook any more (see the hook)
        }
        boolean armed;
        try {
            armed = enableSignalingHook();
        } catch (RuntimeException | Error e) {
            warn("enableSignalingHook of {} threw; signalling it with the error", describeSafely(),
                    e);
            signal(e);
            return;
        }
        if (!armed) {
            signalPolled();
        }
    }

    /**
     * Passes a deadline hint to the driver through {@link #onDeadline(long)}, unless the fence has
     * already signalled. Deadlines are hints: several may be set, and drivers may ignore them.
     * A hook that throws a {@link RuntimeException} is logged and does not fail this call (nor
     * the fence), so a container passes the hint on to the members after it. The first such
     * failure of each fence class is logged at WARN with its stack trace, later ones at DEBUG,
     * so a driver whose hook always throws does not log on every frame.
     *
     * @param deadlineNanos when the result is needed, in the {@link System#nanoTime()} time base
     */
    public final void setDeadline(long deadlineNanos) {
        if (!isSignaled()) {
            try {
                onDeadline(deadlineNanos);
            } catch (RuntimeException e) {
                deadlineHookFailed(e);
            }
        }
    }

    /**
     * Which fence classes have had a failing {@link #onDeadline(long)} logged at WARN. A driver
     * whose hook always throws would otherwise log a stack trace on every {@link #setDeadline}
     * (a compositor sets one per frame); after the first, its failures are logged at DEBUG.
     */
    private static final ClassValue<AtomicBoolean> DEADLINE_WARNED = new ClassValue<>() {
        @Override
        protected AtomicBoolean computeValue(Class<?> type) {
            return new AtomicBoolean();
        }
    };

    private void deadlineHookFailed(RuntimeException e) {
        if (!DEADLINE_WARNED.get(getClass()).getAndSet(true)) {
            warn("onDeadline of {} threw; the deadline hint is dropped (later failures of {}"
                    + " are logged at DEBUG)", describeSafely(), getClass().getName(), e);
        } else if (Diagnostics.debugEnabled(LOG)) { // a hook failing on every hint: no
            // description built for a message that is usually dropped
            debug("onDeadline of {} threw; the deadline hint is dropped", describeSafely(), e);
        }
    }

    /**
     * Logs a warning about a failing hook or a misuse, then returns even if the logger throws
     * (a broken appender): the signal, release or deallocation the warning is about must still
     * happen, or a waiter would hang on a fence that nobody will signal.
     */
    private static void warn(String format, Object... args) {
        Diagnostics.warn(LOG, format, args);
    }

    /**
     * {@link #describe()} for the library's own messages: the warnings of paths that must go on
     * (a forced signal, a failing hook's error signal, a deallocation) and the misuse exceptions.
     * A driver may override describe(); an override that throws must neither skip what a
     * warning is about nor replace the documented exception with its own.
     */
    private String describeSafely() {
        return Diagnostics.describe(this);
    }

    /** As {@link #warn}, at DEBUG. */
    private static void debug(String format, Object... args) {
        Diagnostics.debug(LOG, format, args);
    }

    // ------------------------------------------------------------------------------------------
    // Waiting

    /**
     * Waits until the fence signals (successfully or with an error; check {@link #error()}).
     * Returns at once, allocating nothing, if it already has. It does not wait for the fence's
     * callbacks: they may still be running, or not yet have run, in the signalling thread (the
     * signaller wakes waiters before it runs the callbacks).
     *
     * <p>Memory consistency: actions prior to the signal <i>happen-before</i> the return.
     *
     * @throws InterruptedException if interrupted while waiting (the fence was pending); the
     *     interrupt status is cleared
     */
    public final void await() throws InterruptedException {
        if (state >= 0) { // not SIGNALED
            awaitSlow(true, false, 0L);
        }
    }

    /**
     * Waits until the fence signals or the timeout elapses.
     *
     * @param timeout how long to wait; 0 checks without waiting, after enabling signalling as
     *     the kernel's {@code dma_fence_wait_timeout()} does for every timeout
     * @param unit the unit of {@code timeout}
     * @return {@code true} if signalled, {@code false} on timeout
     * @throws InterruptedException if interrupted while waiting, or if the thread is already
     *     interrupted when the fence is found pending (with a zero timeout too); the interrupt
     *     status is cleared
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code unit} is null
     */
    public final boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        return awaitNanos(unit.toNanos(timeout)) > 0;
    }

    /**
     * Waits until the fence signals or {@code nanosTimeout} elapses, returning the time left,
     * like the kernel's {@code dma_fence_wait_timeout()}.
     *
     * @param nanosTimeout the longest time to wait; 0 checks without waiting, after enabling
     *     signalling as the kernel's {@code dma_fence_wait_timeout()} does for every timeout
     * @return a positive estimate of the time left if the fence signalled (at least 1, even for a
     *     zero timeout), or a value {@code <= 0} if the timeout elapsed
     * @throws InterruptedException if interrupted while waiting, or if the thread is already
     *     interrupted when the fence is found pending (with a zero timeout too); the interrupt
     *     status is cleared
     * @throws IllegalArgumentException if {@code nanosTimeout} is negative
     */
    public final long awaitNanos(long nanosTimeout) throws InterruptedException {
        if (nanosTimeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + nanosTimeout);
        }
        if (state < 0) { // SIGNALED
            return Math.max(nanosTimeout, 1L);
        }
        return awaitSlow(true, true, nanosTimeout);
    }

    /**
     * Waits until the fence signals, ignoring interrupts; if the thread was interrupted while
     * waiting, its interrupt status is set again on return.
     */
    public final void awaitUninterruptibly() {
        if (state >= 0) { // not SIGNALED
            try {
                awaitSlow(false, false, 0L);
            } catch (InterruptedException impossible) {
                throw new AssertionError(impossible);
            }
        }
    }

    /**
     * The wait slow path: enable signalling, poll, spin for at most {@link #SPIN_NANOS}, then link
     * a waiter node at the head of the list and park until the signaller unparks us.
     *
     * @return remaining nanos (at least 1) if signalled; 0 on timeout
     */
    private long awaitSlow(boolean interruptible, boolean timed, long nanos)
            throws InterruptedException {
        // Enable and poll first, as dma_fence_wait_timeout enables signalling before the default
        // wait looks at signal_pending: a fence that turns out done is reported, not the interrupt.
        enableSignaling();
        if (isSignaled()) {
            return Math.max(nanos, 1L);
        }
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (timed && nanos == 0L) {
            return 0L; // a check, not a wait: the debug checks let it pass, as awaitAny's does
        }
        if (FenceThread.DEBUG) {
            FenceThread.checkMayWait(this);
        }
        final long start = System.nanoTime();
        final long deadline = start + nanos;
        FenceThread self = SPIN_NANOS > 0 ? FenceThread.current() : null;
        long budget = self != null ? self.spinNanos : 0L;
        boolean probe = false;
        if (self != null && budget == SPIN_FLOOR && self.floorParks >= PROBE_AFTER) {
            // Stuck at the floor: spin the whole ceiling once (see PROBE_AFTER).
            self.floorParks = 0;
            budget = SPIN_NANOS;
            probe = true;
        }
        long spin = timed ? Math.min(budget, nanos) : budget;
        if (spin > 0 && tryStartSpinning()) {
            try {
                for (int i = 1;; i++) {
                    Thread.onSpinWait();
                    if ((state & SIGNALED) != 0) {
                        self.spinNanos = doubledBudget(budget, SPIN_NANOS);
                        return timed ? Math.max(deadline - System.nanoTime(), 1L) : 1L;
                    }
                    if ((i & 7) == 0 && System.nanoTime() - start >= spin) {
                        break;
                    }
                }
            } finally {
                SPINNERS.getAndDecrement();
            }
            if (spin == budget) {
                // The whole budget went by: the thread parks next, so spin less next time. A
                // spin cut short by a shorter timeout ends the wait without parking and says
                // nothing about whether spinning pays: it leaves the budget alone. A probe that
                // ran out changes nothing (only the local budget was raised); a park at the
                // floor counts toward the next probe.
                if (!probe) {
                    if (budget == SPIN_FLOOR) {
                        self.floorParks++;
                    } else {
                        self.spinNanos = Math.max(budget >> 1, SPIN_FLOOR);
                    }
                }
            }
            if (spin == nanos && timed) {
                // The spin used the whole timeout: there is nothing to park for, so no node is
                // linked (a polling awaitNanos(1 us) allocates nothing and takes no list lock).
                return (state & SIGNALED) != 0 ? 1L : 0L;
            }
        }
        Waiter w = new Waiter(Thread.currentThread());
        if (!link(w, true)) {
            return timed ? Math.max(deadline - System.nanoTime(), 1L) : 1L;
        }
        FenceWaitEvent event = new FenceWaitEvent();
        event.begin();
        boolean interrupted = false;
        long remaining = 1L;
        WakeBatch helping = null;
        try {
            for (;;) {
                if ((state & SIGNALED) != 0) {
                    remaining = timed ? Math.max(deadline - System.nanoTime(), 1L) : 1L;
                    break;
                }
                if (timed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0L) {
                        remaining = 0L;
                        break;
                    }
                    LockSupport.parkNanos(this, left);
                } else {
                    LockSupport.park(this);
                }
                if (Thread.interrupted()) {
                    if (interruptible) {
                        remaining = -1L;
                        break;
                    }
                    interrupted = true;
                }
            }
        } finally {
            if (remaining <= 0L && !removeCallback(w) && signaledBit()) {
                // Signalled while we were giving up: report the success; keep the interrupt.
                if (remaining < 0L) {
                    Thread.currentThread().interrupt();
                }
                remaining = 1L;
            }
            if (remaining > 0L) {
                helping = leaveBatch(w); // first, so that no exception leaves our count behind
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            event.end();
            if (event.shouldCommit()) {
                event.context = context;
                event.seqno = seqno;
                event.fences = 1;
                event.signalled = remaining > 0L;
                event.commit();
            }
        }
        if (remaining < 0L) {
            throw new InterruptedException();
        }
        if (helping != null) {
            helping.drain(); // help wake the waiters behind us (see the overview)
        }
        return remaining;
    }

    /**
     * Settles a returning waiter's part in a shared wake-up; called when its node went to the
     * signaller (a node removed by a timeout or an interrupt was never in a batch). If a batch
     * has popped the node, the waiter counts itself resumed and returns the batch, whose drain
     * it should help with; if none has yet (it saw the signal first, or its signal woke it
     * alone), it marks the node so that a later pop counts it instead, and returns null.
     */
    static WakeBatch leaveBatch(Waiter w) {
        WakeBatch batch = w.batch;
        if (batch == null) {
            batch = (WakeBatch) Waiter.BATCH.compareAndExchange(w, null, WakeBatch.LEFT);
        }
        if (batch != null) {
            batch.resumed();
        }
        return batch;
    }

    /**
     * A spin budget after a spin that saw the signal: twice {@code budget}, at most
     * {@code ceiling}. Saturates instead of overflowing: with {@code dev.fence.spinNanos} above
     * {@code Long.MAX_VALUE / 2} ("spin until signalled"), {@code budget << 1} turned negative
     * and the thread never spun again.
     */
    static long doubledBudget(long budget, long ceiling) {
        return budget > ceiling >> 1 ? ceiling : Math.min(budget << 1, ceiling);
    }

    /** Takes one of the {@link #MAX_SPINNERS} spinning slots, if one is free. */
    private static boolean tryStartSpinning() {
        for (int n; (n = SPINNERS.get()) + WAKING.get() < MAX_SPINNERS; ) {
            if (SPINNERS.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A parked thread's node: the signaller, or a woken waiter helping it, unparks it.
     * Package-private for the jcstress tests of {@link WakeBatch} (fence-stress).
     */
    static final class Waiter extends FenceCallback {
        static final VarHandle BATCH;

        static {
            try {
                BATCH = MethodHandles.lookup().findVarHandle(Waiter.class, "batch",
                        WakeBatch.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Thread thread;
        /**
         * Null until one CAS sets it: to the batch, by whoever popped this node off it (before
         * unparking the thread), or to {@link WakeBatch#LEFT}, by the waiter returning before
         * that (then the pop counts it as resumed and unparks nobody).
         */
        volatile WakeBatch batch;

        Waiter(Thread thread) {
            super(true);
            this.thread = thread;
        }

        @Override
        protected void onSignaled(Fence fence) {
            LockSupport.unpark(thread);
        }

        @Override
        void wakeEarly() {
            LockSupport.unpark(thread);
        }

        @Override
        public String toString() {
            return "waiter " + thread;
        }
    }

    /**
     * The parked waiters of one signal, as a stack that the signaller and the waiters it wakes
     * pop together (see "Shared wake-up" in the overview). Any number of threads may call
     * {@link #drain()} at once; each waiter is popped, and so unparked, exactly once, and every
     * drain returns only once the stack is empty. Package-private for the jcstress tests
     * (fence-stress's {@code dev.fence.core.WakeBatchTests}).
     */
    static final class WakeBatch {
        private static final VarHandle TOP;

        private static final VarHandle UNRESUMED;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                TOP = lookup.findVarHandle(WakeBatch.class, "top", Waiter.class);
                UNRESUMED = lookup.findVarHandle(WakeBatch.class, "unresumed", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** A waiter's {@code batch} once it returned before any batch popped it. */
        static final WakeBatch LEFT = new WakeBatch(null, 0);

        /** The next waiter to wake; its {@code next} chain ends in null. Changed by CAS only. */
        private volatile Waiter top;
        /** How many waiters this batch holds, all counted in {@link #WAKING} until they resume. */
        private final int size;
        /** Waiters not yet resumed (or counted for by their pop); decremented atomically. */
        private volatile int unresumed;

        /**
         * A batch of {@code size} waiters linked from {@code top}; the caller has added
         * {@code size} to {@link #WAKING}.
         */
        WakeBatch(Waiter top, int size) {
            this.top = top;
            this.size = size;
            this.unresumed = size;
        }

        /** Whether every waiter has been popped (for the jcstress tests). */
        boolean isEmpty() {
            return top == null;
        }

        /** Waiters not yet counted as resumed (for the jcstress tests). */
        int unresumedCount() {
            return unresumed;
        }

        /**
         * Pops and unparks waiters until the stack is empty. A popped waiter whose thread has
         * already returned (it saw the signal before its turn) is counted as resumed instead.
         */
        void drain() {
            for (Waiter w; (w = top) != null; ) {
                if (TOP.compareAndSet(this, w, (Waiter) w.next)) {
                    if (Waiter.BATCH.compareAndSet(w, null, this)) {
                        LockSupport.unpark(w.thread);
                    } else {
                        resumed(); // the waiter left: its batch is LEFT
                    }
                }
            }
        }

        /**
         * One of this batch's waiters runs again (or left before its pop); the last one gives
         * the batch's count back to {@link #WAKING}.
         */
        void resumed() {
            if ((int) UNRESUMED.getAndAdd(this, -1) == 1) {
                WAKING.getAndAdd(-size);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // The list lock

    /**
     * Sets LOCKED (and {@code extra} bits) unless the fence is signalled.
     *
     * @return the locked state, to pass to {@link #unlockList(int)}, or {@link #NOT_LOCKED} if the
     *     fence has signalled (its publication has then been awaited)
     */
    private int lockList(int extra) {
        for (int spins = 0;;) {
            int s = state;
            if ((s & DONE) != 0) {
                awaitPublished(s);
                return NOT_LOCKED;
            }
            if ((s & LOCKED) != 0) {
                backoff(++spins);
            } else if (STATE.compareAndSet(this, s, s | LOCKED | extra)) {
                return s | LOCKED | extra;
            }
        }
    }

    /** Clears LOCKED. A plain release store: nobody else writes the state while LOCKED is set. */
    private void unlockList(int locked) {
        STATE.setRelease(this, locked & ~LOCKED);
    }

    // ------------------------------------------------------------------------------------------
    // Reference counting

    /**
     * Takes another reference.
     *
     * @return this fence
     * @throws IllegalStateException if the count already reached zero (use after release) or
     *     would overflow
     */
    public final Fence retain() {
        if (!tryRetain()) {
            throw new IllegalStateException("retain() after the last release: " + describeSafely());
        }
        return this;
    }

    /**
     * Takes another reference unless the count has already reached zero, the kernel's
     * {@code kref_get_unless_zero()} / {@code dma_fence_get_rcu()}: for code that finds a fence
     * through a shared slot that another thread may be releasing.
     *
     * @return {@code true} if a reference was taken; {@code false} if the fence was already
     *     released
     * @throws IllegalStateException if the count would overflow
     */
    public final boolean tryRetain() {
        for (int spins = 0;;) {
            int s = state;
            if ((s & IMMORTAL) != 0) {
                return true;
            }
            if ((s & BUSY) != 0) {
                backoff(++spins);
            } else if ((s & DEAD) != 0) {
                return false;
            } else if ((s & REF_MASK) >>> REF_SHIFT == MAX_EXTRA_REFS) {
                throw new IllegalStateException("reference count overflow: " + describeSafely());
            } else if (STATE.compareAndSet(this, s, s + REF_ONE)) {
                return true;
            }
        }
    }

    /**
     * Drops a reference. The call that drops the last one signals the fence with a
     * {@link FenceReleasedException} if it is still pending with callbacks or waiters queued
     * (logging a warning), then calls {@link #deallocate()}.
     *
     * <p>Memory consistency: actions prior to each {@code release()} <i>happen-before</i>
     * {@link #deallocate()}.
     *
     * @return {@code true} if this call released the last reference
     * @throws IllegalStateException on over-release
     */
    public final boolean release() {
        for (int spins = 0;;) {
            int s = state;
            if ((s & IMMORTAL) != 0) {
                return false;
            }
            if ((s & BUSY) != 0) {
                backoff(++spins);
            } else if ((s & DEAD) != 0) {
                throw new IllegalStateException("release() below zero: " + describeSafely());
            } else if ((s & REF_MASK) == 0) {
                if (STATE.compareAndSet(this, s, s | DEAD)) {
                    lastReleased();
                    return true;
                }
            } else if (STATE.compareAndSet(this, s, s - REF_ONE)) {
                return false;
            }
        }
    }

    private void lastReleased() {
        boolean queued = false;
        try {
            if (!signaledBit() && hasCallbacks()) {
                String d = describeSafely();
                warn("fence {} released with pending callbacks; signalling it with an error", d);
                if (signal(new FenceReleasedException(d))) {
                    FenceThread t = FenceThread.current();
                    if (t.callbackDepth > 0) {
                        // Inside a callback or a CallbackDeferral the signal only queued this
                        // fence's callbacks: deallocate behind them, as the kernel's release runs
                        // after signal_locked has run them.
                        t.deferred.addLast((Runnable) this::deallocateLogged);
                        queued = true;
                    }
                }
            }
        } finally {
            // At depth 0 the forced signal also drains this thread's queue, which rethrows the
            // first failure of a queued item: the last release still owes its deallocate().
            if (!queued) {
                deallocateLogged();
            }
        }
    }

    /** Drops the reference a deferred signal took for its queued callbacks (see signal0). */
    private void releaseHeld() {
        try {
            release();
        } catch (IllegalStateException e) { // its owner over-released it meanwhile
            warn("fence {} was over-released while its callbacks were queued", describeSafely(), e);
        }
    }

    private void deallocateLogged() {
        try {
            deallocate();
        } catch (RuntimeException | Error e) {
            warn("deallocate() of {} threw", describeSafely(), e);
        }
    }

    /**
     * The current reference count (0 after the last release).
     *
     * @return the count; for the stub, always 1
     */
    public final int refCnt() {
        int s = state;
        if ((s & IMMORTAL) != 0) {
            return 1;
        }
        return (s & DEAD) != 0 ? 0 : ((s & REF_MASK) >>> REF_SHIFT) + 1;
    }

    // ------------------------------------------------------------------------------------------
    // Names and diagnostics

    /**
     * The name of the driver that created this fence (the kernel's {@code get_driver_name}).
     *
     * @return {@code "fence"} unless overridden; {@code "stub"} on context 0, the context of
     *     the shared stub and of the signalled stand-ins that merges and sync objects create
     *     (the kernel's private stubs are named so too)
     */
    public String driverName() {
        return context == 0L ? "stub" : "fence";
    }

    /**
     * The name of the timeline this fence belongs to (the kernel's {@code get_timeline_name}).
     *
     * @return {@code "unbound"} unless overridden; {@code "stub"} on context 0 (see
     *     {@link #driverName()})
     */
    public String timelineName() {
        return context == 0L ? "stub" : "unbound";
    }

    /**
     * A one-line description for logs: context, seqno, timeline, driver and state. A name hook
     * that throws or returns null is shown as a placeholder naming the hook (and the exception),
     * so describing never fails. A driver may override it; an override should not throw either,
     * and if it does, the library's own warnings show the fence's class instead and go on.
     *
     * @return for example {@code "7:42 gpu-ring gpu pending"}
     */
    public String describe() {
        int s = state;
        String st;
        if ((s & SIGNALED) == 0) {
            st = (s & SIGNALING) != 0 ? "signalling" : "pending";
        } else {
            st = error == null ? "signalled"
                    : "signalled with error " + Diagnostics.safeString(error);
        }
        // The forced signal of a released fence and the warnings of failing hooks describe the
        // fence first: a name hook that fails (an Error too, a torn-down driver's LinkageError)
        // must not stop them, or the fence would never signal and its waiters would hang.
        return Long.toUnsignedString(context) + ':' + Long.toUnsignedString(seqno) + ' '
                + Diagnostics.hookName(this, true) + ' ' + Diagnostics.hookName(this, false) + ' '
                + st;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + '[' + describe() + ']';
    }

    // ------------------------------------------------------------------------------------------
    // Ordering

    /**
     * Whether {@code a} comes after {@code b} on their common context (unsigned 64-bit seqno
     * order), the kernel's {@code dma_fence_is_later()}.
     *
     * @param a a fence
     * @param b a fence of the same context
     * @return {@code true} if {@code a.seqno() > b.seqno()}
     * @throws IllegalArgumentException if the contexts differ
     * @throws NullPointerException if either is null
     */
    public static boolean isLater(Fence a, Fence b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.context != b.context) {
            throw new IllegalArgumentException("fences of different contexts: "
                    + Diagnostics.describe(a) + " and " + Diagnostics.describe(b));
        }
        return Long.compareUnsigned(a.seqno, b.seqno) > 0;
    }

    /**
     * The later of two fences of one context, or {@code null} if that later fence has already
     * signalled (then both are done), the kernel's {@code dma_fence_later()}.
     *
     * @param a a fence
     * @param b a fence of the same context
     * @return the later fence, {@code b} when the seqnos are equal, or {@code null}
     * @throws IllegalArgumentException if the contexts differ
     * @throws NullPointerException if either is null
     */
    public static Fence later(Fence a, Fence b) {
        Fence l = isLater(a, b) ? a : b;
        return l.isSignaled() ? null : l;
    }

    // ------------------------------------------------------------------------------------------
    // Driver hooks

    /**
     * Driver hook: someone started waiting or added a callback, so the driver must make sure the
     * fence will be signalled (arm an interrupt, start polling). Runs at most once per fence,
     * outside any lock, in the thread that first showed interest. Default: nothing to do.
     *
     * <p>Unlike the kernel's {@code enable_signaling}, which runs under the fence lock, this hook
     * is not serialised with {@link #signal()}: it is skipped if the fence has signalled by the
     * time it would run, but a signal (a forced {@code signal(error)} on a reset path, say) can
     * still land while it runs or just before it starts. A driver that arms state or takes a
     * reference here, to undo when the interrupt signals the fence, must serialise the hook with
     * its own signalling path (check {@link #isSignaled()} under its own lock, say) and undo the
     * arming if the fence has already signalled.
     *
     * @return {@code true} if the fence will be signalled later; {@code false} if the work has
     *     already completed, in which case the fence is signalled at once
     */
    protected boolean enableSignalingHook() {
        return true;
    }

    /**
     * Driver hook polled by {@link #isSignaled()} and {@link #status()} while the fence is
     * pending: return {@code true} if the work has completed (then the fence is signalled on the
     * driver's behalf). Once it returns {@code true} it must keep doing so. It may call
     * {@link #setError(Throwable)} before returning {@code true}. If it throws, the fence is
     * signalled with that exception as its error (and a warning is logged), as for
     * {@link #enableSignalingHook()}. Default: {@code false}.
     *
     * <p>Keep it quick and non-blocking, as the kernel's {@code ops->signaled}, which may run in
     * atomic context: any query may poll it, including ones made while the library holds a lock
     * of its own (a {@code SyncObj} scanning its queued waiters, a {@code Reservation} re-checking
     * its fences under the reservation lock, as the kernel does under its locks). A hook that
     * takes a lock which the driver holds while it calls into such an object can deadlock.
     *
     * @return whether the work has completed
     */
    protected boolean pollSignaled() {
        return false;
    }

    /**
     * Driver hook: a deadline hint from {@link #setDeadline(long)}, called without locks, maybe
     * repeatedly and concurrently. A {@link RuntimeException} thrown here is logged and dropped.
     * Default: ignored.
     *
     * @param deadlineNanos when the result is needed, {@link System#nanoTime()} time base
     */
    protected void onDeadline(long deadlineNanos) {
    }

    /**
     * Driver hook: the last reference was released. Return pooled resources here. Default:
     * nothing.
     */
    protected void deallocate() {
    }
}
