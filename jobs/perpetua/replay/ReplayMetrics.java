package perpetua.replay;

import java.util.Map;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.Task;

/**
 * The whole-replay metrics of one model: every served prediction measured against its row's label
 * by the Learner's own {@link PrequentialEvaluator}, in one window as long as the replay, so that
 * the summary is prequential over all labelled events and its AUC exact. A recommender's
 * predictions carry the rank of their item among its candidates: hit rate, NDCG and MRR over every
 * ranked event.
 *
 * <p>Keeps one float and one boolean per labelled row for a binary model (the AUC ranks them all),
 * nothing per row otherwise. Not thread-safe: one thread adds the predictions.
 */
final class ReplayMetrics {
    private final String model;
    private final Task task;
    private final PrequentialEvaluator evaluator;
    private final int capacity;
    private long events;
    private long labelled;
    private long version;
    private long firstRead = Long.MAX_VALUE;
    private long lastPredicted = Long.MIN_VALUE;

    /**
     * @param classes the model's classes (sizes the confusion matrix of macro-F1 and kappa)
     * @param labelledRows an upper bound of the labelled predictions to come: the replay's labelled
     *     rows
     * @param rankingK a recommender's cut-off of hit rate and NDCG; 0 for a model that ranks
     *     nothing
     */
    ReplayMetrics(String model, Task task, int classes, int labelledRows, int rankingK) {
        this.model = model;
        this.task = task;
        this.capacity = Math.max(1, labelledRows);
        PrequentialEvaluator e =
                new PrequentialEvaluator(task, capacity, MetricsWindowKind.COUNT, 0L, 1.0, classes);
        this.evaluator = rankingK > 0 ? e.rankingAt(rankingK) : e;
    }

    /** Adds one served prediction with {@code label} (NaN: unlabelled, counted only). */
    void add(Served s, float label) {
        events++;
        evaluator.countPrediction(s.version, s.predictedAt);
        if (s.rank > 0 && evaluator.ranking != null) {
            evaluator.addRank(s.rank);
        }
        if (!Float.isNaN(label)) {
            if (labelled == capacity) {
                throw new IllegalStateException(
                        "model '" + model + "': more labelled predictions than labelled rows");
            }
            evaluator.add(s.scores, 0, s.predicted, label, 1f);
            labelled++;
        }
        version = Math.max(version, s.version);
        firstRead = Math.min(firstRead, s.readAt);
        lastPredicted = Math.max(lastPredicted, s.predictedAt);
    }

    long events() {
        return events;
    }

    /** The summary of everything added. */
    Summary summary(long deadLetters, double wallSeconds) {
        return tally().summary(task, deadLetters, wallSeconds);
    }

    /** Everything added, measured: what the replay job hands to the evaluator at its end. */
    ReplayTally tally() {
        Metrics overall =
                evaluator.emit(model, version, lastPredicted == Long.MIN_VALUE ? 0 : lastPredicted);
        Map<String, Double> metrics = Curve.metrics(overall);
        ReplayTally t = new ReplayTally();
        t.model = model;
        t.events = events;
        t.labelled = labelled;
        t.version = version;
        // Millisecond clocks: a replay shorter than one tick still has a finite rate.
        t.seconds = events == 0 ? 0.0 : Math.max(lastPredicted - firstRead, 1) / 1000.0;
        t.metricNames = metrics.keySet().toArray(new String[0]);
        t.metricValues = metrics.values().stream().mapToDouble(Double::doubleValue).toArray();
        t.done = true;
        return t;
    }
}
