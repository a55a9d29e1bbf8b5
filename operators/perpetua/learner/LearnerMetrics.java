package perpetua.learner;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import perpetua.schemas.Metrics;

/**
 * The Flink metrics of one model on one Learner subtask, under the group {@code model=<name>}.
 *
 * <p>Gauges show the last emitted metrics window (NaN where the task has no such figure) and the
 * model version; counters count predictions, learned examples and learned batches.
 */
final class LearnerMetrics {
    final Counter predictions;
    final Counter learnedExamples;
    final Counter batches;
    private volatile Metrics last;

    LearnerMetrics(MetricGroup operatorGroup, ModelRuntime runtime) {
        MetricGroup g = operatorGroup.addGroup("model", runtime.name);
        predictions = g.counter("predictions");
        learnedExamples = g.counter("learnedExamples");
        batches = g.counter("batches");
        g.gauge("modelVersion", (Gauge<Long>) runtime.model::steps);
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
