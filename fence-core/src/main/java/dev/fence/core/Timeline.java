package dev.fence.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A software timeline: one context whose fences signal in seqno order as its value advances,
 * the kernel's {@code sw_sync} timeline (and the fence ring of a simple GPU driver).
 *
 * <pre>{@code
 * Timeline ring = Timeline.create("gpu-ring");
 * Fence job1 = ring.next();         // seqno 1
 * Fence job2 = ring.next();         // seqno 2
 * ring.signalUpTo(1);               // job1 signals; job2 is still pending
 * ring.advance(1);                  // value 2: job2 signals
 * }</pre>
 *
 * <p>{@link #value()} starts at 0 and only grows. Fences always signal in seqno order, one
 * thread at a time, and never under a lock: their callbacks may create fences on this timeline
 * or advance it or any other timeline. {@link #value()} may run ahead of the fences' signals by
 * the time it takes to signal them.
 */
public final class Timeline {

    /*
     * Implementation overview.
     *
     * `locked` is a spin lock (lock()/unlock(), "the lock" below) guarding `issued`, `head`,
     * `tail`, `outOfOrder` and `signalling`; it is held only for queue operations, never while a
     * fence signals. `value` is volatile: written under the lock (so fences issued after the write
     * are born signalled), read without it by value().
     * Pending points live in the in-order list `head`..`tail` (linked through Point.next, sorted
     * by seqno, because next() and increasing fenceAt() append at the tail) or, for a fenceAt()
     * below the newest pending point, in `outOfOrder` (a heap, created on first use). At most one
     * call at a time is the signaller (`signalling`, under the lock): it takes the ready points out
     * under the lock as a chain of its own (`batch`, linked through the same Point.next) and
     * signals them outside it, in seqno order, with one timestamp per batch, clearing each link as
     * it goes so that a signalled point keeps no later point reachable.
     * When every pending point is ready (no out-of-order points and `tail` at or below the value:
     * what a ring whose completions keep up with its submissions sees) the whole list becomes the
     * batch in O(1). Point.next is written only under the lock while the point is pending, and by
     * the signaller while the point is in its batch, which no other thread can reach: the lock
     * orders each hand-over.
     *
     * An intrusive list rather than an ArrayDeque: in the GPU-ring benchmark the producer's append
     * then writes the previous point and the timeline (already its own lines) instead of the
     * deque's head/tail object and array slots next to the ones the signaller clears. Eight
     * alternated runs of GpuRingBenchmark on 2 vCPUs whose cross-CPU round trip was ~430 ns:
     * median 4.8 against 3.3 M jobs/s, faster in every pair (docs/benchmarks.md, row 11).
     */

    private final long context;
    private final String name;
    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(Timeline.class, "locked", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * 1 while a thread holds the queue lock, guarding `issued`, the queues and `signalling`. It is
     * held for a few queue operations only, never while a fence signals or user code runs, so a
     * spin lock (spin, then yield) beats a parking lock here: the GPU-ring benchmark spent 16 %
     * of its samples parked in ReentrantLock.lock when `next()` met `signalUpTo()`.
     */
    @SuppressWarnings("unused") // accessed through LOCK
    private volatile int locked;
    /** Oldest pending in-order point, or null (guarded by the lock). */
    private Point head;
    /** Newest pending in-order point, or null (guarded by the lock). */
    private Point tail;
    private PriorityQueue<Point> outOfOrder;
    /** The chain of points the current signaller is about to signal; owned by it. */
    private Point batch;
    /** Whether some call is signalling points (guarded by `lock`). */
    private boolean signalling;
    private long issued;
    private volatile long value;

    private Timeline(String name) {
        this.context = Fence.allocateContexts(1);
        this.name = name;
    }

    /**
     * Creates a timeline on a fresh context, with value 0.
     *
     * @param name the timeline name its fences report
     * @return the timeline
     * @throws NullPointerException if {@code name} is null
     */
    public static Timeline create(String name) {
        return new Timeline(Objects.requireNonNull(name, "name"));
    }

    /**
     * The context shared by all fences of this timeline.
     *
     * @return the context id
     */
    public long context() {
        return context;
    }

    /**
     * The timeline's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * A new fence one past the highest seqno issued so far (born signalled if the value has
     * already passed it).
     *
     * @return the fence
     */
    public Fence next() {
        lock();
        try {
            return issue(issued + 1);
        } finally {
            unlock();
        }
    }

    /**
     * A new fence at {@code value}; born signalled if {@code value <= value()}. Several fences may
     * share one value.
     *
     * @param value the seqno, not negative
     * @return the fence
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public Fence fenceAt(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative timeline value: " + value);
        }
        lock();
        try {
            return issue(value);
        } finally {
            unlock();
        }
    }

    private Fence issue(long seqno) {
        if (seqno > issued) {
            issued = seqno;
        }
        Point p = new Point(this, seqno);
        if (seqno <= value) {
            p.signal(); // a fresh fence: no callbacks run here
        } else {
            Point last = tail;
            if (last == null) {
                head = p;
                tail = p;
            } else if (last.seqno() <= seqno) {
                last.next = p;
                tail = p;
            } else {
                if (outOfOrder == null) {
                    outOfOrder = new PriorityQueue<>((a, b) -> Long.compare(a.seqno(), b.seqno()));
                }
                outOfOrder.add(p);
            }
        }
        return p;
    }

    /**
     * Raises the value to {@code value} and signals, in seqno order, every fence at or below it.
     * Lower values than the current one change nothing.
     *
     * <p>If no other call is signalling this timeline, every fence up to {@code value} has
     * signalled when this call returns. If one is (another thread, or an outer call on this
     * thread's stack, when this is called from a fence callback), that call signals them, in
     * order, before it returns, and this one returns at once: so timelines whose callbacks
     * advance each other never deadlock.
     *
     * @param value the new value, not negative
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public void signalUpTo(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative timeline value: " + value);
        }
        advanceTo(value, false);
    }

    /**
     * Raises the value by {@code delta} and signals what that reaches, like sw_sync's
     * {@code SW_SYNC_IOC_INC}.
     *
     * @param delta how far to advance, not negative
     * @throws IllegalArgumentException if {@code delta} is negative
     */
    public void advance(long delta) {
        if (delta < 0) {
            throw new IllegalArgumentException("negative delta: " + delta);
        }
        advanceTo(delta, true);
    }

    /*
     * Repeatedly: under the lock, raise `value`; if another call is already signalling (in another
     * thread, or further up this thread's stack, from a callback), leave the ready points to it
     * and return. Otherwise become the signaller: take every point at or below `value` out of
     * the queues, release the lock, signal them in order with one timestamp, and go round again
     * until nothing is ready; then stop being the signaller under the lock.
     * No lock is held while fences signal, so callbacks may advance this or any other timeline
     * without deadlock, and the single signaller keeps the seqno order.
     */
    private void advanceTo(long v, boolean relative) {
        lock();
        try {
            long target = relative ? Math.addExact(value, v) : v;
            if (target <= value) {
                return;
            }
            value = target;
            if (signalling) {
                return; // the running signaller will pick the new points up
            }
            signalling = true;
            takeReady();
        } finally {
            unlock();
        }
        boolean done = false;
        try {
            for (;;) {
                long now = System.nanoTime(); // one timestamp for the whole batch
                for (Point p; (p = batch) != null; ) {
                    p.signal(now); // if an Error escapes, `batch` still starts at p
                    batch = p.next;
                    p.next = null;
                }
                lock();
                try {
                    takeReady();
                    if (batch == null) {
                        signalling = false;
                        done = true;
                        return;
                    }
                } finally {
                    unlock();
                }
            }
        } finally {
            if (!done) { // an Error escaped: leave the rest to the next call that raises the value
                requeue();
            }
        }
    }

    /**
     * After an Error escaped a signal: puts the points of `batch` back at the front of the
     * in-order list (they are below every pending point there, whose seqnos all exceeded the
     * value when the batch was taken) and stops being the signaller, so the next call that raises
     * the value signals them instead of no one. The first may be the point whose signal() threw,
     * already signalled: signalling it again does nothing.
     */
    private void requeue() {
        Point rest = batch;
        batch = null;
        lock();
        try {
            if (rest != null) {
                Point end = rest;
                while (end.next != null) {
                    end = end.next;
                }
                end.next = head;
                head = rest;
                if (tail == null) {
                    tail = end;
                }
            }
            signalling = false;
        } finally {
            unlock();
        }
    }

    /**
     * Makes every point at or below the value the signaller's `batch` chain, in seqno order; under
     * the lock, with `batch` empty.
     */
    private void takeReady() {
        long v = value;
        Point last = tail;
        if (last != null && last.seqno() <= v && (outOfOrder == null || outOfOrder.isEmpty())) {
            batch = head; // every pending point is ready: take the whole list
            head = null;
            tail = null;
            return;
        }
        Point first = null;
        Point end = null;
        for (Point p; (p = pollReady(v)) != null; ) {
            if (end == null) {
                first = p;
            } else {
                end.next = p;
            }
            end = p;
        }
        batch = first;
    }

    /**
     * Unlinks the pending point with the lowest seqno if it is at most {@code target}; under the
     * lock. The point comes back with a null link.
     */
    private Point pollReady(long target) {
        Point a = head;
        Point b = outOfOrder == null ? null : outOfOrder.peek();
        if (b != null && (a == null || b.seqno() < a.seqno())) {
            return b.seqno() <= target ? outOfOrder.poll() : null;
        }
        if (a == null || a.seqno() > target) {
            return null;
        }
        head = a.next;
        if (head == null) {
            tail = null;
        }
        a.next = null;
        return a;
    }

    /**
     * The highest value signalled so far.
     *
     * @return the value, 0 initially
     */
    public long value() {
        return value;
    }

    private void lock() {
        if (!LOCK.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        for (int spins = 0;;) {
            if (locked == 0 && LOCK.compareAndSet(this, 0, 1)) {
                return;
            }
            if (++spins < 128) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the holder lost its CPU: let it run
            }
        }
    }

    private void unlock() {
        LOCK.setRelease(this, 0);
    }

    @Override
    public String toString() {
        return "Timeline[" + name + " ctx " + context + " value " + value + "]";
    }

    /** A fence of this timeline. */
    private static final class Point extends Fence {
        private final Timeline timeline;
        /** The next point of the in-order list or of the signaller's batch (see the overview). */
        Point next;

        Point(Timeline timeline, long seqno) {
            super(timeline.context, seqno);
            this.timeline = timeline;
        }

        @Override
        public String driverName() {
            return "timeline";
        }

        @Override
        public String timelineName() {
            return timeline.name;
        }
    }
}
