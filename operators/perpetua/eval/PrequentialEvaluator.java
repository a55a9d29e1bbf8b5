package perpetua.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import perpetua.schemas.Metrics;
import perpetua.schemas.Task;

/**
 * Prequential (test-then-train) quality of one model over tumbling windows of labelled events.
 *
 * <p>Every served prediction is counted with {@link #countPrediction}; every prediction whose label
 * arrives is scored with {@link #score} against the scores that were served, before the model
 * learns from it. When {@link #windowFull()} the caller emits a {@link Metrics} record with {@link
 * #emit}, which also starts the next window.
 *
 * <p>The state is a Flink POJO (public no-arg constructor, public primitive fields and primitive
 * arrays) so that it can live in keyed {@code ValueState} without Kryo. Metrics by task:
 *
 * <ul>
 *   <li>BINARY: weighted accuracy and log loss, and the exact ROC AUC over the window. The AUC is
 *       <em>unweighted</em>: it ranks the window's scores (Mann–Whitney with mid-ranks for ties),
 *       and an example weight has no natural place in a rank statistic without doubling the cost.
 *   <li>MULTICLASS: weighted accuracy and log loss.
 *   <li>REGRESSION: weighted MAE and RMSE.
 * </ul>
 *
 * <p>A metric whose total weight in the window is zero (or, for AUC, whose window holds a single
 * class) is emitted as null rather than as a misleading number.
 */
public class PrequentialEvaluator {

    /** Probabilities are clamped to [EPS, 1 - EPS] so that one confident miss stays finite. */
    static final double EPS = 1e-7;

    /** The task of the evaluated model; decides which metrics are kept. */
    public Task task;

    /** Labelled events per window. */
    public int windowSize;

    // ---- Current window. ----

    /** Whether a prediction was counted in the current window (versionFrom and windowStart set). */
    public boolean started;

    /** Model version of the window's first counted prediction. */
    public long versionFrom;

    /** Wall-clock time of the window's first counted prediction, epoch milliseconds. */
    public long windowStart;

    /** Predictions counted in the window, labelled or not. */
    public long events;

    /** Labelled events scored in the window. */
    public int labelled;

    /** Sum of example weights of the scored events. */
    public double weightSum;

    /** Weighted count of correct predictions (classification). */
    public double correctSum;

    /** Weighted sum of log losses (classification). */
    public double logLossSum;

    /** Weighted sum of absolute errors (regression). */
    public double absErrorSum;

    /** Weighted sum of squared errors (regression). */
    public double squaredErrorSum;

    /** P(1) of each scored event of the window (binary only, else null). */
    public float[] aucScores;

    /** Whether each scored event of the window is a positive (binary only, else null). */
    public boolean[] aucPositive;

    /** Positives among the scored events of the window (binary only). */
    public int positives;

    // ---- Last emitted window, for model snapshots. NaN marks a null metric. ----

    /** Whether any window was emitted yet. */
    public boolean emitted;

    public long lastEvents;
    public long lastLabelled;
    public double lastEventsPerSecond;
    public double lastAccuracy = Double.NaN;
    public double lastAuc = Double.NaN;
    public double lastLogLoss = Double.NaN;
    public double lastMae = Double.NaN;
    public double lastRmse = Double.NaN;

    /** For Flink's POJO serializer only. */
    public PrequentialEvaluator() {}

    /** Creates an evaluator for a model of the given task, emitting every windowSize labels. */
    public PrequentialEvaluator(Task task, int windowSize) {
        if (task == null) {
            throw new IllegalArgumentException("task is null");
        }
        if (windowSize <= 0) {
            throw new IllegalArgumentException("windowSize must be positive: " + windowSize);
        }
        this.task = task;
        this.windowSize = windowSize;
        if (task == Task.BINARY) {
            aucScores = new float[windowSize];
            aucPositive = new boolean[windowSize];
        }
    }

    /** A deep copy, for keyed state that must not change when this evaluator goes on. */
    public PrequentialEvaluator copy() {
        PrequentialEvaluator c = new PrequentialEvaluator();
        c.task = task;
        c.windowSize = windowSize;
        c.started = started;
        c.versionFrom = versionFrom;
        c.windowStart = windowStart;
        c.events = events;
        c.labelled = labelled;
        c.weightSum = weightSum;
        c.correctSum = correctSum;
        c.logLossSum = logLossSum;
        c.absErrorSum = absErrorSum;
        c.squaredErrorSum = squaredErrorSum;
        c.aucScores = aucScores == null ? null : aucScores.clone();
        c.aucPositive = aucPositive == null ? null : aucPositive.clone();
        c.positives = positives;
        c.emitted = emitted;
        c.lastEvents = lastEvents;
        c.lastLabelled = lastLabelled;
        c.lastEventsPerSecond = lastEventsPerSecond;
        c.lastAccuracy = lastAccuracy;
        c.lastAuc = lastAuc;
        c.lastLogLoss = lastLogLoss;
        c.lastMae = lastMae;
        c.lastRmse = lastRmse;
        return c;
    }

    /**
     * Counts one served prediction, labelled or not.
     *
     * <p>The window's first call fixes its start time and its versionFrom.
     *
     * @param modelVersion version of the model that served the prediction
     * @param now wall-clock time, epoch milliseconds
     */
    public void countPrediction(long modelVersion, long now) {
        if (!started) {
            started = true;
            versionFrom = modelVersion;
            windowStart = now;
        }
        events++;
    }

    /**
     * Scores one labelled event against the prediction that was served for it.
     *
     * @param scores the served scores: BINARY reads P(1) at {@code scoreOffset + 1}, MULTICLASS
     *     reads the class probabilities from {@code scoreOffset}; REGRESSION ignores them
     * @param scoreOffset where this event's scores start in {@code scores}
     * @param predicted the served prediction: a class index, or the regression value
     * @param label the true class (0/1 for BINARY) or value
     * @param weight the example weight, non-negative
     * @throws IllegalStateException if the window is already full and was not emitted
     */
    public void score(float[] scores, int scoreOffset, float predicted, float label, float weight) {
        if (windowFull()) {
            throw new IllegalStateException("window full: emit before scoring more events");
        }
        switch (task) {
            case BINARY -> {
                double p = clamp(scores[scoreOffset + 1]);
                // Written for 0/1 labels; a soft label in between still gives the cross-entropy.
                double loss = -(label * Math.log(p) + (1.0 - label) * Math.log(1.0 - p));
                logLossSum += weight * loss;
                correctSum += predicted == label ? weight : 0.0;
                boolean positive = label >= 0.5f;
                aucScores[labelled] = scores[scoreOffset + 1];
                aucPositive[labelled] = positive;
                positives += positive ? 1 : 0;
            }
            case MULTICLASS -> {
                double p = clamp(scores[scoreOffset + (int) label]);
                logLossSum += weight * -Math.log(p);
                correctSum += predicted == label ? weight : 0.0;
            }
            case REGRESSION -> {
                double error = (double) predicted - label;
                absErrorSum += weight * Math.abs(error);
                squaredErrorSum += weight * error * error;
            }
        }
        weightSum += weight;
        labelled++;
    }

    /** Whether the window holds windowSize labelled events and should be emitted. */
    public boolean windowFull() {
        return labelled >= windowSize;
    }

    /**
     * Builds the metrics of the current window and starts the next one.
     *
     * <p>If no prediction was counted in the window (all its labels answered predictions of the
     * previous one), the window starts and ends at {@code now} and versionFrom is versionTo.
     *
     * @param model the model's name
     * @param versionTo the model version at the end of the window
     * @param now wall-clock time, epoch milliseconds: the window's end
     */
    public Metrics emit(String model, long versionTo, long now) {
        long start = started ? windowStart : now;
        long durationMs = now - start;
        // A window that opened and closed in the same millisecond has no meaningful rate.
        double eventsPerSecond = durationMs > 0 ? events / (durationMs / 1000.0) : 0.0;

        Double accuracy = null;
        Double auc = null;
        Double logLoss = null;
        Double mae = null;
        Double rmse = null;
        boolean weighted = weightSum > 0.0;
        switch (task) {
            case BINARY -> {
                accuracy = weighted ? correctSum / weightSum : null;
                logLoss = weighted ? logLossSum / weightSum : null;
                auc = auc();
            }
            case MULTICLASS -> {
                accuracy = weighted ? correctSum / weightSum : null;
                logLoss = weighted ? logLossSum / weightSum : null;
            }
            case REGRESSION -> {
                mae = weighted ? absErrorSum / weightSum : null;
                rmse = weighted ? Math.sqrt(squaredErrorSum / weightSum) : null;
            }
        }

        Metrics metrics =
                Metrics.newBuilder()
                        .setModel(model)
                        .setTask(task)
                        .setVersionFrom(started ? versionFrom : versionTo)
                        .setVersionTo(versionTo)
                        .setWindowStart(start)
                        .setWindowEnd(now)
                        .setEvents(events)
                        .setLabelled(labelled)
                        .setEventsPerSecond(eventsPerSecond)
                        .setAccuracy(accuracy)
                        .setAuc(auc)
                        .setLogLoss(logLoss)
                        .setMae(mae)
                        .setRmse(rmse)
                        .build();

        emitted = true;
        lastEvents = events;
        lastLabelled = labelled;
        lastEventsPerSecond = eventsPerSecond;
        lastAccuracy = orNaN(accuracy);
        lastAuc = orNaN(auc);
        lastLogLoss = orNaN(logLoss);
        lastMae = orNaN(mae);
        lastRmse = orNaN(rmse);
        reset();
        return metrics;
    }

    /**
     * The last emitted window's metrics, by Metrics field name, for model snapshots.
     *
     * <p>Null metrics are left out; the map is empty before the first window is emitted.
     */
    public Map<String, Double> summary() {
        Map<String, Double> summary = new LinkedHashMap<>();
        if (!emitted) {
            return summary;
        }
        summary.put("events", (double) lastEvents);
        summary.put("labelled", (double) lastLabelled);
        summary.put("eventsPerSecond", lastEventsPerSecond);
        putIfDefined(summary, "accuracy", lastAccuracy);
        putIfDefined(summary, "auc", lastAuc);
        putIfDefined(summary, "logLoss", lastLogLoss);
        putIfDefined(summary, "mae", lastMae);
        putIfDefined(summary, "rmse", lastRmse);
        return summary;
    }

    /**
     * Exact ROC AUC of the window's binary scores, or null when it holds a single class.
     *
     * <p>AUC equals the Mann–Whitney U of the positives over positives × negatives; U comes from
     * the positives' rank sum, tied scores sharing their mid-rank so that a tie between a positive
     * and a negative counts one half. Only sorted copies are allocated, once per window.
     */
    Double auc() {
        int n = labelled;
        int negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return null;
        }
        float[] all = Arrays.copyOf(aucScores, n);
        Arrays.sort(all);
        float[] positiveScores = new float[positives];
        for (int i = 0, k = 0; i < n; i++) {
            if (aucPositive[i]) {
                positiveScores[k++] = aucScores[i];
            }
        }
        Arrays.sort(positiveScores);

        // Both arrays ascend, so one pass assigns each positive its tie group's mid-rank.
        // Float.compare keeps NaN scores in one (last) group instead of looping on NaN != NaN.
        double rankSum = 0.0;
        int p = 0;
        for (int i = 0; i < n; ) {
            int j = i + 1;
            while (j < n && Float.compare(all[j], all[i]) == 0) {
                j++;
            }
            double midRank = (i + 1 + j) / 2.0; // mean of the 1-based ranks i+1 .. j
            while (p < positives && Float.compare(positiveScores[p], all[i]) == 0) {
                rankSum += midRank;
                p++;
            }
            i = j;
        }
        double u = rankSum - positives * (positives + 1.0) / 2.0;
        return u / ((double) positives * negatives);
    }

    private void reset() {
        started = false;
        versionFrom = 0L;
        windowStart = 0L;
        events = 0L;
        labelled = 0;
        weightSum = 0.0;
        correctSum = 0.0;
        logLossSum = 0.0;
        absErrorSum = 0.0;
        squaredErrorSum = 0.0;
        positives = 0;
        // The AUC arrays are overwritten from index 0; only the first `labelled` entries count.
    }

    private static double clamp(double p) {
        return Math.min(Math.max(p, EPS), 1.0 - EPS);
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
