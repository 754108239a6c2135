package dev.fence.bench.demo;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import dev.fence.core.Fences;
import dev.fence.core.SignallingSection;
import dev.fence.core.Timeline;
import dev.fence.reservation.ExecContext;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.SharedBuffer;
import dev.fence.reservation.Usage;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncPoller;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The pipeline demo, the README's main command: a simulated video/GPU application that uses all
 * three libraries at once and checks every frame it moves.
 *
 * <pre>
 *   pool of SharedBuffers (frames)
 *     -> decode workers: beginCpuAccess(WRITE), write frame number + pattern + checksum, end
 *     -> ExecContext: lock the frame, take its dependencies, attach the GPU job's fence (WRITE)
 *     -> simulated GPU: one or more engines in a row (--gpu-stages), each a Timeline ring of
 *        in-flight jobs with its own thread; a frame's job on engine k waits for its job on
 *        engine k-1 (a dependency across timelines), starts when that one signals, completes, in
 *        order, after a random latency, and transforms the frame in place
 *     -> compositors: wait on the exported SyncFiles with SyncPoller, beginCpuAccess(READ) and
 *        verify the frame, then an ExecContext locks the frame plus two shared output tiles (in
 *        random order, so wait-die back-offs really happen), attaches a composite fence (READ on
 *        the frame, WRITE on the tiles) and hands the frame back to the pool at once: the next
 *        decode of that frame waits for the composite fence through implicit sync
 *     -> the composite "blit" waits for earlier writers of its tiles, re-checks the frame, writes
 *        the tiles and signals its fence
 * </pre>
 *
 * <p>What is verified: every frame's content when the compositor reads it (frame number at both
 * ends, the pattern transformed once by every GPU engine, the checksum, and a stage mark that
 * each engine checks and advances, so the engines ran in order) and again during the blit (a
 * frame recycled too early would show a different number), that every frame number is
 * composited exactly once, that no two blits ever wrote one tile at the same time (each tile
 * carries a non-atomic counter, a writer token and a busy count that spans each blit), that every
 * fence the demo created was signalled, and that no fence callback failed
 * ({@link Fences#callbackFailures()}).
 *
 * <p>Flags: {@code --seconds S} (default 10), {@code --frames N} (stop after N frames),
 * {@code --workers N} (decode workers, default 2), {@code --compositors N} (default 2),
 * {@code --pool N} (frames in the pool, default 16), {@code --tiles N} (shared output tiles,
 * default 4), {@code --frame-kib N} (frame size, default 16), {@code --gpu-latency-us MIN:MAX}
 * (default 100:1000, per engine), {@code --gpu-stages N} (GPU engines each frame passes
 * through in a row, default 2, at most {@value #MAX_GPU_STAGES}), {@code --quiet} (no progress
 * line), {@code --help}. The exit status is non-zero if any check failed.
 */
public final class PipelineDemo {

    /*
     * Implementation overview.
     *
     * Threads: decode workers (W), one thread per GPU engine, compositors (C), a progress
     * printer, and the caller of run(), which sets `stop` at the deadline, joins the stages in
     * pipeline order and collects the statistics. Hand-offs: `pool` (free frames,
     * ArrayBlockingQueue), one queue per engine in `engines` (jobs in seqno order; a decode
     * worker issues one Timeline fence per engine and enqueues the jobs under `submitLock`, so
     * each queue's order is its timeline's seqno order), `toComposite` (exported SyncFiles of
     * the last engine's jobs). Each engine's ring slot array is guarded by `submitLock`: a
     * submitter waits for the fence occupying a slot before reusing it (at most RING jobs in
     * flight per engine), like the seed's emitter. Engine k's job depends on the same frame's
     * job on engine k-1, which was submitted first and needs nothing from engine k, so the
     * engines cannot wait for each other in a cycle.
     *
     * Memory visibility of frame content: decode writes, then endCpuAccess signals the CPU write
     * fence (release); the GPU thread awaits the job's dependencies (acquire) before touching the
     * frame and signals the job fence after; the compositor sees that signal through SyncPoller
     * and beginCpuAccess(READ). Tile counters are ordered the same way, by composite fences.
     * Counters shared across threads are atomics; per-thread latency samples are merged after
     * join().
     */

    /** GPU ring depth: jobs in flight at most. */
    static final int RING = 64;
    /** Most GPU engines a frame can pass through. */
    static final int MAX_GPU_STAGES = 8;
    /** Longest run, in seconds (a year): a longer deadline would overflow in nanoseconds. */
    static final double MAX_SECONDS = 365 * 24 * 3600;
    private static final int HEADER = 16;
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final String USAGE = "usage: PipelineDemo [--seconds S] [--frames N]"
            + " [--workers N] [--compositors N] [--pool N] [--tiles N] [--frame-kib N]"
            + " [--gpu-stages N] [--gpu-latency-us MIN:MAX] [--quiet] [--help]";

    /**
     * The demo's settings.
     *
     * @param seconds how long to run (the decode workers stop issuing frames then, once they
     *     have issued at least one)
     * @param maxFrames stop after this many frames; 0 for no limit
     * @param workers decode worker threads
     * @param compositors compositor threads
     * @param pool frames in the pool
     * @param tiles shared output tiles (each composite locks two)
     * @param frameBytes bytes per frame
     * @param gpuMinMicros least simulated GPU latency
     * @param gpuMaxMicros greatest simulated GPU latency
     * @param gpuStages GPU engines each frame passes through, one after the other
     * @param quiet no progress line
     */
    public record Config(double seconds, long maxFrames, int workers, int compositors, int pool,
            int tiles, int frameBytes, int gpuMinMicros, int gpuMaxMicros, int gpuStages,
            boolean quiet) {

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException for values out of range
         */
        public Config {
            // name the offending value: `this` cannot be printed here (its fields are still
            // unassigned in a compact constructor, so it would show zeros)
            check(seconds > 0 && seconds <= MAX_SECONDS, "seconds", "more than 0 and at most "
                    + MAX_SECONDS, seconds);
            check(maxFrames >= 0, "frames", "0 (no limit) or more", maxFrames);
            check(workers >= 1, "workers", "at least 1", workers);
            check(compositors >= 1, "compositors", "at least 1", compositors);
            check(pool >= 1, "pool", "at least 1", pool);
            check(tiles >= 2, "tiles", "at least 2", tiles);
            check(frameBytes >= 64 && frameBytes % 8 == 0, "frame size",
                    "at least 64 bytes and a multiple of 8", frameBytes + " bytes");
            check(gpuMinMicros >= 0, "gpu-latency-us", "MIN at least 0", gpuMinMicros);
            check(gpuMaxMicros >= gpuMinMicros, "gpu-latency-us", "MAX at least MIN",
                    gpuMinMicros + ":" + gpuMaxMicros);
            check(gpuStages >= 1 && gpuStages <= MAX_GPU_STAGES, "gpu-stages",
                    "1 to " + MAX_GPU_STAGES, gpuStages);
        }

        private static void check(boolean ok, String name, String expected, Object got) {
            if (!ok) {
                throw new IllegalArgumentException(
                        "bad demo setting: " + name + " must be " + expected + ", got " + got);
            }
        }

        /**
         * The defaults: 10 s, 2 workers, 2 compositors, 16 frames of 16 KiB, 4 tiles, 2 GPU
         * engines in a row, GPU latency 100 to 1000 us per engine.
         *
         * @return the default settings
         */
        public static Config defaults() {
            return new Config(10, 0, 2, 2, 16, 4, 16 * 1024, 100, 1000, 2, false);
        }

        /**
         * Parses command-line flags over the defaults.
         *
         * @param args the flags
         * @return the settings
         * @throws IllegalArgumentException for an unknown flag or a bad value
         */
        public static Config parse(String... args) {
            Config c = defaults();
            double seconds = c.seconds;
            long frames = c.maxFrames;
            int workers = c.workers;
            int compositors = c.compositors;
            int pool = c.pool;
            int tiles = c.tiles;
            int frameBytes = c.frameBytes;
            int gpuMin = c.gpuMinMicros;
            int gpuMax = c.gpuMaxMicros;
            int gpuStages = c.gpuStages;
            boolean quiet = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--quiet")) {
                    quiet = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("unknown flag or missing value: " + a);
                }
                String v = args[++i];
                try {
                    switch (a) {
                        case "--seconds" -> seconds = Double.parseDouble(v);
                        case "--frames" -> frames = Long.parseLong(v);
                        case "--workers" -> workers = Integer.parseInt(v);
                        case "--compositors" -> compositors = Integer.parseInt(v);
                        case "--pool" -> pool = Integer.parseInt(v);
                        case "--tiles" -> tiles = Integer.parseInt(v);
                        case "--frame-kib" ->
                                frameBytes = Math.multiplyExact(Integer.parseInt(v), 1024);
                        case "--gpu-stages" -> gpuStages = Integer.parseInt(v);
                        case "--gpu-latency-us" -> {
                            String[] mm = v.split(":", 2);
                            gpuMin = Integer.parseInt(mm[0]);
                            gpuMax = Integer.parseInt(mm.length > 1 ? mm[1] : mm[0]);
                        }
                        default -> throw new IllegalArgumentException("unknown flag: " + a);
                    }
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new IllegalArgumentException("bad value for " + a + ": " + v, e);
                }
            }
            if (frames > 0 && !containsFlag(args, "--seconds")) {
                seconds = 3600; // --frames alone: run until that many frames are done
            }
            return new Config(seconds, frames, workers, compositors, pool, tiles, frameBytes,
                    gpuMin, gpuMax, gpuStages, quiet);
        }

        private static boolean containsFlag(String[] args, String flag) {
            return Arrays.asList(args).contains(flag);
        }
    }

    /**
     * What a run did, and whether every check passed.
     *
     * @param config the settings
     * @param elapsedNanos wall time from start until the last frame was composited
     * @param frames frames composited
     * @param p50 median latency per stage, in the order of {@link #stages()}, nanoseconds
     * @param p99 99th percentile per stage, nanoseconds
     * @param fencesCreated fences the demo created (GPU jobs, one per engine per frame, and
     *     composites)
     * @param fencesSignalled of those, how many signalled (counted by a callback on each)
     * @param backoffs ExecContext back-offs, all transactions
     * @param transactions ExecContext transactions
     * @param callbackFailures {@link Fences#callbackFailures()} during the run
     * @param verified frames whose content checked out at every stage
     * @param corrupted frames with a content or ordering error
     * @param duplicates frame numbers composited more than once
     * @param missing frame numbers issued but never composited
     * @param tileErrors tile exclusion violations (lost counter updates, blits that found a tile
     *     already being written)
     * @param errors unexpected exceptions and stuck stages, as text
     */
    public record Stats(Config config, long elapsedNanos, long frames, long[] p50, long[] p99,
            long fencesCreated, long fencesSignalled, long backoffs, long transactions,
            long callbackFailures, long verified, long corrupted, long duplicates, long missing,
            long tileErrors, List<String> errors) {

        /**
         * The stage names, in the order of {@link #p50()} and {@link #p99()}: decode, one per GPU
         * engine (from the submission, or from the previous engine's signal, to the engine's
         * signal), composite, end-to-end.
         *
         * @param gpuStages the number of GPU engines
         * @return the names
         */
        public static List<String> stages(int gpuStages) {
            List<String> names = new ArrayList<>();
            names.add("decode");
            for (int k = 0; k < gpuStages; k++) {
                names.add(gpuStages == 1 ? "gpu" : "gpu engine " + k);
            }
            names.add("composite");
            names.add("end-to-end");
            return List.copyOf(names);
        }

        /**
         * The stage names of this run, in the order of {@link #p50()} and {@link #p99()}.
         *
         * @return the names, see {@link #stages(int)}
         */
        public List<String> stages() {
            return stages(config.gpuStages());
        }

        /**
         * Whether every check passed.
         *
         * @return true if nothing was corrupted, missing, duplicated or failed
         */
        public boolean ok() {
            return frames > 0 && corrupted == 0 && duplicates == 0 && missing == 0
                    && tileErrors == 0 && callbackFailures == 0 && errors.isEmpty()
                    && verified == frames && fencesCreated == fencesSignalled;
        }

        /**
         * Frames per second.
         *
         * @return the throughput
         */
        public double framesPerSecond() {
            return frames / (elapsedNanos / 1e9);
        }

        /**
         * The result table.
         *
         * @return the table, several lines
         */
        public String table() {
            StringBuilder sb = new StringBuilder();
            Config c = config;
            String header = "fence pipeline demo: %d decode workers -> %d GPU engine(s) in a row"
                    + " (rings of %d slots, %d-%d us each) -> %d compositors; pool %d x %d KiB,"
                    + " %d tiles%n";
            sb.append(String.format(Locale.ROOT, header,
                    c.workers(), c.gpuStages(), RING, c.gpuMinMicros(), c.gpuMaxMicros(),
                    c.compositors(), c.pool(), c.frameBytes() / 1024, c.tiles()));
            sb.append(String.format(Locale.ROOT, "%-22s %,14d in %.2f s = %,.0f frames/s%n",
                    "frames", frames, elapsedNanos / 1e9, framesPerSecond()));
            sb.append(String.format(Locale.ROOT, "%-22s %14s %14s%n", "latency", "p50", "p99"));
            List<String> names = stages();
            for (int i = 0; i < names.size(); i++) {
                sb.append(String.format(Locale.ROOT, "  %-20s %14s %14s%n", names.get(i),
                        micros(p50[i]), micros(p99[i])));
            }
            row(sb, "fences created", fencesCreated, "");
            row(sb, "fences signalled", fencesSignalled,
                    fencesCreated == fencesSignalled ? "" : "  <-- NOT ALL SIGNALLED");
            sb.append(String.format(Locale.ROOT, "%-22s %,14d   (%,d transactions)%n",
                    "ExecContext back-offs", backoffs, transactions));
            row(sb, "callback failures", callbackFailures,
                    callbackFailures == 0 ? "" : "  <-- FAIL");
            row(sb, "frames verified", verified, verified == frames ? "" : "  <-- FAIL");
            row(sb, "frames corrupted", corrupted, corrupted == 0 ? "" : "  <-- FAIL");
            row(sb, "duplicated / missing", duplicates + missing,
                    duplicates + missing == 0 ? ""
                            : "  <-- FAIL (" + duplicates + " / " + missing + ")");
            row(sb, "tile exclusion errors", tileErrors, tileErrors == 0 ? "" : "  <-- FAIL");
            for (String e : errors) {
                sb.append("error: ").append(e).append(System.lineSeparator());
            }
            sb.append(ok() ? "RESULT: OK" : "RESULT: FAILED").append(System.lineSeparator());
            return sb.toString();
        }

        private static void row(StringBuilder sb, String name, long v, String note) {
            sb.append(String.format(Locale.ROOT, "%-22s %,14d%s%n", name, v, note));
        }

        private static String micros(long nanos) {
            return nanos < 10_000_000 ? String.format(Locale.ROOT, "%,.1f us", nanos / 1e3)
                    : String.format(Locale.ROOT, "%,.2f ms", nanos / 1e6);
        }
    }

    // ------------------------------------------------------------------ run state

    private final Config config;
    private final int payloadInts;
    private final BlockingQueue<SharedBuffer> pool;
    private final SharedBuffer[] tiles;
    private final Engine[] engines;
    private final ReentrantLock submitLock = new ReentrantLock();
    private final BlockingQueue<Pending> toComposite = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong nextFrame = new AtomicLong();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong gpuDone = new AtomicLong();
    private final AtomicLong composited = new AtomicLong();
    private final AtomicLong verified = new AtomicLong();
    private final AtomicLong corrupted = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong fencesCreated = new AtomicLong();
    private final AtomicLong fencesSignalled = new AtomicLong();
    private final AtomicLong backoffs = new AtomicLong();
    /** Blits in progress per tile (at most one, if the fences order them). */
    private final AtomicIntegerArray tileBusy;
    /** Blits that found a tile already busy. */
    private final AtomicLong tileOverlaps = new AtomicLong();
    /** Each worker thread's ExecContext, reopened for every transaction (ExecContext.reopen()). */
    private final ThreadLocal<ExecContext> threadExec =
            ThreadLocal.withInitial(() -> ExecContext.create());
    private final AtomicLong transactions = new AtomicLong();
    private final SeenSet seen = new SeenSet();
    private volatile boolean stop;
    /**
     * Test seam: if set, a decode worker calls it with a frame's GPU jobs just after queueing
     * them, before it hands the frame on to the compositors.
     */
    static volatile Consumer<Fence[]> afterSubmitTestSeam;
    /**
     * Test seam: if set, a GPU engine calls it with each job's fence once the job's dependencies
     * have signalled, before its simulated execution time (an exception it throws kills the
     * engine, as a failing stage).
     */
    static volatile Consumer<Fence> gpuJobTestSeam;
    /**
     * Test seam: if set, a compositor passes a composite's dependencies through it before waiting
     * for them (a test drops them to break the tiles' synchronisation on purpose).
     */
    static volatile UnaryOperator<List<Fence>> compositeDepsTestSeam;
    /** Test seam: if set, each blit runs it once it holds its tiles, before it reads or writes. */
    static volatile Runnable blitTestSeam;
    /** Every stage thread, filled before any starts; a failing stage interrupts the others. */
    private final List<Thread> stageThreads = new ArrayList<>();
    private volatile boolean decodersDone;
    private volatile boolean gpuStop;

    private PipelineDemo(Config config) {
        this.config = config;
        this.payloadInts = (config.frameBytes() - HEADER - 8) / 4;
        this.engines = new Engine[config.gpuStages()];
        for (int k = 0; k < engines.length; k++) {
            engines[k] = new Engine(k);
        }
        this.pool = new ArrayBlockingQueue<>(config.pool());
        for (int i = 0; i < config.pool(); i++) {
            pool.add(new SharedBuffer(ByteBuffer.allocateDirect(config.frameBytes()),
                    new Reservation(Reservation.DEFAULT_CLASS, "frame-" + i)));
        }
        this.tiles = new SharedBuffer[config.tiles()];
        this.tileBusy = new AtomicIntegerArray(tiles.length);
        for (int i = 0; i < tiles.length; i++) {
            tiles[i] = new SharedBuffer(ByteBuffer.allocateDirect(4096),
                    new Reservation(Reservation.DEFAULT_CLASS, "tile-" + i));
        }
    }

    /**
     * Runs the demo from the command line and exits with status 0 if every check passed, 1 if
     * not, 2 for bad flags or settings the machine cannot hold (a pool too large for memory).
     *
     * @param args flags, see the class comment
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        System.exit(status(args, System.out, System.err));
    }

    /**
     * What {@link #main} does, short of exiting: runs the demo from the command line, prints the
     * table to {@code out} (the usage, the errors and the progress line go to {@code err}).
     *
     * @param args flags, see the class comment
     * @param out where the table (or the usage, for {@code --help}) goes
     * @param err where errors and the progress line go
     * @return the exit status: 0 if every check passed, 1 if not, 2 for bad flags or settings
     *     the machine cannot hold
     * @throws InterruptedException if interrupted
     */
    static int status(String[] args, PrintStream out, PrintStream err)
            throws InterruptedException {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        Config config;
        try {
            config = Config.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        PipelineDemo demo;
        try {
            demo = new PipelineDemo(config);
        } catch (OutOfMemoryError e) { // the pool (or a frame) is too large for this JVM
            err.println("not enough memory for a pool of " + config.pool() + " frames of "
                    + config.frameBytes() / 1024 + " KiB (" + e.getMessage() + "): lower --pool"
                    + " or --frame-kib, or raise -Xmx / -XX:MaxDirectMemorySize");
            return 2;
        }
        Stats stats = demo.execute(config.quiet() ? null : err);
        out.print(stats.table());
        out.flush();
        return stats.ok() ? 0 : 1;
    }

    /**
     * Runs the pipeline and returns what it did.
     *
     * @param config the settings
     * @param progress where to print the live progress line (about 4 times a second), or null
     * @return the statistics
     * @throws InterruptedException if interrupted
     */
    public static Stats run(Config config, PrintStream progress) throws InterruptedException {
        return new PipelineDemo(config).execute(progress);
    }

    private Stats execute(PrintStream progress) throws InterruptedException {
        long failuresBefore = Fences.callbackFailures();
        long start = System.nanoTime();
        long deadline = start + (long) (config.seconds() * 1e9);
        int stageCount = Stats.stages(engines.length).size();
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> gpus = new ArrayList<>();
        for (Engine e : engines) {
            gpus.add(thread("gpu-" + e.index, () -> gpuLoop(e)));
        }
        List<Thread> compositors = new ArrayList<>();
        for (int i = 0; i < config.compositors(); i++) {
            Recorder r = new Recorder(stageCount);
            recorders.add(r);
            int id = i;
            compositors.add(thread("compositor-" + i, () -> compositeLoop(id, r)));
        }
        List<Thread> decoders = new ArrayList<>();
        for (int i = 0; i < config.workers(); i++) {
            Recorder r = new Recorder(stageCount);
            recorders.add(r);
            decoders.add(thread("decode-" + i, () -> decodeLoop(r)));
        }
        stageThreads.addAll(gpus);
        stageThreads.addAll(compositors);
        stageThreads.addAll(decoders);
        gpus.forEach(Thread::start);
        compositors.forEach(Thread::start);
        decoders.forEach(Thread::start);

        long lastPrint = 0;
        long lastFrames = 0;
        long lastTime = start;
        while (true) {
            long now = System.nanoTime();
            boolean framesDone = config.maxFrames() > 0 && composited.get() >= config.maxFrames();
            if (now - deadline >= 0 || framesDone || !errors.isEmpty()) {
                break;
            }
            if (progress != null && now - lastPrint >= 250_000_000L) {
                long f = composited.get();
                double rate = (f - lastFrames) / ((now - lastTime) / 1e9);
                progress.printf(Locale.ROOT, "\r[%5.1f s] frames %,10d  %,8.0f/s  gpu in flight %3d"
                                + "  back-offs %,7d  corrupted %d   ",
                        (now - start) / 1e9, f, lastPrint == 0 ? 0.0 : rate,
                        submitted.get() - gpuDone.get(), backoffs.get(), corrupted.get());
                progress.flush();
                lastPrint = now;
                lastFrames = f;
                lastTime = now;
            }
            LockSupport.parkNanos(20_000_000L);
        }
        stop = true;
        joinAll(decoders, "decode");
        decodersDone = true;
        joinAll(compositors, "compositor");
        long elapsed = System.nanoTime() - start;
        gpuStop = true;
        joinAll(gpus, "gpu");
        if (progress != null) {
            progress.printf(Locale.ROOT, "\r[%5.1f s] frames %,10d  done%60s%n", elapsed / 1e9,
                    composited.get(), "");
            progress.flush();
        }

        long frames = composited.get();
        long issued = submitted.get();
        long unseen = issued - seen.count();
        if (unseen < 0) { // more distinct frame numbers composited than issued: a bookkeeping bug
            errors.add("composited " + -unseen + " frame numbers beyond the " + issued + " issued");
        }
        long missing = Math.max(0, unseen);
        long tileErrors = tileCheck(frames) + tileOverlaps.get();
        long[][] merged = new long[stageCount][];
        for (int s = 0; s < stageCount; s++) {
            int n = 0;
            for (Recorder r : recorders) {
                n += r.size[s];
            }
            long[] all = new long[n];
            int at = 0;
            for (Recorder r : recorders) {
                System.arraycopy(r.samples[s], 0, all, at, r.size[s]);
                at += r.size[s];
            }
            Arrays.sort(all);
            merged[s] = all;
        }
        long[] p50 = new long[stageCount];
        long[] p99 = new long[stageCount];
        for (int s = 0; s < stageCount; s++) {
            p50[s] = percentile(merged[s], 0.50);
            p99[s] = percentile(merged[s], 0.99);
        }
        return new Stats(config, elapsed, frames, p50, p99, fencesCreated.get(),
                fencesSignalled.get(), backoffs.get(), transactions.get(),
                Fences.callbackFailures() - failuresBefore, verified.get(), corrupted.get(),
                duplicates.get(), missing, tileErrors, List.copyOf(errors));
    }

    private Thread thread(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (InterruptedException e) {
                if (!stop) {
                    errors.add(Thread.currentThread().getName() + " interrupted");
                }
            } catch (Throwable e) {
                errors.add(Thread.currentThread().getName() + ": " + e);
                stop = true;
                // the run has failed: the other stages may wait for work this one will never
                // finish (a dead GPU engine leaves its fences unsignalled), so end them now
                // rather than after each one's STUCK_NANOS timeout
                for (Thread other : stageThreads) {
                    if (other != Thread.currentThread()) {
                        other.interrupt();
                    }
                }
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private void joinAll(List<Thread> threads, String stage) throws InterruptedException {
        for (Thread t : threads) {
            t.join(TimeUnit.NANOSECONDS.toMillis(STUCK_NANOS));
            if (t.isAlive()) {
                StringBuilder sb = new StringBuilder(stage + " thread " + t.getName()
                        + " stuck; at");
                for (StackTraceElement e : t.getStackTrace()) {
                    sb.append("\n    ").append(e);
                }
                errors.add(sb.toString());
                t.interrupt();
            }
        }
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    // ------------------------------------------------------------------ decode

    private void decodeLoop(Recorder rec) throws Exception {
        // at least one frame, however short the run: a run that checked nothing cannot pass, and
        // whether a worker got going before the deadline was up to thread start-up
        while (!stop || nextFrame.get() == 0) {
            SharedBuffer frame = pool.poll(20, TimeUnit.MILLISECONDS);
            if (frame == null) {
                continue;
            }
            long seq = nextFrame.getAndIncrement();
            if (config.maxFrames() > 0 && seq >= config.maxFrames()) {
                pool.add(frame);
                return;
            }
            long t0 = System.nanoTime();
            // implicit sync: waits for the previous composite (a READ fence) of this frame
            frame.beginCpuAccess(SharedBuffer.Direction.WRITE);
            try {
                decodeInto(frame.buffer(), seq);
            } finally {
                frame.endCpuAccess(SharedBuffer.Direction.WRITE);
            }
            long t1 = System.nanoTime();
            rec.add(0, t1 - t0);
            Submission sub;
            try (ExecContext exec = threadExec.get().reopen()) {
                exec.lockAll(e -> e.prepare(frame.reservation(), 1));
                Fence deps = exec.dependency(Usage.forAccess(true));
                sub = submitToGpu(frame, deps);
                Fence[] jobs = sub.jobs();
                // the last engine's job signals after every earlier one: it stands for them all
                exec.addFence(jobs[jobs.length - 1], Usage.WRITE);
                backoffs.addAndGet(exec.backoffs());
                transactions.incrementAndGet();
            }
            Fence[] jobs = sub.jobs();
            Consumer<Fence[]> seam = afterSubmitTestSeam;
            if (seam != null) {
                seam.accept(jobs);
            }
            SyncFile out = SyncFile.create(jobs[jobs.length - 1]);
            // the first engine's latency counts from the submission, as the engine itself does:
            // the GPU may well finish before this thread gets here
            toComposite.add(new Pending(frame, seq, out, jobs, t0, sub.at()));
        }
    }

    private void decodeInto(ByteBuffer b, long seq) {
        b.putLong(0, seq);
        b.putInt(8, 1); // stage: decoded
        int sum = 0;
        int base = HEADER;
        for (int i = 0; i < payloadInts; i++) {
            int v = pattern(seq, i);
            b.putInt(base + 4 * i, v);
            sum += v;
        }
        b.putInt(12, sum);
        b.putLong(b.capacity() - 8, seq);
    }

    private static int pattern(long seq, int i) {
        return (int) (seq * 0x9E3779B97F4A7C15L >>> 32) ^ (i * 0x85EBCA6B);
    }

    /** The value GPU engine {@code engine} XORs into every payload word of frame {@code seq}. */
    private static int gpuKey(long seq, int engine) {
        return ((int) seq * 0x27D4EB2D + engine * 0x61C88647) | 1;
    }

    // ------------------------------------------------------------------ simulated GPU

    /**
     * Issues one job per engine for {@code frame}, engine k's job depending on engine k-1's, and
     * queues them; returns the jobs' fences in engine order and the submission time.
     */
    private Submission submitToGpu(SharedBuffer frame, Fence deps) throws InterruptedException {
        long[] latency = new long[engines.length];
        for (int k = 0; k < latency.length; k++) {
            latency[k] = TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current()
                    .nextInt(config.gpuMinMicros(), config.gpuMaxMicros() + 1));
        }
        Fence[] jobs = new Fence[engines.length];
        submitLock.lockInterruptibly();
        try {
            for (Engine e : engines) {
                Fence job = e.timeline.next();
                int slot = (int) (job.seqno() & (RING - 1));
                Fence previous = e.slots[slot];
                // ring full: wait for the job that owns this slot (its dependencies were all
                // queued before it, and the GPU never needs our locks)
                if (previous != null && !previous.await(STUCK_NANOS, TimeUnit.NANOSECONDS)) {
                    throw new IllegalStateException(
                            "GPU ring slot never freed: " + previous.describe());
                }
                e.slots[slot] = job;
                countSignals(job);
                jobs[e.index] = job;
            }
            long now = System.nanoTime();
            submitted.incrementAndGet();
            for (Engine e : engines) {
                Fence after = e.index == 0 ? deps : jobs[e.index - 1];
                e.queue.add(new GpuJob(jobs[e.index], frame, after, now, latency[e.index]));
            }
            return new Submission(jobs, now);
        } finally {
            submitLock.unlock();
        }
    }

    private void gpuLoop(Engine e) throws InterruptedException {
        while (true) {
            GpuJob job = e.queue.poll(20, TimeUnit.MILLISECONDS);
            if (job == null) {
                if (gpuStop) {
                    return;
                }
                continue;
            }
            if (!job.deps.await(STUCK_NANOS, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("GPU job dependency never signalled: "
                        + job.deps.describe());
            }
            // engine 0's latency counts from the submission; a later engine starts when the
            // engine before it has finished the frame
            long start = e.index == 0 ? job.submittedAt
                    : Math.max(job.submittedAt, job.deps.timestamp());
            Consumer<Fence> seam = gpuJobTestSeam;
            if (seam != null) {
                seam.accept(job.fence);
            }
            // the simulated execution time; parkNanos may return early (spuriously, or for a
            // stale unpark), so park again until the job's time is really up
            long wait;
            while ((wait = start + job.latency - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            SignallingSection section = SignallingSection.begin(); // no fence waits in here
            try {
                ByteBuffer b = job.frame.buffer();
                long seq = b.getLong(0);
                // the stage mark says which engine had the frame last: it must be the one
                // before this (or the decoder, for engine 0); otherwise poison the mark
                boolean inOrder = b.getInt(8) == 1 + e.index;
                int key = gpuKey(seq, e.index);
                for (int i = 0; i < payloadInts; i++) {
                    int at = HEADER + 4 * i;
                    b.putInt(at, b.getInt(at) ^ key);
                }
                b.putInt(8, inOrder ? 2 + e.index : -1);
                e.timeline.signalUpTo(job.fence.seqno()); // in order: one thread per engine
            } finally {
                section.close();
            }
            if (e.index == engines.length - 1) {
                gpuDone.incrementAndGet();
            }
        }
    }

    // ------------------------------------------------------------------ composite

    private void compositeLoop(int id, Recorder rec) throws Exception {
        long context = Fence.allocateContexts(1);
        long compositeSeq = 0;
        long token = ((long) id + 1) << 48;
        List<Pending> mine = new ArrayList<>();
        while (true) {
            Pending p;
            while (mine.size() < 16 && (p = toComposite.poll()) != null) {
                mine.add(p);
            }
            if (mine.isEmpty()) {
                if (decodersDone && toComposite.isEmpty()) {
                    return;
                }
                p = toComposite.poll(20, TimeUnit.MILLISECONDS);
                if (p != null) {
                    mine.add(p);
                }
                continue;
            }
            SyncFile[] files = new SyncFile[mine.size()];
            for (int i = 0; i < files.length; i++) {
                files[i] = mine.get(i).file;
            }
            BitSet ready = SyncPoller.poll(5, TimeUnit.MILLISECONDS, files);
            long tReady = System.nanoTime();
            for (int i = ready.length() - 1; i >= 0; i = ready.previousSetBit(i - 1)) {
                Pending done = mine.remove(i);
                composite(done, context, ++compositeSeq, token + compositeSeq, tReady, rec);
            }
        }
    }

    private void composite(Pending p, long context, long compositeSeq, long token, long tReady,
            Recorder rec) throws Exception {
        Fence gpuFence = p.file.fence();
        try {
            long from = p.tSubmit;
            for (int k = 0; k < p.jobs.length; k++) { // all signalled: each waited for the last
                long ts = p.jobs[k].timestamp();
                rec.add(1 + k, ts - from);
                from = ts;
            }
        } finally {
            gpuFence.release();
            p.file.close();
        }
        if (!seen.add(p.seq)) {
            duplicates.incrementAndGet();
        }
        SharedBuffer frame = p.frame;
        boolean good;
        frame.beginCpuAccess(SharedBuffer.Direction.READ); // waits for the GPU's WRITE fence
        try {
            good = verify(frame.buffer(), p.seq);
        } finally {
            frame.endCpuAccess(SharedBuffer.Direction.READ);
        }

        // lock the frame and two tiles (random order: transactions really back off)
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int t1 = rnd.nextInt(tiles.length);
        int t2 = (t1 + 1 + rnd.nextInt(tiles.length - 1)) % tiles.length;
        List<Reservation> order = new ArrayList<>(List.of(frame.reservation(),
                tiles[t1].reservation(), tiles[t2].reservation()));
        java.util.Collections.shuffle(order, rnd);
        Fence blit = Fence.create(context, compositeSeq);
        countSignals(blit);
        List<Fence> deps;
        try {
            try (ExecContext exec = threadExec.get().reopen()) {
                exec.lockAll(e -> {
                    for (Reservation r : order) {
                        e.prepare(r, 1);
                    }
                });
                deps = exec.dependencies(Usage.forAccess(true));
                frame.reservation().addFence(blit, Usage.READ);
                tiles[t1].reservation().addFence(blit, Usage.WRITE);
                tiles[t2].reservation().addFence(blit, Usage.WRITE);
                backoffs.addAndGet(exec.backoffs());
                transactions.incrementAndGet();
            }
            // release through the reservation: the frame goes back now; its next decode waits
            // for `blit` (a READ fence) before writing
            pool.add(frame);
            UnaryOperator<List<Fence>> depsSeam = compositeDepsTestSeam;
            if (depsSeam != null) {
                deps = depsSeam.apply(deps);
            }
            for (Fence d : deps) {
                if (!d.await(STUCK_NANOS, TimeUnit.NANOSECONDS)) {
                    throw new IllegalStateException("composite dependency never signalled: "
                            + d.describe());
                }
            }
            // the blit: read the frame (must still be ours), write both tiles. Each tile's busy
            // count spans the whole blit, so two blits on one tile at once are seen even when
            // their few tile writes happen not to interleave
            if (tileBusy.getAndIncrement(t1) != 0 | tileBusy.getAndIncrement(t2) != 0) {
                tileOverlaps.incrementAndGet();
            }
            try {
                Runnable blitSeam = blitTestSeam;
                if (blitSeam != null) {
                    blitSeam.run();
                }
                ByteBuffer fb = frame.buffer();
                int sum = 0;
                for (int i = 0; i < payloadInts; i++) {
                    sum += fb.getInt(HEADER + 4 * i);
                }
                if (fb.getLong(0) != p.seq || fb.getLong(fb.capacity() - 8) != p.seq) {
                    good = false; // recycled while we still read it
                }
                for (int t : new int[] {t1, t2}) {
                    ByteBuffer tb = tiles[t].buffer();
                    tb.putLong(0, token);
                    tb.putLong(8, tb.getLong(8) + 1); // non-atomic on purpose: fences order it
                    tb.putInt(16 + 4 * (int) (p.seq % 1000), sum);
                    if (tb.getLong(0) != token) {
                        good = false; // another blit wrote this tile at the same time
                    }
                }
            } finally {
                tileBusy.decrementAndGet(t1);
                tileBusy.decrementAndGet(t2);
            }
        } finally {
            blit.signal();
        }
        long end = blit.timestamp();
        rec.add(1 + engines.length, end - tReady);
        rec.add(2 + engines.length, end - p.t0);
        if (good) {
            verified.incrementAndGet();
        } else {
            corrupted.incrementAndGet();
        }
        composited.incrementAndGet();
    }

    private boolean verify(ByteBuffer b, long seq) {
        if (b.getLong(0) != seq || b.getLong(b.capacity() - 8) != seq
                || b.getInt(8) != 1 + engines.length) {
            return false;
        }
        int key = 0;
        for (int k = 0; k < engines.length; k++) {
            key ^= gpuKey(seq, k);
        }
        int sum = 0;
        for (int i = 0; i < payloadInts; i++) {
            int v = b.getInt(HEADER + 4 * i) ^ key;
            if (v != pattern(seq, i)) {
                return false;
            }
            sum += v;
        }
        return sum == b.getInt(12);
    }

    private long tileCheck(long frames) {
        long total = 0;
        for (SharedBuffer t : tiles) {
            total += t.buffer().getLong(8);
        }
        return Math.abs(2 * frames - total);
    }

    private void countSignals(Fence f) {
        fencesCreated.incrementAndGet();
        FenceCallback cb = new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                fencesSignalled.incrementAndGet();
            }
        };
        if (!f.addCallback(cb)) {
            fencesSignalled.incrementAndGet();
        }
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
    }

    // ------------------------------------------------------------------ small parts

    /** One simulated GPU engine: a timeline, its ring slots (guarded by submitLock), a queue. */
    private static final class Engine {
        final int index;
        final Timeline timeline;
        final Fence[] slots = new Fence[RING];
        final BlockingQueue<GpuJob> queue = new ArrayBlockingQueue<>(RING);

        Engine(int index) {
            this.index = index;
            this.timeline = Timeline.create("gpu-engine-" + index);
        }
    }

    private record GpuJob(Fence fence, SharedBuffer frame, Fence deps, long submittedAt,
            long latency) {
    }

    /** A frame's GPU jobs, in engine order, and when they were queued. */
    private record Submission(Fence[] jobs, long at) {
    }

    private record Pending(SharedBuffer frame, long seq, SyncFile file, Fence[] jobs, long t0,
            long tSubmit) {
    }

    /** Latency samples of one thread, per stage; read after the thread is joined. */
    private static final class Recorder {
        final long[][] samples;
        final int[] size;

        Recorder(int stages) {
            samples = new long[stages][1024];
            size = new int[stages];
        }

        void add(int stage, long nanos) {
            if (size[stage] == samples[stage].length) {
                if (size[stage] >= 1 << 24) {
                    return; // enough for percentiles
                }
                samples[stage] = Arrays.copyOf(samples[stage], size[stage] * 2);
            }
            samples[stage][size[stage]++] = nanos;
        }
    }

    /** A concurrent set of frame numbers: a bitmap in chunks, allocated as numbers grow. */
    private static final class SeenSet {
        private static final int CHUNK_BITS = 1 << 16;
        private final java.util.concurrent.ConcurrentHashMap<Long, AtomicLongArray> chunks =
                new java.util.concurrent.ConcurrentHashMap<>();
        private final AtomicLong count = new AtomicLong();

        boolean add(long n) {
            AtomicLongArray chunk = chunks.computeIfAbsent(n / CHUNK_BITS,
                    k -> new AtomicLongArray(CHUNK_BITS / 64));
            int bit = (int) (n % CHUNK_BITS);
            long mask = 1L << (bit & 63);
            long old = chunk.getAndAccumulate(bit >>> 6, mask, (a, b) -> a | b);
            if ((old & mask) != 0) {
                return false;
            }
            count.incrementAndGet();
            return true;
        }

        long count() {
            return count.get();
        }
    }
}
