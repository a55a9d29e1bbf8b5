package perpetua.drift;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Measures each drift detector's detection delay and false alarms on streams with changes at known
 * positions, and prints (or writes to the file given as the first argument) a Markdown report.
 *
 * <p>Run after {@code mvn -o -q test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/classpath.txt}:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat target/classpath.txt) perpetua.drift.DriftBench
 * </pre>
 *
 * <p>For each stream and seed, a detection is the first DRIFT at or after a change and before the
 * next; its delay is its position minus the change's. Every other DRIFT is a false alarm. Seeds 1
 * to {@link #SEEDS}; detectors at the spec's defaults (ADWIN δ 0.002, Page-Hinkley δ 0.002 λ 50 α 1
 * - 1e-4, DDM; minimum 30 examples).
 */
public final class DriftBench {
    static final int SEEDS = 30;

    private DriftBench() {}

    record Scenario(String name, int length, int[] changes, Function<Long, double[]> stream) {}

    record Detector(String name, Supplier<DriftDetector> make) {}

    static List<Detector> detectors() {
        return List.of(
                new Detector("ADWIN", () -> new AdwinDetector(0.002, 30)),
                new Detector("DDM", () -> new DdmDetector(30)),
                new Detector(
                        "Page-Hinkley",
                        () ->
                                new PageHinkleyDetector(
                                        0.01, 50, PageHinkleyDetector.DEFAULT_ALPHA, 30)));
    }

    static List<Scenario> scenarios() {
        int n = 100_000;
        int[] quarters = {n / 4, n / 2, 3 * n / 4};
        return List.of(
                new Scenario(
                        "errors 0.1 → 0.5 at 10,000",
                        20_000,
                        new int[] {10_000},
                        s -> ErrorStreams.bernoulli(s, 20_000, 0.1, 0.5, 10_000)),
                new Scenario(
                        "errors 0.2 → 0.3 at 10,000",
                        20_000,
                        new int[] {10_000},
                        s -> ErrorStreams.bernoulli(s, 20_000, 0.2, 0.3, 10_000)),
                new Scenario(
                        "SEA θ 8 → 9 → 7 → 9.5, 10% noise, online logistic",
                        n, quarters, s -> ErrorStreams.sea(s, n)),
                new Scenario(
                        "hyperplane d=10, 3 abrupt turns, 5% noise, online logistic",
                        n, quarters, s -> ErrorStreams.hyperplane(s, n)),
                new Scenario(
                        "stationary errors 0.1",
                        n,
                        new int[0],
                        s -> ErrorStreams.bernoulli(s, n, 0.1, 0.1, n)),
                new Scenario(
                        "stationary errors 0.5",
                        n,
                        new int[0],
                        s -> ErrorStreams.bernoulli(s, n, 0.5, 0.5, n)),
                new Scenario(
                        "stationary SEA θ 8, 10% noise, online logistic",
                        n, new int[0], s -> ErrorStreams.seaStationary(s, n)));
    }

    public static void main(String[] args) throws IOException {
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "Drift detection, %d seeds per stream (seed 1..%d), java %s%n%n",
                        SEEDS,
                        SEEDS,
                        System.getProperty("java.version")));
        out.append(
                "| stream | detector | detected | mean delay | median delay | max delay |"
                        + " false alarms per 100k | repeats |\n");
        out.append("|---|---|---|---|---|---|---|---|\n");
        for (Scenario sc : scenarios()) {
            for (Detector d : detectors()) {
                List<Long> delays = new ArrayList<>();
                long falseAlarms = 0;
                long repeats = 0;
                int quiet = sc.changes().length == 0 ? sc.length() : sc.changes()[0];
                int missed = 0;
                for (long seed = 1; seed <= SEEDS; seed++) {
                    double[] errors = sc.stream().apply(seed);
                    long[] alarms = ErrorStreams.drifts(d.make().get(), errors);
                    int matched = 0;
                    for (int c = 0; c < sc.changes().length; c++) {
                        long from = sc.changes()[c];
                        long to = c + 1 < sc.changes().length ? sc.changes()[c + 1] : sc.length();
                        Long first = null;
                        for (long a : alarms) {
                            if (a >= from && a < to) {
                                first = a;
                                break;
                            }
                        }
                        if (first == null) {
                            missed++;
                        } else {
                            delays.add(first - from);
                            matched++;
                        }
                    }
                    for (long a : alarms) {
                        falseAlarms += a < quiet ? 1 : 0;
                    }
                    repeats += alarms.length - matched;
                }
                int changes = sc.changes().length * SEEDS;
                repeats -= falseAlarms;
                double perHundredK = falseAlarms * 100_000.0 / ((double) quiet * SEEDS);
                out.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %s | %s | %s | %s | %s | %.2f | %d |%n",
                                sc.name(),
                                d.name(),
                                changes == 0 ? "–" : (changes - missed) + "/" + changes,
                                delays.isEmpty() ? "–" : String.format("%.0f", mean(delays)),
                                delays.isEmpty() ? "–" : String.valueOf(median(delays)),
                                delays.isEmpty()
                                        ? "–"
                                        : String.valueOf(
                                                delays.stream().mapToLong(x -> x).max().orElse(0)),
                                perHundredK,
                                repeats));
            }
        }
        out.append("\n").append(speed());
        System.out.print(out);
        if (args.length > 0) {
            Files.writeString(Path.of(args[0]), out);
        }
    }

    /** Nanoseconds per update on a stationary 0/1 stream of 2M values, after a warm-up. */
    private static String speed() {
        double[] errors = ErrorStreams.bernoulli(7, 2_000_000, 0.2, 0.2, 0);
        StringBuilder s = new StringBuilder("| detector | ns per update |\n|---|---|\n");
        for (Detector d : detectors()) {
            ErrorStreams.drifts(d.make().get(), errors); // warm-up
            long start = System.nanoTime();
            ErrorStreams.drifts(d.make().get(), errors);
            double ns = (System.nanoTime() - start) / (double) errors.length;
            s.append(String.format(Locale.ROOT, "| %s | %.1f |%n", d.name(), ns));
        }
        return s.toString();
    }

    private static double mean(List<Long> xs) {
        return xs.stream().mapToLong(x -> x).average().orElse(Double.NaN);
    }

    private static long median(List<Long> xs) {
        long[] sorted = xs.stream().mapToLong(x -> x).sorted().toArray();
        return sorted[sorted.length / 2];
    }
}
