package perpetua.peers;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import moa.classifiers.bayes.NaiveBayes;
import moa.classifiers.functions.SGD;
import moa.classifiers.functions.SGDMultiClass;
import moa.classifiers.meta.AdaptiveRandomForest;
import moa.classifiers.meta.AdaptiveRandomForestRegressor;
import moa.classifiers.rules.AMRulesRegressor;
import moa.classifiers.trees.FIMTDD;
import moa.classifiers.trees.HoeffdingTree;
import perpetua.model.VectorSupport;
import perpetua.replay.Summary;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Sampling;
import perpetua.schemas.Task;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures peer online learners (MOA, Vowpal Wabbit) on Perpetua's benchmark streams, prequential
 * (test-then-train), and writes a markdown report.
 *
 * <p>Each stream is read into memory first, so CSV parsing is not timed; each learner then sees the
 * same events in the same order, and its events/s counts only its own encode, predict and learn
 * calls. One {@link Prequential} accounting scores every learner. A learner that cannot be created
 * (a native library that does not load) becomes a row that says why, and the run goes on.
 *
 * <p>Run it with {@code ./perpetua bench peers} (which builds the {@code peers} Maven profile).
 */
@Command(
        name = "peers",
        mixinStandardHelpOptions = true,
        description = "Prequential benchmark of MOA and Vowpal Wabbit on Perpetua's streams.")
public final class PeerBenchmark implements Callable<Integer> {

    @Option(
            names = "--streams",
            split = ",",
            description = "Streams to run (default: ${DEFAULT-VALUE}).",
            defaultValue = "flights,letter,mnist,diamonds")
    List<String> streams;

    @Option(
            names = "--events",
            description = "At most this many events per stream (default: ${DEFAULT-VALUE}).",
            defaultValue = "1000000")
    long events;

    @Option(
            names = "--slow-events",
            description =
                    "At most this many events for the learners marked slow (MOA's adaptive random"
                            + " forests, 100 trees); 0 for no cap (default: ${DEFAULT-VALUE}).",
            defaultValue = "100000")
    long slowEvents;

    @Option(
            names = "--slow-seconds",
            description =
                    "A learner marked slow stops after this many seconds of its own time, and"
                            + " its row gives the events it reached; 0 for no limit (default:"
                            + " ${DEFAULT-VALUE}).",
            defaultValue = "240")
    double slowSeconds;

    @Option(
            names = "--repeats",
            description =
                    "Runs each learner's timed run this many times, each from a fresh learner, and"
                            + " reports the run of median events/s; learners marked slow run once"
                            + " (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    int repeats;

    /** Each row of several timed runs, with those runs' events/s (by identity). */
    private final Map<Row, String> timedRuns = new java.util.IdentityHashMap<>();

    /** A warm-up starts no pass after this many seconds, and a peer's stops then. */
    static final int WARM_UP_SECONDS = 30;

    @Option(
            names = "--warm-up-events",
            description =
                    "Before each row, this many events go through fresh copies of the same"
                            + " learner, untimed and discarded, in passes over the stream (each"
                            + " pass at most its --events, or --slow-events for a slow learner), so"
                            + " that the row's events/s is the JVM's steady state and not its JIT"
                            + " compiling Flink, the decoder and the Learner (or a peer's Java"
                            + " side); no pass starts after "
                            + WARM_UP_SECONDS
                            + " s, and a peer's stops then; 0 for none (default: ${DEFAULT-VALUE}).",
            defaultValue = "0")
    long warmUpEvents;

    @Option(
            names = "--learners",
            split = ",",
            description = "Run only learners whose name contains one of these (case-insensitive).")
    List<String> learners = List.of();

    @Option(
            names = "--datasets",
            description = "Directory of the data sets (default: ../shared/datasets).")
    Path datasets;

    @Option(
            names = "--out",
            description = "Markdown report (default: target/bench/peers.md of the project).")
    Path out;

    @Option(names = "--note", description = "A line about the machine or run, for the report.")
    String note;

    @Option(
            names = "--sampling",
            description =
                    "How the movielens stream's ranking candidates are drawn: UNIFORM over the"
                            + " catalog or POPULARITY, by interactions (default: ${DEFAULT-VALUE}).",
            defaultValue = "UNIFORM")
    perpetua.schemas.Sampling sampling;

    /** Recommendation latencies measured on Perpetua's final snapshots, for the report. */
    private final List<RecommenderStreams.Latency> latencies = new ArrayList<>();

    /**
     * A learner to run on a stream; created only when its turn comes. A Perpetua model has a spec
     * and no {@code create}: it is replayed by {@link PerpetuaModels#replay}.
     */
    record Candidate(
            String name,
            String setting,
            boolean slow,
            Callable<StreamLearner> create,
            PerpetuaModels.Model perpetua) {
        Candidate(String name, String setting, boolean slow, Callable<StreamLearner> create) {
            this(name, setting, slow, create, null);
        }
    }

    /**
     * A learner's whole-stream quality; NaN where its task has no such metric. {@code hr10} and
     * {@code ndcg10}: a recommender's hit rate and NDCG at 10 (see {@link RecommenderStreams}).
     */
    record Quality(
            double accuracy,
            double auc,
            double logLoss,
            double rmse,
            double mae,
            double hr10,
            double ndcg10) {
        static Quality of(Prequential q) {
            return new Quality(
                    q.accuracy(), q.auc(), q.logLoss(), q.rmse(), q.mae(), Double.NaN, Double.NaN);
        }

        static Quality of(Summary s) {
            return new Quality(
                    nan(s.accuracy()),
                    nan(s.auc()),
                    nan(s.logLoss()),
                    nan(s.rmse()),
                    nan(s.mae()),
                    nan(s.hitRate()),
                    nan(s.ndcg()));
        }

        private static double nan(Double v) {
            return v == null ? Double.NaN : v;
        }
    }

    /**
     * One row of the report; a Perpetua row has its model, and a search's row the life-cycle
     * records of its replay (which learner served when).
     */
    record Row(
            PeerStream stream,
            String learner,
            String setting,
            long events,
            boolean probabilities,
            Quality quality,
            double seconds,
            String failure,
            boolean perpetua,
            PerpetuaModels.Model model,
            List<String> notes) {
        Row(
                PeerStream stream,
                String learner,
                String setting,
                long events,
                boolean probabilities,
                Quality quality,
                double seconds,
                String failure,
                boolean perpetua) {
            this(
                    stream,
                    learner,
                    setting,
                    events,
                    probabilities,
                    quality,
                    seconds,
                    failure,
                    perpetua,
                    null,
                    List.of());
        }

        PerpetuaModels.Kind kind() {
            return model == null ? null : model.kind();
        }
    }

    public static void main(String[] args) {
        System.exit(
                new CommandLine(new PeerBenchmark())
                        .setCaseInsensitiveEnumValuesAllowed(true)
                        .execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("perpetua.home", "."));
        Path dir = datasets != null ? datasets : home.resolve("../shared/datasets").normalize();
        if (out == null) {
            out = home.resolve("target/bench/peers.md");
        }
        List<Row> rows = new ArrayList<>();
        for (String name : streams) {
            long t0 = System.nanoTime();
            PeerStream stream = PeerStream.load(name.trim(), dir, events);
            System.err.printf(
                    Locale.ROOT,
                    "%s: %,d events read in %.1f s%n",
                    stream.name,
                    stream.events.size(),
                    (System.nanoTime() - t0) / 1e9);
            if (stream.recommender) {
                for (RecommenderStreams.Candidate c : RecommenderStreams.candidates(sampling)) {
                    if (!selected(c.name())) {
                        continue;
                    }
                    Row row = runRecommender(stream, c);
                    rows.add(row);
                    System.out.println(line(row));
                    write(rows);
                }
                continue;
            }
            for (Candidate c : candidates(stream)) {
                if (!selected(c.name())) {
                    continue;
                }
                long limit = c.slow() && slowEvents > 0 ? slowEvents : Long.MAX_VALUE;
                double seconds = c.slow() && slowSeconds > 0 ? slowSeconds : Double.MAX_VALUE;
                if (warmUpEvents > 0) {
                    warmUp(stream, c, limit);
                }
                Row row = timed(stream, c, limit, seconds, out.toAbsolutePath().getParent());
                rows.add(row);
                System.out.println(line(row));
                if (timedRuns.containsKey(row)) {
                    System.out.println("  timed runs: " + timedRuns.get(row));
                }
                write(rows);
            }
        }
        write(rows);
        System.err.println("report: " + out.toAbsolutePath());
        return 0;
    }

    /**
     * The timed run of a learner, {@link #repeats} times unless it is slow: the run of median
     * events/s, noted with the others' events/s and whether their quality differed.
     */
    private Row timed(PeerStream s, Candidate c, long limit, double seconds, Path curves) {
        int times = c.slow() ? 1 : Math.max(1, repeats);
        List<Row> runs = new ArrayList<>();
        for (int r = 0; r < times; r++) {
            Row row = run(s, c, limit, seconds, curves);
            if (row.failure() != null) {
                return row;
            }
            runs.add(row);
        }
        if (times == 1) {
            return runs.get(0);
        }
        List<Row> bySpeed = new ArrayList<>(runs);
        bySpeed.sort(java.util.Comparator.comparingDouble(r -> r.events() / r.seconds()));
        Row median = bySpeed.get(times / 2);
        timedRuns.put(
                median,
                String.format(
                        Locale.ROOT,
                        "%s / %s: %s events/s, in order%s",
                        s.name,
                        c.name(),
                        runs.stream()
                                .map(
                                        r ->
                                                String.format(
                                                        Locale.ROOT,
                                                        "%,.0f",
                                                        r.events() / r.seconds()))
                                .collect(java.util.stream.Collectors.joining(", ")),
                        runs.stream().allMatch(r -> r.quality().equals(median.quality()))
                                ? ", the same quality in every run"
                                : "; the runs' quality differed, the row's is the median run's"));
        return median;
    }

    /**
     * Runs {@link #warmUpEvents} events through fresh copies of the row's learner, untimed, in
     * passes over the stream's first {@code limit} events: a Perpetua row replays them through its
     * spec, a peer learns them; no pass starts after {@link #WARM_UP_SECONDS}, and a peer's stops
     * then.
     */
    private void warmUp(PeerStream s, Candidate c, long limit) {
        long pass = Math.min(Math.min(warmUpEvents, limit), s.events.size());
        long events = 0;
        int passes = 0;
        long t0 = System.nanoTime();
        try {
            do {
                if (c.perpetua() != null) {
                    PerpetuaModels.replay(s, c.perpetua().spec(), pass);
                    events += pass;
                } else {
                    double left = WARM_UP_SECONDS - (System.nanoTime() - t0) / 1e9;
                    Row row = run(s, c, pass, left, null, false);
                    if (row.failure() != null) {
                        throw new IllegalStateException(row.failure());
                    }
                    events += row.events();
                }
                passes++;
            } while (events < warmUpEvents && System.nanoTime() - t0 < WARM_UP_SECONDS * 1e9);
            System.err.printf(
                    Locale.ROOT,
                    "%s / %s: warm-up of %,d events in %d passes, untimed, %.1f s%n",
                    s.name,
                    c.name(),
                    events,
                    passes,
                    (System.nanoTime() - t0) / 1e9);
        } catch (Exception e) {
            // The measured run that follows fails or succeeds on its own.
            System.err.printf(Locale.ROOT, "%s / %s: warm-up failed: %s%n", s.name, c.name(), e);
        }
    }

    private boolean selected(String learner) {
        return learners.isEmpty()
                || learners.stream()
                        .anyMatch(
                                l ->
                                        learner.toLowerCase(Locale.ROOT)
                                                .contains(l.trim().toLowerCase(Locale.ROOT)));
    }

    /** Runs one learner of a recommendation stream; a failure becomes a row that says why. */
    private Row runRecommender(PeerStream s, RecommenderStreams.Candidate c) {
        try {
            return c.json() != null
                    ? RecommenderStreams.runPerpetua(s, c, latencies)
                    : RecommenderStreams.runPeer(s, c, sampling);
        } catch (Throwable t) {
            RecommenderStreams.Candidate failed = c;
            return failed(
                    s,
                    new Candidate(failed.name(), failed.setting(), false, null),
                    new Prequential(Task.REGRESSION, 0),
                    0,
                    t,
                    c.json() != null);
        }
    }

    /** The learners for a stream's task, with the settings the report states. */
    static List<Candidate> candidates(PeerStream s) {
        List<Candidate> out = new ArrayList<>();
        switch (s.task) {
            case BINARY, MULTICLASS -> {
                out.add(
                        new Candidate(
                                "MOA NaiveBayes",
                                "defaults",
                                false,
                                () ->
                                        MoaLearner.nominal(
                                                "MOA NaiveBayes", new NaiveBayes(), "", s)));
                out.add(
                        new Candidate(
                                "MOA HoeffdingTree",
                                "defaults (NB-adaptive leaves)",
                                false,
                                () ->
                                        MoaLearner.nominal(
                                                "MOA HoeffdingTree", new HoeffdingTree(), "", s)));
                String sgd = "-o LOGLOSS -r 0.01";
                if (s.task == Task.BINARY) {
                    out.add(
                            new Candidate(
                                    "MOA SGD",
                                    sgd + "; one-hot, standardized online",
                                    false,
                                    () -> MoaLearner.oneHot("MOA SGD", new SGD(), sgd, s)));
                } else {
                    out.add(
                            new Candidate(
                                    "MOA SGDMultiClass",
                                    sgd + "; standardized online",
                                    false,
                                    () ->
                                            MoaLearner.oneHot(
                                                    "MOA SGDMultiClass",
                                                    new SGDMultiClass(),
                                                    sgd,
                                                    s)));
                }
                out.add(
                        new Candidate(
                                "MOA AdaptiveRandomForest",
                                "defaults: 100 trees, 1 thread",
                                true,
                                () ->
                                        MoaLearner.nominal(
                                                "MOA AdaptiveRandomForest",
                                                new AdaptiveRandomForest(),
                                                "",
                                                s)));
                if (s.task == Task.BINARY) {
                    String plain = "-b 18 --loss_function logistic --link logistic";
                    out.add(
                            new Candidate(
                                    "VW logistic",
                                    plain,
                                    false,
                                    () -> VwLearner.logistic("VW logistic", "", s)));
                    if (s.categories.containsKey("origin")
                            && s.categories.containsKey("destination")) {
                        out.add(
                                new Candidate(
                                        "VW logistic -q od",
                                        plain + " -q od",
                                        false,
                                        () -> VwLearner.logistic("VW logistic -q od", "-q od", s)));
                    }
                } else {
                    out.add(
                            new Candidate(
                                    "VW oaa",
                                    "-b 18 --oaa "
                                            + s.classes
                                            + " --loss_function logistic --probabilities",
                                    false,
                                    () -> VwLearner.oneAgainstAll("VW oaa", s)));
                }
            }
            case REGRESSION -> {
                out.add(
                        new Candidate(
                                "MOA FIMTDD",
                                "defaults",
                                false,
                                () -> MoaLearner.nominal("MOA FIMTDD", new FIMTDD(), "", s)));
                out.add(
                        new Candidate(
                                "MOA AMRulesRegressor",
                                "defaults",
                                false,
                                () ->
                                        MoaLearner.nominal(
                                                "MOA AMRulesRegressor",
                                                new AMRulesRegressor(),
                                                "",
                                                s)));
                String sgd = "-o SQUAREDLOSS -r 0.01";
                out.add(
                        new Candidate(
                                "MOA SGD",
                                sgd + "; one-hot, standardized online",
                                false,
                                () -> MoaLearner.oneHot("MOA SGD", new SGD(), sgd, s)));
                out.add(
                        new Candidate(
                                "MOA AdaptiveRandomForestRegressor",
                                "defaults: 100 trees, 1 thread",
                                true,
                                () ->
                                        MoaLearner.nominal(
                                                "MOA AdaptiveRandomForestRegressor",
                                                new AdaptiveRandomForestRegressor(),
                                                "",
                                                s)));
                out.add(
                        new Candidate(
                                "VW squared",
                                "-b 18 --loss_function squared",
                                false,
                                () -> VwLearner.squared("VW squared", s)));
            }
            default -> throw new IllegalArgumentException("no learners for task " + s.task);
        }
        // Perpetua's models, measured in the same run on the same rows in the same order.
        for (PerpetuaModels.Model m : PerpetuaModels.of(s)) {
            out.add(new Candidate(m.name(), m.setting(), false, null, m));
        }
        return out;
    }

    /**
     * Runs one learner over the first {@code limit} events of the stream, prequentially, or until
     * it has spent {@code maxSeconds} of its own time.
     */
    static Row run(PeerStream s, Candidate c, long limit, double maxSeconds, Path curves) {
        return run(s, c, limit, maxSeconds, curves, true);
    }

    /** As {@link #run(PeerStream, Candidate, long, double, Path)}, with or without progress. */
    private static Row run(
            PeerStream s,
            Candidate c,
            long limit,
            double maxSeconds,
            Path curves,
            boolean progress) {
        if (c.perpetua() != null) {
            return replay(s, c, curves);
        }
        List<Event> events = s.events.subList(0, (int) Math.min(limit, s.events.size()));
        Prequential quality = new Prequential(s.task, s.classes);
        long nanos = 0;
        try (StreamLearner learner = c.create().call()) {
            int batch = Math.max(1, learner.batchSize());
            int report = Math.max(batch, events.size() / 10);
            int next = report;
            long maxNanos =
                    maxSeconds >= Long.MAX_VALUE / 1e9 ? Long.MAX_VALUE : (long) (maxSeconds * 1e9);
            for (int i = 0; i < events.size() && nanos < maxNanos; i += batch) {
                List<Event> slice = events.subList(i, Math.min(i + batch, events.size()));
                long t0 = System.nanoTime();
                double[][] scores = learner.predictThenLearn(slice);
                nanos += System.nanoTime() - t0;
                for (int j = 0; j < scores.length; j++) {
                    quality.add(scores[j], PeerStream.label(slice.get(j)));
                }
                if (progress && i + slice.size() >= next && i + slice.size() < events.size()) {
                    System.err.printf(
                            Locale.ROOT,
                            "  %s / %s: %,d events, %.1f s%n",
                            s.name,
                            c.name(),
                            quality.count(),
                            nanos / 1e9);
                    next += report;
                }
            }
            return new Row(
                    s,
                    c.name(),
                    c.setting(),
                    quality.count(),
                    learner.givesProbabilities(),
                    Quality.of(quality),
                    nanos / 1e9,
                    null,
                    false);
        } catch (Throwable t) {
            return failed(s, c, quality, nanos / 1e9, t, false);
        }
    }

    /**
     * Replays the stream through a Perpetua model with {@code ./perpetua evaluate}'s code: its
     * metrics are the Learner's own Evaluator over every labelled event (one window as long as the
     * stream, exact AUC), and its seconds run from the first event read by the replay source to the
     * last prediction, so they include decoding, validation and Flink's hand-overs, which the
     * peers' timing does not have.
     */
    static Row replay(PeerStream s, Candidate c, Path curves) {
        try {
            List<String> notes = new ArrayList<>();
            boolean search = c.perpetua().kind() == PerpetuaModels.Kind.SEARCH;
            PrintStream progress =
                    new PrintStream(
                            new java.io.ByteArrayOutputStream() {
                                @Override
                                public synchronized void flush() {
                                    for (String line :
                                            toString(StandardCharsets.UTF_8).split("\n")) {
                                        if (line.startsWith("promotion: ")
                                                || line.startsWith("retirement: ")) {
                                            notes.add(line);
                                        }
                                    }
                                    reset();
                                }
                            },
                            true,
                            StandardCharsets.UTF_8);
            Summary summary =
                    PerpetuaModels.replay(
                            s,
                            c.perpetua().spec(),
                            search ? progress : null,
                            search
                                    ? curves.resolve(s.name + "-" + c.perpetua().spec().getModel())
                                    : null);
            progress.flush();
            System.err.println("  " + s.name + " / " + c.name() + ": " + summary.line());
            PerpetuaModels.requireWhole(s, summary);
            return new Row(
                    s,
                    c.name(),
                    c.setting(),
                    summary.labelled(),
                    true,
                    Quality.of(summary),
                    summary.seconds(),
                    null,
                    true,
                    c.perpetua(),
                    List.copyOf(notes));
        } catch (Throwable t) {
            return failed(s, c, new Prequential(s.task, s.classes), 0, t, true);
        }
    }

    /** The row of a learner that failed, after printing why; its quality so far is kept. */
    private static Row failed(
            PeerStream s,
            Candidate c,
            Prequential quality,
            double seconds,
            Throwable t,
            boolean perpetua) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        System.err.println(trace);
        return new Row(
                s,
                c.name(),
                c.setting(),
                quality.count(),
                false,
                Quality.of(quality),
                seconds,
                why(t),
                perpetua);
    }

    private static String why(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        for (Throwable cause = t.getCause(); cause != null; cause = cause.getCause()) {
            b.append("; caused by ").append(cause);
        }
        return b.toString().replace('|', '/').replace('\n', ' ');
    }

    private static String line(Row r) {
        if (r.failure() != null) {
            return r.stream().name + " / " + r.learner() + ": FAILED " + r.failure();
        }
        Quality q = r.quality();
        String metrics =
                r.stream().recommender
                        ? String.format(
                                Locale.ROOT,
                                "rmse=%.4f mae=%.4f hr10=%.4f ndcg10=%.4f",
                                q.rmse(),
                                q.mae(),
                                q.hr10(),
                                q.ndcg10())
                        : r.stream().task == Task.REGRESSION
                                ? String.format(
                                        Locale.ROOT, "rmse=%.4f mae=%.4f", q.rmse(), q.mae())
                                : String.format(
                                        Locale.ROOT,
                                        "accuracy=%.4f auc=%.4f logloss=%.4f",
                                        q.accuracy(),
                                        q.auc(),
                                        r.probabilities() ? q.logLoss() : Double.NaN);
        return String.format(
                Locale.ROOT,
                "%s / %s: events=%d %s events/s=%.0f",
                r.stream().name,
                r.learner(),
                r.events(),
                metrics,
                r.events() / r.seconds());
    }

    private void write(List<Row> rows) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# Peer learners, prequential\n\n");
        md.append(
                String.format(
                        Locale.ROOT,
                        "Measured %s with `./perpetua bench peers` (%s); %d cores, %s %s, %s;"
                                + " Perpetua's Java kernel: %s.%n",
                        LocalDate.now(),
                        "perpetua.peers.PeerBenchmark",
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.vm.name"),
                        System.getProperty("java.version"),
                        System.getProperty("os.name"),
                        VectorSupport.describe()));
        if (note != null) {
            md.append(note).append('\n');
        }
        md.append(
                "Every learner predicts each event before it learns it; a peer's events/s counts only"
                        + " its encode, predict and learn calls (events pre-loaded). Perpetua's"
                        + " rows are replays of the same rows in the same order through the job's"
                        + " Learner and Evaluator (`Evaluate.run`, a local Flink): their events/s"
                        + " runs from the first event read to the last prediction, so it also"
                        + " counts decoding, validation and Flink's hand-overs; a Perpetua model"
                        + " predicts each micro-batch with the model from before the batch.");
        md.append(
                warmUpEvents > 0
                        ? String.format(
                                Locale.ROOT,
                                " Before each row, %,d events went through fresh copies of"
                                        + " the same learner in passes over its stream, untimed and"
                                        + " discarded, none started after %d s"
                                        + " (`--warm-up-events`): its events/s is the JVM's steady"
                                        + " state, not its JIT compiling the code.%n%n",
                                warmUpEvents,
                                WARM_UP_SECONDS)
                        : " No warm-up (`--warm-up-events 0`): the first rows of the run pay for"
                                + " the JIT compiling the code.\n\n");
        boolean anyClassification = rows.stream().anyMatch(r -> r.stream().task != Task.REGRESSION);
        if (anyClassification) {
            md.append(
                    "| stream | learner | setting | events | accuracy | AUC | log loss |"
                            + " events/s |\n");
            md.append("|---|---|---|---:|---:|---:|---:|---:|\n");
            for (Row r : rows) {
                if (r.stream().task == Task.REGRESSION) {
                    continue;
                }
                Quality q = r.quality();
                if (r.failure() != null) {
                    md.append(failedRow(r, 4));
                    continue;
                }
                md.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %s | `%s` | %,d | %s | %s | %s | %s |%n",
                                r.stream().name,
                                r.learner(),
                                r.setting(),
                                r.events(),
                                num(q.accuracy()),
                                num(q.auc()),
                                r.probabilities() ? num(q.logLoss()) : "n/a (votes)",
                                rate(r)));
            }
            md.append('\n');
        }
        if (rows.stream()
                .anyMatch(r -> r.stream().task == Task.REGRESSION && !r.stream().recommender)) {
            md.append("| stream | learner | setting | events | RMSE | MAE | events/s |\n");
            md.append("|---|---|---|---:|---:|---:|---:|\n");
            for (Row r : rows) {
                if (r.stream().task != Task.REGRESSION || r.stream().recommender) {
                    continue;
                }
                if (r.failure() != null) {
                    md.append(failedRow(r, 3));
                    continue;
                }
                Quality q = r.quality();
                md.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %s | `%s` | %,d | %s | %s | %s |%n",
                                r.stream().name,
                                r.learner(),
                                r.setting(),
                                r.events(),
                                num(q.rmse()),
                                num(q.mae()),
                                rate(r)));
            }
            md.append('\n');
        }
        md.append(recommenders(rows, latencies, sampling));
        List<Row> classic = rows.stream().filter(r -> !r.stream().recommender).toList();
        md.append(ratios(classic));
        md.append(targets(classic));
        md.append(searchCurves(classic));
        if (!timedRuns.isEmpty()) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "Each row but the slow learners' is the median of %d timed runs"
                                    + " (`--repeats`), each from a fresh learner:%n%n",
                            repeats));
            for (Row r : rows) {
                String runs = timedRuns.get(r);
                if (runs != null) {
                    md.append("- ").append(runs).append('\n');
                }
            }
            md.append('\n');
        }
        md.append(denseRates(classic));
        md.append("Streams:\n");
        rows.stream()
                .map(Row::stream)
                .distinct()
                .forEach(
                        s ->
                                md.append(
                                        String.format(
                                                Locale.ROOT,
                                                "- %s: %,d events, label %s.%n",
                                                s.name,
                                                s.events.size(),
                                                s.labelNote)));
        if (rows.stream()
                .anyMatch(r -> r.failure() == null && r.events() < r.stream().events.size())) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "%nA row with fewer events than its stream is a learner marked slow"
                                    + " (MOA's adaptive random forests, 100 trees): it ran on the"
                                    + " first %,d events at most (`--slow-events`) and stopped"
                                    + " after %.0f s of its own time (`--slow-seconds`).%n",
                            slowEvents,
                            slowSeconds));
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
    }

    /**
     * Perpetua's models with dense layers: the rate of their dense math over the whole replay
     * (events/s times the operations of one event's forward and backward pass) against ND4J's 512 x
     * 512 GEMM, measured now, in this JVM, with a Learner's threads.
     */
    static String denseRates(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        double gemm = Double.NaN;
        for (Row r : rows) {
            // Tuned rows only: the defaults' and the search's layers are chosen while learning.
            if (!r.perpetua() || r.failure() != null || r.kind() != PerpetuaModels.Kind.TUNED) {
                continue;
            }
            ModelSpec spec = r.model().spec();
            // Hashed linear models have no dense layer worth a rate; mnist's softmax has one.
            if (spec.getHidden().isEmpty() && spec.getDenseSize() < 100) {
                continue;
            }
            long flops = DenseRate.flopsPerEvent(spec);
            if (Double.isNaN(gemm)) {
                gemm = DenseRate.gemmGflops(512);
                md.append(
                        String.format(
                                Locale.ROOT,
                                "Dense math: ND4J's GEMM of two 512 x 512 float matrices ran at"
                                        + " %.1f GFLOP/s in this run (threads as a Learner of one"
                                        + " slot has them). A model's rate counts two operations"
                                        + " per multiply-add of its dense layers' forward pass,"
                                        + " weight gradients and input gradients, at its events/s"
                                        + " over the whole replay (decoding, hand-overs and"
                                        + " evaluation included); the primitive kernel skips zero"
                                        + " inputs, which the count does not.%n%n",
                                gemm));
                md.append("| stream | learner | FLOP per event | GFLOP/s | of GEMM |\n");
                md.append("|---|---|---:|---:|---:|\n");
            }
            double rate = flops * (r.events() / r.seconds()) / 1e9;
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %,d | %.2f | %.2f |%n",
                            r.stream().name,
                            r.learner(),
                            flops,
                            rate,
                            rate / gemm));
        }
        return md.length() == 0 ? "" : md.append('\n').toString();
    }

    /**
     * The recommendation streams: every learner's RMSE, MAE, hit rate and NDCG at 10 and events/s;
     * Perpetua's best model by RMSE and by hit rate against the peers and the popularity baseline;
     * the latency of Perpetua's recommendations over the whole catalog.
     */
    static String recommenders(
            List<Row> rows, List<RecommenderStreams.Latency> latencies, Sampling sampling) {
        List<Row> rec = rows.stream().filter(r -> r.stream().recommender).toList();
        if (rec.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder();
        md.append(
                String.format(
                        Locale.ROOT,
                        "Recommendation, prequential: before each rating is learned it is"
                                + " predicted (RMSE, MAE) and its movie ranked among %d movies"
                                + " its user had not rated, drawn %s from the movies seen so far"
                                + " (seed %d; every learner ranks the same candidates); HR@%d and"
                                + " NDCG@%d over every ranked rating. Perpetua's rows are replays"
                                + " through the Learner, whose own evaluator ranks them.%n%n",
                        RecommenderStreams.CANDIDATES,
                        sampling == Sampling.POPULARITY
                                ? "in proportion to their ratings so far"
                                : "uniformly",
                        RecommenderStreams.SEED,
                        RecommenderStreams.K,
                        RecommenderStreams.K));
        md.append(
                "| stream | learner | setting | events | RMSE | MAE | HR@10 | NDCG@10 |"
                        + " events/s |\n");
        md.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rec) {
            if (r.failure() != null) {
                md.append(failedRow(r, 5));
                continue;
            }
            Quality q = r.quality();
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | `%s` | %,d | %s | %s | %s | %s | %s |%n",
                            r.stream().name,
                            r.perpetua() ? "**" + r.learner() + "**" : r.learner(),
                            r.setting(),
                            r.events(),
                            num(q.rmse()),
                            num(q.mae()),
                            num(q.hr10()),
                            num(q.ndcg10()),
                            rate(r)));
        }
        md.append('\n');
        List<Row> ok = rec.stream().filter(r -> r.failure() == null).toList();
        Row bestRmse =
                ok.stream()
                        .filter(r -> r.perpetua() && !Double.isNaN(r.quality().rmse()))
                        .min((a, b) -> Double.compare(a.quality().rmse(), b.quality().rmse()))
                        .orElse(null);
        Row bestHr =
                ok.stream()
                        .filter(r -> r.perpetua() && !Double.isNaN(r.quality().hr10()))
                        .max((a, b) -> Double.compare(a.quality().hr10(), b.quality().hr10()))
                        .orElse(null);
        Row peerRmse =
                ok.stream()
                        .filter(r -> !r.perpetua() && !Double.isNaN(r.quality().rmse()))
                        .min((a, b) -> Double.compare(a.quality().rmse(), b.quality().rmse()))
                        .orElse(null);
        Row popularity =
                ok.stream().filter(r -> r.learner().equals("Popularity")).findFirst().orElse(null);
        if (bestRmse != null && peerRmse != null) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- Lowest RMSE: %s %.4f; the best peer's, %s, %.4f: %s.%n",
                            bestRmse.learner(),
                            bestRmse.quality().rmse(),
                            peerRmse.learner(),
                            peerRmse.quality().rmse(),
                            bestRmse.quality().rmse() < peerRmse.quality().rmse()
                                    ? "Perpetua's is the lowest of all"
                                    : "a peer's is lower"));
        }
        if (popularity != null) {
            for (Row r : new Row[] {bestRmse, bestHr}) {
                if (r != null) {
                    md.append(
                            String.format(
                                    Locale.ROOT,
                                    "- HR@10 of %s: %.4f, %.2f times the popularity baseline's"
                                            + " %.4f.%n",
                                    r.learner(),
                                    r.quality().hr10(),
                                    r.quality().hr10() / popularity.quality().hr10(),
                                    popularity.quality().hr10()));
                }
            }
        }
        for (RecommenderStreams.Latency l : latencies) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- Recommendation latency of %s, the top %d of the whole catalog (%,d"
                                    + " movies, less those the user rated) from its final snapshot"
                                    + " (ScoringModel.recommend, what Scorer.recommend runs), %,d"
                                    + " calls over the users in turn: p50 %.2f ms, p99 %.2f ms,"
                                    + " mean %.2f ms.%n",
                            l.model(),
                            RecommenderStreams.K,
                            l.catalog(),
                            l.calls(),
                            l.p50(),
                            l.p99(),
                            l.mean()));
        }
        md.append('\n');
        return md.toString();
    }

    /** The main metric of a task, by which Perpetua's best model on a stream is chosen. */
    enum Main {
        AUC("AUC", true),
        ACCURACY("accuracy", true),
        RMSE("RMSE", false);

        final String label;
        final boolean higherIsBetter;

        Main(String label, boolean higherIsBetter) {
            this.label = label;
            this.higherIsBetter = higherIsBetter;
        }

        static Main of(Task task) {
            return switch (task) {
                case BINARY -> AUC;
                case MULTICLASS -> ACCURACY;
                case REGRESSION -> RMSE;
            };
        }

        double of(Quality q) {
            return switch (this) {
                case AUC -> q.auc();
                case ACCURACY -> q.accuracy();
                case RMSE -> q.rmse();
            };
        }

        /** Whether {@code a} is strictly better than {@code b}. */
        boolean beats(double a, double b) {
            return higherIsBetter ? a > b : a < b;
        }
    }

    /**
     * Per stream, every learner against Perpetua's best model on that stream (best by the main
     * metric): the ratio of the main metrics and of the events/s, and where a peer wins.
     */
    static String ratios(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        List<PeerStream> streams = rows.stream().map(Row::stream).distinct().toList();
        boolean header = false;
        for (PeerStream s : streams) {
            Main main = Main.of(s.task);
            Row best = null;
            for (Row r : rows) {
                if (r.stream() == s
                        && r.perpetua()
                        && r.failure() == null
                        && (best == null
                                || main.beats(main.of(r.quality()), main.of(best.quality())))) {
                    best = r;
                }
            }
            if (best == null) {
                continue;
            }
            if (!header) {
                md.append(
                        "Against Perpetua's best model on each stream (best by the main metric:"
                                + " AUC for flights, accuracy for letter and mnist, RMSE for"
                                + " diamonds). metric ratio = learner's main metric ÷ Perpetua"
                                + " best's (above 1 is better for AUC and accuracy, below 1 for"
                                + " RMSE); speed ratio = learner's events/s ÷ Perpetua best's.\n\n");
                md.append(
                        "| stream | learner | events | main metric | also | events/s |"
                                + " metric ratio | speed ratio | winner |\n");
                md.append("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
                header = true;
            }
            double bestMetric = main.of(best.quality());
            double bestRate = best.events() / best.seconds();
            for (Row r : rows) {
                if (r.stream() != s || r.failure() != null) {
                    continue;
                }
                Quality q = r.quality();
                double metric = main.of(q);
                double rate = r.events() / r.seconds();
                boolean partial = r.events() < s.events.size();
                List<String> wins = new ArrayList<>();
                if (!r.perpetua() && !partial && main.beats(metric, bestMetric)) {
                    wins.add(main.label);
                }
                if (!r.perpetua() && rate > bestRate) {
                    wins.add("speed");
                }
                String winner;
                if (r == best) {
                    winner = "Perpetua's best";
                } else if (!wins.isEmpty()) {
                    winner = "peer wins on " + String.join(" and ", wins);
                } else {
                    winner = "";
                }
                if (partial) {
                    winner +=
                            (winner.isEmpty() ? "" : "; ")
                                    + "first "
                                    + String.format(Locale.ROOT, "%,d", r.events())
                                    + " events only: metric not comparable";
                }
                String also =
                        switch (s.task) {
                            case BINARY -> "accuracy " + num(q.accuracy());
                            case MULTICLASS ->
                                    r.probabilities() ? "log loss " + num(q.logLoss()) : "";
                            case REGRESSION -> "MAE " + num(q.mae());
                        };
                md.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %s | %,d | %s %s | %s | %s | %s | %s | %s |%n",
                                s.name,
                                r.perpetua() ? "**" + r.learner() + "**" : r.learner(),
                                r.events(),
                                main.label,
                                num(metric),
                                also,
                                rate(r),
                                String.format(Locale.ROOT, "%.3f", metric / bestMetric),
                                String.format(Locale.ROOT, "%.2f", rate / bestRate),
                                winner));
            }
        }
        if (header) {
            md.append('\n');
            md.append("Perpetua's specs:\n");
            for (PeerStream s : streams) {
                for (PerpetuaModels.Model m : PerpetuaModels.of(s)) {
                    if (rows.stream()
                            .anyMatch(
                                    r ->
                                            r.stream() == s
                                                    && r.perpetua()
                                                    && r.learner().equals(m.name()))) {
                        md.append("- ")
                                .append(s.name)
                                .append(" / ")
                                .append(m.name())
                                .append(": `")
                                .append(m.json())
                                .append("`\n");
                    }
                }
            }
            md.append('\n');
        }
        return md.toString();
    }

    /**
     * Per stream, the spec with defaults and the {@code auto} search against the tuned specs and
     * the best peer on the main metric. A quality ratio above 1 is better than the reference, for
     * RMSE too (the reference's RMSE over the row's); the search's cost is the defaults' events/s
     * over the search's.
     */
    static String targets(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        for (PeerStream s : rows.stream().map(Row::stream).distinct().toList()) {
            Main main = Main.of(s.task);
            Row peer = best(rows, s, main, r -> !r.perpetua() && r.events() == s.events.size());
            Row tunedLinear =
                    best(
                            rows,
                            s,
                            main,
                            r ->
                                    r.kind() == PerpetuaModels.Kind.TUNED
                                            && !r.model().json().contains("\"hidden\"")
                                            && !r.model().json().contains("\"embeddings\""));
            Row tuned = best(rows, s, main, r -> r.kind() == PerpetuaModels.Kind.TUNED);
            Row defaults = best(rows, s, main, r -> r.kind() == PerpetuaModels.Kind.DEFAULTS);
            Row auto = best(rows, s, main, r -> r.kind() == PerpetuaModels.Kind.SEARCH);
            if (defaults == null && auto == null) {
                continue;
            }
            if (md.length() == 0) {
                md.append(
                        "Defaults and the auto search against the tuned specs and the best peer"
                                + " (main metric; a ratio above 1 is better than the reference,"
                                + " for RMSE the reference's over the row's; the search's cost is"
                                + " the defaults' events/s over the search's):\n\n");
                md.append(
                        "| stream | best peer | tuned linear | tuned best | defaults |"
                                + " ÷ tuned linear | ÷ tuned best | auto search | ÷ best peer |"
                                + " events/s defaults | events/s auto | search cost |\n");
                md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            }
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                            s.name,
                            peer == null
                                    ? "n/a"
                                    : peer.learner()
                                            + " "
                                            + main.label
                                            + " "
                                            + num(main.of(peer.quality())),
                            metric(main, tunedLinear),
                            metric(main, tuned),
                            metric(main, defaults),
                            ratio(main, defaults, tunedLinear),
                            ratio(main, defaults, tuned),
                            metric(main, auto),
                            ratio(main, auto, peer),
                            defaults == null ? "n/a" : rate(defaults),
                            auto == null ? "n/a" : rate(auto),
                            defaults == null || auto == null || auto.seconds() <= 0
                                    ? "n/a"
                                    : String.format(
                                            Locale.ROOT,
                                            "%.1fx",
                                            (defaults.events() / defaults.seconds())
                                                    / (auto.events() / auto.seconds()))));
        }
        return md.length() == 0 ? "" : md.append('\n').toString();
    }

    /** For each auto search, the promotions and retirements of its replay, in order. */
    static String searchCurves(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        for (Row r : rows) {
            if (r.kind() != PerpetuaModels.Kind.SEARCH || r.failure() != null) {
                continue;
            }
            md.append("Which learner served when, ")
                    .append(r.stream().name)
                    .append(" / ")
                    .append(r.learner())
                    .append(" (it starts with the defaults' learner):\n\n");
            for (String note : r.notes()) {
                md.append("- ").append(note).append('\n');
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static Row best(
            List<Row> rows, PeerStream s, Main main, java.util.function.Predicate<Row> which) {
        Row best = null;
        for (Row r : rows) {
            if (r.stream() == s
                    && r.failure() == null
                    && which.test(r)
                    && (best == null
                            || main.beats(main.of(r.quality()), main.of(best.quality())))) {
                best = r;
            }
        }
        return best;
    }

    private static String metric(Main main, Row r) {
        return r == null ? "n/a" : num(main.of(r.quality()));
    }

    private static String ratio(Main main, Row r, Row reference) {
        if (r == null || reference == null) {
            return "n/a";
        }
        double a = main.of(r.quality());
        double b = main.of(reference.quality());
        return String.format(Locale.ROOT, "%.3f", main.higherIsBetter ? a / b : b / a);
    }

    private static String failedRow(Row r, int metrics) {
        return "| "
                + r.stream().name
                + " | "
                + r.learner()
                + " | `"
                + r.setting()
                + "` | "
                + "could not run: "
                + r.failure()
                + " |".repeat(metrics + 1)
                + "\n";
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String rate(Row r) {
        return r.seconds() > 0
                ? String.format(Locale.ROOT, "%,.0f", r.events() / r.seconds())
                : "n/a";
    }
}
