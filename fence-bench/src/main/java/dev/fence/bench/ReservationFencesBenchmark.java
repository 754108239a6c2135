package dev.fence.bench;

import dev.fence.core.Fence;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.Usage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * Row 13 (second half) of docs/benchmarks.md: the lock-free read of a reservation holding
 * {@value #FENCES} pending fences (one KERNEL, one WRITE, two READ, plus a BOOKKEEP fence the
 * query must skip), target 0 B/op.
 *
 * <ul>
 *   <li>{@code fencesReadIterate}: {@code fences(Usage.READ)}, iterate, sum the contexts (the
 *       list does not escape, so escape analysis may remove it);</li>
 *   <li>{@code fencesReadReturned}: {@code fences(Usage.READ)} handed to the caller (escapes);</li>
 *   <li>{@code testSignaledRead}: {@code testSignaled(Usage.READ)}, the other lock-free query
 *       a hot path uses;</li>
 *   <li>{@code cowListIterate}: the peer, a {@link CopyOnWriteArrayList} of the same
 *       {@value #FENCES} fences, iterated and summed.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class ReservationFencesBenchmark {

    static final int FENCES = 4;

    private Reservation resv;
    private CopyOnWriteArrayList<Fence> cow;

    /** Fills the reservation and the peer list. */
    @Setup(Level.Trial)
    public void setUp() {
        long ctx = Fence.allocateContexts(5);
        resv = new Reservation();
        cow = new CopyOnWriteArrayList<>();
        Usage[] usages = {Usage.KERNEL, Usage.WRITE, Usage.READ, Usage.READ, Usage.BOOKKEEP};
        resv.lock();
        try {
            resv.reserveFences(usages.length);
            for (int i = 0; i < usages.length; i++) {
                Fence f = Fence.create(ctx + i, 1);
                resv.addFence(f, usages[i]);
                if (usages[i] != Usage.BOOKKEEP) {
                    cow.add(f);
                }
            }
        } finally {
            resv.unlock();
        }
        if (resv.fences(Usage.READ).size() != FENCES) {
            throw new IllegalStateException("fixture: " + resv.describe());
        }
    }

    /**
     * fences(READ), iterated in place.
     *
     * @return the sum of the seqnos and contexts
     */
    @Benchmark
    public long fencesReadIterate() {
        long sum = 0;
        for (Fence f : resv.fences(Usage.READ)) {
            sum += f.context();
        }
        return sum;
    }

    /**
     * fences(READ), returned.
     *
     * @return the list
     */
    @Benchmark
    public List<Fence> fencesReadReturned() {
        return resv.fences(Usage.READ);
    }

    /**
     * testSignaled(READ).
     *
     * @return false (all pending)
     */
    @Benchmark
    public boolean testSignaledRead() {
        return resv.testSignaled(Usage.READ);
    }

    /**
     * The peer: iterate a CopyOnWriteArrayList of the same fences.
     *
     * @return the sum of the contexts
     */
    @Benchmark
    public long cowListIterate() {
        long sum = 0;
        for (Fence f : cow) {
            sum += f.context();
        }
        return sum;
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar ReservationFencesBenchmark -f 1 -wi 2 -i 3 -prof gc
