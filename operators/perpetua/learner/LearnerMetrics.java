package perpetua.learner;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import perpetua.schemas.Metrics;

/**
 * The Flink metrics of one model on one Learner subtask, under the group {@code model=<name>}.
 *
 * <p>Gauges show the champion's last metrics window (NaN where the task has no such figure), the
 * served version and the events waiting for a label; counters count predictions, learned examples,
 * learned batches, late labels that found no event, waits that expired, promotions, and batches not
 * learned because their loss, gradient or weight norm was unhealthy.
 */
final class LearnerMetrics {
    final Counter predictions;
    final Counter learnedExamples;
    final Counter batches;
    final Counter feedbackUnmatched;
    final Counter labelsExpired;
    final Counter promotions;
    final Counter unhealthyBatches;
    private volatile Metrics last;

    /** The model's current working copy; replaced when a model is re-created. */
    volatile ModelRuntime runtime;

    LearnerMetrics(MetricGroup operatorGroup, String model) {
        MetricGroup g = operatorGroup.addGroup("model", model);
        predictions = g.counter("predictions");
        learnedExamples = g.counter("learnedExamples");
        batches = g.counter("batches");
        g.gauge("modelVersion", (Gauge<Long>) () -> runtime == null ? -1L : runtime.version);
        g.gauge("pendingLabels", (Gauge<Long>) () -> runtime == null ? 0L : runtime.pendingLabels);
        feedbackUnmatched = g.counter("feedbackUnmatched");
        labelsExpired = g.counter("labelsExpired");
        promotions = g.counter("promotions");
        unhealthyBatches = g.counter("unhealthyBatches");
        g.gauge("accuracy", (Gauge<Double>) () -> value(last == null ? null : last.getAccuracy()));
        g.gauge("auc", (Gauge<Double>) () -> value(last == null ? null : last.getAuc()));
        g.gauge("logLoss", (Gauge<Double>) () -> value(last == null ? null : last.getLogLoss()));
        g.gauge("mae", (Gauge<Double>) () -> value(last == null ? null : last.getMae()));
        g.gauge("rmse", (Gauge<Double>) () -> value(last == null ? null : last.getRmse()));
        g.gauge(
                "eventsPerSecond",
                (Gauge<Double>) () -> last == null ? Double.NaN : last.getEventsPerSecond());
    }

    void windowEmitted(Metrics m) {
        last = m;
    }

    private static double value(Double d) {
        return d == null ? Double.NaN : d;
    }
}
