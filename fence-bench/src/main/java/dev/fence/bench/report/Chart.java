package dev.fence.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns one JMH run ({@code -rf json}) plus the rows measured outside JMH (the TSV written by
 * {@code IdleCost}, {@code Footprint} and {@code ChainRetained}) into the published results: a
 * Markdown table (fence figure, peer figure, ratio, target, met) and an SVG bar chart of the
 * ratios, so a reader sees at a glance where {@code fence} stands against each peer.
 *
 * <p>Run: {@code java -cp fence-bench/target/benchmarks.jar dev.fence.bench.report.Chart
 * --json results.json [--also run2.json,run3.json] [--extras extras.tsv]
 * [--svg docs/benchmarks.svg] [--md table.md]}
 *
 * <p>With {@code --also}, the figures and the verdict still come from {@code --json} (the
 * primary run), and the table gains a column with each row's ratio over every run (smallest to
 * largest); the verdict says in how many runs the row met its target when the runs disagree, and
 * the chart draws the spread as a whisker across the bar. Rows 11 and 13 move with the VM's
 * cross-vCPU latency from fork to fork, which one run alone cannot show.
 */
public final class Chart {

    private Chart() {
    }

    /** How a row's figure is read from a JMH result. */
    private enum Metric {
        SCORE, P50, P99, EMITTER
    }

    /** One comparison: a fence benchmark beside its peer, and the target on their ratio. */
    private static final class Pair {
        final String row;
        final String label;
        final String fence;
        final String peer;
        final String peerName;
        final Metric metric;
        final double target; // NaN: no target (information)
        final boolean higherIsBetter;
        final double fenceAllocMax; // NaN: no allocation target
        final double fenceAbsMax; // NaN: no absolute target; in ns/op (row 9's 150 ns)
        String fenceSetup; // null, or a benchmark of the fence side's untimed setup alone
        String peerSetup; // the same for the peer side

        Pair(String row, String label, String fence, String peer, String peerName, Metric metric,
                double target, boolean higherIsBetter, double fenceAllocMax, double fenceAbsMax) {
            this.row = row;
            this.label = label;
            this.fence = fence;
            this.peer = peer;
            this.peerName = peerName;
            this.metric = metric;
            this.target = target;
            this.higherIsBetter = higherIsBetter;
            this.fenceAllocMax = fenceAllocMax;
            this.fenceAbsMax = fenceAbsMax;
        }

        /**
         * Names the benchmarks that run each side's per-invocation setup alone: JMH counts an
         * untimed {@code Level.Invocation} setup's allocation in {@code gc.alloc.rate.norm}, so
         * the row shows each side's B/op less its setup's.
         */
        Pair setupOnly(String fenceSetupBench, String peerSetupBench) {
            this.fenceSetup = fenceSetupBench;
            this.peerSetup = peerSetupBench;
            return this;
        }
    }

    private static final double NONE = Double.NaN;
    private static final String SIG = "FenceSignalBenchmark.";
    private static final String QRY = "FenceQueryBenchmark.";
    private static final String PP = "FencePingPongBenchmark.roundTrip impl=";
    private static final String FO = "FenceFanOutBenchmark.broadcast impl=";
    private static final String FI = "FenceFanInBenchmark.";
    private static final String CH = "FenceChainBenchmark.";
    private static final String RING = "GpuRingBenchmark.";
    private static final String MRG = "SyncFileMergeBenchmark.";
    private static final String POLL = "SyncPollerBenchmark.";
    private static final String EXEC = "ExecContextLockBenchmark.";
    private static final String RESV = "ReservationFencesBenchmark.";

    private static List<Pair> pairs() {
        List<Pair> p = new ArrayList<>();
        p.add(new Pair("1", "create + signal, no callbacks", SIG + "fenceCreateSignal",
                SIG + "cfCreateComplete", "new CF + complete", Metric.SCORE, 1.5, false, 48, NONE));
        // rows 2 and 5 over 256 distinct objects per invocation: one call alone costs about
        // what JMH's loop does, which pulls a single-object ratio toward 1 (kept as info rows)
        p.add(new Pair("2", "isSignaled on signalled (256 fences per invocation)",
                QRY + "fenceIsSignaledBatch", QRY + "cfIsDoneBatch", "CF.isDone",
                Metric.SCORE, 1.2, false, NONE, NONE));
        p.add(new Pair("2", "isSignaled on signalled, one object (harness-bound)",
                QRY + "fenceIsSignaled", QRY + "cfIsDone", "CF.isDone", Metric.SCORE, NONE, false,
                NONE, NONE));
        p.add(new Pair("3", "1 reused callback + signal", SIG + "fenceOneCallbackSignal",
                SIG + "guavaOneListenerSet", "Guava addListener + set", Metric.SCORE, 1.0, false,
                48, NONE));
        p.add(new Pair("4", "4 callbacks + signal", SIG + "fenceFourCallbacksSignal",
                SIG + "cfFourThenRunComplete", "4 thenRun + complete", Metric.SCORE, 0.5, false,
                NONE, NONE));
        p.add(new Pair("5", "await on signalled (256 fences per invocation)",
                QRY + "fenceAwaitSignaledBatch", QRY + "cfJoinCompletedBatch",
                "CF.join on completed", Metric.SCORE, 1.5, false, 0.5, NONE));
        p.add(new Pair("5", "await on signalled, one object (harness-bound)",
                QRY + "fenceAwaitSignaled", QRY + "cfJoinCompleted", "CF.join on completed",
                Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("6", "ping-pong round trip, median", PP + "FENCE",
                PP + "COMPLETABLE_FUTURE", "CompletableFuture", Metric.P50, 0.5, false, NONE,
                NONE));
        p.add(new Pair("6", "ping-pong round trip, median", PP + "FENCE", PP + "COUNT_DOWN_LATCH",
                "CountDownLatch", Metric.P50, NONE, false, NONE, NONE));
        p.add(new Pair("6", "ping-pong round trip, median", PP + "FENCE", PP + "PARK",
                "raw park/unpark", Metric.P50, NONE, false, NONE, NONE));
        p.add(new Pair("6", "ping-pong round trip, median", PP + "FENCE", PP + "SPIN",
                "raw volatile spin", Metric.P50, NONE, false, NONE, NONE));
        p.add(new Pair("6", "ping-pong round trip, median", PP + "FENCE", PP + "SPIN_THEN_PARK",
                "spin-then-park latch", Metric.P50, NONE, false, NONE, NONE));
        p.add(new Pair("6", "ping-pong round trip, p99", PP + "FENCE", PP + "COMPLETABLE_FUTURE",
                "CompletableFuture", Metric.P99, NONE, false, NONE, NONE));
        p.add(new Pair("6", "ping-pong round trip, mean", PP + "FENCE", PP + "COMPLETABLE_FUTURE",
                "CompletableFuture", Metric.SCORE, NONE, false, NONE, NONE));
        for (String n : new String[] {"1", "4", "16", "64"}) {
            p.add(new Pair("8", "fan-out: one signal wakes " + n, FO + "FENCE waiters=" + n,
                    FO + "COUNT_DOWN_LATCH waiters=" + n, "CountDownLatch", Metric.SCORE, 1.0,
                    false, NONE, NONE));
            p.add(new Pair("8", "fan-out: one signal wakes " + n, FO + "FENCE waiters=" + n,
                    FO + "COMPLETABLE_FUTURE waiters=" + n, "CompletableFuture", Metric.SCORE,
                    NONE, false, NONE, NONE));
            p.add(new Pair("8", "fan-out: one signal wakes " + n, FO + "FENCE waiters=" + n,
                    FO + "SPIN_THEN_PARK waiters=" + n, "spin-then-park latch", Metric.SCORE,
                    NONE, false, NONE, NONE));
        }
        p.add(new Pair("9", "fan-in over 1,000 (per member)", FI + "fenceArrayAll", FI + "cfAllOf",
                "CF.allOf", Metric.SCORE, 0.7, false, NONE, 150));
        p.add(new Pair("9", "fan-in, lazy (polled) array (per member)", FI + "fenceArrayAllPolled",
                FI + "cfAllOf", "CF.allOf", Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("10", "FenceChain append + signal one point", CH + "appendSignal", null, "-",
                Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("10", "FenceChain find on the 64 newest points", CH + "findRecent", null,
                "-", Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("10", "FenceChain append with 256 points in flight",
                CH + "appendWindow", CH + "cfAppendWindow", "CF.allOf(previous, own) chain",
                Metric.SCORE, NONE, false, NONE, NONE));
        // Row 11 is the ring whose idle receiver parks, as the peer's does (and the seed's
        // sleeps); the yielding receiver is the diagnostic (see GpuRingBenchmark).
        p.add(new Pair("11", "GPU ring, 256 in flight (jobs/s)", RING + "fenceWoken",
                RING + "cf", "CF + ArrayBlockingQueue", Metric.EMITTER, 1.5, true, NONE, NONE));
        p.add(new Pair("11d", "GPU ring, idle receiver yields instead of parking (diagnostic)",
                RING + "fence", RING + "cf", "CF + ArrayBlockingQueue", Metric.EMITTER, NONE,
                true, NONE, NONE));
        // both sides build fresh members per invocation (untimed setup, but counted in JMH's
        // B/op): the row subtracts each side's setup-only benchmark
        p.add(new Pair("12", "merge two SyncFiles of 64 fences each", MRG + "syncFileMergeFresh",
                MRG + "cfAllOf", "CF.allOf over the 128", Metric.SCORE, NONE, false, NONE, NONE)
                .setupOnly(MRG + "syncFileSetupOnly", MRG + "cfAllOfSetupOnly"));
        p.add(new Pair("12", "registered SyncPoller: a handle turns ready among 1,000",
                POLL + "syncPollerRegisteredNewReady", POLL + "selectorPipesNewReady",
                "Selector, a pipe turns readable", Metric.SCORE, 1.0, false, NONE, NONE));
        p.add(new Pair("12", "registered SyncPoller: select again, 1 ready of 1,000, nothing new",
                POLL + "syncPollerRegistered", POLL + "selectorPipes", "Selector over 1,000 pipes",
                Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("12", "one-shot SyncPoller.poll, 1 ready of 1,000 (O(n))",
                POLL + "syncPoller", POLL + "selectorPipes", "Selector over 1,000 pipes",
                Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("12", "Selector over 1,000 SyncFile.channel()s",
                POLL + "selectorSyncFileChannels", POLL + "selectorPipes",
                "Selector over 1,000 pipes", Metric.SCORE, NONE, false, NONE, NONE));
        for (String t : new String[] {"2", "4", "8"}) {
            for (String impl : new String[] {"WAIT_DIE", "WOUND_WAIT"}) {
                p.add(new Pair("13", "ExecContext 8 of 64, " + t + " threads, "
                        + impl.toLowerCase(Locale.ROOT).replace('_', '-') + " (txn/ms)",
                        EXEC + "t" + t + " impl=" + impl, EXEC + "t" + t + " impl=SORTED_LOCKS",
                        "sorted ReentrantLocks", Metric.SCORE, 0.8, true, NONE, NONE));
            }
        }
        p.add(new Pair("13", "Reservation.fences(READ) of 4, returned", RESV + "fencesReadReturned",
                null, "-", Metric.SCORE, NONE, false, 0.5, NONE));
        p.add(new Pair("13", "Reservation.fences(READ) of 4, iterated", RESV + "fencesReadIterate",
                RESV + "cowListIterate", "CopyOnWriteArrayList iterated", Metric.SCORE, NONE, false,
                0.5, NONE));
        // diagnostics: the same operations with a caller-supplied timestamp (no System.nanoTime)
        p.add(new Pair("1d", "create + signal(ts) (diagnostic: no clock read)",
                SIG + "fenceCreateSignalGivenTimestamp", SIG + "cfCreateComplete",
                "new CF + complete", Metric.SCORE, NONE, false, NONE, NONE));
        // the clock read that signal() adds and signal(long) skips, against the same peer
        p.add(new Pair("1d", "System.nanoTime() alone (the read signal() adds)",
                SIG + "nanoTime", SIG + "cfCreateComplete", "new CF + complete", Metric.SCORE,
                NONE, false, NONE, NONE));
        p.add(new Pair("3d", "1 callback + signal(ts) (diagnostic)",
                SIG + "fenceOneCallbackSignalGivenTimestamp", SIG + "guavaOneListenerSet",
                "Guava addListener + set", Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("4d", "4 callbacks + signal(ts) (diagnostic)",
                SIG + "fenceFourCallbacksSignalGivenTimestamp", SIG + "cfFourThenRunComplete",
                "4 thenRun + complete", Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("10d", "FenceChain append, 256 in flight, signal(ts) (diagnostic)",
                CH + "appendWindowGivenTimestamp", CH + "cfAppendWindow",
                "CF.allOf(previous, own) chain", Metric.SCORE, NONE, false, NONE, NONE));
        p.add(new Pair("9d", "fan-in, members signal(ts) (diagnostic, per member)",
                FI + "fenceArrayAllGivenTimestamp", FI + "cfAllOf", "CF.allOf", Metric.SCORE, NONE,
                false, NONE, NONE));
        return p;
    }

    /** One measured result. */
    private static final class Result {
        double score;
        double error;
        String unit;
        double p50 = NONE;
        double p99 = NONE;
        double alloc = NONE;
        double allocRate = NONE; // gc.alloc.rate, MB/s
        double emitter = NONE;
    }

    /** One published line. */
    private static final class Line {
        String row;
        String label;
        String fence;
        String peerName;
        String peer;
        String unit;
        double ratio = NONE; // fence cost / peer cost (lower is better), for the chart
        String ratioText;
        String target;
        String met;
        double targetCost = NONE; // target expressed as a cost ratio, for the chart
        double raw = NONE; // fence / peer of the figures, as printed
        String spread; // the ratio over every run, or null (one run, or no peer)
        double lowCost = NONE; // the spread as cost ratios, for the chart's whisker
        double highCost = NONE;
    }

    /**
     * Writes the table and the chart.
     *
     * @param args {@code --json FILE [--also FILE,FILE...] [--extras FILE] [--svg FILE]
     *     [--md FILE]}
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        if (!opts.containsKey("--json")) {
            System.err.println("usage: Chart --json results.json [--also run2.json,...]"
                    + " [--extras extras.tsv] [--svg out.svg] [--md out.md]");
            System.exit(2);
        }
        Map<String, Result> results = read(Path.of(opts.get("--json")));
        List<Map<String, Result>> others = new ArrayList<>();
        if (opts.containsKey("--also")) {
            for (String f : opts.get("--also").split(",")) {
                others.add(read(Path.of(f.trim())));
            }
        }
        List<Line> lines = new ArrayList<>();
        for (Pair p : pairs()) {
            Line l = line(p, results);
            if (l != null) {
                if (!others.isEmpty()) {
                    spread(p, l, others);
                }
                lines.add(l);
            }
        }
        if (opts.containsKey("--extras") && Files.exists(Path.of(opts.get("--extras")))) {
            for (String tsv : Files.readAllLines(Path.of(opts.get("--extras")),
                    StandardCharsets.UTF_8)) {
                if (!tsv.isBlank()) {
                    lines.add(extra(tsv.split("\t")));
                }
            }
        }
        lines.sort((a, b) -> Double.compare(rowKey(a.row), rowKey(b.row)));
        String md = markdown(lines);
        System.out.print(md);
        if (opts.containsKey("--md")) {
            Files.writeString(Path.of(opts.get("--md")), md, StandardCharsets.UTF_8);
        }
        if (opts.containsKey("--svg")) {
            Files.writeString(Path.of(opts.get("--svg")), svg(lines), StandardCharsets.UTF_8);
        }
    }

    /** One row's fence/peer ratio in one run, as the table prints it. */
    static final class RowRatio {
        /** The row, e.g. {@code "13"} or {@code "1d"}. */
        final String row;
        /** What the row measures, and against which peer. */
        final String what;
        /** fence / peer of the printed figures (for throughput rows, higher is better). */
        final double ratio;
        /** The verdict: {@code "yes"}, {@code "**NO**"}, or {@code "-"} without a target. */
        final String met;

        RowRatio(String row, String what, double ratio, String met) {
            this.row = row;
            this.what = what;
            this.ratio = ratio;
            this.met = met;
        }
    }

    /**
     * Every row of one JMH result file that has both the fence benchmark and its peer, in the
     * order the pairs are defined (row order): for tools that group runs by something the table
     * does not know ({@link TaggedForks}).
     *
     * @param json a JMH JSON result file
     * @return the rows' ratios and verdicts
     * @throws IOException if the file cannot be read
     */
    static List<RowRatio> ratios(Path json) throws IOException {
        Map<String, Result> results = read(json);
        List<RowRatio> out = new ArrayList<>();
        for (Pair p : pairs()) {
            Line l = line(p, results);
            if (l != null && !Double.isNaN(l.raw)) {
                out.add(new RowRatio(l.row, l.label + " vs " + l.peerName, l.raw, l.met));
            }
        }
        return out;
    }

    private static double rowKey(String row) {
        String digits = row.replaceAll("[^0-9]", "");
        return Integer.parseInt(digits) + (row.endsWith("d") ? 0.5 : 0.0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Result> read(Path json) throws IOException {
        List<Object> runs =
                (List<Object>) Json.parse(Files.readString(json, StandardCharsets.UTF_8));
        Map<String, Result> out = new LinkedHashMap<>();
        for (Object o : runs) {
            Map<String, Object> run = (Map<String, Object>) o;
            String name = (String) run.get("benchmark");
            String[] parts = name.split("\\.");
            StringBuilder key =
                    new StringBuilder(parts[parts.length - 2] + "." + parts[parts.length - 1]);
            Map<String, Object> params = (Map<String, Object>) run.get("params");
            if (params != null) {
                // impl first, then the rest, in name order
                Map<String, Object> sorted = new TreeMap<>(params);
                String sep = " ";
                if (sorted.containsKey("impl")) {
                    key.append(sep).append("impl=").append(sorted.remove("impl"));
                }
                for (Map.Entry<String, Object> e : sorted.entrySet()) {
                    key.append(sep).append(e.getKey()).append('=').append(e.getValue());
                }
            }
            Map<String, Object> pm = (Map<String, Object>) run.get("primaryMetric");
            Result r = new Result();
            r.score = num(pm.get("score"));
            r.error = num(pm.get("scoreError"));
            r.unit = (String) pm.get("scoreUnit");
            Map<String, Object> pct = (Map<String, Object>) pm.get("scorePercentiles");
            if (pct != null) {
                r.p50 = num(pct.get("50.0"));
                r.p99 = num(pct.get("99.0"));
            }
            Map<String, Object> sec = (Map<String, Object>) run.get("secondaryMetrics");
            if (sec != null) {
                for (Map.Entry<String, Object> e : sec.entrySet()) {
                    Map<String, Object> m = (Map<String, Object>) e.getValue();
                    if (e.getKey().equals("gc.alloc.rate.norm")) {
                        r.alloc = num(m.get("score"));
                    } else if (e.getKey().equals("gc.alloc.rate")) {
                        r.allocRate = num(m.get("score"));
                    } else if (e.getKey().endsWith("Emit")) {
                        // the table prints jobs/s and divides MB/sec by it: bring a run made
                        // with another time unit (-tu ms) to per second
                        r.emitter = num(m.get("score")) * perSecond((String) m.get("scoreUnit"));
                    }
                }
            }
            if (!Double.isNaN(r.emitter) && !Double.isNaN(r.allocRate)) {
                // a @Group's gc.alloc.rate.norm divides by emitter + receiver operations; the
                // row's unit is the job, so report bytes per emitted job instead
                r.alloc = r.allocRate * 1024 * 1024 / r.emitter;
            }
            out.put(key.toString(), r);
        }
        return out;
    }

    /**
     * The factor that turns a rate in {@code unit} ({@code ops/ms}, ...) into one per second; NaN
     * for a unit that is not a rate (a ring run in another mode has no jobs/s figure).
     */
    private static double perSecond(String unit) {
        String per = unit == null ? "s" : unit.substring(unit.indexOf('/') + 1);
        switch (per) {
            case "ns":
                return 1e9;
            case "us":
                return 1e6;
            case "ms":
                return 1e3;
            case "min":
                return 1.0 / 60;
            case "s":
                return 1.0;
            default:
                return NONE;
        }
    }

    /**
     * The factor that turns a time per operation in {@code unit} ({@code us/op}, ...) into ns;
     * NaN for a unit that is not a time per operation (a throughput run, {@code ops/us}), whose
     * row then reads n/a instead of aborting the whole table.
     */
    private static double nanosPer(String unit) {
        switch (unit == null ? "" : unit) {
            case "ns/op":
                return 1.0;
            case "us/op":
                return 1e3;
            case "ms/op":
                return 1e6;
            case "s/op":
                return 1e9;
            case "min/op":
                return 60e9;
            default:
                return NONE;
        }
    }

    private static double num(Object o) {
        if (o instanceof Double) {
            return (Double) o;
        }
        if (o instanceof String) {
            try {
                return Double.parseDouble((String) o);
            } catch (NumberFormatException e) {
                return NONE;
            }
        }
        return NONE;
    }

    private static double pick(Result r, Metric m) {
        switch (m) {
            case P50:
                return r.p50;
            case P99:
                return r.p99;
            case EMITTER:
                return r.emitter;
            default:
                return r.score;
        }
    }

    private static Line line(Pair p, Map<String, Result> results) {
        Result f = results.get(p.fence);
        if (f == null) {
            return null;
        }
        Result q = p.peer == null ? null : results.get(p.peer);
        if (q == null && p.peer != null && Double.isNaN(p.target)) {
            return null; // an info line whose peer did not run (an older run, a filter): no line
        }
        Line l = new Line();
        l.row = p.row;
        l.label = p.label;
        l.peerName = p.peerName;
        String unit = p.metric == Metric.EMITTER ? "jobs/s" : f.unit;
        l.unit = unit;
        double fv = pick(f, p.metric);
        l.fence = fig(fv, unit) + alloc(f, setup(p.fenceSetup, results));
        l.peer = q == null ? "-"
                : fig(pick(q, p.metric), unit) + alloc(q, setup(p.peerSetup, results));
        boolean met = true;
        // why a target could not be judged (null: every target was): a pair whose peer did not
        // run (a filtered or failed run) has no ratio, and a run in a mode other than a time
        // per operation has no figure for row 9's ns/op target. Without this the row read "yes"
        // on its other targets alone; a target that was judged and missed still reads NO.
        String unjudged = null;
        List<String> targets = new ArrayList<>();
        if (q != null && (Double.isNaN(fv) || Double.isNaN(pick(q, p.metric)))) {
            // both ran, but a side has no figure in this metric (a ring run in a mode without
            // a rate has no jobs/s): no ratio, and its target cannot be judged
            l.ratioText = "n/a";
            if (!Double.isNaN(p.target)) {
                targets.add((p.higherIsBetter ? ">= " : "<= ") + p.target + "x");
                unjudged = "no figure to compare";
            }
        } else if (q != null) {
            double qv = pick(q, p.metric);
            double ratio = fv / qv;
            l.raw = ratio;
            l.ratioText = String.format(Locale.ROOT, "%.2fx", ratio);
            l.ratio = p.higherIsBetter ? qv / fv : ratio;
            if (!Double.isNaN(p.target)) {
                targets.add((p.higherIsBetter ? ">= " : "<= ") + p.target + "x");
                met &= p.higherIsBetter ? ratio >= p.target : ratio <= p.target;
                l.targetCost = p.higherIsBetter ? 1.0 / p.target : p.target;
            }
        } else {
            l.ratioText = "-";
            if (p.peer != null) {
                l.peer = "not run";
                if (!Double.isNaN(p.target)) {
                    targets.add((p.higherIsBetter ? ">= " : "<= ") + p.target + "x");
                    unjudged = "peer not run";
                }
            }
        }
        if (!Double.isNaN(p.fenceAllocMax)) {
            targets.add(p.fenceAllocMax < 1 ? "0 B/op" : "<= " + (long) p.fenceAllocMax + " B/op");
            // gc.alloc.rate.norm reads a hair above the true size (48.0002 for 48 B): allow
            // half a byte, as the 0 B/op rows' limit of 0.5 already does
            double limit = Math.floor(p.fenceAllocMax) + 0.5;
            met &= !Double.isNaN(f.alloc) && f.alloc <= limit;
        }
        if (!Double.isNaN(p.fenceAbsMax)) {
            // the target is in ns/op; a run made with another time unit (-tu us) is converted
            targets.add("<= " + (long) p.fenceAbsMax + " ns/op");
            double toNs = nanosPer(unit);
            if (Double.isNaN(toNs)) {
                unjudged = unjudged != null ? unjudged : "not a time per op: " + unit;
            } else {
                met &= fv * toNs <= p.fenceAbsMax;
            }
        }
        l.target = targets.isEmpty() ? "(info)" : String.join(", ", targets);
        l.met = targets.isEmpty() ? "-" : !met ? "**NO**"
                : unjudged != null ? "n/a (" + unjudged + ")" : "yes";
        return l;
    }

    /** Adds the ratio of {@code l}'s pair in every run to {@code l}, and how many runs met. */
    private static void spread(Pair p, Line l, List<Map<String, Result>> others) {
        if (Double.isNaN(l.raw)) {
            return;
        }
        List<Line> all = new ArrayList<>();
        all.add(l);
        for (Map<String, Result> run : others) {
            Line o = line(p, run);
            if (o != null && !Double.isNaN(o.raw)) {
                all.add(o);
            }
        }
        if (all.size() < 2) {
            return;
        }
        List<Double> ratios = new ArrayList<>();
        int met = 0;
        for (Line o : all) {
            ratios.add(o.raw);
            met += o.met.equals("yes") ? 1 : 0;
            l.lowCost = Double.isNaN(l.lowCost) ? o.ratio : Math.min(l.lowCost, o.ratio);
            l.highCost = Double.isNaN(l.highCost) ? o.ratio : Math.max(l.highCost, o.ratio);
        }
        ratios.sort(null);
        StringBuilder sb = new StringBuilder();
        for (double r : ratios) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", r));
        }
        l.spread = sb.append('x').toString();
        if (!l.met.equals("-") && met != 0 && met != all.size()) {
            l.met += " (met in " + met + " of " + all.size() + " runs)";
        }
    }

    private static Result setup(String bench, Map<String, Result> results) {
        return bench == null ? null : results.get(bench);
    }

    /** {@code r}'s B/op, less {@code setup}'s when that setup-only benchmark ran. */
    private static String alloc(Result r, Result setup) {
        if (setup != null && !Double.isNaN(r.alloc) && !Double.isNaN(setup.alloc)) {
            double op = Math.max(0.0, r.alloc - setup.alloc);
            return String.format(Locale.ROOT, " (%.0f B/op without setup)", op);
        }
        return alloc(r);
    }

    private static String alloc(Result r) {
        if (Double.isNaN(r.alloc)) {
            return "";
        }
        return String.format(Locale.ROOT, " (%s B/op)",
                r.alloc < 0.5 ? "0" : String.format(Locale.ROOT, "%.0f", r.alloc));
    }

    private static String fig(double v, String unit) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        String u = unit.replace("ops/s", "op/s");
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%,.2f M %s", v / 1e6,
                    u.replace("op/s", "/s").replace("jobs/s", "jobs/s"));
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%,.0f %s", v, u);
        }
        return String.format(Locale.ROOT, "%.3g %s", v, u);
    }

    private static Line extra(String[] c) {
        // row, what, fence, peer name, peer, unit, target, met
        Line l = new Line();
        l.row = c[0];
        l.label = c[1];
        l.fence = c[2] + " " + c[5];
        l.peerName = c[3];
        l.peer = c[4].equals("-") ? "-" : c[4] + " " + c[5];
        l.unit = c[5];
        if (!c[4].equals("-")) {
            double ratio = Double.parseDouble(c[2]) / Double.parseDouble(c[4]);
            l.ratio = ratio;
            l.ratioText = String.format(Locale.ROOT, "%.2fx", ratio);
        } else {
            l.ratioText = "-";
        }
        l.target = c[6];
        l.met = c[7].equals("yes") ? "yes" : c[7].equals("NO") ? "**NO**" : c[7];
        return l;
    }

    private static String markdown(List<Line> lines) {
        boolean spread = lines.stream().anyMatch(l -> l.spread != null);
        StringBuilder sb = new StringBuilder();
        sb.append("| # | what | fence | peer | peer figure | fence/peer |")
                .append(spread ? " fence/peer, every run |" : "").append(" target | met |\n");
        sb.append("|---|---|---|---|---|---|").append(spread ? "---|" : "").append("---|---|\n");
        for (Line l : lines) {
            sb.append("| ").append(l.row).append(" | ").append(l.label).append(" | ")
                    .append(l.fence).append(" | ").append(l.peerName).append(" | ")
                    .append(l.peer).append(" | ").append(l.ratioText).append(" | ");
            if (spread) {
                sb.append(l.spread == null ? "-" : l.spread).append(" | ");
            }
            sb.append(l.target).append(" | ").append(l.met).append(" |\n");
        }
        return sb.toString();
    }

    // ---- SVG ------------------------------------------------------------------------------------

    private static final double MIN_RATIO = 1.0 / 32;
    private static final double MAX_RATIO = 32;

    private static String svg(List<Line> all) {
        List<Line> lines = new ArrayList<>();
        for (Line l : all) {
            if (!Double.isNaN(l.ratio)) {
                lines.add(l);
            }
        }
        int labelW = 540;
        int plotW = 520;
        int rowH = 22;
        int top = 60;
        int height = top + rowH * lines.size() + 60;
        int width = labelW + plotW + 40;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\""
                + " width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
                width, height));
        s.append("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">"
                + "fence cost relative to the peer "
                + "(log scale; left of 1x = fence faster or smaller)</text>\n");
        s.append("<text x=\"10\" y=\"38\" fill=\"#555\">"
                + "bar: fence/peer time (throughput rows: peer/fence); "
                + "black tick: target; green: target met, red: missed, grey: no ratio target"
                + " (absolute targets: see the table);"
                + " whisker: spread over every run</text>\n");
        // grid
        for (double g = MIN_RATIO; g <= MAX_RATIO * 1.0001; g *= 2) {
            double x = labelW + xOf(g, plotW);
            String gridLine =
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>%n";
            s.append(String.format(Locale.ROOT, gridLine,
                    x, top - 6, x, top + rowH * lines.size(), g == 1.0 ? "#000000" : "#dddddd"));
            String label = g >= 1
                    ? String.format(Locale.ROOT, "%.0fx", g) : "1/" + Math.round(1 / g) + "x";
            String gridLabel = "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">"
                    + "%s</text>%n";
            s.append(String.format(Locale.ROOT, gridLabel,
                    x, top + rowH * lines.size() + 16, label));
        }
        double one = labelW + xOf(1.0, plotW);
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            int y = top + i * rowH;
            // Only a ratio target is drawn against the bar; a row whose target is absolute
            // (idle CPU, bytes) is grey, or a met 2x bar would read as "fence faster".
            String color = Double.isNaN(l.targetCost) ? "#9a9a9a"
                    : l.met.startsWith("yes") ? "#2e9d4a"
                    : l.met.contains("NO") ? "#d0433a" : "#9a9a9a";
            double x = labelW + xOf(clamp(l.ratio), plotW);
            s.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    labelW - 8, y + 15, esc(l.row + "  " + l.label
                            + (l.peerName.equals("-") ? "" : " vs " + l.peerName))));
            String bar = "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n";
            s.append(String.format(Locale.ROOT, bar,
                    Math.min(one, x), y + 3, Math.abs(x - one), rowH - 6, color));
            String barLabel = "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"%s\">"
                    + "%s</text>%n";
            s.append(String.format(Locale.ROOT, barLabel,
                    x + (x >= one ? 4 : -4), y + 15, x >= one ? "start" : "end",
                    String.format(Locale.ROOT, "%.2fx", l.ratio)));
            if (!Double.isNaN(l.lowCost)) {
                // the spread over every run: a thin line across the bar, ticked at both ends
                double x0 = labelW + xOf(clamp(l.lowCost), plotW);
                double x1 = labelW + xOf(clamp(l.highCost), plotW);
                int yc = y + rowH / 2;
                String whisker = "<path d=\"M%.1f %d V%d M%.1f %d H%.1f M%.1f %d V%d\""
                        + " stroke=\"#333\" fill=\"none\"/>%n";
                s.append(String.format(Locale.ROOT, whisker, x0, yc - 4, yc + 4, x0, yc, x1,
                        x1, yc - 4, yc + 4));
            }
            if (!Double.isNaN(l.targetCost)) {
                double tx = labelW + xOf(l.targetCost, plotW);
                String targetTick = "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                        + " stroke=\"#000\" stroke-width=\"2\"/>%n";
                s.append(String.format(Locale.ROOT, targetTick,
                        tx, y + 1, tx, y + rowH - 1));
            }
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double clamp(double r) {
        return Math.max(MIN_RATIO, Math.min(MAX_RATIO, r));
    }

    private static double xOf(double ratio, int plotW) {
        double lo = Math.log(MIN_RATIO);
        double hi = Math.log(MAX_RATIO);
        return (Math.log(ratio) - lo) / (hi - lo) * plotW;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
