package perpetua.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import perpetua.schemas.Metrics;

/**
 * The {@link Metrics} record of a {@link PrequentialEvaluator}'s closing window, and the figures of
 * the last such record that a model snapshot reports.
 *
 * <p>The evaluator keeps those figures in public fields of its own, as Flink's POJO serializer
 * needs for keyed state; this class writes and reads them, so that the evaluator holds the window's
 * life cycle and this one what is reported of it. A metric that is 0/0 is null in the record and
 * NaN in the evaluator, and left out of the summary.
 */
final class WindowReport {
    private WindowReport() {}

    /**
     * The record of the evaluator's current window over {@code [start, end]}, milliseconds: its
     * versions, counts and rate, the task's figures and, for a recommender, the ranking's.
     */
    static Metrics record(
            PrequentialEvaluator e, String model, long versionTo, long start, long end) {
        long durationMs = end - start;
        // A window that opened and closed in the same millisecond has no meaningful rate.
        double eventsPerSecond = durationMs > 0 ? e.events / (durationMs / 1000.0) : 0.0;
        Metrics.Builder b =
                Metrics.newBuilder()
                        .setModel(model)
                        .setTask(e.task)
                        .setVersionFrom(e.started ? e.versionFrom : versionTo)
                        .setVersionTo(versionTo)
                        .setWindowStart(start)
                        .setWindowEnd(end)
                        .setEvents(e.events)
                        .setLabelled(e.labelled)
                        .setEventsPerSecond(eventsPerSecond)
                        .setWindow(e.windowName());
        e.sums.figures(e.task, b, e.labelled, e.aucAllKept());
        if (e.ranking != null) {
            e.ranking.figures(b);
        }
        return b.build();
    }

    /** Keeps the figures of {@code metrics} in the evaluator as those of its last window. */
    static void remember(PrequentialEvaluator e, Metrics metrics) {
        e.emitted = true;
        e.lastEvents = metrics.getEvents();
        e.lastLabelled = metrics.getLabelled();
        e.lastEventsPerSecond = metrics.getEventsPerSecond();
        e.lastAccuracy = orNaN(metrics.getAccuracy());
        e.lastAuc = orNaN(metrics.getAuc());
        e.lastLogLoss = orNaN(metrics.getLogLoss());
        e.lastMae = orNaN(metrics.getMae());
        e.lastRmse = orNaN(metrics.getRmse());
        e.lastPrecision = orNaN(metrics.getPrecision());
        e.lastRecall = orNaN(metrics.getRecall());
        e.lastF1 = orNaN(metrics.getF1());
        e.lastMacroF1 = orNaN(metrics.getMacroF1());
        e.lastKappa = orNaN(metrics.getKappa());
        e.lastR2 = orNaN(metrics.getR2());
        e.lastHitRate = orNaN(metrics.getHitRate());
        e.lastNdcg = orNaN(metrics.getNdcg());
        e.lastMrr = orNaN(metrics.getMrr());
    }

    /**
     * The figures of the evaluator's last window by Metrics field name, the undefined ones left
     * out; empty before the first window.
     */
    static Map<String, Double> summary(PrequentialEvaluator e) {
        Map<String, Double> summary = new LinkedHashMap<>();
        if (!e.emitted) {
            return summary;
        }
        summary.put("events", (double) e.lastEvents);
        summary.put("labelled", (double) e.lastLabelled);
        summary.put("eventsPerSecond", e.lastEventsPerSecond);
        putIfDefined(summary, "accuracy", e.lastAccuracy);
        putIfDefined(summary, "auc", e.lastAuc);
        putIfDefined(summary, "logLoss", e.lastLogLoss);
        putIfDefined(summary, "mae", e.lastMae);
        putIfDefined(summary, "rmse", e.lastRmse);
        putIfDefined(summary, "precision", e.lastPrecision);
        putIfDefined(summary, "recall", e.lastRecall);
        putIfDefined(summary, "f1", e.lastF1);
        putIfDefined(summary, "macroF1", e.lastMacroF1);
        putIfDefined(summary, "kappa", e.lastKappa);
        putIfDefined(summary, "r2", e.lastR2);
        putIfDefined(summary, "hitRate", e.lastHitRate);
        putIfDefined(summary, "ndcg", e.lastNdcg);
        putIfDefined(summary, "mrr", e.lastMrr);
        return summary;
    }

    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }

    private static void putIfDefined(Map<String, Double> map, String key, double value) {
        if (!Double.isNaN(value)) {
            map.put(key, value);
        }
    }
}
