package perpetua.replay;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.nd4j.common.config.ND4JClassLoading;
import perpetua.ingest.SourceRecord;
import perpetua.job.OnlineLearningJob;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.Progress;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.spec.SpecRules;

/**
 * Replays a CSV file through the job's own Learner and Evaluator, in this JVM and without Kafka, as
 * fast as the machine allows, and says how each model did.
 *
 * <p>The rows are read once (shuffled with a fixed seed if asked), encoded as the job's events and
 * streamed by a bounded source into the job's topology after its Kafka source ({@link
 * OnlineLearningJob#learn}) on a local Flink at parallelism 1, without checkpoints. Several specs
 * are several models in the one keyed stream: every row goes to each. The Learner's metrics windows
 * are the curve, printed as they come; the served predictions are measured against their rows'
 * labels into one {@link Summary} per model over the whole replay. In a replay a micro-batch
 * flushes by size ({@code maxDelayMs} is set to an hour; the end of input flushes the rest) and no
 * snapshots are taken; everything else is the spec as given.
 *
 * <pre>{@code
 * Summary s = Evaluate.run(csv, roles, spec, Evaluate.Options.defaults().limit(100_000));
 * s.auc(); s.eventsPerSecond();
 * }</pre>
 */
public final class Evaluate {
    /** A replay's micro-batch timeout: long enough that batches flush at maxBatch. */
    public static final long REPLAY_MAX_DELAY_MS = 3_600_000L;

    /** Reasons of refused rows printed, at most. */
    private static final int REFUSALS_SHOWN = 5;

    /**
     * How to replay.
     *
     * @param shuffleSeed null: the file's order; else rows shuffled by {@link
     *     ReplayStream#permutation} before the limit
     * @param limit rows to replay (0: all)
     * @param out where curve.csv, curve.png and summary.txt go (null: nowhere)
     * @param progress where the curve and notes are printed as the replay goes (null: nowhere)
     * @param ticker rows read and replayed, rows per second and time left (null: none)
     * @param finalSnapshots takes each model's snapshot at the end of the replay, everything it
     *     learned (null: none are kept)
     */
    public record Options(
            Long shuffleSeed,
            long limit,
            Path out,
            PrintStream progress,
            Progress ticker,
            Consumer<ModelSnapshot> finalSnapshots) {
        public static Options defaults() {
            return new Options(null, 0, null, null, null, null);
        }

        public Options shuffleSeed(Long seed) {
            return new Options(seed, limit, out, progress, ticker, finalSnapshots);
        }

        public Options limit(long rows) {
            return new Options(shuffleSeed, rows, out, progress, ticker, finalSnapshots);
        }

        public Options out(Path dir) {
            return new Options(shuffleSeed, limit, dir, progress, ticker, finalSnapshots);
        }

        public Options progress(PrintStream stream) {
            return new Options(shuffleSeed, limit, out, stream, ticker, finalSnapshots);
        }

        public Options ticker(Progress rows) {
            return new Options(shuffleSeed, limit, out, progress, rows, finalSnapshots);
        }

        public Options finalSnapshots(Consumer<ModelSnapshot> each) {
            return new Options(shuffleSeed, limit, out, progress, ticker, each);
        }
    }

    private Evaluate() {}

    /**
     * Replays {@code csv} through one model; see {@link #run(Path, CsvEvents.Roles, List,
     * Options)}.
     */
    public static Summary run(Path csv, CsvEvents.Roles roles, ModelSpec spec, Options options)
            throws Exception {
        return run(csv, roles, List.of(spec), options).get(0);
    }

    /**
     * Replays {@code csv}, read by {@code roles} (whose model and id columns are not used), through
     * a model for each spec, in one job.
     *
     * @return one summary per spec, in the order given
     * @throws IllegalArgumentException for a spec no model can be built from, specs that name one
     *     model twice, a column the CSV lacks, a dense size that differs from the spec's, or a file
     *     without rows
     * @throws IllegalStateException when the replay job fails, with its cause
     */
    public static List<Summary> run(
            Path csv, CsvEvents.Roles roles, List<ModelSpec> specs, Options options)
            throws Exception {
        long started = System.nanoTime();
        Map<String, ModelSpec> models = new LinkedHashMap<>();
        for (ModelSpec s : specs) {
            ModelSpec replay = forReplay(s);
            String problem = SpecRules.problem(replay);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            if (models.put(s.getModel(), replay) != null) {
                throw new IllegalArgumentException("model '" + s.getModel() + "' is given twice");
            }
        }
        PrintStream progress = options.progress() != null ? options.progress() : nowhere();
        Path file = Files.createTempFile("perpetua-replay", ".events");
        Path labels = Files.createTempFile("perpetua-replay", ".labels");
        try {
            ReplayStream.Prepared prepared =
                    ReplayStream.prepare(
                            csv,
                            roles,
                            List.copyOf(models.keySet()),
                            options.shuffleSeed(),
                            options.limit(),
                            file,
                            options.ticker());
            for (ModelSpec s : models.values()) {
                check(s, prepared.first(), roles, progress);
            }
            progress.printf(
                    "replaying %,d rows of %s%s (%,d labelled) through %s%n",
                    prepared.rows(),
                    csv.getFileName(),
                    options.shuffleSeed() == null
                            ? ""
                            : ", shuffled with seed " + options.shuffleSeed(),
                    prepared.labelled(),
                    String.join(", ", models.keySet()));
            List<Summary> summaries = replay(prepared, labels, models, progress, options, started);
            for (Summary s : summaries) {
                progress.println(s.line());
            }
            return summaries;
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(labels);
        }
    }

    /** The spec as a replay runs it: batches flush by size, no snapshots. */
    static ModelSpec forReplay(ModelSpec s) {
        return ModelSpec.newBuilder(s)
                .setMaxDelayMs(Math.max(s.getMaxDelayMs(), REPLAY_MAX_DELAY_MS))
                .setSnapshotEveryBatches(0)
                .setSnapshotEverySeconds(0)
                .build();
    }

    /** Refuses a spec the rows cannot feed; warns about roles the spec does not read. */
    private static void check(ModelSpec s, Event first, CsvEvents.Roles roles, PrintStream out) {
        String m = "model '" + s.getModel() + "': ";
        if (s.getDenseSize() != first.getDense().size()) {
            throw new IllegalArgumentException(
                    m
                            + "denseSize is "
                            + s.getDenseSize()
                            + " but the --dense columns give "
                            + first.getDense().size()
                            + " values per row");
        }
        for (String f : s.getNumericFeatures()) {
            if (!first.getNumeric().containsKey(f)) {
                out.println(
                        "warning: "
                                + m
                                + "numeric feature '"
                                + f
                                + "' is not among --numeric "
                                + roles.numeric
                                + "; it counts as its mean");
            }
        }
        for (String f : first.getNumeric().keySet()) {
            if (!s.getNumericFeatures().contains(f)) {
                out.println(
                        "warning: "
                                + m
                                + "--numeric column '"
                                + f
                                + "' is not in the spec's numericFeatures; the model ignores it");
            }
        }
        if (s.getTask() == Task.MULTICLASS
                && !roles.labelClasses.isEmpty()
                && roles.labelClasses.size() > s.getClasses()) {
            throw new IllegalArgumentException(
                    m
                            + "classes is "
                            + s.getClasses()
                            + " but --label-classes names "
                            + roles.labelClasses.size());
        }
        if (s.getTask() == Task.BINARY
                && roles.labelAbove == null
                && roles.labelClasses.isEmpty()
                && roles.label != null) {
            out.println(
                    "warning: "
                            + m
                            + "a BINARY model without --label-above or --label-classes reads the"
                            + " label column as 0/1; other values are refused");
        }
    }

    private static List<Summary> replay(
            ReplayStream.Prepared prepared,
            Path labelsFile,
            Map<String, ModelSpec> models,
            PrintStream progress,
            Options options,
            long started)
            throws Exception {
        // ND4J keeps the context class loader of the thread that first loads it. In a local
        // Flink that is the first job's user-code loader, closed when that job ends, so a later
        // replay in this JVM that first needs an ND4J class would fail; pin it to ours.
        ND4JClassLoading.setNd4jClassloaderFromClass(Evaluate.class);
        Configuration conf = new Configuration();
        // A replay that fails should stop and say why.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        // A final snapshot is collected whole: as large as the models topic allows, and more.
        conf.setString("collect-sink.batch-size.max", "128mb");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        DataStream<SourceRecord> records =
                env.fromSource(
                                ReplaySource.of(prepared),
                                WatermarkStrategy.noWatermarks(),
                                "replay")
                        .uid("replay-source");
        OnlineLearningJob.Learned learned =
                OnlineLearningJob.learn(
                        records,
                        new OnlineLearningJob.Models(
                                "feedback", "models.control", models, null, Map.of()));
        ReplayScore.writeLabels(prepared.labels(), labelsFile);
        CloseableIterator<ReplayTally> tallies =
                learned.predictions()
                        .transform(
                                "replay score",
                                TypeInformation.of(ReplayTally.class),
                                new ReplayScore(
                                        labelsFile,
                                        List.copyOf(models.values()),
                                        prepared.labelled()))
                        .uid("replay-score")
                        .collectAsync();
        CloseableIterator<Metrics> windows = learned.metrics().collectAsync();
        CloseableIterator<DeadLetter> refused = learned.deadLetters().collectAsync();
        CloseableIterator<ModelSnapshot> snapshots =
                options.finalSnapshots() == null ? null : learned.snapshots().collectAsync();
        JobClient job = env.executeAsync("perpetua-evaluate");

        Curve curve = new Curve();
        Map<String, Long> refusedBy = new HashMap<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Thread curveThread =
                drain(
                        "curve",
                        windows,
                        failures,
                        new Consumer<>() {
                            final Set<String> headed = new HashSet<>();

                            @Override
                            public void accept(Metrics m) {
                                clear(options.ticker());
                                Curve.Point p = curve.add(m);
                                if (p == null) {
                                    progress.println(m.getEvent() + ": " + m.getDetail());
                                    return;
                                }
                                if (headed.add(p.series())) {
                                    progress.println(
                                            Curve.header(Curve.shown(p.metrics()).keySet()));
                                }
                                progress.println(Curve.line(p));
                            }
                        });
        Thread refusedThread =
                drain(
                        "dead letters",
                        refused,
                        failures,
                        d -> {
                            long n = refusedBy.merge(String.valueOf(d.getModel()), 1L, Long::sum);
                            if (n <= REFUSALS_SHOWN) {
                                clear(options.ticker());
                                progress.printf(
                                        "refused: row %d of the CSV, model %s: %s%n",
                                        prepared.csvRow(d.getOffset()),
                                        d.getModel(),
                                        d.getReason());
                            }
                        });

        Map<String, ModelSnapshot> lastSnapshot = new java.util.concurrent.ConcurrentHashMap<>();
        Thread snapshotThread =
                snapshots == null
                        ? null
                        : drain(
                                "snapshots",
                                snapshots,
                                failures,
                                s -> {
                                    if ("final".equals(s.getEvent())) {
                                        lastSnapshot.put(s.getModel(), s);
                                    }
                                });
        Map<String, ReplayTally> measured = new LinkedHashMap<>();
        Map<String, Long> predictedBy = new HashMap<>();
        // An iterator read to its end is closed; closing it again would ask a finished job.
        long toPredict = prepared.records();
        try {
            while (tallies.hasNext()) {
                ReplayTally t = tallies.next();
                if (t.done) {
                    measured.put(t.model, t);
                }
                predictedBy.put(t.model, t.events);
                if (options.ticker() != null) {
                    long soFar = predictedBy.values().stream().mapToLong(Long::longValue).sum();
                    options.ticker().update("replay", soFar, (double) soFar / toPredict);
                }
            }
            clear(options.ticker());
        } catch (RuntimeException e) {
            failures.add(e);
            closeQuietly(tallies);
        }
        try {
            job.getJobExecutionResult().get();
        } catch (ExecutionException e) {
            Throwable cause = ExceptionUtils.stripExecutionException(e);
            throw new IllegalStateException("the replay failed: " + rootMessage(cause), cause);
        }
        curveThread.join();
        refusedThread.join();
        if (snapshotThread != null) {
            snapshotThread.join();
            for (String model : models.keySet()) {
                if (lastSnapshot.containsKey(model)) {
                    options.finalSnapshots().accept(lastSnapshot.get(model));
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(
                    "reading the replay's results failed: " + rootMessage(failures.get(0)),
                    failures.get(0));
        }

        long predicted = measured.values().stream().mapToLong(t -> t.events).sum();
        long refusedAll = refusedBy.values().stream().mapToLong(Long::longValue).sum();
        if (predicted + refusedAll != prepared.records()) {
            throw new IllegalStateException(
                    String.format(
                            "the replay lost records: %d sent, %d predicted, %d refused",
                            prepared.records(), predicted, refusedAll));
        }
        double wallSeconds = (System.nanoTime() - started) / 1e9;
        List<Summary> summaries = new ArrayList<>();
        for (ModelSpec s : models.values()) {
            ReplayTally t = measured.get(s.getModel());
            if (t == null) {
                throw new IllegalStateException(
                        "the replay ended without the metrics of model '" + s.getModel() + "'");
            }
            summaries.add(
                    t.summary(s.getTask(), refusedBy.getOrDefault(s.getModel(), 0L), wallSeconds));
        }
        if (options.out() != null) {
            write(options.out(), curve.points(), summaries, models, progress);
        }
        return summaries;
    }

    private static void write(
            Path dir,
            List<Curve.Point> points,
            List<Summary> summaries,
            Map<String, ModelSpec> models,
            PrintStream progress)
            throws IOException {
        Files.createDirectories(dir);
        Curve.writeCsv(points, dir.resolve("curve.csv"));
        Task task = models.values().iterator().next().getTask();
        String metric = Curve.mainMetric(task);
        Curve.writePng(
                points,
                metric,
                String.join(", ", models.keySet()) + ": " + metric + " per metrics window",
                dir.resolve("curve.png"));
        StringBuilder lines = new StringBuilder();
        summaries.forEach(s -> lines.append(s.line()).append('\n'));
        Files.writeString(dir.resolve("summary.txt"), lines, StandardCharsets.UTF_8);
        progress.println("wrote " + dir.resolve("curve.csv") + ", curve.png and summary.txt");
    }

    /** Reads {@code it} to its end on a thread of its own; a failure is recorded, not thrown. */
    private static <T> Thread drain(
            String name, CloseableIterator<T> it, List<Throwable> failures, Consumer<T> each) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                while (it.hasNext()) {
                                    each.accept(it.next());
                                }
                            } catch (RuntimeException e) {
                                failures.add(e);
                                closeQuietly(it);
                            }
                        },
                        "evaluate-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void closeQuietly(CloseableIterator<?> it) {
        try {
            it.close();
        } catch (Exception ignored) {
            // the failure that led here is the one to report
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static void clear(Progress ticker) {
        if (ticker != null) {
            ticker.clear();
        }
    }

    private static PrintStream nowhere() {
        return new PrintStream(OutputStream.nullOutputStream());
    }
}
