package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

/**
 * Row 11 of docs/benchmarks.md: the seed's simulated GPU ring (seed {@code 000_1808357386063a00},
 * "DRM GPU scheduler" section). {@value #IN_FLIGHT} job slots; an emitter thread takes the slot of
 * job {@code n} ({@code n & (IN_FLIGHT - 1)}), waits for the job still occupying it, then issues a
 * new job there; a receiver thread (the "GPU" completion interrupt) completes issued jobs in
 * order, as fast as they come. The figure is the emitter's rate: jobs (fences) per second.
 *
 * <ul>
 *   <li>{@code fenceWoken} (row 11): jobs are {@link Timeline#next()} fences; the receiver reads
 *       the issued count and calls {@link Timeline#signalUpTo(long)}, so the timeline itself is
 *       the queue. An idle receiver parks until the emitter's next submission unparks it, the
 *       peer's idle policy (its receiver parks inside {@code ArrayBlockingQueue.poll(timeout)})
 *       and the seed's (its receiver thread sleeps when nothing completed);</li>
 *   <li>{@code cf}: jobs are {@link CompletableFuture}s handed to the receiver through an
 *       {@link ArrayBlockingQueue} of the ring's capacity, which drains it in batches
 *       ({@code drainTo}) and completes them in order;</li>
 *   <li>{@code fence} (diagnostic, row 11d): the same fence ring with an idle receiver that calls
 *       {@link Thread#yield()} and polls again instead of parking. It was row 11 until the
 *       thirteenth session, which found that it collapses when anything else wants a CPU: with
 *       one busy process beside it on the two vCPUs it read 0.3-0.4 M jobs/s (0.08x of the
 *       peer) while the parking receiver read 4.4 M (0.96x), and pinned to one CPU 0.29 M
 *       against 5.0 M. On a quiet machine the two are close: the parking receiver read ahead in
 *       the quick profiles of the eighth (second run) to twelfth sessions (0.99x against
 *       0.76x of the peer, 1.88x / 1.54x, 1.54x / 1.42x, 2.45x / 2.14x), the yielding one in the
 *       eighth session's alternated runs (medians 0.75x / 0.65x).</li>
 * </ul>
 *
 * Only the emitter's secondary result ({@code fenceWokenEmit}, {@code cfEmit}, {@code fenceEmit})
 * is the rate; the receiver's count is the number of polling steps and means nothing. Both sides
 * return promptly when JMH ends an iteration ({@link Control#stopMeasurement}), so a stalled
 * partner never hangs the run.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class GpuRingBenchmark {

    static final int IN_FLIGHT = 256;
    private static final int MASK = IN_FLIGHT - 1;
    private static final long WAIT_STEP_NANOS = 100_000L;

    /** The fence ring: a timeline, its slots, and the count of issued jobs. */
    @State(Scope.Group)
    public static class FenceRing {
        final Timeline ring = Timeline.create("gpu-ring");
        final Fence[] slots = new Fence[IN_FLIGHT];
        long emitted; // emitter only
        volatile long issued; // publishes jobs to the receiver
    }

    /**
     * The fence ring whose idle receiver parks. The receiver sets {@code receiverParked} and then
     * re-reads {@code issued}; the emitter writes {@code issued} and then reads
     * {@code receiverParked}: both volatile, so at least one of them sees the other's write and
     * no submission is slept through (the park is also bounded by {@link #WAIT_STEP_NANOS}).
     */
    @State(Scope.Group)
    public static class WokenFenceRing extends FenceRing {
        volatile Thread receiverParked; // set by the idle receiver, cleared by whoever wakes it
    }

    /** The CompletableFuture ring: slots and the submission queue. */
    @State(Scope.Group)
    public static class FutureRing {
        @SuppressWarnings({"unchecked", "rawtypes"})
        final CompletableFuture<Void>[] slots = new CompletableFuture[IN_FLIGHT];
        final ArrayBlockingQueue<CompletableFuture<Void>> queue =
                new ArrayBlockingQueue<>(IN_FLIGHT);
        long emitted; // emitter only
    }

    /** Receiver-private batch buffer. */
    @State(Scope.Thread)
    public static class Batch {
        final List<CompletableFuture<Void>> buffer = new ArrayList<>(IN_FLIGHT);
    }

    // ---- fence ---------------------------------------------------------------------------------

    @Benchmark
    @Group("fence")
    @GroupThreads(1)
    public long fenceEmit(FenceRing s, Control control) throws InterruptedException {
        int slot = (int) (s.emitted & MASK);
        Fence old = s.slots[slot];
        if (old != null) {
            while (old.awaitNanos(WAIT_STEP_NANOS) <= 0L) {
                if (control.stopMeasurement) {
                    return -1L;
                }
            }
        }
        Fence job = s.ring.next();
        s.slots[slot] = job;
        s.issued = ++s.emitted;
        return job.seqno();
    }

    @Benchmark
    @Group("fence")
    @GroupThreads(1)
    public long fenceReceive(FenceRing s) {
        long target = s.issued;
        if (target > s.ring.value()) {
            s.ring.signalUpTo(target);
        } else {
            Thread.yield();
        }
        return target;
    }

    // ---- fence, receiver parks when idle (diagnostic) ----------------------------------------

    @Benchmark
    @Group("fenceWoken")
    @GroupThreads(1)
    public long fenceWokenEmit(WokenFenceRing s, Control control) throws InterruptedException {
        long seqno = fenceEmit(s, control); // the same emitter, then a wake-up if one is due
        Thread parked = s.receiverParked;
        if (parked != null) {
            s.receiverParked = null;
            LockSupport.unpark(parked);
        }
        return seqno;
    }

    @Benchmark
    @Group("fenceWoken")
    @GroupThreads(1)
    public long fenceWokenReceive(WokenFenceRing s) {
        if (s.issued <= s.ring.value()) {
            s.receiverParked = Thread.currentThread();
            if (s.issued <= s.ring.value()) {
                LockSupport.parkNanos(WAIT_STEP_NANOS);
            }
            s.receiverParked = null;
        }
        long target = s.issued;
        if (target > s.ring.value()) {
            s.ring.signalUpTo(target);
        }
        return target;
    }

    // ---- CompletableFuture + ArrayBlockingQueue -------------------------------------------------

    @Benchmark
    @Group("cf")
    @GroupThreads(1)
    public long cfEmit(FutureRing s, Control control)
            throws InterruptedException, ExecutionException {
        int slot = (int) (s.emitted & MASK);
        CompletableFuture<Void> old = s.slots[slot];
        if (old != null && !old.isDone()) {
            for (;;) {
                try {
                    old.get(WAIT_STEP_NANOS, TimeUnit.NANOSECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (control.stopMeasurement) {
                        return -1L;
                    }
                }
            }
        }
        CompletableFuture<Void> job = new CompletableFuture<>();
        s.slots[slot] = job;
        if (!s.queue.offer(job)) { // cannot fail: at most IN_FLIGHT jobs are pending
            throw new IllegalStateException("ring overflow");
        }
        return ++s.emitted;
    }

    @Benchmark
    @Group("cf")
    @GroupThreads(1)
    public int cfReceive(FutureRing s, Batch b) throws InterruptedException {
        List<CompletableFuture<Void>> buf = b.buffer;
        if (s.queue.drainTo(buf) == 0) {
            CompletableFuture<Void> one = s.queue.poll(WAIT_STEP_NANOS, TimeUnit.NANOSECONDS);
            if (one == null) {
                return 0;
            }
            buf.add(one);
        }
        int n = buf.size();
        for (int i = 0; i < n; i++) {
            buf.get(i).complete(null);
        }
        buf.clear();
        return n;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar GpuRingBenchmark -f 1 -wi 2 -i 3 -prof gc
