package perpetua.learner;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import perpetua.schemas.Metrics;

/**
 * The Flink metrics of one model on one Learner subtask, under the group {@code model=<name>}.
 *
 * <p>Gauges show the champion's last metrics window (NaN where the task has no such figure), the
 * served version, the events waiting for a label and the champion's learning-rate boost (1 when
 * none); counters count predictions, learned examples, learned batches, late labels that found no
 * event, waits that expired, promotions, batches not learned because their loss, gradient or weight
 * norm was unhealthy, the champion's drift warnings, drifts, drift alerts (drifts under the ALERT
 * reaction) and replacements by a background model, and a recommender's answered requests.
 */
final class LearnerMetrics {
    final Counter predictions;
    final Counter learnedExamples;
    final Counter batches;
    final Counter feedbackUnmatched;
    final Counter labelsExpired;
    final Counter promotions;
    final Counter unhealthyBatches;
    final Counter driftWarnings;
    final Counter drifts;
    final Counter driftAlerts;
    final Counter replacements;
    final Counter recommendations;
    private volatile Metrics last;

    /** The model's current working copy; replaced when a model is re-created. */
    volatile ModelRuntime runtime;

    LearnerMetrics(MetricGroup operatorGroup, String model) {
        MetricGroup g = operatorGroup.addGroup("model", model);
        predictions = g.counter("predictions");
        learnedExamples = g.counter("learnedExamples");
        batches = g.counter("batches");
        g.gauge("modelVersion", (Gauge<Long>) () -> runtime == null ? -1L : runtime.version());
        g.gauge(
                "pendingLabels",
                (Gauge<Long>) () -> runtime == null ? 0L : runtime.pendingLabels());
        feedbackUnmatched = g.counter("feedbackUnmatched");
        labelsExpired = g.counter("labelsExpired");
        promotions = g.counter("promotions");
        unhealthyBatches = g.counter("unhealthyBatches");
        driftWarnings = g.counter("driftWarnings");
        drifts = g.counter("drifts");
        driftAlerts = g.counter("driftAlerts");
        replacements = g.counter("replacements");
        recommendations = g.counter("recommendations");
        g.gauge(
                "learningRateBoost",
                (Gauge<Float>)
                        () ->
                                runtime == null
                                        ? 1f
                                        : runtime.champion().model().learningRateBoost());
        g.gauge("accuracy", (Gauge<Double>) () -> value(last == null ? null : last.getAccuracy()));
        g.gauge("auc", (Gauge<Double>) () -> value(last == null ? null : last.getAuc()));
        g.gauge("logLoss", (Gauge<Double>) () -> value(last == null ? null : last.getLogLoss()));
        g.gauge("mae", (Gauge<Double>) () -> value(last == null ? null : last.getMae()));
        g.gauge("rmse", (Gauge<Double>) () -> value(last == null ? null : last.getRmse()));
        g.gauge(
                "precision",
                (Gauge<Double>) () -> value(last == null ? null : last.getPrecision()));
        g.gauge("recall", (Gauge<Double>) () -> value(last == null ? null : last.getRecall()));
        g.gauge("f1", (Gauge<Double>) () -> value(last == null ? null : last.getF1()));
        g.gauge("macroF1", (Gauge<Double>) () -> value(last == null ? null : last.getMacroF1()));
        g.gauge("kappa", (Gauge<Double>) () -> value(last == null ? null : last.getKappa()));
        g.gauge("r2", (Gauge<Double>) () -> value(last == null ? null : last.getR2()));
        g.gauge("hitRate", (Gauge<Double>) () -> value(last == null ? null : last.getHitRate()));
        g.gauge("ndcg", (Gauge<Double>) () -> value(last == null ? null : last.getNdcg()));
        g.gauge("mrr", (Gauge<Double>) () -> value(last == null ? null : last.getMrr()));
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
