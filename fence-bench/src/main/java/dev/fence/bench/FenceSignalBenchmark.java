package dev.fence.bench;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.SettableFuture;
import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Rows 1, 3 and 4 of docs/benchmarks.md: the single-thread cost of completing a one-shot signal,
 * with zero, one and four callbacks, each beside the peer a user would pick instead.
 *
 * <ul>
 *   <li>row 1: {@code Fence.create} + {@code signal()} vs {@code new CompletableFuture<>()} +
 *       {@code complete(null)} (no callbacks);</li>
 *   <li>row 3: one reused {@link FenceCallback} added, then {@code signal()}, vs Guava
 *       {@code SettableFuture.addListener(r, directExecutor())} + {@code set(null)};</li>
 *   <li>row 4: four reused callbacks + {@code signal()} vs four {@code thenRun} +
 *       {@code complete(null)};</li>
 *   <li>diagnostics ({@code ...GivenTimestamp}, {@code nanoTime}): the fence rows again with
 *       {@code signal(long)}, which takes the timestamp from the caller instead of reading
 *       {@link System#nanoTime()}, and the cost of that clock read alone.</li>
 * </ul>
 *
 * Every operation allocates its own fence or future inside the benchmark method (no
 * {@code Level.Invocation} fixture) and returns it, so the allocation is part of the figure and
 * cannot be eliminated; callbacks count their runs into a field so they are not dead code.
 * Read {@code gc.alloc.rate.norm} from {@code -prof gc} for the B/op targets.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class FenceSignalBenchmark {

    private final long context = Fence.allocateContexts(1);
    private long seqno;
    private long runs;

    private final Counting cb0 = new Counting(this);
    private final Counting cb1 = new Counting(this);
    private final Counting cb2 = new Counting(this);
    private final Counting cb3 = new Counting(this);
    private final Runnable task = () -> runs++;

    /** A reusable callback node that counts its runs. */
    private static final class Counting extends FenceCallback {
        private final FenceSignalBenchmark owner;

        Counting(FenceSignalBenchmark owner) {
            this.owner = owner;
        }

        @Override
        protected void onSignaled(Fence fence) {
            owner.runs++;
        }
    }

    /** Allocation-free floor of the harness: reads and returns a field. */
    @Benchmark
    public long baseline() {
        return seqno++;
    }

    // ---- row 1 -------------------------------------------------------------------------------

    @Benchmark
    public Fence fenceCreateSignal() {
        Fence f = Fence.create(context, ++seqno);
        f.signal();
        return f;
    }

    @Benchmark
    public CompletableFuture<Void> cfCreateComplete() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        f.complete(null);
        return f;
    }

    // ---- row 3 -------------------------------------------------------------------------------

    @Benchmark
    public Fence fenceOneCallbackSignal() {
        Fence f = Fence.create(context, ++seqno);
        f.addCallback(cb0);
        f.signal();
        return f;
    }

    @Benchmark
    public SettableFuture<Void> guavaOneListenerSet() {
        SettableFuture<Void> f = SettableFuture.create();
        f.addListener(task, MoreExecutors.directExecutor());
        f.set(null);
        return f;
    }

    // ---- row 4 -------------------------------------------------------------------------------

    @Benchmark
    public Fence fenceFourCallbacksSignal() {
        Fence f = Fence.create(context, ++seqno);
        f.addCallback(cb0);
        f.addCallback(cb1);
        f.addCallback(cb2);
        f.addCallback(cb3);
        f.signal();
        return f;
    }

    @Benchmark
    public CompletableFuture<Void> cfFourThenRunComplete(Blackhole bh) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        // the dependents are part of what a CF user pays for; sink them so they stay live
        bh.consume(f.thenRun(task));
        bh.consume(f.thenRun(task));
        bh.consume(f.thenRun(task));
        bh.consume(f.thenRun(task));
        f.complete(null);
        return f;
    }

    // ---- diagnostics: the same fence operations with a caller-supplied timestamp --------------
    // signal() reads System.nanoTime() for the fence's timestamp; signal(long) takes it from the
    // caller. The difference isolates the clock read, which the peers do not pay.

    /** The clock read {@code signal()} pays for its timestamp. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }

    @Benchmark
    public Fence fenceCreateSignalGivenTimestamp() {
        long s = ++seqno;
        Fence f = Fence.create(context, s);
        f.signal(s);
        return f;
    }

    @Benchmark
    public Fence fenceOneCallbackSignalGivenTimestamp() {
        long s = ++seqno;
        Fence f = Fence.create(context, s);
        f.addCallback(cb0);
        f.signal(s);
        return f;
    }

    @Benchmark
    public Fence fenceFourCallbacksSignalGivenTimestamp() {
        long s = ++seqno;
        Fence f = Fence.create(context, s);
        f.addCallback(cb0);
        f.addCallback(cb1);
        f.addCallback(cb2);
        f.addCallback(cb3);
        f.signal(s);
        return f;
    }

    /** Callback runs so far (keeps the counters observable). */
    public long runs() {
        return runs;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FenceSignalBenchmark -f 1 -wi 2 -i 3 -prof gc
