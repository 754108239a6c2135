package dev.fence.bench.report;

import dev.fence.bench.CrossCpuProbe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs JMH one fork at a time, measures the machine's cross-CPU round trip
 * ({@link CrossCpuProbe}) before and after each fork, and groups every row's fence/peer ratio
 * by the mode the fork ran in.
 *
 * <p>Rows that live on cross-CPU traffic (11's ring, 13's contended locks) are bimodal on a VM
 * whose cross-vCPU latency changes mode (about 30-110 ns or 380-410 ns on the machine of
 * docs/benchmarks.md), so one fork is one draw from two distributions. Sessions 13 to 15 tagged
 * forks by hand, a probe run before and after each; this runs that method as one command:
 *
 * <pre>
 * java -cp fence-bench/target/benchmarks.jar dev.fence.bench.report.TaggedForks \
 *      --forks 8 --out tagged -- 'ExecContextLockBenchmark.t8' -wi 2 -i 3
 * </pre>
 *
 * <p>Everything after {@code --} is passed to JMH as on its command line, except that each run
 * has one fork and writes JSON to {@code OUT/fork-K.json}. A fork is {@code fast} when both
 * probes read below the threshold ({@code --threshold}, default
 * {@value #DEFAULT_THRESHOLD_NANOS} ns), {@code slow} when both read at or above it, and
 * {@code mixed} otherwise (the mode changed somewhere in the fork). Writes
 * {@code OUT/tagged.tsv} (one line per fork and row) and prints, for every row with a peer,
 * the ratio's minimum, median and maximum and how many forks met the target, per mode. A row
 * with an allocation target (1, 3, 5) is only met with {@code -prof gc} among the JMH options.
 */
public final class TaggedForks {

    /** Between this VM's fast (up to about 120 ns) and slow (380 ns and up) modes. */
    static final long DEFAULT_THRESHOLD_NANOS = 200;

    private TaggedForks() {
    }

    /** Which cross-CPU mode a fork ran in, judged by the probes on either side of it. */
    enum Mode {
        /** Both probes below the threshold. */
        FAST,
        /** Both probes at or above the threshold. */
        SLOW,
        /** One of each: the mode changed during the fork, or around it. */
        MIXED;

        /** The mode as the outputs print it. */
        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One row's ratio in one fork, with the fork's probes. */
    static final class Tagged {
        final int fork;
        final long beforeNanos;
        final long afterNanos;
        final Mode mode;
        final Chart.RowRatio row;

        Tagged(int fork, long beforeNanos, long afterNanos, Mode mode, Chart.RowRatio row) {
            this.fork = fork;
            this.beforeNanos = beforeNanos;
            this.afterNanos = afterNanos;
            this.mode = mode;
            this.row = row;
        }
    }

    /**
     * Runs the forks and prints the grouped ratios.
     *
     * @param args {@code [--forks N] [--out DIR] [--threshold NS] [--trips N] -- JMH options}
     * @throws IOException if a result cannot be written or read
     * @throws RunnerException if JMH fails
     * @throws CommandLineOptionException if the JMH options are not valid
     * @throws InterruptedException if interrupted during a probe
     */
    public static void main(String[] args)
            throws IOException, RunnerException, CommandLineOptionException,
            InterruptedException {
        int forks = 6;
        Path out = Path.of("tagged");
        long threshold = DEFAULT_THRESHOLD_NANOS;
        int trips = 300_000;
        int i = 0;
        parse:
        for (; i < args.length; i++) {
            switch (args[i]) {
                case "--forks":
                    forks = positive("--forks", args, ++i);
                    break;
                case "--out":
                    out = Path.of(value("--out", args, ++i));
                    break;
                case "--threshold":
                    threshold = positive("--threshold", args, ++i);
                    break;
                case "--trips":
                    trips = positive("--trips", args, ++i);
                    break;
                case "--":
                    i++;
                    break parse;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + "; usage: TaggedForks [--forks N] [--out DIR] [--threshold NS]"
                            + " [--trips N] -- JMH options");
            }
        }
        CommandLineOptions jmh = new CommandLineOptions(Arrays.copyOfRange(args, i, args.length));
        Files.createDirectories(out);
        List<Tagged> tagged = new ArrayList<>();
        StringBuilder forksLine = new StringBuilder();
        for (int k = 1; k <= forks; k++) {
            long before = CrossCpuProbe.roundTripNanos(trips);
            Path json = out.resolve("fork-" + k + ".json");
            Options one = new OptionsBuilder().parent(jmh).forks(1)
                    .resultFormat(ResultFormatType.JSON).result(json.toString()).build();
            new Runner(one).run();
            long after = CrossCpuProbe.roundTripNanos(trips);
            Mode m = mode(before, after, threshold);
            forksLine.append(String.format(Locale.ROOT, "fork %d: %d ns before, %d ns after: %s%n",
                    k, before, after, m.label()));
            for (Chart.RowRatio r : Chart.ratios(json)) {
                tagged.add(new Tagged(k, before, after, m, r));
            }
        }
        Files.writeString(out.resolve("tagged.tsv"), tsv(tagged), StandardCharsets.UTF_8);
        System.out.println();
        System.out.print(forksLine);
        System.out.println();
        System.out.print(summary(tagged));
    }

    private static String value(String name, String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static int positive(String name, String[] args, int i) {
        int v = Integer.parseInt(value(name, args, i));
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + v);
        }
        return v;
    }

    /**
     * The mode of a fork between two probe readings.
     *
     * @param beforeNanos the round trip measured before the fork
     * @param afterNanos the round trip measured after it
     * @param thresholdNanos readings at or above this are the slow mode
     * @return the fork's mode
     */
    static Mode mode(long beforeNanos, long afterNanos, long thresholdNanos) {
        boolean slowBefore = beforeNanos >= thresholdNanos;
        boolean slowAfter = afterNanos >= thresholdNanos;
        if (slowBefore != slowAfter) {
            return Mode.MIXED;
        }
        return slowBefore ? Mode.SLOW : Mode.FAST;
    }

    /** One line per fork and row: fork, probes, mode, row, what, ratio, verdict. */
    static String tsv(List<Tagged> tagged) {
        StringBuilder sb =
                new StringBuilder("fork\tbefore_ns\tafter_ns\tmode\trow\twhat\tratio\tmet\n");
        for (Tagged t : tagged) {
            sb.append(t.fork).append('\t').append(t.beforeNanos).append('\t')
                    .append(t.afterNanos).append('\t')
                    .append(t.mode.label()).append('\t')
                    .append(t.row.row).append('\t').append(t.row.what).append('\t')
                    .append(String.format(Locale.ROOT, "%.3f", t.row.ratio)).append('\t')
                    .append(t.row.met).append('\n');
        }
        return sb.toString();
    }

    /**
     * A Markdown table: for every row (in the order first seen) and every mode that row ran
     * in (fast, mixed, slow), the number of forks, the ratio's minimum, median and maximum,
     * and how many of those forks met the row's target.
     *
     * @param tagged every fork's rows
     * @return the table
     */
    static String summary(List<Tagged> tagged) {
        Map<String, Map<Mode, List<Tagged>>> byRow = new LinkedHashMap<>();
        for (Tagged t : tagged) {
            byRow.computeIfAbsent(t.row.row + "\t" + t.row.what, k -> new LinkedHashMap<>())
                    .computeIfAbsent(t.mode, k -> new ArrayList<>()).add(t);
        }
        StringBuilder sb = new StringBuilder(
                "| # | what | cross-CPU mode | forks | fence/peer min / median / max | met |\n"
                + "|---|---|---|---|---|---|\n");
        for (Map<Mode, List<Tagged>> modes : byRow.values()) {
            for (Mode m : new Mode[] {Mode.FAST, Mode.MIXED, Mode.SLOW}) {
                List<Tagged> ts = modes.get(m);
                if (ts == null) {
                    continue;
                }
                double[] r = new double[ts.size()];
                int met = 0;
                boolean hasTarget = false;
                for (int j = 0; j < r.length; j++) {
                    r[j] = ts.get(j).row.ratio;
                    hasTarget |= !ts.get(j).row.met.equals("-");
                    met += ts.get(j).row.met.equals("yes") ? 1 : 0;
                }
                Arrays.sort(r);
                double median = r.length % 2 == 1 ? r[r.length / 2]
                        : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
                Chart.RowRatio row = ts.get(0).row;
                sb.append(String.format(Locale.ROOT,
                        "| %s | %s | %s | %d | %.2f / %.2f / %.2fx | %s |%n", row.row, row.what,
                        m.label(), r.length, r[0], median, r[r.length - 1],
                        hasTarget ? met + " of " + r.length : "-"));
            }
        }
        return sb.toString();
    }
}
