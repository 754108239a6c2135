package dev.fence.bench;

import com.google.common.util.concurrent.SettableFuture;
import dev.fence.core.Fence;
import dev.fence.core.FenceChain;
import dev.fence.core.Timeline;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * Row 14 of docs/benchmarks.md: footprint with JOL. Prints the instance size of {@link Fence}
 * and the retained size (the object plus everything only it references) of each peer as a user
 * holds it: a {@link CompletableFuture}, a {@link CountDownLatch} (the latch and its AQS
 * {@code Sync}), a Guava {@link SettableFuture}; plus the fence-core containers for reference.
 *
 * <p>Run: {@code java -cp fence-bench/target/benchmarks.jar dev.fence.bench.Footprint
 * [--out extras.tsv]}
 * (add {@code -XX:+UseCompactObjectHeaders} on JDK 24+ to see the compact-header sizes).
 */
public final class Footprint {

    private static final long TARGET_BYTES = 48;

    private Footprint() {
    }

    /**
     * Prints the table.
     *
     * @param args {@code [--out FILE]}
     */
    public static void main(String[] args) {
        Path out = Extras.outFile(args);
        System.out.println(VM.current().details());
        Fence fence = Fence.create(Fence.allocateContexts(1), 1);
        long fenceSize = ClassLayout.parseInstance(fence).instanceSize();
        long cf = GraphLayout.parseInstance(new CompletableFuture<Void>()).totalSize();
        long latch = GraphLayout.parseInstance(new CountDownLatch(1)).totalSize();
        long guava = GraphLayout.parseInstance(SettableFuture.<Void>create()).totalSize();
        Timeline timeline = Timeline.create("t");
        long point = ClassLayout.parseInstance(timeline.next()).instanceSize();
        FenceChain link = FenceChain.link(null, Fence.create(Fence.allocateContexts(1), 1), 1);
        long chain = GraphLayout.parseInstance(link).totalSize() - fenceSize; // link + its node

        System.out.println(ClassLayout.parseInstance(fence).toPrintable());
        System.out.println("| object (compressed oops) | bytes |");
        System.out.println("|---|---|");
        System.out.printf("| Fence (instance) | %d |%n", fenceSize);
        System.out.printf("| CompletableFuture (retained) | %d |%n", cf);
        System.out.printf("| CountDownLatch (retained: latch + Sync) | %d |%n", latch);
        System.out.printf("| Guava SettableFuture (retained) | %d |%n", guava);
        System.out.printf("| Timeline fence (instance) | %d |%n", point);
        System.out.printf("| FenceChain link + its callback node, excluding the point's fence"
                + " | %d |%n", chain);
        Extras.record(out, 14, "Fence instance size", fenceSize, "CompletableFuture", cf, "bytes",
                "<= 48 B", fenceSize <= TARGET_BYTES);
        Extras.record(out, 14, "Fence instance size", fenceSize, "CountDownLatch",
                latch, "bytes", "<= 48 B", fenceSize <= TARGET_BYTES);
    }
}
