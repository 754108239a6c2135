package dev.fence.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Results measured outside JMH (idle CPU, footprint, retained heap), written as tab-separated rows
 * that {@link dev.fence.bench.report.Chart} merges into the published table:
 * {@code row, what, fence, peer name, peer, unit, target, met}.
 */
public final class Extras {

    private Extras() {
    }

    /**
     * Appends one row to {@code file} (if not null) and echoes it to standard output.
     *
     * @param file the TSV file, or null to only print
     * @param row the row number of docs/benchmarks.md
     * @param what what was measured
     * @param fence the fence figure
     * @param peerName the peer's name, or "-"
     * @param peer the peer figure, or NaN
     * @param unit the unit of both figures
     * @param target the target, as text
     * @param met whether the target was met
     */
    public static void record(Path file, int row, String what, double fence, String peerName,
            double peer, String unit, String target, boolean met) {
        record(file, row, what, fence, peerName, peer, unit, target, met ? "yes" : "NO");
    }

    /**
     * Appends one row whose verdict is given as text ({@code "-"} for information rows).
     *
     * @param file the TSV file, or null to only print
     * @param row the row number of docs/benchmarks.md
     * @param what what was measured
     * @param fence the fence figure
     * @param peerName the peer's name, or "-"
     * @param peer the peer figure, or NaN
     * @param unit the unit of both figures
     * @param target the target, as text
     * @param met "yes", "NO" or "-"
     */
    public static void record(Path file, int row, String what, double fence, String peerName,
            double peer, String unit, String target, String met) {
        String line = String.join("\t", Integer.toString(row), what, fmt(fence), peerName,
                Double.isNaN(peer) ? "-" : fmt(peer), unit, target, met);
        System.out.println(line);
        if (file == null) {
            return;
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            w.println(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses {@code --out FILE} from a main's arguments.
     *
     * @param args the arguments
     * @return the file, or null
     */
    public static Path outFile(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--out")) {
                return Path.of(args[i + 1]);
            }
        }
        return null;
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(java.util.Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : "%.3g", v);
    }
}
