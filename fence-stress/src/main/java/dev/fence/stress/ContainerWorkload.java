package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceCallback;
import dev.fence.core.FenceChain;
import dev.fence.core.FenceReleasedException;
import dev.fence.core.Fences;
import dev.fence.stress.CoreFenceWorkload.SoakError;
import dev.fence.stress.CoreFenceWorkload.SoakFence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Containers over the core workload's fences: {@link FenceArray}s (all / any) built from
 * borrowed fences, one shared {@link FenceChain} that keeps growing while its points signal, and
 * {@link FenceChain#find}, {@link Fences#unwrap} and {@link Fences#merge} reading it while it is
 * being collected.
 */
final class ContainerWorkload implements SoakWorkload {

    private static final int RING = 1024;

    private final CoreFenceWorkload core;
    private final SoakContext ctx;

    /** Appends are serialised (points must grow); every reader is lock-free. */
    private final ReentrantLock appendLock = new ReentrantLock();
    private volatile FenceChain head;
    private long lastPoint;
    private final AtomicReferenceArray<Point> points = new AtomicReferenceArray<>(RING);

    /**
     * Recently built arrays and chain links with a watched callback, checked when evicted and at
     * the end.
     */
    private final AtomicReferenceArray<Watched> watched = new AtomicReferenceArray<>(RING);
    private final AtomicLong watchCursor = new AtomicLong();

    private final LongAdder arrays = new LongAdder();
    private final LongAdder links = new LongAdder();
    private final LongAdder containerCallbacks = new LongAdder();

    ContainerWorkload(CoreFenceWorkload core, SoakContext ctx) {
        this.core = core;
        this.ctx = ctx;
    }

    @Override
    public String name() {
        return "containers";
    }

    private static final class Point {
        final long point;
        final Fence fence;

        Point(long point, Fence fence) {
            this.point = point;
            this.fence = fence;
        }
    }

    /** A container with a callback that must run exactly once if it was queued. */
    private static final class Watched {
        final Fence container;
        final Once cb;
        final boolean queued;

        Watched(Fence container, Once cb, boolean queued) {
            this.container = container;
            this.cb = cb;
            this.queued = queued;
        }
    }

    /** Counts runs; checks the container's error came from one of its leaves. */
    private final class Once extends FenceCallback {
        final AtomicInteger runs = new AtomicInteger();
        private final Set<Fence> leaves;

        Once(List<? extends Fence> leaves) {
            Set<Fence> s = Collections.newSetFromMap(new IdentityHashMap<>());
            s.addAll(leaves);
            this.leaves = s;
        }

        @Override
        protected void onSignaled(Fence fence) {
            if (runs.incrementAndGet() != 1) {
                ctx.violation("container callback ran twice on " + fence);
            }
            containerCallbacks.increment();
            Throwable e = fence.error();
            if (e instanceof SoakError) {
                if (fence instanceof FenceArray && !leaves.contains(((SoakError) e).fence)) {
                    ctx.violation("array carries the error of a fence that is not a member");
                }
            } else if (e != null && !(e instanceof FenceReleasedException)) {
                ctx.violation("container carries an unexpected error " + e);
            }
        }
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        int op = rnd.nextInt(100);
        if (op < 30) {
            makeArray(rnd);
        } else if (op < 50) {
            append(rnd);
        } else if (op < 70) {
            find(rnd);
        } else if (op < 85) {
            unwrapAndMerge();
        } else {
            waitOnWatched(rnd);
        }
    }

    private void makeArray(SplittableRandom rnd) {
        int k = 1 + rnd.nextInt(4);
        List<SoakFence> members = new ArrayList<>(k);
        try {
            for (int i = 0; i < k; i++) {
                SoakFence f = core.borrow(rnd);
                f.inContainer = true;
                members.add(f);
            }
            Fence[] arr = members.toArray(new Fence[0]);
            FenceArray a = rnd.nextBoolean() ? FenceArray.all(arr) : FenceArray.any(arr);
            arrays.increment();
            if (rnd.nextInt(4) != 0) {
                Once cb = new Once(members);
                watch(new Watched(a, cb, a.addCallback(cb)));
                // The array holds its members: drop it once it has signalled (all its members
                // do, by the end), so the ring does not keep a thousand arrays' members alive.
                // Releasing it while pending would force-signal it instead.
                a.onSignal(Fence::release);
            } else {
                pollUnwatched(a, members);
            }
            ctx.op("container.array");
        } finally {
            for (SoakFence f : members) {
                f.release();
            }
        }
    }

    /** Polls an array nobody watches, then drops it (the array's references on its members). */
    private void pollUnwatched(FenceArray a, List<SoakFence> members) {
        try {
            if (a.isSignaled()) {
                // polled without enabling: the members must say so too
                boolean any = false;
                boolean all = true;
                for (Fence m : members) {
                    boolean s = m.isSignaled();
                    any |= s;
                    all &= s;
                }
                if (a.signalOnAny() ? !any : !all) {
                    ctx.violation("array signalled while its members are not: " + a.describe());
                }
            }
        } finally {
            if (!a.release()) {
                ctx.violation("an unwatched array's release was not its last: " + a.describe());
            }
        }
    }

    private void append(SplittableRandom rnd) {
        SoakFence f = core.borrow(rnd);
        try {
            f.inContainer = true;
            // a pending fence with nobody interested would never signal when retired and would
            // pin the chain's tail forever: queue a callback so that its last release signals it
            f.addCallback(new Once(List.of(f)));
            FenceChain link;
            appendLock.lock();
            try {
                long point = ++lastPoint;
                link = FenceChain.link(head, f, point);
                if (link.seqno() != point) {
                    ctx.violation("link at point " + point + " got seqno " + link.seqno());
                }
                points.set((int) (point % RING), new Point(point, f));
                head = link;
            } finally {
                appendLock.unlock();
            }
            links.increment();
            if (rnd.nextInt(8) == 0) {
                Once cb = new Once(List.of(f));
                watch(new Watched(link, cb, link.addCallback(cb)));
            }
            ctx.op("container.chain.append");
        } finally {
            f.release();
        }
    }

    private void find(SplittableRandom rnd) {
        FenceChain h = head;
        if (h == null) {
            return;
        }
        long top = h.seqno();
        long p = Math.max(1, top - rnd.nextInt(RING / 2));
        Fence r = FenceChain.find(h, p);
        if (r == Fence.signaledStub()) {
            Point pt = points.get((int) (p % RING));
            if (pt != null && pt.point == p && !pt.fence.isSignaled()) {
                ctx.violation("find(" + p
                        + ") returned the stub while that point's fence is pending");
            }
            ctx.op("container.chain.find.reached");
        } else if (r instanceof FenceChain) {
            if (r.context() != h.context() || r.seqno() > top) {
                ctx.violation("find(" + p + ") returned link " + r.seqno() + " of context "
                        + r.context());
            }
            // Like the kernel's dma_fence_chain_find_seqno, find may return an earlier pending
            // link when the links between it and the point have signalled and been collected:
            // that link signals exactly when the point is reached. Check that premise.
            for (long q = r.seqno() + 1; q <= p; q++) {
                Point pt = points.get((int) (q % RING));
                if (pt != null && pt.point == q && !pt.fence.isSignaled()) {
                    ctx.violation("find(" + p + ") returned link " + r.seqno() + " although point "
                            + q + " in between is pending");
                    break;
                }
            }
            ctx.op(r.seqno() >= p
                    ? "container.chain.find.link"
                    : "container.chain.find.earlierLink");
        } else {
            ctx.violation("find returned a non-chain " + r);
        }
    }

    private void unwrapAndMerge() {
        FenceChain h = head;
        if (h == null) {
            return;
        }
        List<Fence> leaves = Fences.unwrap(h);
        if (leaves.isEmpty() || leaves.get(0) != h.fence()) {
            ctx.violation("unwrap of a chain does not start with its newest fence");
        }
        Set<Fence> set = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Fence l : leaves) {
            if (l instanceof FenceChain || l instanceof FenceArray) {
                ctx.violation("unwrap returned a container " + l);
            }
            set.add(l);
        }
        Fence m = Fences.merge(h);
        if (m instanceof FenceArray) {
            for (Fence member : ((FenceArray) m).fences()) {
                if (!set.contains(member)) {
                    ctx.violation("merge produced a member that was not a leaf of the chain");
                }
            }
            m.release(); // a new array (a chain's leaves are never arrays): ours to drop
        } else if (m instanceof FenceChain) {
            ctx.violation("merge returned a chain");
        } else if (!set.contains(m) && !m.isSignaled()) {
            ctx.violation("merge returned a pending fence that is not a leaf");
        }
        ctx.op("container.unwrapMerge");
    }

    private void waitOnWatched(SplittableRandom rnd) throws InterruptedException {
        Watched w = watched.get(rnd.nextInt(RING));
        if (w == null) {
            return;
        }
        if (!w.container.tryRetain()) {
            return; // an array that signalled and dropped its last reference
        }
        try {
            timedWait(w, rnd);
        } finally {
            w.container.release();
        }
    }

    private void timedWait(Watched w, SplittableRandom rnd) throws InterruptedException {
        long timeout = rnd.nextInt(1_000_000);
        long start = System.nanoTime();
        boolean signalled = w.container.await(timeout, TimeUnit.NANOSECONDS);
        long elapsed = System.nanoTime() - start;
        if (signalled) {
            if (!w.container.isSignaled()) {
                ctx.violation("container wait returned true while pending");
            }
            ctx.checkOvershoot("container wait", timeout, elapsed);
        } else {
            ctx.checkTimeout("container wait", timeout, elapsed);
        }
        ctx.op("container.wait");
    }

    private void watch(Watched w) {
        int i = (int) (watchCursor.getAndIncrement() % RING);
        Watched old = watched.getAndSet(i, w);
        if (old != null && old.cb.runs.get() > (old.queued ? 1 : 0)) {
            ctx.violation("container callback ran " + old.cb.runs.get() + " times (queued: "
                    + old.queued + ")");
        }
    }

    @Override
    public void finish(SoakContext c) {
        // the core workload has signalled or released every fence: every watched container
        // must be signalled and its callback must have run iff it was queued
        for (int i = 0; i < RING; i++) {
            Watched w = watched.get(i);
            if (w == null) {
                continue;
            }
            if (!w.container.isSignaled()) {
                ctx.violation("container still pending after all its leaves signalled: "
                        + w.container.describe());
            }
            if (w.cb.runs.get() != (w.queued ? 1 : 0)) {
                ctx.violation("container callback ran " + w.cb.runs.get() + " times (queued: "
                        + w.queued + ") on " + w.container.describe());
            }
        }
        FenceChain h = head;
        if (h != null) {
            if (!h.isSignaled()) {
                ctx.violation("chain head pending after every point signalled");
            }
            if (h.seqno() > 1 && FenceChain.find(h, 1) != Fence.signaledStub()) {
                ctx.violation("find(head, 1) on a fully signalled chain is not the stub");
            }
        }
    }

    @Override
    public String summary() {
        return String.format("arrays %d, chain links %d, container callbacks run %d",
                arrays.sum(), links.sum(), containerCallbacks.sum());
    }
}
