package perpetua.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.runtime.FlightsStream;
import perpetua.runtime.TopicReader;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;

/**
 * What the demo prints while the model learns: each metrics window as the job publishes it, then an
 * end-to-end summary of throughput, latency, model freshness and overall quality.
 *
 * <p>It reads the metrics, predictions and models topics as committed, scores every prediction
 * against the label the feed remembered, and stops once every published event has a prediction, or
 * when the feed or the job fails, or when no prediction comes for 120 s.
 */
final class DemoReport {
    private static final String MODEL = FlightsStream.MODEL;

    private final String bootstrap;
    private final FlightsFeed feed;

    /**
     * The job's result, asked for once: each call of {@link JobClient#getJobExecutionResult} is a
     * request to the cluster, and the reader checks it after every record.
     */
    private final CompletableFuture<JobExecutionResult> jobResult;

    private final AtomicReference<Throwable> failure;
    private final long events;
    private final long startNanos;
    private final ProcessHandle broker;

    /**
     * A report on the job's outputs, not yet read.
     *
     * @param events the events the feed publishes at most (0: the whole file)
     * @param failure where the demo's first failure is kept; the report adds its own
     * @param startNanos when the demo started, for its wall time
     * @param broker the broker's process, whose CPU time the report adds to its own
     */
    DemoReport(
            String bootstrap,
            FlightsFeed feed,
            JobClient job,
            AtomicReference<Throwable> failure,
            long events,
            long startNanos,
            ProcessHandle broker) {
        this.bootstrap = bootstrap;
        this.feed = feed;
        this.jobResult = job.getJobExecutionResult();
        this.failure = failure;
        this.events = events;
        this.startNanos = startNanos;
        this.broker = broker;
    }

    /**
     * Prints the table's header and each metrics window, then the summary once every published
     * event has a prediction.
     *
     * @return the demo's exit code: 0, or 1 when the feed, the job or the reading failed
     */
    int follow() {
        say(
                "%-8s %9s %10s %9s %7s %8s %8s",
                "window", "events", "events/s", "accuracy", "auc", "logloss", "version");
        PublishedLabels labels = feed.labels();
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
                        if (jobResult.isDone()) {
                            failure.compareAndSet(null, jobFailure());
                            return false;
                        }
                        long total = feed.published();
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
        printCpu(predictions[0]);
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

    /**
     * The CPU time of this JVM (the job, the producer and the reader) and of the broker's, since
     * each started, and their sum per event read: a figure that the other work on a shared machine
     * moves less than the events per second.
     */
    private void printCpu(long read) {
        Optional<Duration> own = ProcessHandle.current().info().totalCpuDuration();
        Optional<Duration> brokers = broker.info().totalCpuDuration();
        if (own.isEmpty() || brokers.isEmpty() || read == 0) {
            return;
        }
        double demo = own.get().toNanos() / 1e9;
        double kafka = brokers.get().toNanos() / 1e9;
        say(
                "cpu: the demo's JVM %.1f s, the broker's %.1f s since they started: %.1f µs per"
                        + " event",
                demo, kafka, (demo + kafka) * 1e6 / read);
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

    /** Prints one line and flushes, so that the lines keep pace with the run. */
    static void say(String format, Object... args) {
        System.out.printf(format + "%n", args);
        System.out.flush();
    }

    /** Why the learning job ended before the demo did. */
    private Throwable jobFailure() {
        try {
            jobResult.get();
            return new IllegalStateException("the learning job ended early");
        } catch (Exception e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            return new IllegalStateException("the learning job failed: " + cause, e);
        }
    }
}
