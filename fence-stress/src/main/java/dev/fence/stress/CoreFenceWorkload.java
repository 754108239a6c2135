package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.FenceReleasedException;
import dev.fence.core.FenceStatus;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The fence-core workload: a table of driver fences that workers signal, wait on, add and remove
 * reusable callback nodes to, retain and release, poll and enable, and retire (swap out and drop
 * the table's reference) at random.
 *
 * <p>Lifetime is the fence's own reference count: an operation takes a reference (under the
 * slot's read lock, so a retirement cannot drop the count to zero in between) and drops it when
 * done; {@link SoakFence#deallocate()} therefore runs when nobody is operating on the fence any
 * more, and that is where the per-fence invariants are checked: every successful add of a
 * tracked callback was matched by exactly one run or one removal, the enable hook ran at most
 * once, deallocate runs exactly once.
 */
final class CoreFenceWorkload implements SoakWorkload {

    private static final int SLOTS = 64;
    private static final int NODES = 512;
    private static final long[] TIMEOUTS_NANOS = {0L, 10_000L, 100_000L, 1_000_000L, 5_000_000L};

    private final Slot[] slots = new Slot[SLOTS];
    private final TrackedCallback[] nodes = new TrackedCallback[NODES];
    /** The "hardware": completes fences after a short delay, for uninterruptible waits. */
    private final ScheduledExecutorService hardware;
    private final SoakContext ctx;

    final LongAdder created = new LongAdder();
    final LongAdder deallocated = new LongAdder();
    private final LongAdder adds = new LongAdder();
    private final LongAdder runs = new LongAdder();
    private final LongAdder removes = new LongAdder();
    private final LongAdder interruptedWaits = new LongAdder();
    private final LongAdder releasedWhilePending = new LongAdder();
    /**
     * Fences deallocated while a container was still running their callbacks: FenceChain polls,
     * enables and signals its members without holding a reference (a FenceArray holds its
     * members now; see docs/stress.md, "findings"). Rechecked at the end: the callbacks must all
     * have run.
     */
    final LongAdder deallocatedBeforeCallbacksFinished = new LongAdder();
    private final ConcurrentLinkedQueue<SoakFence> recheck = new ConcurrentLinkedQueue<>();

    CoreFenceWorkload(SoakContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Slot(newFence());
        }
        for (int i = 0; i < NODES; i++) {
            nodes[i] = new TrackedCallback(i % 7 == 0);
        }
        ScheduledThreadPoolExecutor hw = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "soak-hardware");
            t.setDaemon(true);
            return t;
        });
        hw.setRemoveOnCancelPolicy(true);
        hardware = hw;
    }

    @Override
    public String name() {
        return "fence";
    }

    private SoakFence newFence() {
        created.increment();
        return new SoakFence(this);
    }

    /** A slot of the table: the fence it holds owns one reference on behalf of the table. */
    private static final class Slot {
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        SoakFence fence;

        Slot(SoakFence fence) {
            this.fence = fence;
        }
    }

    /**
     * A random slot's fence with one more reference, which the caller must release. Also used by
     * the container workload to borrow members.
     */
    SoakFence borrow(SplittableRandom rnd) {
        Slot s = slots[rnd.nextInt(SLOTS)];
        s.lock.readLock().lock();
        try {
            return (SoakFence) s.fence.retain();
        } finally {
            s.lock.readLock().unlock();
        }
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        // weights: fresh pending fences (retire) often enough that most operations race a
        // pending fence rather than find it long signalled
        int op = rnd.nextInt(100);
        if (op < 10) {
            retire(rnd, slots[rnd.nextInt(SLOTS)]);
            return;
        }
        SoakFence f = borrow(rnd);
        try {
            if (op < 34) {
                addCallback(f, rnd);
            } else if (op < 44) {
                removeCallback(f, rnd);
            } else if (op < 52) {
                signal(f, rnd);
            } else if (op < 70) {
                timedWait(f, rnd);
            } else if (op < 74) {
                untimedWait(f);
            } else if (op < 77) {
                uninterruptibleWaitOnHardware(f, rnd);
            } else if (op < 85) {
                poll(f);
            } else if (op < 90) {
                refcount(f, rnd);
            } else if (op < 93) {
                f.enableSignaling();
                ctx.op("fence.enable");
            } else if (op < 96) {
                misuseQueuedNode(f);
            } else if (rnd.nextBoolean()) {
                hardwareDone(f, rnd);
            } else {
                poll(f);
            }
        } finally {
            f.release();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Operations

    private void retire(SplittableRandom rnd, Slot s) {
        SoakFence old;
        s.lock.writeLock().lock();
        try {
            old = s.fence;
            s.fence = newFence();
        } finally {
            s.lock.writeLock().unlock();
        }
        // Fences in containers must signal (a pending one would pin a chain forever); others may
        // also go away pending, which signals them with FenceReleasedException if anyone waits.
        if (old.inContainer || rnd.nextInt(4) != 0) {
            signalRandomly(old, rnd);
            ctx.op("fence.retire.signalled");
        } else {
            ctx.op("fence.retire.pending");
        }
        old.release();
    }

    private void addCallback(SoakFence f, SplittableRandom rnd) {
        TrackedCallback n = nodes[rnd.nextInt(NODES)];
        if (!n.armedFor.compareAndSet(null, f)) {
            ctx.op("fence.add.nodeBusy");
            return;
        }
        boolean queued;
        try {
            queued = f.addCallback(n);
        } catch (IllegalStateException e) {
            ctx.violation("addCallback of a free node threw " + e);
            n.armedFor.compareAndSet(f, null);
            return;
        }
        if (queued) {
            f.lastAdded = n;
            f.adds.increment();
            adds.increment();
            ctx.op("fence.add.queued");
        } else {
            if (!n.armedFor.compareAndSet(f, null)) {
                ctx.violation("addCallback returned false but the node ran anyway on " + f);
            }
            if (!f.isSignaled()) {
                ctx.violation("addCallback returned false on a pending fence " + f);
            }
            ctx.op("fence.add.alreadySignalled");
        }
    }

    private void removeCallback(SoakFence f, SplittableRandom rnd) {
        // look for a node that our bookkeeping says is queued on f: the last one added, else
        // a few random ones
        for (int tries = 0; tries < 8; tries++) {
            TrackedCallback hint = f.lastAdded;
            TrackedCallback n = tries == 0 && hint != null ? hint : nodes[rnd.nextInt(NODES)];
            if (n.armedFor.get() != f) {
                continue;
            }
            if (f.removeCallback(n)) {
                if (!n.armedFor.compareAndSet(f, null)) {
                    ctx.violation("removeCallback returned true for a node that also ran, on " + f);
                } else {
                    f.removes.increment();
                    removes.increment();
                }
                ctx.op("fence.remove.removed");
            } else {
                ctx.op("fence.remove.tooLate");
            }
            return;
        }
        ctx.op("fence.remove.noneQueued");
    }

    /**
     * Misuse: a node queued on a private fence (which nobody else can signal) is added to a
     * shared fence under concurrent use. That must be an IllegalStateException, never a second
     * link, and the node must still be removable from its own fence afterwards.
     */
    private void misuseQueuedNode(SoakFence f) {
        Fence privateFence = Fence.create(Fence.allocateContexts(1), 1);
        Probes.Counter node = new Probes.Counter();
        privateFence.addCallback(node);
        try {
            if (f.addCallback(node)) {
                ctx.violation("a node queued on another fence was accepted by " + f);
            } else if (!f.isSignaled()) {
                ctx.violation("addCallback returned false on a pending fence " + f);
            } else {
                ctx.op("fence.misuse.fenceAlreadySignalled"); // the state is checked first
            }
        } catch (IllegalStateException expected) {
            ctx.op("fence.misuse.rejected");
        }
        if (!privateFence.removeCallback(node) || node.runs() != 0) {
            ctx.violation("a node rejected as queued elsewhere lost its own queue position");
        }
    }

    private void signal(SoakFence f, SplittableRandom rnd) {
        signalRandomly(f, rnd);
        if (!f.isSignaled()) {
            ctx.violation("fence pending right after signal(): " + f);
        }
        try {
            f.timestamp();
        } catch (IllegalStateException e) {
            ctx.violation("timestamp() threw after signal(): " + e);
        }
        checkError(f, "after signal");
    }

    private void signalRandomly(SoakFence f, SplittableRandom rnd) {
        boolean won;
        switch (rnd.nextInt(5)) {
            case 0:
                won = f.signal(new SoakError(f));
                break;
            case 1:
                won = f.signal(System.nanoTime());
                break;
            case 2:
                try {
                    f.setError(new SoakError(f));
                } catch (IllegalStateException alreadySignalled) {
                    if (!f.isSignaled()) {
                        ctx.violation("setError threw ISE on a pending fence");
                    }
                }
                won = f.signal();
                break;
            default:
                won = f.signal();
                break;
        }
        ctx.op(won ? "fence.signal.won" : "fence.signal.lost");
    }

    private void hardwareDone(SoakFence f, SplittableRandom rnd) {
        f.hwDone = true;
        if (rnd.nextBoolean()) {
            f.signal(System.nanoTime());
        }
        // else: leave it to pollers (isSignaled) and the enable hook to notice
        ctx.op("fence.hardwareDone");
    }

    private void timedWait(SoakFence f, SplittableRandom rnd) {
        long timeout = TIMEOUTS_NANOS[rnd.nextInt(TIMEOUTS_NANOS.length)];
        long start = System.nanoTime();
        boolean signalled;
        try {
            signalled = rnd.nextBoolean()
                    ? f.await(timeout, TimeUnit.NANOSECONDS)
                    : f.awaitNanos(timeout) > 0;
        } catch (InterruptedException e) {
            interruptedWaits.increment();
            ctx.op("fence.wait.interrupted");
            ctx.checkOvershoot("timed wait (interrupted)", timeout, System.nanoTime() - start);
            return;
        }
        long elapsed = System.nanoTime() - start;
        if (signalled) {
            if (!f.isSignaled()) {
                ctx.violation("timed wait returned true on a pending fence " + f);
            }
            checkError(f, "after a wait");
            ctx.checkOvershoot("timed wait (signalled)", timeout, elapsed);
            ctx.op("fence.wait.signalled");
        } else {
            ctx.checkTimeout("timed wait", timeout, elapsed);
            ctx.op("fence.wait.timedOut");
        }
    }

    private void untimedWait(SoakFence f) {
        // ends by a signal from another worker or by the fault injector's interrupt
        try {
            f.await();
        } catch (InterruptedException e) {
            interruptedWaits.increment();
            ctx.op("fence.waitUntimed.interrupted");
            return;
        }
        if (!f.isSignaled()) {
            ctx.violation("await() returned on a pending fence " + f);
        }
        checkError(f, "after await()");
        ctx.op("fence.waitUntimed.signalled");
    }

    private void uninterruptibleWaitOnHardware(SoakFence f, SplittableRandom rnd) {
        f.retain(); // the hardware's reference
        long delayMicros = rnd.nextInt(2_000);
        hardware.schedule(() -> {
            try {
                f.hwDone = true;
                f.signal(System.nanoTime());
            } finally {
                f.release();
            }
        }, delayMicros, TimeUnit.MICROSECONDS);
        boolean wasInterrupted = Thread.currentThread().isInterrupted();
        f.awaitUninterruptibly();
        if (!f.isSignaled()) {
            ctx.violation("awaitUninterruptibly() returned on a pending fence " + f);
        }
        if (wasInterrupted && !Thread.currentThread().isInterrupted()) {
            ctx.violation("awaitUninterruptibly() lost the caller's interrupt status");
        }
        ctx.op("fence.waitUninterruptibly");
    }

    private void poll(SoakFence f) {
        boolean first = f.isSignaled();
        FenceStatus st = f.status();
        boolean second = f.isSignaled();
        if (first && (!second || st == FenceStatus.PENDING)) {
            ctx.violation("isSignaled()/status() went back to pending on " + f);
        }
        if (f.hwDone && !f.isSignaled()) {
            ctx.violation("isSignaled() false although pollSignaled() says done, on " + f);
        }
        ctx.op("fence.poll");
    }

    private void refcount(SoakFence f, SplittableRandom rnd) {
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            f.retain();
        }
        if (f.refCnt() < n + 1) {
            ctx.violation("refCnt " + f.refCnt() + " below the " + (n + 1) + " references we hold");
        }
        for (int i = 0; i < n; i++) {
            if (f.release()) {
                ctx.violation("release() reported the last reference while we hold one more");
            }
        }
        ctx.op("fence.refcount");
    }

    private void checkError(SoakFence f, String when) {
        Throwable e = f.error();
        if (e instanceof SoakError && ((SoakError) e).fence != f) {
            ctx.violation("fence carries another fence's error " + when);
        } else if (e != null && !(e instanceof SoakError)
                && !(e instanceof FenceReleasedException)) {
            ctx.violation("fence carries an unexpected error " + e + " " + when);
        }
    }

    // ------------------------------------------------------------------------------------------
    // End of run

    @Override
    public void finish(SoakContext c) {
        hardware.shutdown();
        try {
            if (!hardware.awaitTermination(10, TimeUnit.SECONDS)) {
                ctx.violation("hardware completions did not drain in 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        SplittableRandom rnd = new SplittableRandom(1);
        // Signal every fence before dropping any: containers over several of them (an array
        // holds its members, and the container workload drops an array once it signals) let go
        // only when all their members have signalled.
        for (Slot s : slots) {
            signalRandomly(s.fence, rnd);
        }
        for (Slot s : slots) {
            SoakFence f = s.fence;
            s.fence = null;
            if (!f.release()) {
                ctx.violation("the table's release was not the last one: refCnt " + f.refCnt());
            }
        }
        for (SoakFence f : recheck) {
            if (f.adds.sum() != f.runs.sum() + f.removes.sum()) {
                ctx.violation("callbacks lost on a fence deallocated early: queued " + f.adds.sum()
                        + ", ran " + f.runs.sum() + ", removed " + f.removes.sum());
            }
        }
        if (created.sum() != deallocated.sum()) {
            ctx.violation("fences created " + created.sum() + " != deallocated " + deallocated.sum()
                    + ": references leaked");
        }
        for (TrackedCallback n : nodes) {
            if (n.armedFor.get() != null || n.isQueued()) {
                ctx.violation("callback node still queued after every fence signalled");
            }
        }
        if (adds.sum() != runs.sum() + removes.sum()) {
            ctx.violation("callbacks queued " + adds.sum() + " != ran " + runs.sum() + " + removed "
                    + removes.sum());
        }
    }

    @Override
    public String summary() {
        return String.format("fences created %d, deallocated %d; callbacks queued %d, ran %d,"
                        + " removed %d; waits interrupted %d; released while pending %d;"
                        + " deallocated before a container finished their callbacks %d",
                created.sum(), deallocated.sum(), adds.sum(), runs.sum(), removes.sum(),
                interruptedWaits.sum(), releasedWhilePending.sum(),
                deallocatedBeforeCallbacksFinished.sum());
    }

    /** Live fences right now (created minus deallocated): must stay bounded. */
    long live() {
        return created.sum() - deallocated.sum();
    }

    // ------------------------------------------------------------------------------------------
    // Instruments

    /** An error that names the fence it was meant for. */
    static final class SoakError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Fence fence;

        SoakError(Fence fence) {
            super("soak error", null, false, false);
            this.fence = fence;
        }
    }

    /** A driver fence with fault injection in its hooks and per-fence callback accounting. */
    static final class SoakFence extends Fence {
        private final CoreFenceWorkload owner;
        final LongAdder adds = new LongAdder();
        final LongAdder runs = new LongAdder();
        final LongAdder removes = new LongAdder();
        final AtomicInteger enableCalls = new AtomicInteger();
        final AtomicInteger deallocateCalls = new AtomicInteger();
        volatile boolean hwDone;
        volatile boolean inContainer;
        /** The node most recently queued here (a hint for removeCallback; may be stale). */
        volatile TrackedCallback lastAdded;

        SoakFence(CoreFenceWorkload owner) {
            super(Fence.allocateContexts(1), 1L);
            this.owner = owner;
        }

        @Override
        protected boolean enableSignalingHook() {
            if (enableCalls.incrementAndGet() > 1) {
                owner.ctx.violation("enableSignalingHook ran twice on " + describe());
            }
            SoakContext.maybeDelay(ThreadLocalRandom.current(), 8);
            return !hwDone;
        }

        @Override
        protected boolean pollSignaled() {
            SoakContext.maybeDelay(ThreadLocalRandom.current(), 64);
            return hwDone;
        }

        @Override
        protected void deallocate() {
            if (deallocateCalls.incrementAndGet() != 1) {
                owner.ctx.violation("deallocate ran twice on " + describe());
                return;
            }
            owner.deallocated.increment();
            if (refCnt() != 0) {
                owner.ctx.violation("deallocate with refCnt " + refCnt());
            }
            if (!isSignaled() && adds.sum() != removes.sum()) {
                owner.ctx.violation("released pending with callbacks queued, yet not signalled");
            }
            if (!isSignaled()) {
                return;
            }
            if (error() instanceof FenceReleasedException) {
                owner.releasedWhilePending.increment();
            }
            long a = adds.sum();
            long r = runs.sum() + removes.sum();
            if (a != r && inContainer) {
                // a container walker (no reference held) signalled it and is still running its
                // callbacks in its own thread: not lost, late; checked again at the end
                owner.deallocatedBeforeCallbacksFinished.increment();
                owner.recheck.add(this);
            } else if (a != r) {
                owner.ctx.violation("fence deallocated with " + a + " callbacks queued but "
                        + runs.sum() + " ran and " + removes.sum() + " removed: " + describe());
            }
        }

        @Override
        public String driverName() {
            return "soak";
        }
    }

    /** A reusable callback node whose every run must match exactly one successful add. */
    private final class TrackedCallback extends FenceCallback {
        /** Our bookkeeping: the fence this node was added to, until it ran or was removed. */
        final AtomicReference<SoakFence> armedFor = new AtomicReference<>();
        private final boolean throwing;

        TrackedCallback(boolean throwing) {
            this.throwing = throwing;
        }

        @Override
        protected void onSignaled(Fence fence) {
            SoakFence f = armedFor.get();
            if (f != fence || !armedFor.compareAndSet(f, null)) {
                ctx.violation("callback ran for " + fence + " but was queued for " + f
                        + " (double run or run without add)");
                return;
            }
            f.runs.increment();
            runs.increment();
            if (!fence.isSignaled()) {
                ctx.violation("callback ran on a fence that is not observably signalled");
            }
            fence.timestamp(); // throws (and is then miscounted) if not published
            SoakContext.maybeDelay(ThreadLocalRandom.current(), 32);
            if (throwing) {
                ctx.injectedThrow();
                throw new IllegalStateException("soak: injected callback failure");
            }
        }
    }
}
