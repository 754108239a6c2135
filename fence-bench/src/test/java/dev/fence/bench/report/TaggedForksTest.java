package dev.fence.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.bench.report.TaggedForks.Mode;
import dev.fence.bench.report.TaggedForks.Tagged;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TaggedForks}' grouping, and the per-run ratios it reads through {@link Chart}. */
class TaggedForksTest {

    @TempDir
    Path dir;

    @Test
    void aForkIsFastOrSlowOnlyWhenBothProbesAgree() {
        assertEquals(Mode.FAST, TaggedForks.mode(65, 199, 200));
        assertEquals(Mode.SLOW, TaggedForks.mode(200, 410, 200));
        assertEquals(Mode.MIXED, TaggedForks.mode(70, 400, 200));
        assertEquals(Mode.MIXED, TaggedForks.mode(400, 70, 200));
    }

    private static Tagged fork(int k, long before, long after, String row, double ratio,
            String met) {
        return new Tagged(k, before, after, TaggedForks.mode(before, after, 200),
                new Chart.RowRatio(row, "what " + row, ratio, met));
    }

    @Test
    void summaryGroupsEachRowByModeWithMedianAndMetCount() {
        List<Tagged> t = new ArrayList<>();
        t.add(fork(1, 70, 80, "13", 0.90, "yes"));
        t.add(fork(1, 70, 80, "4d", 0.60, "-"));
        t.add(fork(2, 66, 90, "13", 0.70, "**NO**"));
        t.add(fork(2, 66, 90, "4d", 0.62, "-"));
        t.add(fork(3, 400, 410, "13", 0.40, "**NO**"));
        t.add(fork(4, 75, 390, "13", 0.77, "**NO**"));
        t.add(fork(5, 60, 61, "13", 1.10, "yes"));
        t.add(fork(6, 62, 63, "13", 0.95, "yes"));
        String s = TaggedForks.summary(t);
        List<String> lines = s.lines().collect(java.util.stream.Collectors.toList());
        assertEquals(6, lines.size(), s); // header, rule, 13 fast/mixed/slow, 4d fast
        // fast forks 1, 2, 5, 6: 0.70 0.90 0.95 1.10 -> median 0.925, three met
        assertEquals("| 13 | what 13 | fast | 4 | 0.70 / 0.93 / 1.10x | 3 of 4 |", lines.get(2));
        assertEquals("| 13 | what 13 | mixed | 1 | 0.77 / 0.77 / 0.77x | 0 of 1 |", lines.get(3));
        assertEquals("| 13 | what 13 | slow | 1 | 0.40 / 0.40 / 0.40x | 0 of 1 |", lines.get(4));
        // a row without a target has no count
        assertEquals("| 4d | what 4d | fast | 2 | 0.60 / 0.61 / 0.62x | - |", lines.get(5));
    }

    @Test
    void tsvHasOneLinePerForkAndRow() {
        String tsv = TaggedForks.tsv(List.of(fork(3, 400, 70, "11", 2.5, "yes")));
        assertEquals("fork\tbefore_ns\tafter_ns\tmode\trow\twhat\tratio\tmet\n"
                + "3\t400\t70\tmixed\t11\twhat 11\t2.500\tyes\n", tsv);
    }

    @Test
    void chartRatiosReadEveryPairedRowOfOneRun() throws IOException {
        Path json = dir.resolve("run.json");
        Files.writeString(json, "[" + ChartTest.result("fenceCreateSignal", 30, 48) + ", "
                + ChartTest.result("cfCreateComplete", 20, 24) + ", "
                + ChartTest.result("fenceOneCallbackSignal", 12, 48) + "]",
                StandardCharsets.UTF_8);
        List<Chart.RowRatio> r = Chart.ratios(json);
        // row 3's peer is missing from this run, so only row 1 is paired
        assertEquals(1, r.size());
        assertEquals("1", r.get(0).row);
        assertEquals(1.5, r.get(0).ratio, 1e-9);
        assertEquals("yes", r.get(0).met); // 1.5x and 48 B/op: at the target
        assertTrue(r.get(0).what.endsWith(" vs new CF + complete"), r.get(0).what);
    }

    @Test
    void unknownOptionsAndBadCountsAreRefusedBeforeAnythingRuns() {
        assertThrows(IllegalArgumentException.class,
                () -> TaggedForks.main(new String[] {"--frks", "2"}));
        assertThrows(IllegalArgumentException.class,
                () -> TaggedForks.main(new String[] {"--forks", "0"}));
        assertThrows(IllegalArgumentException.class,
                () -> TaggedForks.main(new String[] {"--forks"}));
    }
}
