package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.util.concurrent.CompletableFuture;
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
import org.openjdk.jmh.annotations.TearDown;
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
 *   <li>{@code appendWindow}: a timeline with {@value #WINDOW} points in flight, like the GPU
 *       ring of row 11: append a point on a fresh pending fence, then signal the fence of the
 *       point appended {@value #WINDOW} operations earlier. Every append links behind pending
 *       points, so it pays the incremental sweep and its {@code WeakReference} whenever the sweep
 *       position moves, which {@code appendSignal} (nothing pending) never does.
 *       {@code cfAppendWindow} is what a Java user would write instead: each point is
 *       {@code CompletableFuture.allOf(previous point, own work)}, with the same window. The CF
 *       points complete eagerly as their work does; the chain's points signal lazily (when
 *       someone waits, enables signalling or walks past them), as {@code dma_fence_chain}'s
 *       do. {@code appendWindowGivenTimestamp} is the diagnostic without the clock read: the
 *       same with {@code signal(long)}, as rows 1d, 3d, 4d and 9d.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class FenceChainBenchmark {

    static final int POINTS = 1_000_000;
    static final int PENDING = 64;
    static final int WINDOW = 256;

    private final long context = Fence.allocateContexts(1);
    private Fence head;
    private long point;

    private Fence findHead;
    private long findTop;
    private int cursor;

    private final Window window = new Window();
    private final Window tsWindow = new Window();
    private final CompletableFuture<?>[] cfInFlight = new CompletableFuture<?>[WINDOW];
    private CompletableFuture<Void> cfHead;
    private long cfPoint;

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

        // the two windows start full: WINDOW pending points each
        for (int i = 0; i < WINDOW; i++) {
            appendWindow();
            appendWindowGivenTimestamp();
            cfAppendWindow();
        }
    }

    /** Signals what is still in flight, so that the fences do not end pending. */
    @TearDown(Level.Trial)
    public void tearDown() {
        boolean chainsDone = window.drain() & tsWindow.drain();
        for (CompletableFuture<?> cf : cfInFlight) {
            if (cf != null) {
                cf.complete(null);
            }
        }
        if (!chainsDone || !cfHead.isDone()) {
            throw new IllegalStateException("a chain did not complete once all its work had");
        }
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
    public Fence appendWindow() {
        return window.append(true);
    }

    @Benchmark
    public Fence appendWindowGivenTimestamp() {
        return tsWindow.append(false);
    }

    @Benchmark
    public CompletableFuture<Void> cfAppendWindow() {
        long p = ++cfPoint;
        int slot = (int) (p & (WINDOW - 1));
        CompletableFuture<?> old = cfInFlight[slot];
        CompletableFuture<Void> own = new CompletableFuture<>();
        CompletableFuture<Void> h = cfHead == null ? own : CompletableFuture.allOf(cfHead, own);
        cfHead = h;
        cfInFlight[slot] = own;
        if (old != null) {
            old.complete(null);
        }
        return h;
    }

    /** A chain with {@value #WINDOW} points in flight, for the two fence window benchmarks. */
    private static final class Window {
        private final long context = Fence.allocateContexts(1);
        private final Fence[] inFlight = new Fence[WINDOW];
        private Fence head;
        private long point;

        /**
         * Appends a point on a fresh pending fence and signals the one appended {@value #WINDOW}
         * appends back, reading the clock ({@code signal()}) or not ({@code signal(long)}).
         */
        Fence append(boolean readClock) {
            long p = ++point;
            int slot = (int) (p & (WINDOW - 1));
            Fence old = inFlight[slot];
            Fence f = Fence.create(context, p);
            head = FenceChain.link(head, f, p);
            inFlight[slot] = f;
            if (old != null) {
                if (readClock) {
                    old.signal();
                } else {
                    old.signal(p);
                }
            }
            return head;
        }

        /** Signals what is still in flight; says whether the chain's head then reports so. */
        boolean drain() {
            for (Fence f : inFlight) {
                if (f != null) {
                    f.signal();
                }
            }
            return head.isSignaled();
        }
    }

    @Benchmark
    public Fence findRecent() {
        int k = cursor++ & (PENDING - 1);
        return FenceChain.find(findHead, findTop - k);
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar FenceChainBenchmark -f 1 -wi 2 -i 3 -prof gc
