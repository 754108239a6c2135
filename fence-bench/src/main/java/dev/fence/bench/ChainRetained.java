package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.Locale;
import org.openjdk.jol.info.GraphLayout;

/**
 * Row 10 of docs/benchmarks.md (memory): append 1,000,000 points to a {@link FenceChain} and
 * signal them, then measure what the head still retains, two ways: JOL's
 * {@link GraphLayout#totalSize()} of the object graph reachable from the head, and the growth of
 * the used heap after a full GC (System.gc() with the default collector; a rough figure).
 *
 * <ol>
 *   <li>interleaved: each point is signalled right after it is appended (a timeline that keeps
 *       up);</li>
 *   <li>batch: all 1,000,000 points appended while pending, then all signalled in order; measured
 *       once before anything walks the chain and once after one {@code isSignaled()} on the head,
 *       the walk that unlinks signalled links (as in the kernel, collection happens on walks, not
 *       in the signalling callback).</li>
 * </ol>
 *
 * <p>Run: {@code java -Xmx2g -cp fence-bench/target/benchmarks.jar dev.fence.bench.ChainRetained
 * [--out extras.tsv]}
 */
public final class ChainRetained {

    private static final int POINTS = 1_000_000;
    private static final long TARGET = 1L << 20;

    private ChainRetained() {
    }

    /**
     * Runs both scenarios.
     *
     * @param args {@code [--out FILE]}
     */
    public static void main(String[] args) {
        Path out = Extras.outFile(args);
        long context = Fence.allocateContexts(1);
        // warm-up: load and initialise everything a chain touches, so the baseline below
        // excludes one-time static state (loggers, thread-locals, class data on the heap)
        Fence warm = null;
        for (int p = 1; p <= 10_000; p++) {
            Fence f = Fence.create(context, p);
            warm = FenceChain.link(warm, f, p);
            f.signal();
        }
        warm.isSignaled();
        context = Fence.allocateContexts(1);

        long base = usedAfterGc();
        Fence head = null;
        for (int p = 1; p <= POINTS; p++) {
            Fence f = Fence.create(context, p);
            head = FenceChain.link(head, f, p);
            f.signal();
        }
        long interleavedHeap = usedAfterGc() - base;
        long interleavedJol = GraphLayout.parseInstance(head).totalSize();
        System.out.printf(Locale.ROOT, "interleaved: JOL retained %,d B, heap growth %,d B%n",
                interleavedJol, interleavedHeap);
        head = null;

        long context2 = Fence.allocateContexts(1);
        base = usedAfterGc();
        Fence[] fences = new Fence[POINTS];
        for (int p = 1; p <= POINTS; p++) {
            fences[p - 1] = Fence.create(context2, p);
            head = FenceChain.link(head, fences[p - 1], p);
        }
        for (Fence f : fences) {
            f.signal();
        }
        fences = null;
        long pendingWalkHeap = usedAfterGc() - base;
        System.out.printf(Locale.ROOT, "batch, before any walk: heap growth %,d B%n",
                pendingWalkHeap);
        boolean signalled = head.isSignaled();
        long batchHeap = usedAfterGc() - base;
        long batchJol = GraphLayout.parseInstance(head).totalSize();
        System.out.printf(Locale.ROOT, "batch, after head.isSignaled() = %b: JOL retained %,d B, "
                + "heap growth %,d B%n", signalled, batchJol, batchHeap);

        Extras.record(out, 10, "FenceChain 1M points, interleaved append+signal: retained (JOL)",
                interleavedJol, "-", Double.NaN, "bytes", "<= 1 MiB", interleavedJol <= TARGET);
        Extras.record(out, 10, "FenceChain 1M points, batch then one walk: retained (JOL)",
                batchJol, "-", Double.NaN, "bytes", "<= 1 MiB", batchJol <= TARGET);
        Extras.record(out, 10, "FenceChain 1M points, interleaved: used-heap growth after GC",
                interleavedHeap, "-", Double.NaN, "bytes", "<= 1 MiB", interleavedHeap <= TARGET);
        Extras.record(out, 10, "FenceChain 1M points, batch, before any walk: used-heap growth",
                pendingWalkHeap, "-", Double.NaN, "bytes", "(info: collected on walks)", "-");
    }

    private static long usedAfterGc() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
