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
 * the time it takes to signal them. Their callbacks run in seqno order too: a signalling call
 * made inside a callback or a {@link CallbackDeferral}, which only queues the callbacks, keeps
 * signalling this timeline (other threads' requests included) until they have run.
 *
 * <p>The fences one signalling round signals share one {@linkplain Fence#timestamp() timestamp},
 * read as the round signals its first fence: one clock read per batch, as a driver stamps a
 * completed batch. So a fence signalled late in a long round (one whose earlier callbacks take
 * time) carries the round's start; and a fence issued while a round is under way, by a callback
 * of an earlier fence or by another thread, and signalled by that same round, carries a time
 * that can precede its own creation. Code that needs each fence's own signalling time raises
 * the value one point at a time.
 *
 * <p>Issuing ({@link #next()}, or {@link #fenceAt(long)} above the newest seqno) and raising the
 * value take no lock: a producer and a signaller on different threads never wait for each other,
 * except for the few instructions between a producer's claim of a seqno and its link.
 */
public final class Timeline extends TimelinePad3 {

    /*
     * Implementation overview.
     *
     * The in-order points form a singly linked list through Point.next, oldest first, with
     * strictly increasing seqnos. It starts at a private sentinel point (seqno 0, never handed
     * out, never signalled). Fields, by writer (layout: see the classes at the end of the file):
     *
     *   tail    (volatile; producer line) the newest in-order point; its seqno is the highest
     *           issued. A producer (next(), or fenceAt() above tail's seqno) claims the next
     *           place by CAS on tail and then links the old tail to its point with a release
     *           store: an intrusive multi-producer queue (Vyukov's). Between the CAS and the link
     *           the list has a "bubble": tail is ahead of the last reachable point.
     *   value   (volatile; signaller line) raised by CAS in signalUpTo()/advance(), never lowered.
     *   wip     (volatile; signaller line) work-in-progress count of the drain loop: whoever
     *           raises it from 0 is the drainer, the one thread that signals; every other caller
     *           adds 1 and returns, and the drainer goes round again until it takes the count
     *           back to 0. So points signal in seqno order, one thread at a time, never under a
     *           lock, and a callback that raises the value from inside a drain just adds a round.
     *           A drainer at callback depth > 0 (inside a callback or a CallbackDeferral) whose
     *           round signalled points with callbacks queued in its thread does not take wip
     *           back: it queues its next round behind those callbacks (FenceThread.deferred),
     *           keeping the role, so no other thread can signal a higher point and run its
     *           callbacks before them.
     *   cursor  (plain; signaller line) the last point the drainer consumed. Owned by the current
     *           drainer; handed to the next one by wip's read-modify-writes.
     *   passed  (plain field, volatile store by the drainer, acquire or volatile load by
     *           producers; signaller line) the highest seqno the drainer has announced. The
     *           drainer raises it just before it signals a point, then looks at the heap once
     *           more (see Order below), so every point below it has signalled, is the one being
     *           signalled, or is a heap point published during that step that the drainer
     *           signals next.
     *   outOfOrder (cold line; guarded by the spin lock oooLock) a heap of the points from
     *           fenceAt() at or below tail's seqno that are still pending; outOfOrderSize
     *           (volatile) mirrors its size so that the drainer looks only when it is not empty.
     *   ahead   (volatile; cold line; false -> true once) set by a drainer that found the value
     *           above every issued point, or whose round an Error ended. Until then producers
     *           never read the value.
     *
     * A drain round reads v = value and signals, with one timestamp, the lowest of {the cursor's
     * successor, the heap's minimum} while it is <= v (list first on a tie). Moving the cursor from
     * c to its successor clears c.next (the producer linked it once and is done with it), so a
     * signalled point keeps no later point reachable, except the cursor until its successor is
     * consumed. The round stops at the first successor above v, or at the end of the list:
     *   - ending at c with c.seqno >= v: any point still in a bubble has a higher seqno, so it
     *     is not ready; the drainer need not read tail at all (the ring's common case: the
     *     signaller's reads stay off the producer's line and vice versa);
     *   - ending at c with c.seqno < v and tail != c: a producer is inside its bubble; spin (then
     *     yield, it may have lost its CPU: Fence.backoff) until the link appears, as on a lock
     *     holder;
     *   - ending at c with c.seqno < v and tail == c: the value is ahead of everything issued.
     *     Set `ahead` if it is not yet set, and look once more.
     *
     * No ready point is left pending (the lost-wake-up question), because every access below is
     * volatile, hence sequentially consistent:
     *   - in-order point p: its producer CASes tail, then reads `ahead`, and if it is set reads the
     *     value; if p.seqno <= value it drains (raising wip, which also makes a running drainer go
     *     round again; the drainer, this producer or the running one, signals p in its turn).
     *     A drainer that ended a round without p read tail (or the link) before p's CAS. It
     *     can only have needed p in the third case above, and then its write of `ahead` (or an
     *     earlier drainer's, ordered before it through wip) precedes its last read of tail,
     *     which precedes p's CAS, which precedes the producer's read of `ahead`: the producer
     *     sees it, and sees a value at least v.
     *   - heap point (fenceAt() at or below tail's seqno and above `passed`): its producer writes
     *     outOfOrderSize (under oooLock), then reads the value; the drainer reads outOfOrderSize
     *     after reading v in every step, the last one included. Either the drainer sees the
     *     entry or the producer sees the value and drains itself.
     *
     * Order: no producer signals a point that the drainer has not passed, so a fresh point never
     * overtakes a lower pending point of its timeline. A point issued at or below a value that a
     * concurrent call is still signalling is signalled by that call in its turn (shortly after it
     * is returned) rather than born signalled; fenceAt() at or below `passed` is born signalled.
     * A heap point can be published while the drainer is about to signal a higher point p, after
     * the drainer's first look at the heap. So each step is a second Dekker pair: the drainer
     * stores passed = p.seqno (volatile), then reads outOfOrderSize and takes any heap point
     * below p first (a heap point it had already taken for this step goes back); the producer
     * writes outOfOrderSize, then re-reads `passed` (volatile). Either the drainer sees the
     * entry and signals it before p, or the producer sees `passed` at or above its seqno and
     * signals the point itself before returning it, when no callback can be on it yet. So no
     * callback of a point runs after a callback of a higher point of its timeline.
     * (TimelineTest.pointsIssuedFromACallbackDuringADrainKeepSeqnoOrder and
     * concurrentProducersAndSignallersKeepOrderAndLoseNothing; jcstress
     * TimelineTests.HeapPointVsHigherPoint.) What remains concerns only fences born signalled,
     * which carry no callbacks: between the announcement and the signal of such a late heap
     * point, a fenceAt() above it and at or below p is born signalled while it is still pending.
     * The kernel has no such window only because it issues and signals under one lock.
     *
     * Cost of the born-signalled path, which the ring never takes: per in-order point a tail CAS,
     * a value read and a drain (two wip read-modify-writes and a cursor step) besides the signal.
     * One thread issuing behind a value far ahead: about 60 ns per next() against the old lock's
     * 45 ns; one producer while another thread keeps raising the value ahead of it: about a third
     * of the old throughput (both threads then work on the signaller's line and the newest
     * points). Draining only every 64th such point instead saved about 5 ns and none of the
     * contended cost, so each point still drains at once and none piles up behind the cursor.
     *
     * If an Error escapes a signal, the cursor still precedes the point being signalled (a heap
     * point goes back into the heap) and wip is reset to 0; if other callers asked for a round
     * meanwhile (wip was above the drainer's units), the drainer drains once more for them before
     * the Error propagates. Otherwise the next call that raises the value or issues a point at or
     * below it carries on (signalling the same point again does nothing); for an in-order point,
     * because the drainer also sets `ahead` before it gives the role back (a round that stopped
     * early never reached the end of the list, where `ahead` is normally set).
     * (TimelineDrainErrorTest.)
     *
     * History and measurements (docs/benchmarks.md, row 11): until December 2026 one spin lock
     * guarded the list, the counters and a signaller flag, and the producer of the GPU-ring
     * benchmark and its signaller took that lock word for every batch. On 2 vCPUs with a ~430 ns
     * cross-CPU round trip, alternated runs of a ring harness gave: lock-free list with
     * unpadded fields, the producer reading the value after every append: no faster than the
     * lock (about 5 M jobs/s); the same with the fields padded apart: slower (about 3.3 M), since
     * the producer then pulled two lines per batch; with `ahead`, so that neither side reads
     * the other's line in steady state, and padded: 12-29 M against the lock's 5-16 M.
     */

    private static final VarHandle TAIL;
    private static final VarHandle VALUE;
    private static final VarHandle WIP;
    private static final VarHandle OOO_LOCK;
    private static final VarHandle NEXT;
    private static final VarHandle PASSED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(TimelineProducerFields.class, "tail", Point.class);
            VALUE = lookup.findVarHandle(TimelineSignallerFields.class, "value", long.class);
            WIP = lookup.findVarHandle(TimelineSignallerFields.class, "wip", int.class);
            OOO_LOCK = lookup.findVarHandle(TimelineColdFields.class, "oooLock", int.class);
            NEXT = lookup.findVarHandle(Point.class, "next", Point.class);
            PASSED = lookup.findVarHandle(TimelineSignallerFields.class, "passed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Timeline(String name) {
        super(Fence.allocateContexts(1), name);
        Point sentinel = new Point(this, 0L);
        this.cursor = sentinel;
        this.tail = sentinel;
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
     * A new fence one past the highest seqno issued so far; born signalled if the value has
     * already passed it, unless a call is still signalling up to that value (in another thread,
     * or further up this thread's stack when this runs in a fence callback), in which case that
     * call signals it, in order, before it returns.
     *
     * <p>When the value has run ahead of the issued fences and this call races one that raises
     * it (or follows one whose signalling an {@link Error} cut short), this call may signal
     * ready fences of this timeline itself, in order, running their callbacks, before it
     * returns.
     *
     * @return the fence
     * @throws ArithmeticException if the seqno would overflow a {@code long}
     */
    public Fence next() {
        for (;;) {
            Point t = tail;
            Point p = new Point(this, Math.addExact(t.seqno(), 1L));
            if (tryAppend(t, p)) {
                return p;
            }
        }
    }

    /**
     * A new fence at {@code value}; born signalled if {@code value <= value()} (with the same
     * exception as {@link #next()}). Several fences may share one value; a value at or below the
     * newest issued seqno takes a slower path, through a small heap under a lock.
     *
     * <p>Like {@link #next()}, this call may signal ready fences of this timeline itself when it
     * races a call that raises the value.
     *
     * @param value the seqno, not negative
     * @return the fence
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public Fence fenceAt(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative timeline value: " + value);
        }
        for (;;) {
            Point t = tail;
            Point p = new Point(this, value);
            if (value > t.seqno()) { // in order: append
                if (tryAppend(t, p)) {
                    return p;
                }
            } else if (value <= (long) PASSED.getAcquire(this)) {
                p.signal(); // the drainer has signalled every point up to here: born signalled
                return p;
            } else {
                // Not yet reached by the signalling (which may be running right now): through
                // the heap, so that the drainer signals it in its turn, after the lower points.
                addOutOfOrder(p); // publishes the entry (size write), then:
                signalIfPassed(p);
                if (value <= (long) PASSED.getVolatile(this)) {
                    // The drainer announced a point at or above this one and may have missed
                    // the entry (overview, Order): signal it before anyone can queue a callback.
                    p.signal();
                }
                return p;
            }
        }
    }

    /**
     * Appends {@code p} after {@code t} if {@code t} is still the tail: the CAS, the link, and
     * then, if the value has ever run ahead of the issued points, the producer's own value check.
     * Otherwise a drainer will find {@code p} if it needs to; see the overview.
     */
    private boolean tryAppend(Point t, Point p) {
        if (!TAIL.compareAndSet(this, t, p)) {
            return false;
        }
        NEXT.setRelease(t, p);
        if (ahead) {
            signalIfPassed(p);
        }
        return true;
    }

    /**
     * After {@code p} was published (tail CAS or heap entry): if the value covers it, drain. If
     * this call becomes the drainer, {@code p} is signalled, after every lower pending point,
     * before it returns (born signalled); if another drain is running (another thread, or further
     * up this thread's stack), that drainer goes round again and signals {@code p} in order.
     * Signalling {@code p} here directly would let it overtake lower points that drainer has not
     * reached yet. The value is read after the publication; see the overview for why that
     * suffices.
     */
    private void signalIfPassed(Point p) {
        if (p.seqno() <= value) {
            drain();
        }
    }

    /**
     * Raises the value to {@code value} and signals, in seqno order, every fence at or below it.
     * Lower values than the current one change nothing.
     *
     * <p>If no other call is signalling this timeline, every fence up to {@code value} has
     * signalled when this call returns. If one is (another thread, or an outer call on this
     * thread's stack, when this is called from a fence callback), that call signals them, in
     * order, before it returns, and this one returns at once: so timelines whose callbacks
     * advance each other never deadlock. A call made inside a callback or a
     * {@link CallbackDeferral} stays the signaller until the callbacks it queued have run (when
     * the callback returns or the deferral closes), and signals other threads' requests then;
     * a deferral left open therefore holds back every signal of this timeline until it closes.
     *
     * @param value the new value, not negative
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public void signalUpTo(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative timeline value: " + value);
        }
        for (long cur; (cur = this.value) < value; ) {
            if (VALUE.compareAndSet(this, cur, value)) {
                drain();
                return;
            }
        }
    }

    /**
     * Raises the value by {@code delta} and signals what that reaches, like sw_sync's
     * {@code SW_SYNC_IOC_INC}; see {@link #signalUpTo(long)}.
     *
     * @param delta how far to advance, not negative
     * @throws IllegalArgumentException if {@code delta} is negative
     * @throws ArithmeticException if the value would overflow a {@code long}
     */
    public void advance(long delta) {
        if (delta < 0) {
            throw new IllegalArgumentException("negative delta: " + delta);
        }
        if (delta == 0) {
            return;
        }
        for (;;) {
            long cur = value;
            if (VALUE.compareAndSet(this, cur, Math.addExact(cur, delta))) {
                drain();
                return;
            }
        }
    }

    /**
     * The drain loop (see the overview): the caller that takes {@code wip} from 0 signals
     * rounds until no caller has asked for another; every other caller only asks.
     */
    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return; // the running drainer (maybe further up this thread's stack) goes round again
        }
        drainRounds(1);
    }

    /**
     * Drain rounds by the drainer, which holds {@code missed} units of {@code wip}. A drainer
     * whose signals only queued their callbacks (it runs inside a callback or a deferral) keeps
     * the role until they have run: it leaves wip as it is and queues its next round behind them.
     */
    private void drainRounds(int missed) {
        try {
            for (;;) {
                if (signalReady(value)) {
                    FenceThread t = FenceThread.current();
                    if (t.callbackDepth > 0 && !t.deferred.isEmpty()) {
                        int held = missed;
                        t.deferred.addLast((Runnable) () -> drainRounds(held));
                        return;
                    }
                }
                missed = (int) WIP.getAndAdd(this, -missed) - missed;
                if (missed == 0) {
                    return;
                }
            }
        } catch (Throwable e) {
            // An Error escaped a signal. Give the role back; but callers that asked for a round
            // meanwhile returned at once, counting on this drainer: serve them once more before
            // the Error propagates, or their values would stay unsignalled until a later call.
            // The round may have stopped below the value with nobody left signalling: from now
            // on every appending producer checks the value itself (`ahead` only ever makes them
            // check), so the next point issued at or below it carries on, as next() promises.
            ahead = true;
            if ((int) WIP.getAndSet(this, 0) != missed) {
                try {
                    drain();
                } catch (Throwable again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    /**
     * One drainer round: signals every pending point at or below {@code v}, in seqno order.
     *
     * @return whether it signalled a point
     */
    private boolean signalReady(long v) {
        long now = 0L;
        boolean stamped = false;
        Point c = cursor;
        try {
            for (int spins = 0;;) {
                Point n = (Point) NEXT.getAcquire(c);
                if (n == null && c.seqno() < v) { // the list ends below the value
                    if (c != tail) { // a producer between its CAS and its link
                        Fence.backoff(++spins);
                        continue;
                    }
                    if (!ahead) {
                        ahead = true; // from now on producers check the value themselves
                        continue; // and look again: one appended before it may not have seen it
                    }
                }
                spins = 0;
                Point o = outOfOrderSize == 0 ? null
                        : pollOutOfOrder(n == null ? v : Math.min(v, n.seqno() - 1));
                Point p = o != null ? o : n;
                if (p == null || p.seqno() > v) {
                    return stamped;
                }
                if (p.seqno() > passed) {
                    // Announce p, then look at the heap once more: a point below p published
                    // meanwhile, whose producer read `passed` below it, goes first (overview).
                    PASSED.setVolatile(this, p.seqno());
                    Point lower = outOfOrderSize == 0 ? null : pollOutOfOrder(p.seqno() - 1);
                    if (lower != null) {
                        if (o != null) {
                            addOutOfOrder(o); // its turn comes in a later step
                        }
                        p = o = lower;
                    }
                }
                if (!stamped) {
                    now = System.nanoTime(); // one timestamp per round
                    stamped = true;
                }
                if (o != null) {
                    boolean signalled = false;
                    try {
                        o.signal(now);
                        signalled = true;
                    } finally {
                        if (!signalled) {
                            addOutOfOrder(o); // an Error: leave it for the next drainer
                        }
                    }
                } else {
                    n.signal(now); // if an Error escapes, the cursor still precedes n
                    c.next = null; // consumed: keep no later point reachable from it
                    c = n;
                }
            }
        } finally {
            cursor = c;
        }
    }

    private Point pollOutOfOrder(long limit) {
        lockOutOfOrder();
        try {
            Point o = outOfOrder.peek();
            if (o == null || o.seqno() > limit) {
                return null;
            }
            outOfOrder.poll();
            outOfOrderSize = outOfOrder.size();
            return o;
        } finally {
            unlockOutOfOrder();
        }
    }

    /** Adds {@code o} to the out-of-order heap (created on first use) and publishes its size. */
    private void addOutOfOrder(Point o) {
        lockOutOfOrder();
        try {
            PriorityQueue<Point> heap = outOfOrder;
            if (heap == null) {
                heap = new PriorityQueue<>((a, b) -> Long.compare(a.seqno(), b.seqno()));
                outOfOrder = heap;
            }
            heap.add(o);
            outOfOrderSize = heap.size(); // volatile: read by the drainer, see the overview
        } finally {
            unlockOutOfOrder();
        }
    }

    /**
     * The highest value signalled so far.
     *
     * @return the value, 0 initially
     */
    public long value() {
        return value;
    }

    private void lockOutOfOrder() {
        for (int spins = 0; !OOO_LOCK.compareAndSet(this, 0, 1); ) {
            Fence.backoff(++spins);
        }
    }

    private void unlockOutOfOrder() {
        OOO_LOCK.setRelease(this, 0);
    }

    @Override
    public String toString() {
        return "Timeline[" + name + " ctx " + context + " value " + value + "]";
    }

    /** A fence of this timeline. */
    static final class Point extends Fence {
        private final Timeline timeline;
        /**
         * The next in-order point: set once by the producer that appended it (release), read by
         * the drainer (acquire), cleared by the drainer once it has moved past this point.
         */
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

/*
 * Timeline's fields, grouped by writer and padded onto separate cache lines through the class
 * chain: HotSpot lays out a superclass's fields before its subclass's, but fills gaps in a
 * superclass with a subclass's small fields. The padding is therefore made of bytes, which
 * fill any gap left after the group before them first (as in JCTools), so that no field of a
 * later group can land on an earlier group's line, with or without compressed oops.
 */

/** Read-mostly identity, and the rarely used out-of-order heap. */
abstract class TimelineColdFields {
    final long context;
    final String name;
    /** 1 while a thread holds the heap's spin lock. */
    volatile int oooLock;
    /** Pending points below the newest in-order seqno (guarded by oooLock; created on use). */
    PriorityQueue<Timeline.Point> outOfOrder;
    /** outOfOrder's size, written under oooLock, read by the drainer without it. */
    volatile int outOfOrderSize;
    /**
     * Set (once, by a drainer) when the value was found above every issued point, or when an
     * Error ended a drainer's round: from then on each appending producer reads the value itself
     * (see Timeline's overview).
     */
    volatile boolean ahead;

    TimelineColdFields(long context, String name) {
        this.context = context;
        this.name = name;
    }
}

/** Padding between the cold fields and the producer's line. */
abstract class TimelinePad1 extends TimelineColdFields {
    byte p100, p101, p102, p103, p104, p105, p106, p107;
    byte p108, p109, p110, p111, p112, p113, p114, p115;
    byte p116, p117, p118, p119, p120, p121, p122, p123;
    byte p124, p125, p126, p127, p128, p129, p130, p131;
    byte p132, p133, p134, p135, p136, p137, p138, p139;
    byte p140, p141, p142, p143, p144, p145, p146, p147;
    byte p148, p149, p150, p151, p152, p153, p154, p155;
    byte p156, p157, p158, p159, p160, p161, p162, p163;

    TimelinePad1(long context, String name) {
        super(context, name);
    }
}

/** Written by producers, once per in-order point. */
abstract class TimelineProducerFields extends TimelinePad1 {
    /** The newest in-order point (see Timeline's overview). */
    volatile Timeline.Point tail;

    TimelineProducerFields(long context, String name) {
        super(context, name);
    }
}

/** Padding between the producer's line and the signaller's. */
abstract class TimelinePad2 extends TimelineProducerFields {
    byte p200, p201, p202, p203, p204, p205, p206, p207;
    byte p208, p209, p210, p211, p212, p213, p214, p215;
    byte p216, p217, p218, p219, p220, p221, p222, p223;
    byte p224, p225, p226, p227, p228, p229, p230, p231;
    byte p232, p233, p234, p235, p236, p237, p238, p239;
    byte p240, p241, p242, p243, p244, p245, p246, p247;
    byte p248, p249, p250, p251, p252, p253, p254, p255;
    byte p256, p257, p258, p259, p260, p261, p262, p263;

    TimelinePad2(long context, String name) {
        super(context, name);
    }
}

/** Written by the signaller, a few times per batch. */
abstract class TimelineSignallerFields extends TimelinePad2 {
    /** The timeline's value: raised by CAS, never lowered. */
    volatile long value;
    /** The drain loop's work-in-progress count. */
    volatile int wip;
    /** The last point the drainer consumed (owned by the drainer). */
    Timeline.Point cursor;
    /**
     * The highest seqno the drainer has announced: written by the drainer (volatile) just before
     * each signal, read by fenceAt() to tell a passed seqno from one the signalling has not
     * reached (see Timeline's overview).
     */
    long passed;

    TimelineSignallerFields(long context, String name) {
        super(context, name);
    }
}

/** Padding that keeps whatever is allocated next off the signaller's line. */
abstract class TimelinePad3 extends TimelineSignallerFields {
    byte p300, p301, p302, p303, p304, p305, p306, p307;
    byte p308, p309, p310, p311, p312, p313, p314, p315;
    byte p316, p317, p318, p319, p320, p321, p322, p323;
    byte p324, p325, p326, p327, p328, p329, p330, p331;
    byte p332, p333, p334, p335, p336, p337, p338, p339;
    byte p340, p341, p342, p343, p344, p345, p346, p347;
    byte p348, p349, p350, p351, p352, p353, p354, p355;
    byte p356, p357, p358, p359, p360, p361, p362, p363;

    TimelinePad3(long context, String name) {
        super(context, name);
    }
}
