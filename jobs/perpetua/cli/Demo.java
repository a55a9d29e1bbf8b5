package perpetua.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import perpetua.dashboard.Dashboard;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.job.OnlineLearningJob;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.FlightsStream;
import perpetua.runtime.KafkaConnection;
import perpetua.runtime.TopicReader;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The one-command demo: a Kafka broker in its own JVM, the learning job on a local Flink with web
 * UI, the carried flights slice streamed through Kafka, and the model's quality printed per window.
 *
 * <p>Everything it starts stops at the end of the run or on Ctrl-C; the broker also exits by itself
 * when this process dies, because it watches its standard input.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Stream US flights through Kafka into the learning job and watch it learn.")
final class Demo implements Callable<Integer> {
    /** In feedback mode, a label is published this many events after its event. */
    static final int LABEL_LAG = 256;

    static final String MODEL = FlightsStream.MODEL;

    /** The demo's model: logistic regression on the flights features. */
    String spec() {
        return "{\"model\":\"flights\",\"task\":\"BINARY\",\"numericFeatures\":[\"distance\"],"
                + "\"hashBits\":18,\"optimizer\":\"ADAM\",\"learningRate\":0.02,"
                + "\"maxBatch\":256,\"maxDelayMs\":20,\"metricsWindow\":5000,"
                + "\"snapshotEveryBatches\":"
                + snapshotEveryBatches
                + ",\"snapshotEverySeconds\":5"
                + (feedbackLabels() ? ",\"labelWaitMs\":60000" : "")
                + "}";
    }

    private boolean feedbackLabels() {
        return labelDelivery.equals("feedback");
    }

    @Option(
            names = "--label-delivery",
            defaultValue = "inline",
            description =
                    "inline: labels travel in the events; feedback: events are published without"
                            + " their label, which follows on the feedback topic 256 events later"
                            + " (default: ${DEFAULT-VALUE}).")
    String labelDelivery;

    @Option(
            names = "--snapshot-every-batches",
            defaultValue = "100",
            description =
                    "Publish a model snapshot every N learned batches (default: ${DEFAULT-VALUE}).")
    int snapshotEveryBatches;

    @Option(
            names = "--events",
            defaultValue = "0",
            description = "Stop after N events (0: the whole file).")
    long events;

    @Option(
            names = "--rate",
            defaultValue = "10000",
            description =
                    "Events per second published (0: as fast as possible;"
                            + " default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--csv",
            description =
                    "Flights CSV: date, delay, distance, origin, destination"
                            + " (default: data/flights-100k.csv.gz in the project).")
    Path csv;

    @Option(
            names = "--dir",
            description =
                    "Working folder for the broker's data and logs"
                            + " (default: .perpetua in the project; git ignores it).")
    Path dir;

    @Option(
            names = "--web-port",
            defaultValue = "8081",
            description = "Flink web UI port (default: ${DEFAULT-VALUE}).")
    int webPort;

    @Option(
            names = "--dashboard-port",
            defaultValue = "8090",
            description =
                    "Port of the live dashboard on 127.0.0.1 (0: a free one; -1: no dashboard;"
                            + " default: ${DEFAULT-VALUE}).")
    int dashboardPort;

    @Option(
            names = "--checkpoint-interval",
            defaultValue = "1s",
            description = "Exactly-once checkpoint interval (default: ${DEFAULT-VALUE}).")
    String checkpointInterval;

    private Process broker;
    private JobClient job;
    private Dashboard dashboard;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    @Override
    public Integer call() throws Exception {
        Thread cleanup = new Thread(this::stopAll, "perpetua-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            return run();
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    private int run() throws Exception {
        Path home = Path.of(System.getProperty("perpetua.home", "."));
        csv = csv != null ? csv : home.resolve("data/flights-100k.csv.gz");
        dir = dir != null ? dir : home.resolve(".perpetua");
        if (!Files.isRegularFile(csv)) {
            System.err.println("no data file " + csv + " (run from the project folder)");
            return 2;
        }
        String bootstrap = startBroker();

        JobOptions options =
                JobOptions.fromArgs(
                        "--bootstrap-servers",
                        bootstrap,
                        "--spec",
                        spec(),
                        "--checkpoint-interval",
                        checkpointInterval,
                        "--transactional-id-prefix",
                        "perpetua-demo-" + System.currentTimeMillis(),
                        "--checkpoint-dir",
                        dir.resolve("checkpoints").toUri().toString());
        KafkaIo.createTopics(options, 1);
        say(
                "topics: events, feedback, models.control, predictions, metrics, models, models.history,"
                        + " deadletters");
        OnlineLearningJob.Models models = OnlineLearningJob.Models.of(options);
        StreamExecutionEnvironment env = LocalJob.localEnvironment(webPort, 1);
        OnlineLearningJob.configure(env, options);
        OnlineLearningJob.defineWorkflow(
                env, KafkaIo.events(options), models, KafkaIo.sinks(options));
        job = env.executeAsync(OnlineLearningJob.NAME);
        awaitRunning(job);
        say("learning job %s running; Flink web UI: http://127.0.0.1:%d", job.getJobID(), webPort);
        if (dashboardPort >= 0) {
            dashboard =
                    Dashboard.start(
                            KafkaConnection.to(bootstrap),
                            Dashboard.Followed.defaults(),
                            dashboardPort);
            say("live dashboard: %s", dashboard.url());
        }

        Map<String, Integer> labels = new ConcurrentHashMap<>();
        AtomicLong published = new AtomicLong(-1);
        long startNanos = System.nanoTime();
        Thread producer =
                new Thread(() -> publish(bootstrap, labels, published), "perpetua-demo-producer");
        producer.setDaemon(true);
        producer.start();

        say(
                "%-8s %9s %10s %9s %7s %8s %8s",
                "window", "events", "events/s", "accuracy", "auc", "logloss", "version");
        return follow(bootstrap, labels, published, startNanos);
    }

    /** Why the learning job ended before the demo did. */
    private Throwable jobFailure() {
        try {
            job.getJobExecutionResult().get();
            return new IllegalStateException("the learning job ended early");
        } catch (Exception e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            return new IllegalStateException("the learning job failed: " + cause, e);
        }
    }

    /** Waits until the job runs, so that the figures below measure learning, not deployment. */
    private static void awaitRunning(JobClient job) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (job.getJobStatus().get() != org.apache.flink.api.common.JobStatus.RUNNING) {
            if (job.getJobStatus().get().isTerminalState() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the learning job did not start: " + job.getJobStatus().get());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private String startBroker() throws IOException, InterruptedException {
        Path kafkaDir = dir.resolve("kafka");
        deleteRecursively(kafkaDir);
        Files.createDirectories(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        broker =
                new ProcessBuilder(
                                java,
                                "-Xmx1g",
                                "-cp",
                                System.getProperty("java.class.path"),
                                "perpetua.runtime.KafkaBroker",
                                "--dir",
                                kafkaDir.toString(),
                                "--port",
                                "0")
                        .redirectError(dir.resolve("broker.log").toFile())
                        .start();
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY ")) {
                String bootstrap = line.substring("READY ".length()).trim();
                say(
                        "Kafka broker (KRaft, pid %d) at %s, data in %s",
                        broker.pid(), bootstrap, kafkaDir);
                return bootstrap;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        throw new IllegalStateException(
                "the Kafka broker did not start; see " + dir.resolve("broker.log"));
    }

    private void publish(String bootstrap, Map<String, Integer> labels, AtomicLong published) {
        boolean late = feedbackLabels();
        WireFormat.Codec<Feedback> feedbackCodec = WireFormat.codec(Feedback.class);
        ArrayDeque<Feedback> owed = new ArrayDeque<>();
        try (CsvEvents rows = new CsvEvents(csv, FlightsStream.roles());
                EventPublisher publisher = new EventPublisher(bootstrap, "events");
                EventPublisher feedback = new EventPublisher(bootstrap, "feedback")) {
            Iterator<Event> remembered =
                    new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return rows.hasNext();
                        }

                        @Override
                        public Event next() {
                            Event e = rows.next();
                            labels.put(e.getId(), (Integer) e.getLabel());
                            if (!late) {
                                return e;
                            }
                            // The label follows LABEL_LAG events later, as a click or a fraud
                            // verdict would.
                            owed.add(
                                    Feedback.newBuilder()
                                            .setEventId(e.getId())
                                            .setModel(e.getModel())
                                            .setTime(e.getTime())
                                            .setLabel(e.getLabel())
                                            .build());
                            if (owed.size() > LABEL_LAG) {
                                Feedback f = owed.poll();
                                feedback.sendRaw(f.getModel(), feedbackCodec.encode(f));
                            }
                            return Event.newBuilder(e).setLabel(null).build();
                        }
                    };
            published.set(publisher.publish(remembered, events, rate, 0, n -> {}));
            for (Feedback f : owed) {
                feedback.sendRaw(f.getModel(), feedbackCodec.encode(f));
            }
            feedback.flush();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    /** Prints each metrics window, then the summary once every published event has a prediction. */
    private int follow(
            String bootstrap, Map<String, Integer> labels, AtomicLong published, long startNanos) {
        WireFormat.Codec<Metrics> metricsCodec = WireFormat.codec(Metrics.class);
        WireFormat.Codec<Prediction> predictionCodec = WireFormat.codec(Prediction.class);
        WireFormat.Codec<ModelSnapshot> snapshotCodec = WireFormat.codec(ModelSnapshot.class);
        List<Long> freshness = new ArrayList<>();
        int capacity = events > 0 ? (int) events : 1 << 20;
        PrequentialEvaluator overall = new PrequentialEvaluator(Task.BINARY, capacity);
        long[] latencies = new long[capacity];
        long[] predictions = {0};
        long[] maxVersion = {0};
        long[] windows = {0};
        long[] lastProgress = {System.nanoTime()};
        long[] firstPublished = {0};
        long[] lastRead = {0};
        float[] scores = new float[2];
        try (TopicReader reader =
                new TopicReader(bootstrap, List.of("metrics", "predictions", "models"), true)) {
            reader.read(
                    null,
                    r -> {
                        try {
                            if (r.topic().equals("metrics")) {
                                printWindow(++windows[0], metricsCodec.decode(r.value()));
                            } else if (r.topic().equals("models")) {
                                ModelSnapshot m = snapshotCodec.decode(r.value());
                                if (m.getEvent() == null) {
                                    freshness.add(System.currentTimeMillis() - m.getTime());
                                }
                            } else {
                                Prediction p = predictionCodec.decode(r.value());
                                long now = System.currentTimeMillis();
                                lastRead[0] = now;
                                if (predictions[0] == 0) {
                                    firstPublished[0] = p.getPublishedAt();
                                }
                                if (predictions[0] < latencies.length) {
                                    latencies[(int) predictions[0]] = now - p.getPublishedAt();
                                }
                                predictions[0]++;
                                lastProgress[0] = System.nanoTime();
                                maxVersion[0] = Math.max(maxVersion[0], p.getModelVersion());
                                Integer label = labels.get(p.getEventId());
                                if (label != null && overall.labelled < capacity) {
                                    scores[0] = p.getScores().get(0);
                                    scores[1] = p.getScores().get(1);
                                    overall.countPrediction(p.getModelVersion(), now);
                                    overall.add(scores, 0, ((Integer) p.getLabel()), label, 1f);
                                }
                            }
                        } catch (IOException e) {
                            failure.compareAndSet(null, e);
                        }
                        if (failure.get() != null) {
                            return false;
                        }
                        if (job.getJobExecutionResult().isDone()) {
                            failure.compareAndSet(null, jobFailure());
                            return false;
                        }
                        long total = published.get();
                        if (total >= 0 && predictions[0] >= total) {
                            return false;
                        }
                        if (System.nanoTime() - lastProgress[0] > TimeUnit.SECONDS.toNanos(120)) {
                            failure.compareAndSet(
                                    null, new IllegalStateException("no prediction for 120 s"));
                            return false;
                        }
                        return true;
                    });
            if (failure.get() == null) {
                // A window closed by the last batches commits with the last predictions.
                reader.read(
                        Duration.ofMillis(1500),
                        r -> {
                            if (r.topic().equals("metrics")) {
                                try {
                                    printWindow(++windows[0], metricsCodec.decode(r.value()));
                                } catch (IOException e) {
                                    failure.compareAndSet(null, e);
                                    return false;
                                }
                            }
                            return true;
                        });
            }
        }
        if (failure.get() != null) {
            System.err.println("demo failed: " + failure.get());
            return 1;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        // Steady-state rate: from the first event's publication to the last prediction read.
        double span = Math.max(1, lastRead[0] - firstPublished[0]) / 1e3;
        int n = (int) Math.min(predictions[0], latencies.length);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        Metrics all = overall.emit(MODEL, maxVersion[0], System.currentTimeMillis());
        say(
                "end to end: %d events, %.1f s from first publication to last prediction read (%.0f"
                        + " events/s); latency publish to prediction readable p50=%d ms p99=%d ms;"
                        + " demo wall time %.1f s",
                predictions[0],
                span,
                predictions[0] / span,
                percentile(sorted, 0.50),
                percentile(sorted, 0.99),
                seconds);
        long[] fresh = freshness.stream().mapToLong(Long::longValue).sorted().toArray();
        say(
                "model freshness (snapshot of a learned batch to readable on models): %d snapshots,"
                        + " p50=%d ms max=%d ms",
                fresh.length,
                percentile(fresh, 0.50),
                fresh.length == 0 ? -1 : fresh[fresh.length - 1]);
        System.out.printf(
                "summary model=%s events=%d accuracy=%.4f auc=%.4f logloss=%.4f version=%d%n",
                MODEL,
                predictions[0],
                orNaN(all.getAccuracy()),
                orNaN(all.getAuc()),
                orNaN(all.getLogLoss()),
                maxVersion[0]);
        return 0;
    }

    private static void printWindow(long window, Metrics m) {
        say(
                "%-8d %9d %10.0f %9.4f %7.4f %8.4f %8d",
                window,
                m.getEvents(),
                m.getEventsPerSecond(),
                orNaN(m.getAccuracy()),
                orNaN(m.getAuc()),
                orNaN(m.getLogLoss()),
                m.getVersionTo());
    }

    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static double orNaN(Double d) {
        return d == null ? Double.NaN : d;
    }

    private static void say(String format, Object... args) {
        System.out.printf(format + "%n", args);
        System.out.flush();
    }

    private synchronized void stopAll() {
        if (dashboard != null) {
            dashboard.close();
            dashboard = null;
        }
        if (job != null) {
            try {
                job.cancel().get(30, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the job may have ended already
            }
            job = null;
        }
        if (broker != null) {
            try {
                broker.getOutputStream().close();
                if (!broker.waitFor(30, TimeUnit.SECONDS)) {
                    broker.destroy();
                    if (!broker.waitFor(10, TimeUnit.SECONDS)) {
                        broker.destroyForcibly();
                    }
                }
            } catch (IOException | InterruptedException e) {
                broker.destroyForcibly();
            }
            broker = null;
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
