package perpetua.cli;

import static perpetua.cli.DemoReport.say;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FileUtils;
import perpetua.dashboard.Dashboard;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.job.OnlineLearningJob;
import perpetua.job.RetainedCheckpoints;
import perpetua.job.RuntimeOptions;
import perpetua.runtime.KafkaConnection;
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

    @Option(
            names = "--compression",
            defaultValue = "lz4",
            description =
                    "Compression of the published events: none, gzip, snappy, lz4 or zstd (default:"
                            + " ${DEFAULT-VALUE}: the cheapest to write, and only the job reads"
                            + " them).")
    String compression;

    private DemoBroker broker;
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
        try {
            Compression.check(compression);
        } catch (IllegalArgumentException e) {
            System.err.println("--" + e.getMessage());
            return 2;
        }
        broker = DemoBroker.launch(dir);
        String bootstrap = broker.awaitReady();
        say(
                "Kafka broker (KRaft, pid %d) at %s, data in %s",
                broker.pid(), bootstrap, broker.dataDir());

        // The demo's own folder, apart from ./perpetua job's checkpoints. The broker starts empty,
        // so the checkpoints of an earlier demo name offsets and transactions that no longer
        // exist: they go with its data.
        Path checkpoints = dir.resolve("demo-checkpoints");
        FileUtils.deleteDirectory(checkpoints.toFile());
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
                        checkpoints.toUri().toString());
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
        awaitReady(job, checkpoints, options.get(RuntimeOptions.CHECKPOINT_INTERVAL));
        say("learning job %s running; Flink web UI: http://127.0.0.1:%d", job.getJobID(), webPort);
        if (dashboardPort >= 0) {
            dashboard =
                    Dashboard.start(
                            KafkaConnection.to(bootstrap),
                            Dashboard.Followed.defaults(),
                            dashboardPort);
            say("live dashboard: %s", dashboard.url());
        }

        FlightsFeed feed =
                new FlightsFeed(csv, events, rate, feedbackLabels(), compression, failure);
        long startNanos = System.nanoTime();
        Thread producer = new Thread(() -> feed.publish(bootstrap), "perpetua-demo-producer");
        producer.setDaemon(true);
        producer.start();

        return new DemoReport(bootstrap, feed, job, failure, events, startNanos, broker.handle())
                .follow();
    }

    /**
     * Waits until the job has completed its first checkpoint, so that the figures below measure
     * learning, not deployment: every task is then deployed and running. The job's status turns
     * RUNNING once it is scheduled, before its tasks are deployed; on two cores the first
     * checkpoint came about 2 s later. Flink starts the first checkpoint within one interval, so
     * the wait allows 2 minutes and one interval.
     *
     * @param checkpoints the demo's checkpoint folder, which holds this job's alone
     */
    private static void awaitReady(JobClient job, Path checkpoints, Duration interval)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120) + interval.toNanos();
        while (RetainedCheckpoints.latest(checkpoints.toString()).isEmpty()) {
            JobStatus status = job.getJobStatus().get();
            if (status.isTerminalState() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the learning job did not start: " + status + ", no checkpoint completed");
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
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
            broker.stop();
            broker = null;
        }
    }
}
