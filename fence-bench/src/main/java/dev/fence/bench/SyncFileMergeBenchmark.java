package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.syncfile.SyncFile;
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
 * Row 12 (first half) of docs/benchmarks.md: {@code SyncFile.merge} of two files of
 * {@value #PER_FILE} pending fences each (all contexts distinct, so the result holds
 * {@value #PER_FILE} x 2 fences), against {@code CompletableFuture.allOf} over as many pending
 * futures.
 *
 * <ul>
 *   <li>{@code syncFileMerge}: merge the same two files (each a {@link FenceArray} of
 *       {@value #PER_FILE} fences) and close the result. Merging does not touch the members,
 *       so the files are reused: what is measured is exactly flatten, drop signalled, one fence
 *       per context, build the new file.</li>
 *   <li>{@code cfAllOf}: {@code allOf} over {@value #PER_FILE} x 2 pending futures. {@code allOf}
 *       registers a completion on every pending member, and those nodes stay until the member
 *       completes, so reusing the members would grow them without bound: each invocation gets
 *       {@value #PER_FILE} x 2 fresh futures from an untimed {@code Level.Invocation} setup.
 *       The setup's allocation still shows in {@code gc.alloc.rate.norm}; subtract
 *       {@code cfAllOfSetupOnly} (same setup, no {@code allOf}) to get the operation's.</li>
 *   <li>{@code syncFileMergeFresh} / {@code syncFileSetupOnly}: the merge with the same
 *       per-invocation treatment (fresh fences and files each time), for the like-for-like
 *       comparison with {@code cfAllOf}.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class SyncFileMergeBenchmark {

    static final int PER_FILE = 64;

    /** Two files of pending fences, reused by every invocation. */
    @State(Scope.Thread)
    public static class Files {
        SyncFile a;
        SyncFile b;

        /** Builds the two files. */
        @Setup(Level.Trial)
        public void setUp() {
            a = newFile();
            b = newFile();
        }

        /** Closes the two files. */
        @TearDown(Level.Trial)
        public void tearDown() {
            a.close();
            b.close();
        }
    }

    /** Two fresh files of fresh pending fences for every invocation. */
    @State(Scope.Thread)
    public static class FreshFiles {
        SyncFile a;
        SyncFile b;

        /** Builds the two files (untimed). */
        @Setup(Level.Invocation)
        public void setUp() {
            a = newFile();
            b = newFile();
        }

        /** Closes them (untimed). */
        @TearDown(Level.Invocation)
        public void tearDown() {
            a.close();
            b.close();
        }
    }

    /** Fresh pending futures for every invocation. */
    @State(Scope.Thread)
    public static class FreshFutures {
        CompletableFuture<?>[] futures = new CompletableFuture<?>[2 * PER_FILE];

        /** Creates the futures (untimed). */
        @Setup(Level.Invocation)
        public void setUp() {
            for (int i = 0; i < futures.length; i++) {
                futures[i] = new CompletableFuture<Void>();
            }
        }
    }

    static SyncFile newFile() {
        long ctx = Fence.allocateContexts(PER_FILE);
        Fence[] fences = new Fence[PER_FILE];
        for (int i = 0; i < PER_FILE; i++) {
            fences[i] = Fence.create(ctx + i, 1);
        }
        return SyncFile.create("in", FenceArray.all(fences));
    }

    /**
     * Merges the reused files.
     *
     * @param f the files
     * @return the merged file (closed)
     */
    @Benchmark
    public SyncFile syncFileMerge(Files f) {
        SyncFile m = SyncFile.merge("merged", f.a, f.b);
        m.close();
        return m;
    }

    /**
     * Merges fresh files.
     *
     * @param f the files
     * @return the merged file (closed)
     */
    @Benchmark
    public SyncFile syncFileMergeFresh(FreshFiles f) {
        SyncFile m = SyncFile.merge("merged", f.a, f.b);
        m.close();
        return m;
    }

    /**
     * Only the fresh-files setup: its allocation, to subtract.
     *
     * @param f the files
     * @return one of them
     */
    @Benchmark
    public SyncFile syncFileSetupOnly(FreshFiles f) {
        return f.a;
    }

    /**
     * {@code allOf} over fresh pending futures.
     *
     * @param f the futures
     * @return the aggregate
     */
    @Benchmark
    public CompletableFuture<Void> cfAllOf(FreshFutures f) {
        return CompletableFuture.allOf(f.futures);
    }

    /**
     * Only the fresh-futures setup: its allocation, to subtract.
     *
     * @param f the futures
     * @return the array
     */
    @Benchmark
    public Object cfAllOfSetupOnly(FreshFutures f) {
        return f.futures;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar SyncFileMergeBenchmark -f 1 -wi 2 -i 3 -prof gc
