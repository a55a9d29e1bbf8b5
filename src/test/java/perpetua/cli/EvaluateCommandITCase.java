package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static perpetua.testing.Cli.perpetua;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.replay.Curve;
import perpetua.testing.Cli;

/**
 * {@code perpetua evaluate} end to end on a local Flink: two models in one replay of a small,
 * nearly separable stream (x1, x2, colour; label yes/no), shuffled and cut to 2,000 rows.
 */
class EvaluateCommandITCase {
    private static final String CSV = "src/test/resources/evaluate/separable-2400.csv";
    private static final String ADAM =
            "{\"model\":\"adam\",\"task\":\"BINARY\",\"numericFeatures\":[\"x1\",\"x2\"],"
                    + "\"hashBits\":8,\"optimizer\":\"ADAM\",\"learningRate\":0.05,\"maxBatch\":32,"
                    + "\"metricsWindow\":400}";
    private static final String SGD =
            "{\"model\":\"sgd\",\"task\":\"BINARY\",\"numericFeatures\":[\"x1\",\"x2\"],"
                    + "\"hashBits\":8,\"optimizer\":\"SGD\",\"learningRate\":0.5,\"maxBatch\":32,"
                    + "\"metricsWindow\":400}";

    @TempDir Path out;

    private static String[] evaluate(Path out, String... more) {
        List<String> args =
                new java.util.ArrayList<>(
                        List.of(
                                "evaluate",
                                "--csv",
                                CSV,
                                "--numeric",
                                "x1,x2",
                                "--categorical",
                                "color",
                                "--label",
                                "label",
                                "--label-classes",
                                "no,yes",
                                "--out",
                                out.toString()));
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    /** The key=value fields of the summary line of {@code model}. */
    private static Map<String, String> summary(String stdout, String model) {
        String line =
                stdout.lines()
                        .filter(l -> l.startsWith("summary model=" + model + " "))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                "no summary of " + model + ":\n" + stdout));
        Map<String, String> fields = new LinkedHashMap<>();
        for (String kv : line.substring("summary ".length()).split(" ")) {
            String[] p = kv.split("=", 2);
            fields.put(p[0], p[1]);
        }
        return fields;
    }

    private static double d(Map<String, String> fields, String key) {
        return Double.parseDouble(fields.get(key));
    }

    @Test
    void replaysTwoModelsAndWritesTheCurveAndThePlot() throws IOException {
        Cli.Run run =
                perpetua(
                        evaluate(
                                out,
                                "--spec",
                                ADAM,
                                "--spec",
                                SGD,
                                "--shuffle-seed",
                                "42",
                                "--limit",
                                "2000"));

        assertThat(run.exitCode()).as(run.out()).isZero();
        Map<String, String> adam = summary(run.out(), "adam");
        Map<String, String> sgd = summary(run.out(), "sgd");
        assertThat(adam.keySet())
                .containsSubsequence(
                        "model",
                        "events",
                        "labelled",
                        "accuracy",
                        "auc",
                        "logLoss",
                        "eventsPerSecond",
                        "seconds",
                        "version",
                        "deadLetters");
        for (Map<String, String> s : List.of(adam, sgd)) {
            assertThat(s).containsEntry("events", "2000").containsEntry("labelled", "2000");
            assertThat(s).containsEntry("deadLetters", "0");
            // The majority class is about half the stream; a linear model separates it.
            assertThat(d(s, "accuracy")).isGreaterThan(0.85);
            assertThat(d(s, "auc")).isGreaterThan(0.9);
            assertThat(d(s, "logLoss")).isLessThan(0.45);
            assertThat(d(s, "eventsPerSecond")).isPositive();
            assertThat(d(s, "seconds")).isPositive();
        }
        // 2,000 events in batches of 32: the 63rd batch is served by version 62.
        assertThat(adam).containsEntry("version", "62");

        List<String> csv = Files.readAllLines(out.resolve("curve.csv"));
        List<String> columns = List.of(csv.get(0).split(","));
        assertThat(columns)
                .startsWith("model", "variant", "window", "events", "windowEvents", "labelled")
                .contains("accuracy", "auc", "logLoss")
                .endsWith("eventsPerSecond");
        int events = columns.indexOf("events");
        int accuracy = columns.indexOf("accuracy");
        int logLoss = columns.indexOf("logLoss");
        List<String[]> adamRows =
                csv.stream()
                        .skip(1)
                        .map(l -> l.split(",", -1))
                        .filter(r -> r[0].equals("adam"))
                        .toList();
        assertThat(csv).hasSize(1 + 2 * 5);
        assertThat(adamRows)
                .extracting(r -> r[events])
                .containsExactly("400", "800", "1200", "1600", "2000");
        // Equal windows: the whole-stream accuracy and log loss are the windows' means.
        double meanAccuracy =
                adamRows.stream()
                        .mapToDouble(r -> Double.parseDouble(r[accuracy]))
                        .average()
                        .orElseThrow();
        double meanLogLoss =
                adamRows.stream()
                        .mapToDouble(r -> Double.parseDouble(r[logLoss]))
                        .average()
                        .orElseThrow();
        assertThat(d(adam, "accuracy")).isEqualTo(meanAccuracy, within(1e-4));
        assertThat(d(adam, "logLoss")).isEqualTo(meanLogLoss, within(1e-4));
        // The curve is printed as it goes.
        assertThat(run.out()).contains("adam                  5         2000       400");

        BufferedImage png = ImageIO.read(out.resolve("curve.png").toFile());
        assertThat(png).isNotNull();
        assertThat(png.getWidth()).isEqualTo(Curve.WIDTH);
        assertThat(png.getHeight()).isEqualTo(Curve.HEIGHT);
        assertThat(Files.readAllLines(out.resolve("summary.txt")))
                .hasSize(2)
                .allMatch(l -> l.startsWith("summary model="));
    }

    @Test
    void aSecondReplayInTheSameJvmRunsAnMlpOnNd4j() {
        Cli.Run first = perpetua(evaluate(out.resolve("first"), "--spec", SGD, "--limit", "500"));
        assertThat(first.exitCode()).as(first.out()).isZero();
        // The first job's class loader is closed by now; the MLP's ND4J kernel loads ND4J classes
        // that the first replay never needed.
        String mlp =
                "{\"model\":\"mlp\",\"task\":\"BINARY\",\"numericFeatures\":[\"x1\",\"x2\"],"
                        + "\"hashBits\":8,\"hidden\":[16],\"kernel\":\"ND4J\","
                        + "\"optimizer\":\"ADAM\",\"learningRate\":0.01,\"maxBatch\":32,"
                        + "\"metricsWindow\":400}";
        Cli.Run second = perpetua(evaluate(out.resolve("second"), "--spec", mlp, "--limit", "500"));
        assertThat(second.exitCode()).as(second.out()).isZero();
        assertThat(summary(second.out(), "mlp")).containsEntry("events", "500");
    }

    @Test
    void aColumnTheCsvLacksStopsBeforeAnyReplay() {
        Cli.Run run =
                perpetua(
                        "evaluate",
                        "--csv",
                        CSV,
                        "--numeric",
                        "x1,x3",
                        "--label",
                        "label",
                        "--out",
                        out.resolve("bad").toString(),
                        "--spec",
                        ADAM);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).doesNotContain("summary");
        assertThat(out.resolve("bad")).doesNotExist();
    }
}
