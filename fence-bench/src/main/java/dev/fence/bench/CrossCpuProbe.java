package dev.fence.bench;

import java.util.Locale;

/**
 * Tags a benchmark run with the machine's current cross-CPU latency: two threads hand a counter
 * back and forth through two volatile fields on separate cache lines, spinning, and the probe
 * prints the best of three rounds' mean round trip in nanoseconds.
 *
 * <p>On the 2-vCPU VM of docs/benchmarks.md this figure is not a constant of the machine: it
 * moves between about 30, 65 and 380-410 ns as the host places the two vCPUs, sometimes within
 * seconds, and throughput rows that live on cross-CPU traffic (row 11's ring above all) follow
 * it. Run it right before and after a fork to tell which mode the fork ran in
 * ({@code fence-bench/results/row11-session13.md}). It is the same measure as row 6's raw spin
 * baseline, without JMH, so it costs a fraction of a second.
 *
 * <p>Run: {@code java -cp fence-bench/target/benchmarks.jar dev.fence.bench.CrossCpuProbe
 * [round trips]} (default 300,000). The spinning threads need two free CPUs; on a loaded
 * machine the figure measures the scheduler instead.
 */
public final class CrossCpuProbe {

    private static final int ROUNDS = 3;

    private CrossCpuProbe() {
    }

    /** One volatile counter alone on its cache line (with the header, well over 64 bytes). */
    @SuppressWarnings("unused")
    static final class Cell {
        long p0, p1, p2, p3, p4, p5, p6, p7;
        volatile long value;
        long q0, q1, q2, q3, q4, q5, q6, q7;
    }

    /**
     * Measures and prints {@code cross-cpu round trip: N ns}.
     *
     * @param args optionally the number of round trips (rounded down to a multiple of 3)
     * @throws IllegalArgumentException if fewer than 3 round trips are asked for
     * @throws InterruptedException if interrupted while joining the echo thread
     */
    public static void main(String[] args) throws InterruptedException {
        int trips = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        System.out.printf(Locale.ROOT, "cross-cpu round trip: %d ns%n", roundTripNanos(trips));
    }

    /**
     * The best of {@value #ROUNDS} rounds' mean spin round trip between this thread and a
     * helper thread.
     *
     * @param trips the total number of round trips, split into {@value #ROUNDS} rounds
     * @return nanoseconds per round trip
     * @throws IllegalArgumentException if {@code trips} is below {@value #ROUNDS}
     * @throws InterruptedException if interrupted while joining the echo thread
     */
    public static long roundTripNanos(int trips) throws InterruptedException {
        if (trips < ROUNDS) {
            throw new IllegalArgumentException("at least " + ROUNDS + " round trips: " + trips);
        }
        int perRound = trips / ROUNDS;
        int total = perRound * ROUNDS;
        Cell ping = new Cell();
        Cell pong = new Cell();
        Thread echo = new Thread(() -> {
            for (long i = 1; i <= total; i++) {
                while (ping.value != i) {
                    Thread.onSpinWait();
                }
                pong.value = i;
            }
        }, "cross-cpu-echo");
        echo.setDaemon(true);
        echo.start();
        long best = Long.MAX_VALUE;
        long next = 1;
        for (int r = 0; r < ROUNDS; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < perRound; i++, next++) {
                ping.value = next;
                while (pong.value != next) {
                    Thread.onSpinWait();
                }
            }
            best = Math.min(best, (System.nanoTime() - start) / perRound);
        }
        echo.join();
        return best;
    }
}
