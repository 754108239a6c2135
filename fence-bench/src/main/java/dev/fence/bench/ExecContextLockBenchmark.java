package dev.fence.bench;

import dev.fence.reservation.ExecContext;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.WwClass;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Row 13 (first half) of docs/benchmarks.md: transactions that lock {@value #PER_TXN} random
 * objects out of {@value #OBJECTS}, from 2, 4 and 8 threads (one method per thread count:
 * {@code t2}, {@code t4}, {@code t8}), throughput in transactions per second.
 *
 * <ul>
 *   <li>{@code impl = WAIT_DIE} / {@code WOUND_WAIT}: an {@link ExecContext} of that
 *       {@link WwClass} locks the {@value #PER_TXN} reservations <em>in the random order drawn</em>
 *       (no sorting: deadlock avoidance is the context's job), the critical section increments
 *       a plain counter per object, and {@code close()} unlocks. Each thread keeps one context
 *       and {@linkplain ExecContext#reopen() reopens} it for every transaction, the idiom for a
 *       thread that runs transaction after transaction (as the baseline keeps its sort buffer),
 *       with one locking block per thread that reads the current subset: nothing is allocated
 *       per transaction except a {@code WwDeadlockException} per back-off. Back-offs are
 *       counted per thread ({@code @AuxCounters}: {@code backoffs} is reported as a rate beside
 *       the score).</li>
 *   <li>{@code impl = SORTED_LOCKS}: the baseline a Java programmer writes without wound/wait:
 *       copy the ids, sort them, lock {@link ReentrantLock}s in id order, same critical section,
 *       unlock in reverse.</li>
 * </ul>
 * Each thread walks its own precomputed list of random subsets (drawing them is not measured).
 * The teardown checks the counters: every increment happened under mutual exclusion.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class ExecContextLockBenchmark {

    static final int OBJECTS = 64;
    static final int PER_TXN = 8;
    static final int SUBSETS = 4096;

    /** How the transaction locks its objects. */
    public enum Impl {
        /** ExecContext over wait-die reservations. */
        WAIT_DIE,
        /** ExecContext over wound-wait reservations. */
        WOUND_WAIT,
        /** Sorted ids, ReentrantLocks. */
        SORTED_LOCKS
    }

    /** The shared objects. */
    @State(Scope.Benchmark)
    public static class Shared {
        /** Which implementation. */
        @Param({"WAIT_DIE", "WOUND_WAIT", "SORTED_LOCKS"})
        public Impl impl;

        WwClass wwClass;
        Reservation[] resvs;
        ReentrantLock[] locks;
        long[] counters;
        final AtomicInteger seeds = new AtomicInteger();
        final java.util.concurrent.ConcurrentLinkedQueue<PerThread> threads =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        /** Creates the objects. */
        @Setup(Level.Trial)
        public void setUp() {
            wwClass = impl == Impl.WOUND_WAIT
                    ? WwClass.woundWait("bench") : WwClass.waitDie("bench");
            resvs = new Reservation[OBJECTS];
            locks = new ReentrantLock[OBJECTS];
            for (int i = 0; i < OBJECTS; i++) {
                resvs[i] = new Reservation(wwClass, "obj-" + i);
                locks[i] = new ReentrantLock();
            }
            counters = new long[OBJECTS * 16]; // one counter per 128 bytes
        }

        /** Every increment must have happened under the object's lock. */
        @TearDown(Level.Trial)
        public void check() {
            long sum = 0;
            long transactions = 0;
            for (PerThread t : threads) {
                transactions += t.txns;
            }
            for (int i = 0; i < OBJECTS; i++) {
                sum += counters[i * 16];
                if (resvs[i].isLocked() || locks[i].isLocked()) {
                    throw new IllegalStateException("object " + i + " still locked");
                }
            }
            if (sum != transactions * PER_TXN) {
                throw new IllegalStateException("lost updates: " + sum + " != "
                        + transactions * PER_TXN);
            }
        }
    }

    /** One thread's subsets and counters. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class PerThread {
        /** Back-offs (wound/wait only), reported as a rate. */
        public long backoffs;

        /** This thread's context, created at its first transaction and reopened for each. */
        ExecContext exec;
        /** This thread's locking block: locks the objects of {@link #current}. */
        ExecContext.LockingBlock block;
        int[] current;
        int[][] subsets;
        int[] sorted = new int[PER_TXN];
        int next;
        long txns;
        Shared shared;

        /**
         * Draws the random subsets.
         *
         * @param s the shared objects
         */
        @Setup(Level.Trial)
        public void setUp(Shared s) {
            shared = s;
            s.threads.add(this);
            SplittableRandom rnd = new SplittableRandom(42 + s.seeds.getAndIncrement());
            subsets = new int[SUBSETS][];
            for (int k = 0; k < SUBSETS; k++) {
                int[] pick = new int[PER_TXN];
                boolean[] used = new boolean[OBJECTS];
                for (int j = 0; j < PER_TXN; j++) {
                    int o;
                    do {
                        o = rnd.nextInt(OBJECTS);
                    } while (used[o]);
                    used[o] = true;
                    pick[j] = o;
                }
                subsets[k] = pick;
            }
        }
    }

    static long transaction(Shared s, PerThread t) throws InterruptedException {
        int[] pick = t.subsets[t.next++ & (SUBSETS - 1)];
        t.txns++;
        if (s.impl == Impl.SORTED_LOCKS) {
            int[] ids = t.sorted;
            System.arraycopy(pick, 0, ids, 0, PER_TXN);
            Arrays.sort(ids);
            for (int id : ids) {
                s.locks[id].lock();
            }
            long sum = touch(s, ids);
            for (int j = PER_TXN - 1; j >= 0; j--) {
                s.locks[ids[j]].unlock();
            }
            return sum;
        }
        ExecContext mine = t.exec;
        if (mine == null) {
            // in the benchmark thread: contexts are confined to their thread
            mine = ExecContext.create(s.wwClass);
            t.exec = mine;
            Reservation[] resvs = s.resvs;
            t.block = e -> {
                for (int id : t.current) {
                    e.lock(resvs[id]);
                }
            };
        }
        t.current = pick;
        try (ExecContext exec = mine.reopen()) {
            exec.lockAll(t.block);
            t.backoffs += exec.backoffs();
            return touch(s, pick);
        }
    }

    private static long touch(Shared s, int[] ids) {
        long sum = 0;
        for (int id : ids) {
            sum += ++s.counters[id * 16];
        }
        return sum;
    }

    /**
     * Two threads.
     *
     * @param s shared objects
     * @param t this thread's state
     * @return a value from the critical section
     * @throws InterruptedException never
     */
    @Benchmark
    @Threads(2)
    public long t2(Shared s, PerThread t) throws InterruptedException {
        return transaction(s, t);
    }

    /**
     * Four threads.
     *
     * @param s shared objects
     * @param t this thread's state
     * @return a value from the critical section
     * @throws InterruptedException never
     */
    @Benchmark
    @Threads(4)
    public long t4(Shared s, PerThread t) throws InterruptedException {
        return transaction(s, t);
    }

    /**
     * Eight threads.
     *
     * @param s shared objects
     * @param t this thread's state
     * @return a value from the critical section
     * @throws InterruptedException never
     */
    @Benchmark
    @Threads(8)
    public long t8(Shared s, PerThread t) throws InterruptedException {
        return transaction(s, t);
    }
}

// How to run:
//   java -jar fence-bench/target/benchmarks.jar ExecContextLockBenchmark -f 1 -wi 2 -i 3 -prof gc
