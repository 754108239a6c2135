package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
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
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Row 9 of docs/benchmarks.md: fan-in over {@value #MEMBERS} members, reported per member
 * ({@code @OperationsPerInvocation}). One invocation creates the members, builds the aggregate,
 * makes it watch its members, signals every member and checks the aggregate completed:
 *
 * <ul>
 *   <li>{@code fenceArrayAll}: {@code FenceArray.all(fences)}, {@code enableSignaling()} (what a
 *       waiter or callback would trigger: one member callback each), then {@code signal()} each
 *       member;</li>
 *   <li>{@code cfAllOf}: {@code CompletableFuture.allOf(futures)} (which registers on its
 *       members eagerly), then {@code complete(null)} each;</li>
 *   <li>{@code fenceArrayAllPolled}: for reference, the lazy path: build, signal the members,
 *       then one {@code isSignaled()} that polls them (no member callbacks installed);</li>
 *   <li>{@code fenceArrayAllGivenTimestamp}: diagnostic, {@code fenceArrayAll} with the members
 *       signalled by {@code signal(long)} (no clock read).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class FenceFanInBenchmark {

    static final int MEMBERS = 1000;

    private final long context = Fence.allocateContexts(1);
    private long seqno;

    @Benchmark
    @OperationsPerInvocation(MEMBERS)
    public FenceArray fenceArrayAll() {
        Fence[] fences = new Fence[MEMBERS];
        for (int i = 0; i < MEMBERS; i++) {
            fences[i] = Fence.create(context, ++seqno);
        }
        FenceArray all = FenceArray.all(fences);
        all.enableSignaling();
        for (Fence f : fences) {
            f.signal();
        }
        if (!all.isSignaled()) {
            throw new AssertionError("array not signalled");
        }
        return all;
    }

    /**
     * Diagnostic: {@link #fenceArrayAll} with each member signalled by {@code signal(long)}, so
     * no member reads the clock; the difference is the cost of {@code signal()}'s timestamp.
     */
    @Benchmark
    @OperationsPerInvocation(MEMBERS)
    public FenceArray fenceArrayAllGivenTimestamp() {
        Fence[] fences = new Fence[MEMBERS];
        for (int i = 0; i < MEMBERS; i++) {
            fences[i] = Fence.create(context, ++seqno);
        }
        FenceArray all = FenceArray.all(fences);
        all.enableSignaling();
        long now = seqno;
        for (Fence f : fences) {
            f.signal(now);
        }
        if (!all.isSignaled()) {
            throw new AssertionError("array not signalled");
        }
        return all;
    }

    @Benchmark
    @OperationsPerInvocation(MEMBERS)
    public CompletableFuture<Void> cfAllOf() {
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Void>[] futures = new CompletableFuture[MEMBERS];
        for (int i = 0; i < MEMBERS; i++) {
            futures[i] = new CompletableFuture<>();
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(futures);
        for (CompletableFuture<Void> f : futures) {
            f.complete(null);
        }
        if (!all.isDone()) {
            throw new AssertionError("allOf not done");
        }
        return all;
    }

    @Benchmark
    @OperationsPerInvocation(MEMBERS)
    public FenceArray fenceArrayAllPolled() {
        Fence[] fences = new Fence[MEMBERS];
        for (int i = 0; i < MEMBERS; i++) {
            fences[i] = Fence.create(context, ++seqno);
        }
        FenceArray all = FenceArray.all(fences);
        for (Fence f : fences) {
            f.signal();
        }
        if (!all.isSignaled()) {
            throw new AssertionError("array not signalled");
        }
        return all;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FenceFanInBenchmark -f 1 -wi 2 -i 3 -prof gc
