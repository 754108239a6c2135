package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.Timeline;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * One shared {@link Timeline}: workers issue fences (next / fenceAt), queue callbacks on them,
 * raise the value (signalUpTo / advance), wait, and read value() and isSignaled() against each
 * other.
 */
final class TimelineWorkload implements SoakWorkload {

    private static final int RING = 512;
    /** How far issued seqnos may run ahead of the value. */
    private static final long MAX_AHEAD = 64;

    private final SoakContext ctx;
    private final Timeline timeline = Timeline.create("soak");
    private final AtomicLong maxIssued = new AtomicLong();
    private final AtomicReferenceArray<Fence> recent = new AtomicReferenceArray<>(RING);
    private final AtomicLong cursor = new AtomicLong();
    private final LongAdder queued = new LongAdder();
    private final LongAdder ran = new LongAdder();

    TimelineWorkload(SoakContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String name() {
        return "timeline";
    }

    /** Checks, when it runs, that the timeline's value has reached the fence. */
    private final class Reached extends FenceCallback {
        final AtomicInteger runs = new AtomicInteger();

        @Override
        protected void onSignaled(Fence fence) {
            if (runs.incrementAndGet() != 1) {
                ctx.violation("timeline callback ran twice");
            }
            ran.increment();
            if (timeline.value() < fence.seqno()) {
                ctx.violation("timeline fence " + fence.seqno() + " signalled at value "
                        + timeline.value());
            }
        }
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        int op = rnd.nextInt(100);
        if (op < 35) {
            issue(rnd);
        } else if (op < 60) {
            raise(rnd);
        } else if (op < 80) {
            read(rnd);
        } else {
            waitOn(rnd);
        }
    }

    private void issue(SplittableRandom rnd) {
        if (maxIssued.get() - timeline.value() > MAX_AHEAD) {
            raise(rnd);
            return;
        }
        Fence f = rnd.nextBoolean() ? timeline.next()
                : timeline.fenceAt(timeline.value() + rnd.nextInt(8));
        maxIssued.accumulateAndGet(f.seqno(), Math::max);
        if (f.seqno() <= timeline.value() && !f.isSignaled()) {
            catchesUp(f, "issued");
        }
        Reached cb = new Reached();
        if (f.addCallback(cb)) {
            queued.increment();
        }
        recent.set((int) (cursor.getAndIncrement() % RING), f);
        ctx.op("timeline.issue");
    }

    private void raise(SplittableRandom rnd) {
        long before = timeline.value();
        if (rnd.nextBoolean()) {
            timeline.advance(rnd.nextInt(4));
        } else {
            timeline.signalUpTo(before + rnd.nextInt(5));
        }
        if (timeline.value() < before) {
            ctx.violation("timeline value went backwards");
        }
        ctx.op("timeline.raise");
    }

    private void read(SplittableRandom rnd) {
        Fence f = recent.get(rnd.nextInt(RING));
        if (f == null) {
            return;
        }
        long v = timeline.value();
        boolean s = f.isSignaled();
        if (f.seqno() <= v && !s) {
            catchesUp(f, "read");
        }
        if (s && !f.isSignaled()) {
            ctx.violation("timeline fence went back to pending");
        }
        if (timeline.value() < v) {
            ctx.violation("timeline value went backwards");
        }
        ctx.op("timeline.read");
    }

    /**
     * A fence the value has passed but that still reads pending. Since fence-core 33ea4b6 that is
     * legal for a moment (Timeline: value() may run ahead of the signals by the time it takes to
     * signal them), so the fence must signal soon: within the run's slack, or it is a violation.
     * Injected interrupts do not cut the check short.
     */
    private void catchesUp(Fence f, String where) {
        long deadline = System.nanoTime() + ctx.slackNanos;
        boolean interrupted = false;
        boolean signalled = false;
        for (long left; !signalled && (left = deadline - System.nanoTime()) > 0; ) {
            try {
                signalled = f.await(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!signalled && !f.isSignaled()) {
            ctx.violation("timeline fence " + f.seqno() + " still pending "
                    + TimeUnit.NANOSECONDS.toMillis(ctx.slackNanos) + " ms after value "
                    + timeline.value() + " passed it (" + where + ")");
        }
        ctx.op("timeline.valueAhead." + where);
    }

    private void waitOn(SplittableRandom rnd) throws InterruptedException {
        Fence f = recent.get(rnd.nextInt(RING));
        if (f == null) {
            return;
        }
        long timeout = rnd.nextInt(500_000);
        long start = System.nanoTime();
        boolean signalled = f.await(timeout, TimeUnit.NANOSECONDS);
        long elapsed = System.nanoTime() - start;
        if (signalled) {
            if (timeline.value() < f.seqno()) {
                ctx.violation("timeline wait returned true below the fence's seqno");
            }
            ctx.checkOvershoot("timeline wait", timeout, elapsed);
        } else {
            ctx.checkTimeout("timeline wait", timeout, elapsed);
        }
        ctx.op("timeline.wait");
    }

    @Override
    public void finish(SoakContext c) {
        timeline.signalUpTo(maxIssued.get());
        if (queued.sum() != ran.sum()) {
            ctx.violation("timeline callbacks queued " + queued.sum() + " != ran " + ran.sum());
        }
    }

    @Override
    public String summary() {
        return String.format("timeline value %d, callbacks queued %d, ran %d",
                timeline.value(), queued.sum(), ran.sum());
    }
}
