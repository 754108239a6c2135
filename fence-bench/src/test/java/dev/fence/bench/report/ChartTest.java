package dev.fence.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Chart} over hand-written JMH JSON: the table's verdicts and the spread over runs. */
class ChartTest {

    @TempDir
    Path dir;

    /** A JMH result for {@code FenceSignalBenchmark.<method>}: a time and an allocation. */
    static String result(String method, double nsPerOp, double bytesPerOp) {
        return "{\"benchmark\": \"dev.fence.bench.FenceSignalBenchmark." + method + "\","
                + " \"params\": null, \"primaryMetric\": {\"score\": " + nsPerOp
                + ", \"scoreError\": 0.1, \"scoreUnit\": \"ns/op\"},"
                + " \"secondaryMetrics\": {\"gc.alloc.rate.norm\": {\"score\": " + bytesPerOp
                + "}}}";
    }

    /** Row 1 (target <= 1.5x and <= 48 B/op): the fence at {@code fenceNs} against 20 ns. */
    private Path run(String name, double fenceNs) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "[" + result("fenceCreateSignal", fenceNs, 48.0002) + ", "
                + result("cfCreateComplete", 20, 24) + "]", StandardCharsets.UTF_8);
        return p;
    }

    private List<String> table(String... args) throws IOException {
        Path md = dir.resolve("table.md");
        String[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--md";
        all[args.length + 1] = md.toString();
        Chart.main(all);
        return Files.readAllLines(md, StandardCharsets.UTF_8);
    }

    private static String row1(List<String> lines) {
        List<String> rows = lines.stream().filter(l -> l.startsWith("| 1 |"))
                .collect(Collectors.toList());
        assertEquals(1, rows.size(), String.join("\n", lines));
        return rows.get(0);
    }

    @Test
    void oneRunGivesTheRatioAndTheVerdict() throws IOException {
        List<String> t = table("--json", run("a.json", 20).toString());
        assertEquals("| # | what | fence | peer | peer figure | fence/peer | target | met |",
                t.get(0));
        String r = row1(t);
        assertTrue(r.contains("| 1.00x |"), r);
        assertTrue(r.endsWith("| <= 1.5x, <= 48 B/op | yes |"), r);
        String missed = row1(table("--json", run("b.json", 40).toString()));
        assertTrue(missed.contains("| 2.00x |") && missed.endsWith("| **NO** |"), missed);
    }

    @Test
    void aRowWhosePeerDidNotRunIsNotMet() throws IOException {
        // only the fence side of row 1 ran (say, a one-benchmark rerun): its 48 B/op is within
        // the row's B/op target, but the 1.5x ratio target cannot be judged without the peer
        Path p = dir.resolve("fence-only.json");
        Files.writeString(p, "[" + result("fenceCreateSignal", 20, 48.0002) + "]",
                StandardCharsets.UTF_8);
        String r = row1(table("--json", p.toString()));
        assertTrue(r.contains("| new CF + complete | not run | - |"), r);
        assertTrue(r.endsWith("| <= 1.5x, <= 48 B/op | n/a (peer not run) |"), r);
    }

    @Test
    void aRowWhosePeerDidNotRunButMissedItsOwnTargetIsNotMet() throws IOException {
        // only the fence side of row 1 ran, at 96 B/op: whatever the peer would have shown, the
        // row's 48 B/op target is missed, so the verdict is NO, not n/a
        Path p = dir.resolve("fence-only-fat.json");
        Files.writeString(p, "[" + result("fenceCreateSignal", 20, 96) + "]",
                StandardCharsets.UTF_8);
        String r = row1(table("--json", p.toString()));
        assertTrue(r.contains("| new CF + complete | not run | - |"), r);
        assertTrue(r.endsWith("| <= 1.5x, <= 48 B/op | **NO** |"), r);
    }

    @Test
    void row9InAThroughputRunIsNotJudgedOnItsNanosecondTarget() throws IOException {
        // a run made in throughput mode (-bm thrpt passes through TaggedForks too): the table
        // is still written; row 9's ns/op target cannot be judged on ops/us (the ratio, 0.50x,
        // is within its 0.7x, so the verdict is left to the absolute target)
        Path p = dir.resolve("fanin-thrpt.json");
        Files.writeString(p, "[" + fanIn("fenceArrayAll", 2.0, "ops/us") + ", "
                + fanIn("cfAllOf", 4.0, "ops/us") + "]", StandardCharsets.UTF_8);
        List<String> rows = table("--json", p.toString()).stream()
                .filter(l -> l.startsWith("| 9 |")).collect(Collectors.toList());
        assertEquals(1, rows.size());
        String r = rows.get(0);
        assertTrue(r.endsWith("| <= 0.7x, <= 150 ns/op | n/a (not a time per op: ops/us) |"), r);
    }

    @Test
    void row9sAbsoluteTargetIsNanosecondsInAnyTimeUnit() throws IOException {
        // fan-in at 200 ns per member (over the 150 ns target) against a peer at 400 ns (0.5x,
        // within 0.7x), reported in ns/op and in us/op (-tu us): missed both times
        for (String unit : new String[] {"ns/op", "us/op"}) {
            double k = unit.equals("ns/op") ? 1 : 1e-3;
            Path p = dir.resolve("fanin-" + unit.replace('/', '-') + ".json");
            Files.writeString(p, "[" + fanIn("fenceArrayAll", 200 * k, unit) + ", "
                    + fanIn("cfAllOf", 400 * k, unit) + "]", StandardCharsets.UTF_8);
            List<String> rows = table("--json", p.toString()).stream()
                    .filter(l -> l.startsWith("| 9 |")).collect(Collectors.toList());
            assertEquals(1, rows.size(), unit);
            String r = rows.get(0);
            assertTrue(r.endsWith("| 0.50x | <= 0.7x, <= 150 ns/op | **NO** |"), unit + ": " + r);
        }
    }

    @Test
    void row12sMergeShowsEachSidesAllocationWithoutItsSetup() throws IOException {
        // JMH counts the untimed per-invocation setup in B/op: 7,400 B of fresh files and
        // 3,100 B of fresh futures; the merge itself allocates 7,000 B and allOf 12,200 B
        Path p = dir.resolve("merge.json");
        Files.writeString(p, "[" + merge("syncFileMergeFresh", 3500, 14400) + ", "
                + merge("syncFileSetupOnly", 10, 7400) + ", " + merge("cfAllOf", 2400, 15300)
                + ", " + merge("cfAllOfSetupOnly", 10, 3100) + "]", StandardCharsets.UTF_8);
        List<String> rows = table("--json", p.toString()).stream()
                .filter(l -> l.startsWith("| 12 | merge")).collect(Collectors.toList());
        assertEquals(1, rows.size());
        String r = rows.get(0);
        assertTrue(r.contains("| 3,500 ns/op (7000 B/op without setup) |"), r);
        assertTrue(r.contains("| 2,400 ns/op (12200 B/op without setup) | 1.46x |"), r);

        // without the setup-only runs, the raw figures as before
        Path q = dir.resolve("merge-raw.json");
        Files.writeString(q, "[" + merge("syncFileMergeFresh", 3500, 14400) + ", "
                + merge("cfAllOf", 2400, 15300) + "]", StandardCharsets.UTF_8);
        String raw = table("--json", q.toString()).stream()
                .filter(l -> l.startsWith("| 12 | merge")).findFirst().orElseThrow();
        assertTrue(raw.contains("| 3,500 ns/op (14400 B/op) |"), raw);
    }

    private static String merge(String method, double ns, double bytes) {
        return "{\"benchmark\": \"dev.fence.bench.SyncFileMergeBenchmark." + method + "\","
                + " \"params\": null, \"primaryMetric\": {\"score\": " + ns
                + ", \"scoreError\": 0.1, \"scoreUnit\": \"ns/op\"},"
                + " \"secondaryMetrics\": {\"gc.alloc.rate.norm\": {\"score\": " + bytes
                + "}}}";
    }

    private static String fanIn(String method, double score, String unit) {
        return "{\"benchmark\": \"dev.fence.bench.FenceFanInBenchmark." + method + "\","
                + " \"params\": null, \"primaryMetric\": {\"score\": " + score
                + ", \"scoreError\": 0.1, \"scoreUnit\": \"" + unit + "\"}}";
    }

    /** A JMH {@code @Group} result for {@code GpuRingBenchmark.<group>}, in {@code unit}. */
    static String ring(String group, String emit, double emitRate, double total, String unit,
            double mbPerSec, double norm) {
        return "{\"benchmark\": \"dev.fence.bench.GpuRingBenchmark." + group + "\","
                + " \"params\": null, \"primaryMetric\": {\"score\": " + total
                + ", \"scoreError\": 0.1, \"scoreUnit\": \"" + unit + "\"},"
                + " \"secondaryMetrics\": {\"" + emit + "\": {\"score\": " + emitRate
                + ", \"scoreUnit\": \"" + unit + "\"}, \"gc.alloc.rate\": {\"score\": " + mbPerSec
                + ", \"scoreUnit\": \"MB/sec\"}, \"gc.alloc.rate.norm\": {\"score\": " + norm
                + ", \"scoreUnit\": \"B/op\"}}}";
    }

    @Test
    void row11IsJobsPerSecondAndBytesPerJobInAnyTimeUnit() throws IOException {
        // 18.3 M jobs/s allocating 56 B each (978.9 MB/sec), the peer 6.9 M jobs/s at 24 B;
        // the same run reported per second and per millisecond (-tu ms) must print the same
        double fenceMbs = 18_330_000 * 56.0 / (1024 * 1024);
        double cfMbs = 6_910_000 * 24.0 / (1024 * 1024);
        for (String unit : new String[] {"ops/s", "ops/ms"}) {
            double k = unit.equals("ops/s") ? 1 : 1e-3;
            Path p = dir.resolve("ring-" + unit.replace('/', '-') + ".json");
            Files.writeString(p, "[" + ring("fenceWoken", "fenceWokenEmit", 18_330_000 * k,
                    18_950_000 * k, unit, fenceMbs, 54.2) + ", " + ring("cf", "cfEmit",
                    6_910_000 * k, 6_980_000 * k, unit, cfMbs, 24.2) + "]",
                    StandardCharsets.UTF_8);
            List<String> rows = table("--json", p.toString()).stream()
                    .filter(l -> l.startsWith("| 11 |")).collect(Collectors.toList());
            assertEquals(1, rows.size(), unit);
            String r = rows.get(0);
            assertTrue(r.contains("| 18.33 M jobs/s (56 B/op) |")
                    && r.contains("| 6.91 M jobs/s (24 B/op) | 2.65x |"), unit + ": " + r);
        }
    }

    @Test
    void row11InARunWithoutARateIsNotJudged() throws IOException {
        // a ring run in average-time mode (-bm avgt): the emitters report us/op, not a rate, so
        // there is no jobs/s figure on either side and no ratio; the row is n/a, not NO
        Path p = dir.resolve("ring-avgt.json");
        Files.writeString(p, "[" + ring("fenceWoken", "fenceWokenEmit", 0.055, 0.053, "us/op",
                979, 54.2) + ", " + ring("cf", "cfEmit", 0.145, 0.143, "us/op", 158, 24.2) + "]",
                StandardCharsets.UTF_8);
        Path svg = dir.resolve("ring-avgt.svg");
        List<String> rows = table("--json", p.toString(), "--svg", svg.toString()).stream()
                .filter(l -> l.startsWith("| 11 |")).collect(Collectors.toList());
        assertEquals(1, rows.size());
        String r = rows.get(0);
        assertTrue(r.endsWith("| >= 1.5x | n/a (no figure to compare) |"), r);
        assertTrue(!Files.readString(svg, StandardCharsets.UTF_8).contains("NaN"),
                "the chart draws no NaN coordinates");
    }

    @Test
    void otherRunsAddTheSpreadAndHowManyMet() throws IOException {
        Path svg = dir.resolve("chart.svg");
        List<String> t = table("--json", run("a.json", 20).toString(), "--also",
                run("b.json", 40) + "," + run("c.json", 25), "--svg", svg.toString());
        assertTrue(t.get(0).contains("| fence/peer | fence/peer, every run | target |"),
                t.get(0));
        String r = row1(t);
        // figures and verdict from the primary run; the spread sorted over all three
        assertTrue(r.contains("| 1.00x | 1.00, 1.25, 2.00x |"), r);
        assertTrue(r.endsWith("| yes (met in 2 of 3 runs) |"), r);
        String chart = Files.readString(svg, StandardCharsets.UTF_8);
        assertTrue(chart.contains("<path d=\"M"), "the spread's whisker is drawn");
        // every run agreeing: no count
        String agreed = row1(table("--json", run("d.json", 20).toString(), "--also",
                run("e.json", 25).toString()));
        assertTrue(agreed.endsWith("| yes |") && agreed.contains("| 1.00, 1.25x |"), agreed);
    }

    /** A JMH result for {@code FenceFanOutBenchmark.broadcast} at 4 waiters, in us/op. */
    private static String fanOut(String impl, double usPerOp) {
        return "{\"benchmark\": \"dev.fence.bench.FenceFanOutBenchmark.broadcast\","
                + " \"params\": {\"waiters\": \"4\", \"impl\": \"" + impl + "\"},"
                + " \"primaryMetric\": {\"score\": " + usPerOp
                + ", \"scoreError\": 0.1, \"scoreUnit\": \"us/op\"}}";
    }

    @Test
    void anInformationLineWhosePeerDidNotRunIsLeftOut() throws IOException {
        // row 8 at 4 waiters: the target line against CountDownLatch and an information line
        // against CompletableFuture; a run without the CompletableFuture side (one from before
        // that peer existed) keeps the target line and prints no "not run" information line
        Path both = dir.resolve("fan-out-both.json");
        Files.writeString(both, "[" + fanOut("FENCE", 40) + ", " + fanOut("COUNT_DOWN_LATCH", 50)
                + ", " + fanOut("COMPLETABLE_FUTURE", 80) + "]", StandardCharsets.UTF_8);
        List<String> rows = table("--json", both.toString()).stream()
                .filter(l -> l.startsWith("| 8 | fan-out: one signal wakes 4 |"))
                .collect(Collectors.toList());
        assertEquals(2, rows.size(), String.join("\n", rows));
        assertTrue(rows.get(0).contains("| CountDownLatch |") && rows.get(0).contains("| 0.80x |")
                && rows.get(0).endsWith("| <= 1.0x | yes |"), rows.get(0));
        assertTrue(rows.get(1).contains("| CompletableFuture |")
                && rows.get(1).contains("| 0.50x |") && rows.get(1).endsWith("| (info) | - |"),
                rows.get(1));
        Path old = dir.resolve("fan-out-old.json");
        Files.writeString(old, "[" + fanOut("FENCE", 40) + ", " + fanOut("COUNT_DOWN_LATCH", 50)
                + "]", StandardCharsets.UTF_8);
        List<String> oldRows = table("--json", old.toString()).stream()
                .filter(l -> l.startsWith("| 8 |")).collect(Collectors.toList());
        assertEquals(1, oldRows.size(), String.join("\n", oldRows));
        assertTrue(oldRows.get(0).contains("| CountDownLatch |"), oldRows.get(0));
    }

    @Test
    void theSpinThenParkLatchIsAnInformationLineOfRow8() throws IOException {
        // the hand-rolled spinning peer comes after the target line and CompletableFuture's line
        Path all = dir.resolve("fan-out-spin.json");
        Files.writeString(all, "[" + fanOut("FENCE", 40) + ", " + fanOut("COUNT_DOWN_LATCH", 50)
                + ", " + fanOut("COMPLETABLE_FUTURE", 80) + ", " + fanOut("SPIN_THEN_PARK", 160)
                + "]", StandardCharsets.UTF_8);
        List<String> rows = table("--json", all.toString()).stream()
                .filter(l -> l.startsWith("| 8 | fan-out: one signal wakes 4 |"))
                .collect(Collectors.toList());
        assertEquals(3, rows.size(), String.join("\n", rows));
        assertTrue(rows.get(2).contains("| spin-then-park latch |")
                && rows.get(2).contains("| 0.25x |") && rows.get(2).endsWith("| (info) | - |"),
                rows.get(2));
    }
}
