package dev.fence.bench;

import dev.fence.core.Fence;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rows 2 and 5 of docs/benchmarks.md: asking an already signalled fence, beside asking an already
 * completed {@link CompletableFuture}.
 *
 * <ul>
 *   <li>row 2: {@code isSignaled()} vs {@code isDone()};</li>
 *   <li>row 5: {@code await()} vs {@code join()} (both return at once; target 0 B/op).</li>
 * </ul>
 *
 * The fence and the future are read from non-final {@code @State} fields so the JIT cannot fold
 * them (JMHSample_10_ConstantFold); results are returned to JMH's blackhole.
 *
 * <p>One call costs about as much as JMH's own loop (the {@code baseline} reads one field), so
 * the single-object pairs mostly measure the harness and their ratio is pulled toward 1. The
 * {@code ...Batch} pairs, which the table's rows 2 and 5 use, ask {@value #BATCH} distinct
 * signalled fences (completed futures) per invocation, reported per object
 * ({@code @OperationsPerInvocation}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class FenceQueryBenchmark {

    static final int BATCH = 256;

    private Fence fence;
    private CompletableFuture<Object> future;
    private Object value;
    private Fence[] fences;
    private CompletableFuture<?>[] futures;

    @Setup
    public void setUp() {
        long ctx = Fence.allocateContexts(1);
        fence = Fence.create(ctx, 1);
        fence.signal();
        future = new CompletableFuture<>();
        future.complete("done");
        value = "done";
        fences = new Fence[BATCH];
        futures = new CompletableFuture<?>[BATCH];
        for (int i = 0; i < BATCH; i++) {
            fences[i] = Fence.create(ctx, i + 2L);
            fences[i].signal();
            CompletableFuture<Object> cf = new CompletableFuture<>();
            cf.complete(i);
            futures[i] = cf;
        }
    }

    /** Floor of the harness: one field load returned. */
    @Benchmark
    public Object baseline() {
        return value;
    }

    // ---- row 2 -------------------------------------------------------------------------------

    @Benchmark
    public boolean fenceIsSignaled() {
        return fence.isSignaled();
    }

    @Benchmark
    public boolean cfIsDone() {
        return future.isDone();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fenceIsSignaledBatch() {
        int n = 0;
        for (Fence f : fences) {
            if (f.isSignaled()) {
                n++;
            }
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int cfIsDoneBatch() {
        int n = 0;
        for (CompletableFuture<?> f : futures) {
            if (f.isDone()) {
                n++;
            }
        }
        return n;
    }

    // ---- row 5 -------------------------------------------------------------------------------

    @Benchmark
    public Fence fenceAwaitSignaled() throws InterruptedException {
        Fence f = fence;
        f.await();
        return f;
    }

    @Benchmark
    public Object cfJoinCompleted() {
        return future.join();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Fence fenceAwaitSignaledBatch() throws InterruptedException {
        Fence last = null;
        for (Fence f : fences) {
            f.await();
            last = f;
        }
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object cfJoinCompletedBatch() {
        Object last = null;
        for (CompletableFuture<?> f : futures) {
            last = f.join();
        }
        return last;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FenceQueryBenchmark -f 1 -wi 2 -i 3 -prof gc
