package perpetua.replay;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import perpetua.job.OnlineLearningJob;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.Progress;
import perpetua.schemas.Event;
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
        ReplayJob job =
                ReplayJob.start(prepared, labelsFile, models, options.finalSnapshots() != null);
        ReplayResults results =
                ReplayResults.collect(job, prepared, models, progress, options, started);
        if (options.out() != null) {
            ReplayReport.write(
                    options.out(), results.curve(), results.summaries(), models, progress);
        }
        return results.summaries();
    }

    private static PrintStream nowhere() {
        return new PrintStream(OutputStream.nullOutputStream());
    }
}
