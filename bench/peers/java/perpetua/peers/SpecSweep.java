package perpetua.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import perpetua.ingest.LearnerInput;
import perpetua.job.ModelSpecs;
import perpetua.learner.LearnerOperator;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.runtime.CsvEvents;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Replays benchmark streams through the real Learner operator (Flink's keyed test harness, no
 * cluster) under many specs, and prints each one's prequential quality over the served predictions:
 * the evidence behind the spec defaults in BENCHMARKS.md.
 *
 * <p>A spec is a JSON fragment written over the stream's inputs (its task, classes and input
 * fields, nothing else), so that {@code {}} is the spec a new user writes first.
 */
@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        description = "Prequential quality of spec fragments on the benchmark streams.")
public final class SpecSweep implements Callable<Integer> {

    @Option(
            names = "--streams",
            split = ",",
            defaultValue = "flights,letter,mnist,diamonds",
            description = "Streams: flights, letter, mnist, diamonds, spam, movielens.")
    List<String> streams;

    @Option(names = "--events", defaultValue = "1000000", description = "Events per stream, most.")
    long events;

    @Option(
            names = "--spec",
            description =
                    "JSON fragment over the stream's inputs; repeat for several (default {}).")
    List<String> specs = List.of("{}");

    @Option(names = "--datasets", description = "Data sets (default ../shared/datasets).")
    Path datasets;

    @Option(names = "--promotions", description = "Print promotion and retirement records.")
    boolean promotions;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SpecSweep()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("perpetua.home", "."));
        Path dir = datasets != null ? datasets : home.resolve("../shared/datasets").normalize();
        List<Result> results = new ArrayList<>();
        for (String name : streams) {
            Stream s = Stream.load(name.trim(), dir, events);
            for (String fragment : specs) {
                Result r = run(s, fragment, promotions);
                results.add(r);
                System.out.println(r.line());
                System.out.flush();
            }
        }
        System.out.println(table(results));
        return 0;
    }

    /**
     * One row per spec fragment, one column per stream with its main metric (AUC, accuracy, RMSE),
     * then each fragment's score relative to the best single learner of each stream (best / metric
     * for RMSE, metric / best otherwise; a search is scored against them but is not one): the worst
     * and the mean over the streams.
     */
    static String table(List<Result> results) {
        List<String> streams = results.stream().map(Result::stream).distinct().toList();
        List<String> fragments = results.stream().map(Result::fragment).distinct().toList();
        StringBuilder md = new StringBuilder("| spec |");
        streams.forEach(s -> md.append(' ').append(s).append(" |"));
        md.append(" worst | mean |\n|---|");
        streams.forEach(s -> md.append("---:|"));
        md.append("---:|---:|\n");
        for (String f : fragments) {
            md.append("| `").append(f.replace(" ", "")).append("` |");
            double worst = Double.MAX_VALUE;
            double sum = 0;
            for (String s : streams) {
                Result r = find(results, s, f);
                double best = Double.NaN;
                for (String g : fragments) {
                    if (g.contains("\"search\"")) {
                        continue;
                    }
                    double v = main(find(results, s, g).m());
                    best =
                            Double.isNaN(best)
                                    ? v
                                    : higher(r.m()) ? Math.max(best, v) : Math.min(best, v);
                }
                double v = main(r.m());
                double rel = higher(r.m()) ? v / best : best / v;
                worst = Math.min(worst, rel);
                sum += rel;
                md.append(String.format(Locale.ROOT, " %.4f |", v));
            }
            md.append(String.format(Locale.ROOT, " %.3f | %.3f |%n", worst, sum / streams.size()));
        }
        return md.toString();
    }

    private static Result find(List<Result> results, String stream, String fragment) {
        return results.stream()
                .filter(r -> r.stream().equals(stream) && r.fragment().equals(fragment))
                .findFirst()
                .orElseThrow();
    }

    private static boolean higher(Metrics m) {
        return m.getTask() != Task.REGRESSION;
    }

    /** AUC for binary, accuracy for multiclass, RMSE for regression. */
    static double main(Metrics m) {
        return switch (m.getTask()) {
            case BINARY -> m.getAuc();
            case MULTICLASS -> m.getAccuracy();
            case REGRESSION -> m.getRmse();
        };
    }

    /** One stream: its events, task and the JSON of its inputs. */
    record Stream(String name, Task task, int classes, String inputs, List<Event> events) {
        static Stream load(String name, Path dir, long limit) throws IOException {
            switch (name) {
                case "spam" -> {
                    CsvEvents.Roles r = new CsvEvents.Roles();
                    r.model = name;
                    r.label = "label";
                    r.labelClasses = List.of("ham", "spam");
                    r.text = "text";
                    return new Stream(
                            name,
                            Task.BINARY,
                            2,
                            "\"textNgrams\":1",
                            PeerStream.read(dir.resolve("spamassassin.csv.gz"), r, limit, null));
                }
                case "movielens" -> {
                    CsvEvents.Roles r = new CsvEvents.Roles();
                    r.model = name;
                    r.label = "rating";
                    r.categorical = List.of("user", "movie");
                    return new Stream(
                            name,
                            Task.REGRESSION,
                            0,
                            "\"hashBits\":18",
                            PeerStream.read(dir.resolve("movielens-small.csv.gz"), r, limit, null));
                }
                default -> {
                    PeerStream p = PeerStream.load(name, dir, limit);
                    StringBuilder in = new StringBuilder();
                    if (p.task == Task.MULTICLASS) {
                        in.append("\"classes\":").append(p.classes).append(',');
                    }
                    if (p.denseSize > 0) {
                        in.append("\"denseSize\":").append(p.denseSize).append(',');
                    }
                    in.append("\"numericFeatures\":")
                            .append(
                                    p.numeric.stream()
                                            .map(n -> '"' + n + '"')
                                            .toList()
                                            .toString()
                                            .replace(" ", ""));
                    return new Stream(name, p.task, p.classes, in.toString(), p.events);
                }
            }
        }

        String model() {
            return events.get(0).getModel();
        }

        ModelSpec spec(String fragment) throws IOException {
            String body = fragment.trim();
            body = body.substring(1, body.length() - 1).trim();
            String json =
                    "{\"model\":\""
                            + model()
                            + "\",\"task\":\""
                            + task
                            + "\","
                            + inputs
                            + (body.isEmpty() ? "" : "," + body)
                            + "}";
            return ModelSpecs.parse(json).get(model());
        }
    }

    /** The served predictions' quality, the time and the switches of one replay. */
    record Result(String stream, String fragment, Metrics m, double seconds, List<String> notes) {
        String line() {
            String q =
                    m.getTask() == Task.REGRESSION
                            ? String.format(
                                    Locale.ROOT,
                                    "rmse=%.4f mae=%.4f r2=%.4f",
                                    m.getRmse(),
                                    m.getMae(),
                                    m.getR2())
                            : String.format(
                                    Locale.ROOT,
                                    "accuracy=%.4f auc=%s logloss=%.4f",
                                    m.getAccuracy(),
                                    m.getAuc() == null
                                            ? "n/a"
                                            : String.format(Locale.ROOT, "%.4f", m.getAuc()),
                                    m.getLogLoss());
            StringBuilder b =
                    new StringBuilder(
                            String.format(
                                    Locale.ROOT,
                                    "sweep %s %s %s events=%d seconds=%.1f events/s=%.0f"
                                            + " version=%d",
                                    stream,
                                    fragment.replace(" ", ""),
                                    q,
                                    m.getLabelled(),
                                    seconds,
                                    m.getLabelled() / seconds,
                                    m.getVersionTo()));
            for (String n : notes) {
                b.append("\n  ").append(n);
            }
            return b.toString();
        }
    }

    /** Replays the stream through a Learner of one spec; quality of what was served. */
    static Result run(Stream s, String fragment, boolean notes) throws Exception {
        ModelSpec spec =
                ModelSpec.newBuilder(s.spec(fragment))
                        .setMaxDelayMs(Long.MAX_VALUE / 4)
                        .setSnapshotEveryBatches(0)
                        .setSnapshotEverySeconds(0)
                        .build();
        int n = s.events().size();
        PrequentialEvaluator served =
                new PrequentialEvaluator(
                        s.task(), n, MetricsWindowKind.COUNT, 0L, 1.0, Math.max(2, s.classes()));
        ArrayDeque<Event> waiting = new ArrayDeque<>();
        List<String> switches = new ArrayList<>();
        long version = 0;
        long started = System.nanoTime();
        try (KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new LearnerOperator(Map.of(spec.getModel(), spec)),
                        LearnerInput::model,
                        Types.STRING)) {
            harness.open();
            int i = 0;
            for (Event e : s.events()) {
                waiting.add(e);
                harness.processElement(new StreamRecord<>(LearnerInput.of(e)));
                if (++i % 4096 == 0 || i == n) {
                    if (i == n) {
                        harness.prepareSnapshotPreBarrier(1L);
                    }
                    version = drain(harness, waiting, served, version);
                    for (StreamRecord<Metrics> r :
                            harness.getSideOutput(LearnerOperator.METRICS) == null
                                    ? List.<StreamRecord<Metrics>>of()
                                    : harness.getSideOutput(LearnerOperator.METRICS)) {
                        Metrics m = r.getValue();
                        if (m.getEvent() != null && notes) {
                            switches.add(i + " events: " + m.getEvent() + ": " + m.getDetail());
                        }
                    }
                    if (harness.getSideOutput(LearnerOperator.METRICS) != null) {
                        harness.getSideOutput(LearnerOperator.METRICS).clear();
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        if (!waiting.isEmpty()) {
            throw new IllegalStateException(waiting.size() + " events never predicted");
        }
        return new Result(
                s.name(), fragment, served.emit(spec.getModel(), version, 0L), seconds, switches);
    }

    @SuppressWarnings("unchecked")
    private static long drain(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness,
            ArrayDeque<Event> waiting,
            PrequentialEvaluator served,
            long version) {
        for (Object o : harness.getOutput()) {
            if (!(o instanceof StreamRecord<?> r) || !(r.getValue() instanceof Prediction p)) {
                continue;
            }
            Event e = waiting.poll();
            if (e == null || !e.getId().equals(p.getEventId())) {
                throw new IllegalStateException("predictions out of order at " + p.getEventId());
            }
            float[] scores = new float[p.getScores().size()];
            for (int k = 0; k < scores.length; k++) {
                scores[k] = p.getScores().get(k);
            }
            served.countPrediction(p.getModelVersion(), 0L);
            served.add(
                    scores,
                    0,
                    ((Number) p.getLabel()).floatValue(),
                    (float) PeerStream.label(e),
                    1f);
            version = p.getModelVersion();
        }
        harness.getOutput().clear();
        return version;
    }
}
