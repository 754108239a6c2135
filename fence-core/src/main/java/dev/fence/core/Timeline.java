package dev.fence.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

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
     * `lock` guards `issued`, `inOrder` and `outOfOrder`; it is held only for queue operations,
     * never while a fence signals. `value` is volatile: written under `lock` (so fences issued
     * after the write are born signalled), read without it by pollSignaled() and value().
     * Pending points live in `inOrder` (a deque sorted by seqno, because next() and increasing
     * fenceAt() append at the tail) or, for a fenceAt() below the newest pending point, in
     * `outOfOrder` (a heap, created on first use). At most one call at a time is the signaller
     * (`signalling`, under `lock`): it takes the ready points out under `lock` into `batch` and
     * signals them outside it, in seqno order, with one timestamp per batch.
     */

    private final long context;
    private final String name;
    /** Guards `issued` and `pending`; never held while user code runs. */
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Point> inOrder = new ArrayDeque<>();
    private PriorityQueue<Point> outOfOrder;
    /** Owned by the current signaller. */
    private final ArrayList<Point> batch = new ArrayList<>();
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
        lock.lock();
        try {
            return issue(issued + 1);
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            return issue(value);
        } finally {
            lock.unlock();
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
            Point last = inOrder.peekLast();
            if (last == null || last.seqno() <= seqno) {
                inOrder.addLast(p);
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
     * Repeatedly: under `lock`, raise `value`; if another call is already signalling (in another
     * thread, or further up this thread's stack, from a callback), leave the ready points to it
     * and return. Otherwise become the signaller: take every point at or below `value` out of
     * the queues, release `lock`, signal them in order with one timestamp, and go round again
     * until nothing is ready; then stop being the signaller under `lock`.
     * No lock is held while fences signal, so callbacks may advance this or any other timeline
     * without deadlock, and the single signaller keeps the seqno order.
     */
    private void advanceTo(long v, boolean relative) {
        lock.lock();
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
        } finally {
            lock.unlock();
        }
        boolean done = false;
        try {
            for (;;) {
                lock.lock();
                try {
                    for (Point p; (p = pollReady(value)) != null; ) {
                        batch.add(p);
                    }
                    if (batch.isEmpty()) {
                        signalling = false;
                        done = true;
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                long now = System.nanoTime(); // one timestamp for the whole batch
                for (int i = 0, n = batch.size(); i < n; i++) {
                    batch.get(i).signal(now);
                }
                batch.clear();
            }
        } finally {
            if (!done) { // an Error escaped: let the next call take over
                batch.clear();
                lock.lock();
                signalling = false;
                lock.unlock();
            }
        }
    }

    /** The pending point with the lowest seqno if it is at most {@code target}; under `lock`. */
    private Point pollReady(long target) {
        Point a = inOrder.peekFirst();
        Point b = outOfOrder == null ? null : outOfOrder.peek();
        if (b != null && (a == null || b.seqno() < a.seqno())) {
            return b.seqno() <= target ? outOfOrder.poll() : null;
        }
        return a != null && a.seqno() <= target ? inOrder.pollFirst() : null;
    }

    /**
     * The highest value signalled so far.
     *
     * @return the value, 0 initially
     */
    public long value() {
        return value;
    }

    @Override
    public String toString() {
        return "Timeline[" + name + " ctx " + context + " value " + value + "]";
    }

    /** A fence of this timeline. */
    private static final class Point extends Fence {
        private final Timeline timeline;

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
