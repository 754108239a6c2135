package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Row 10 of docs/benchmarks.md (times; the retained-heap figure comes from {@link ChainRetained}):
 *
 * <ul>
 *   <li>{@code appendSignal}: append one point to a growing {@link FenceChain} and signal its
 *       fence, the steady state of a timeline whose work completes as it is submitted (the next
 *       append unlinks the signalled link, so the chain never grows);</li>
 *   <li>{@code findRecent}: {@link FenceChain#find(Fence, long)} of one of the
 *       {@value #PENDING} newest points on a chain of {@value #POINTS} points whose older points
 *       have all signalled (and have been collected).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FenceChainBenchmark {

    static final int POINTS = 1_000_000;
    static final int PENDING = 64;

    private final long context = Fence.allocateContexts(1);
    private Fence head;
    private long point;

    private Fence findHead;
    private long findTop;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        Fence h = null;
        Fence[] fences = new Fence[POINTS];
        for (int p = 1; p <= POINTS; p++) {
            Fence f = Fence.create(context, p);
            fences[p - 1] = f;
            h = FenceChain.link(h, f, p);
        }
        for (int p = 1; p <= POINTS - PENDING; p++) {
            fences[p - 1].signal();
        }
        findHead = h;
        findTop = POINTS;
        FenceChain.find(h, POINTS - PENDING + 1); // the walk collects the signalled links
    }

    @Benchmark
    public Fence appendSignal() {
        long p = ++point;
        Fence f = Fence.create(context, p);
        Fence h = FenceChain.link(head, f, p);
        head = h;
        f.signal();
        return h;
    }

    @Benchmark
    public Fence findRecent() {
        int k = cursor++ & (PENDING - 1);
        return FenceChain.find(findHead, findTop - k);
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FenceChainBenchmark -f 1 -wi 2 -i 3 -prof gc
