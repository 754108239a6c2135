package dev.fence.stress;

import dev.fence.core.Fences;
import dev.fence.core.WakingCount;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The soak and fault-injection run: every workload's operations from many threads at random for
 * a fixed time, checking invariants as it goes, while a fault injector interrupts workers at
 * random (driver hooks and callbacks add random delays, and a share of callbacks throw).
 *
 * <pre>
 * java -cp fence-stress/target/jcstress.jar dev.fence.stress.Soak --minutes 10
 * java -cp fence-stress/target/jcstress.jar dev.fence.stress.Soak --seconds 30 \
 *     [--threads 6] [--seed 42]
 * </pre>
 *
 * <p>Checked as it goes: every queued callback runs exactly once or is removed (never both),
 * every waiter returns (a watchdog reports any operation stuck longer than 30 s), every timed
 * wait returns neither before its timeout nor more than a generous slack (2 s) after it, the
 * enable hook runs at most once per fence, isSignaled is monotonic, errors and timestamps are
 * visible to whoever sees a fence signalled. Checked at the end: every fence's reference count
 * reached zero and deallocate ran exactly once per fence, every container and timeline fence
 * signalled with its callbacks run once, Fences.callbackFailures() grew by exactly the number of
 * injected callback failures, Fence's count of woken waiters not yet resumed is back at zero (a
 * leaked count would stop all spinning), and the heap after a full GC is flat (within 32 MB of
 * the baseline taken once the run has warmed up). The fence-syncfile and fence-reservation
 * workloads ({@link SyncFileWorkload}, {@link ReservationWorkload}) add their own checks:
 * references handed out by sync files and syncobjs, fd ownership, syncobj waits and queries,
 * exclusive critical sections, no lock left held after a transaction (including transactions
 * abandoned mid-acquire by an exception), every committed transaction's fence added. Prints
 * operations and violations; exits 1 on any violation.
 */
public final class Soak {

    private static final long SLACK_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long HEAP_GROWTH_LIMIT = 32L << 20;

    private Soak() {
    }

    /**
     * The workloads mixed by the soak, with their relative weights (116 in all; docs/stress.md
     * gives each one's share). The core workload comes first (the run reads its live-fence
     * count).
     */
    static List<Weighted> workloads(SoakContext ctx) {
        CoreFenceWorkload core = new CoreFenceWorkload(ctx);
        return List.of(
                new Weighted(core, 45),
                new Weighted(new ContainerWorkload(core, ctx), 18),
                new Weighted(new TimelineWorkload(ctx), 12),
                new Weighted(new SyncFileWorkload(ctx), 15),
                new Weighted(new PollerWorkload(ctx), 6),
                new Weighted(new ReservationWorkload(ctx), 10),
                new Weighted(new SharedBufferWorkload(ctx), 10));
    }

    /** A workload and its share of the operations. */
    static final class Weighted {
        final SoakWorkload workload;
        final int weight;

        Weighted(SoakWorkload workload, int weight) {
            this.workload = workload;
            this.weight = weight;
        }
    }

    /** A worker thread: runs random steps until stopped; the watchdog reads its progress. */
    private static final class Worker extends Thread {
        private final SoakContext ctx;
        private final List<Weighted> workloads;
        private final int totalWeight;
        private final SplittableRandom rnd;
        volatile long stepStartNanos;
        volatile boolean inStep;
        volatile boolean reportedStuck;
        volatile long interruptedWaits;

        Worker(int id, SoakContext ctx, List<Weighted> workloads, SplittableRandom rnd) {
            super("soak-worker-" + id);
            setDaemon(true);
            this.ctx = ctx;
            this.workloads = workloads;
            int t = 0;
            for (Weighted w : workloads) {
                t += w.weight;
            }
            this.totalWeight = t;
            this.rnd = rnd;
        }

        @Override
        public void run() {
            while (!ctx.stopping()) {
                int pick = rnd.nextInt(totalWeight);
                SoakWorkload w = null;
                for (Weighted x : workloads) {
                    pick -= x.weight;
                    if (pick < 0) {
                        w = x.workload;
                        break;
                    }
                }
                stepStartNanos = System.nanoTime();
                inStep = true;
                try {
                    w.step(ctx, rnd);
                } catch (InterruptedException e) {
                    interruptedWaits++;
                } catch (RuntimeException | Error e) {
                    ctx.violation(w.name() + " step threw " + e);
                    e.printStackTrace();
                } finally {
                    inStep = false;
                    Thread.interrupted(); // injected interrupts must not leak into the next step
                }
            }
        }
    }

    /**
     * Runs the soak.
     *
     * @param args {@code --minutes N} or {@code --seconds N}; optional {@code --threads T},
     *     {@code --seed S}
     */
    public static void main(String[] args) {
        long seconds = 60;
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors() + 2);
        long seed = System.nanoTime();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) {
                usage("missing value for " + a);
            }
            switch (a) {
                case "--minutes":
                    seconds = Math.round(Double.parseDouble(v) * 60);
                    break;
                case "--seconds":
                    seconds = Long.parseLong(v);
                    break;
                case "--threads":
                    threads = Integer.parseInt(v);
                    break;
                case "--seed":
                    seed = Long.parseLong(v);
                    break;
                default:
                    usage("unknown option " + a);
            }
            i++;
        }
        if (seconds <= 0 || threads < 2) {
            usage("need a positive duration and at least 2 threads");
        }
        System.exit(run(seconds, threads, seed) == 0 ? 0 : 1);
    }

    private static void usage(String why) {
        System.err.println(why);
        System.err.println("usage: Soak (--minutes N | --seconds N) [--threads T] [--seed S]");
        System.exit(2);
    }

    /** Runs the soak and returns the number of violations. */
    static long run(long seconds, int threads, long seed) {
        System.out.printf("soak: %d s, %d worker threads, seed %d, %d CPUs, %s%n", seconds, threads,
                seed, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.version"));
        SoakContext ctx = new SoakContext(SLACK_NANOS, STUCK_NANOS);
        List<Weighted> workloads = workloads(ctx);
        CoreFenceWorkload core = (CoreFenceWorkload) workloads.get(0).workload;
        long failuresBefore = Fences.callbackFailures();
        SplittableRandom root = new SplittableRandom(seed);

        Worker[] workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(i, ctx, workloads, root.split());
        }
        SplittableRandom injectorRnd = root.split();
        Thread injector = new Thread(() -> {
            long interrupts = 0;
            while (!ctx.stopping()) {
                LockSupport.parkNanos(100_000L + injectorRnd.nextInt(1_900_000));
                workers[injectorRnd.nextInt(workers.length)].interrupt();
                interrupts++;
            }
            System.out.printf("soak: fault injector delivered %d interrupts%n", interrupts);
        }, "soak-fault-injector");
        injector.setDaemon(true);

        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        for (Worker w : workers) {
            w.start();
        }
        injector.start();

        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long baselineAt = start + (end - start) / 5;
        long baselineHeap = -1;
        long maxLive = 0;
        long liveLimit = 64 + 8L * threads + 16;
        long reportEvery = TimeUnit.SECONDS.toNanos(Math.max(5, Math.min(60, seconds / 6)));
        long nextReport = start + reportEvery;
        for (long now; (now = System.nanoTime()) < end; ) {
            LockSupport.parkNanos(Math.min(end - now, TimeUnit.MILLISECONDS.toNanos(250)));
            now = System.nanoTime();
            watchdog(ctx, workers, now);
            long live = core.live();
            maxLive = Math.max(maxLive, live);
            if (live > liveLimit) {
                ctx.violation("live fences " + live + " above " + liveLimit + ": references leak");
            }
            if (baselineHeap < 0 && now >= baselineAt) {
                baselineHeap = heapAfterGc(mem);
            }
            if (now >= nextReport) {
                nextReport += reportEvery;
                System.out.printf(
                        "soak: %4d s  ops %,d  violations %d  live fences %d  heap %d MB%n",
                        TimeUnit.NANOSECONDS.toSeconds(now - start), ctx.totalOps(),
                        ctx.violations(), live, mem.getHeapMemoryUsage().getUsed() >> 20);
            }
        }

        ctx.stop();
        long stopDeadline = System.nanoTime() + STUCK_NANOS;
        for (Worker w : workers) {
            // workers parked in untimed waits leave on an interrupt
            while (w.isAlive() && System.nanoTime() < stopDeadline) {
                w.interrupt();
                try {
                    w.join(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (w.isAlive()) {
                ctx.violation(w.getName() + " did not stop within 30 s of the end");
            }
        }
        try {
            injector.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long elapsed = System.nanoTime() - start;

        for (Weighted w : workloads) {
            w.workload.finish(ctx);
        }
        long failures = Fences.callbackFailures() - failuresBefore;
        if (failures != ctx.injectedThrows()) {
            ctx.violation("Fences.callbackFailures() grew by " + failures + " but "
                    + ctx.injectedThrows() + " callbacks threw");
        }
        // Every waiter has returned: each woken waiter has given its count back, and a count left
        // over would keep waiters from spinning for the rest of the JVM's life.
        long wakingDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (WakingCount.get() != 0 && System.nanoTime() - wakingDeadline < 0) {
            Thread.yield();
        }
        if (WakingCount.get() != 0) {
            ctx.violation("Fence's woken-waiter count stayed at " + WakingCount.get()
                    + " after every waiter returned");
        }
        long finalHeap = heapAfterGc(mem);
        if (baselineHeap >= 0 && finalHeap > baselineHeap + HEAP_GROWTH_LIMIT) {
            ctx.violation("heap grew from " + (baselineHeap >> 20) + " MB to " + (finalHeap >> 20)
                    + " MB after GC");
        }

        long interrupted = 0;
        for (Worker w : workers) {
            interrupted += w.interruptedWaits;
        }
        System.out.println("soak: operations by kind:");
        for (Map.Entry<String, Long> e : ctx.opsByKind().entrySet()) {
            System.out.printf("  %-40s %,14d%n", e.getKey(), e.getValue());
        }
        for (Weighted w : workloads) {
            System.out.printf("soak: %-10s %s%n", w.workload.name(), w.workload.summary());
        }
        System.out.printf("soak: waits ended by interrupt (container/timeline) %d; callbacks thrown"
                + " on purpose %d, counted by Fences.callbackFailures() %d%n",
                interrupted, ctx.injectedThrows(), failures);
        System.out.printf("soak: max timed-wait overshoot %.3f ms (slack %d ms); max live fences %d"
                + " (limit %d)%n", ctx.maxOvershootNanos() / 1e6,
                TimeUnit.NANOSECONDS.toMillis(SLACK_NANOS), maxLive, liveLimit);
        System.out.printf("soak: heap after GC: baseline %s MB, final %d MB%n",
                baselineHeap < 0 ? "n/a" : String.valueOf(baselineHeap >> 20), finalHeap >> 20);
        System.out.printf("soak: RESULT %d s, %,d operations (%,.0f/s), %d violations%n",
                TimeUnit.NANOSECONDS.toSeconds(elapsed), ctx.totalOps(),
                ctx.totalOps() / (elapsed / 1e9), ctx.violations());
        for (String v : ctx.firstViolations()) {
            System.out.println("  violation: " + v);
        }
        return ctx.violations();
    }

    private static void watchdog(SoakContext ctx, Worker[] workers, long now) {
        for (Worker w : workers) {
            if (w.inStep && !w.reportedStuck && now - w.stepStartNanos > ctx.stuckNanos) {
                w.reportedStuck = true;
                StringBuilder sb = new StringBuilder();
                for (StackTraceElement e : w.getStackTrace()) {
                    sb.append("\n    at ").append(e);
                }
                ctx.violation(w.getName() + " stuck in one operation for over "
                        + TimeUnit.NANOSECONDS.toSeconds(ctx.stuckNanos) + " s:" + sb);
            }
        }
    }

    private static long heapAfterGc(MemoryMXBean mem) {
        System.gc();
        System.gc();
        return mem.getHeapMemoryUsage().getUsed();
    }
}
