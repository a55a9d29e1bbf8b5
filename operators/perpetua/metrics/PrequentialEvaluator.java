package perpetua.metrics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * Prequential (test-then-train) quality of one model over count, time or fading windows.
 *
 * <p>Every served prediction is counted with {@link #countPrediction}; every prediction whose label
 * arrives is added with {@link #add} against the scores that were served, before the model learns
 * from it. When {@link #windowDue(long)} the caller emits a {@link Metrics} record with {@link
 * #emit}, which also starts the next window; {@link #closeIfDue} does both.
 *
 * <p>Windows ({@link MetricsWindowKind}):
 *
 * <ul>
 *   <li>COUNT: tumbling, {@code windowSize} labelled events each. Due after the last one is scored.
 *   <li>TIME: tumbling, {@code windowMs} long and aligned to the epoch (a window is {@code [k *
 *       windowMs, (k + 1) * windowMs)}). Due once the clock reaches its end: call {@link
 *       #windowDue(long)} (or {@link #closeIfDue}) before counting or scoring anything at time
 *       {@code now}, so an example at or after the end opens the next window, and from a timer set
 *       at {@link #windowEndsAt()} so a quiet model still reports. An empty window is never due.
 *   <li>FADING: every scored event first multiplies the weight of all earlier ones by {@code
 *       fadingFactor} (alpha), so a metric is a ratio of exponentially faded sums with an effective
 *       memory of about 1 / (1 - alpha) events. Due every {@code windowSize} labelled events;
 *       emitting does not clear the sums.
 * </ul>
 *
 * <p>Metrics by task (all weighted by the example weights, except AUC):
 *
 * <ul>
 *   <li>BINARY (positive class 1): accuracy, precision, recall, F1, log loss and ROC AUC. AUC is
 *       <em>unweighted</em> by example weights (a rank statistic; a fading window weighs pairs by
 *       their fading weights only). It is exact (Mann–Whitney with mid-ranks for ties) over count
 *       windows and over time windows of up to {@link #EXACT_AUC_LIMIT} labelled events. A fading
 *       window (or a larger time window) estimates it from a histogram of the scores in {@link
 *       #AUC_BINS} bins of equal width in logit space, counting a positive and a negative in the
 *       same bin as a tie; only those pairs can be misjudged, each by at most 1/2, so {@code |auc -
 *       exact| <= 1/2 * sum_b pos_b * neg_b / (P * N)}, which every record states as {@code
 *       aucErrorBound} (0 when exact).
 *   <li>MULTICLASS: accuracy, log loss, macro-F1 and Cohen's kappa, from a weighted confusion
 *       matrix.
 *   <li>REGRESSION: MAE, RMSE and R² (weighted; the label variance by West's incremental update).
 * </ul>
 *
 * <p>A metric that is 0/0 in the window is emitted as null rather than as a misleading number:
 * every metric of a window with zero total weight; AUC when the window holds a single class;
 * precision when nothing was predicted positive; recall when no label was positive; F1 when neither
 * (with positive labels but no positive prediction F1 is 0, well defined); kappa when every label
 * and prediction is the same class; R² when the labels do not vary. Macro-F1 averages over the
 * classes that occur in the window as a label or a prediction.
 *
 * <p>The state is a Flink POJO (public no-arg constructor, public primitive fields, enums and
 * primitive arrays) so that it can live in keyed {@code ValueState} without Kryo. Sums are stored
 * divided by {@link #scale}, the product of the fading factors so far, so fading touches no array
 * per event; they are renormalized when the scale gets small. Tumbling windows keep scale 1.
 */
public class PrequentialEvaluator {

    /** Probabilities are clamped to [EPS, 1 - EPS] so that one confident miss stays finite. */
    static final double EPS = 1e-7;

    /** A time window keeps every score for an exact AUC up to this many labelled events. */
    public static final int EXACT_AUC_LIMIT = 1 << 20;

    /** Bins of the AUC histogram, equal width in logit(p) over [-AUC_LOGIT_RANGE, +range]. */
    public static final int AUC_BINS = 1024;

    /** Logits beyond this (p below 6.1e-6 or above 1 - 6.1e-6) share the outermost bins. */
    public static final double AUC_LOGIT_RANGE = 12.0;

    /** Below this scale the stored sums are multiplied out, keeping them far from overflow. */
    private static final double RENORMALIZE_BELOW = 1e-150;

    /** The task of the evaluated model; decides which metrics are kept. */
    public Task task;

    /** Labelled events per COUNT window, or between two FADING records. */
    public int windowSize;

    /** How windows close; null (state written before windows had kinds) means COUNT. */
    public MetricsWindowKind windowKind;

    /** Length of a TIME window, milliseconds. */
    public long windowMs;

    /** FADING: weight kept by earlier events at each scored event; 1 for tumbling windows. */
    public double fadingFactor = 1.0;

    // ---- Current window. ----

    /** Whether a prediction was counted in the current window (versionFrom and windowStart set). */
    public boolean started;

    /** TIME: whether windowStart is set (by a prediction or by the clock). */
    public boolean open;

    /** Model version of the window's first counted prediction. */
    public long versionFrom;

    /**
     * Start of the window, epoch milliseconds: the first counted prediction (COUNT, FADING) or the
     * aligned start (TIME).
     */
    public long windowStart;

    /** Predictions counted in the window, labelled or not. */
    public long events;

    /** Labelled events scored in the window (FADING: since the last record). */
    public int labelled;

    // ---- Sums, stored divided by scale. ----

    /** The factor that turns a stored sum into its faded value. */
    public double scale = 1.0;

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

    /** Weighted mean of the labels (regression; a ratio, so not scaled). */
    public double labelMean;

    /** Weighted sum of squared deviations of the labels from their mean (regression). */
    public double labelM2;

    /** Classes in {@link #confusion}; grows with the largest class seen. */
    public int classes;

    /** Weighted confusion matrix, {@code [label * classes + predicted]} (classification). */
    public double[] confusion;

    /** P(1) of each scored event of the window, for the exact AUC (COUNT, TIME; else null). */
    public float[] aucScores;

    /** Whether each scored event of the window is a positive (COUNT, TIME; else null). */
    public boolean[] aucPositive;

    /** Positives among the scored events of the window (binary). */
    public int positives;

    /** Faded weight of the positives per logit bin (binary TIME and FADING; else null). */
    public double[] aucBinPositive;

    /** Faded weight of the negatives per logit bin (binary TIME and FADING; else null). */
    public double[] aucBinNegative;

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
    public double lastPrecision = Double.NaN;
    public double lastRecall = Double.NaN;
    public double lastF1 = Double.NaN;
    public double lastMacroF1 = Double.NaN;
    public double lastKappa = Double.NaN;
    public double lastR2 = Double.NaN;

    /** For Flink's POJO serializer only. */
    public PrequentialEvaluator() {}

    /** Creates an evaluator with tumbling windows of windowSize labelled events. */
    public PrequentialEvaluator(Task task, int windowSize) {
        this(task, windowSize, MetricsWindowKind.COUNT, 0L, 1.0, task == Task.BINARY ? 2 : 0);
    }

    /**
     * Creates an evaluator of any window kind.
     *
     * @param windowSize labelled events per COUNT window, or between two FADING records
     * @param kind how windows close
     * @param windowMs TIME: the window length, milliseconds (ignored otherwise)
     * @param fadingFactor FADING: alpha in (0, 1] (ignored otherwise)
     * @param classes the number of classes, to size the confusion matrix (it grows if needed)
     */
    public PrequentialEvaluator(
            Task task,
            int windowSize,
            MetricsWindowKind kind,
            long windowMs,
            double fadingFactor,
            int classes) {
        if (task == null || kind == null) {
            throw new IllegalArgumentException("task and window kind are required");
        }
        if (windowSize <= 0) {
            throw new IllegalArgumentException("windowSize must be positive: " + windowSize);
        }
        if (kind == MetricsWindowKind.TIME && windowMs <= 0) {
            throw new IllegalArgumentException("windowMs must be positive: " + windowMs);
        }
        if (kind == MetricsWindowKind.FADING && !(fadingFactor > 0 && fadingFactor <= 1)) {
            throw new IllegalArgumentException("fadingFactor must be in (0, 1]: " + fadingFactor);
        }
        this.task = task;
        this.windowSize = windowSize;
        this.windowKind = kind;
        this.windowMs = kind == MetricsWindowKind.TIME ? windowMs : 0L;
        this.fadingFactor = kind == MetricsWindowKind.FADING ? fadingFactor : 1.0;
        if (task != Task.REGRESSION) {
            this.classes = task == Task.BINARY ? 2 : Math.max(classes, 0);
            this.confusion = new double[this.classes * this.classes];
        }
        if (task == Task.BINARY) {
            if (kind == MetricsWindowKind.COUNT) {
                aucScores = new float[windowSize];
                aucPositive = new boolean[windowSize];
            } else {
                aucBinPositive = new double[AUC_BINS];
                aucBinNegative = new double[AUC_BINS];
                if (kind == MetricsWindowKind.TIME) {
                    aucScores = new float[1024];
                    aucPositive = new boolean[1024];
                }
            }
        }
    }

    /** The evaluator a model spec asks for: its task, classes and metrics window. */
    public static PrequentialEvaluator forSpec(ModelSpec spec) {
        String problem = problem(spec);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new PrequentialEvaluator(
                spec.getTask(),
                spec.getMetricsWindow(),
                spec.getMetricsWindowKind(),
                spec.getMetricsWindowMs(),
                spec.getFadingFactor(),
                spec.getClasses());
    }

    /** Returns null when the spec's metrics window is usable, otherwise why not. */
    public static String problem(ModelSpec spec) {
        String m = "model '" + spec.getModel() + "': ";
        if (spec.getMetricsWindow() < 1) {
            return m + "metricsWindow >= 1";
        }
        if (spec.getMetricsWindowKind() == MetricsWindowKind.TIME
                && spec.getMetricsWindowMs() < 1) {
            return m + "metricsWindowMs >= 1 for a TIME window";
        }
        double alpha = spec.getFadingFactor();
        if (spec.getMetricsWindowKind() == MetricsWindowKind.FADING && !(alpha > 0 && alpha <= 1)) {
            return m + "fadingFactor in (0, 1] for a FADING window";
        }
        return null;
    }

    /** Whether this evaluator already keeps the window {@code spec} asks for (else make anew). */
    public boolean sameWindow(ModelSpec spec) {
        MetricsWindowKind kind = kind();
        return task == spec.getTask()
                && kind == spec.getMetricsWindowKind()
                && windowSize == spec.getMetricsWindow()
                && (kind != MetricsWindowKind.TIME || windowMs == spec.getMetricsWindowMs())
                && (kind != MetricsWindowKind.FADING || fadingFactor == spec.getFadingFactor());
    }

    /** The window kind, COUNT for state written before windows had kinds. */
    public MetricsWindowKind kind() {
        return windowKind == null ? MetricsWindowKind.COUNT : windowKind;
    }

    /** The window as named in a Metrics record: count:N, time:Mms or fading:ALPHA. */
    public String windowName() {
        return switch (kind()) {
            case COUNT -> "count:" + windowSize;
            case TIME -> "time:" + windowMs + "ms";
            case FADING -> "fading:" + fadingFactor;
        };
    }

    /** A deep copy, for keyed state that must not change when this evaluator goes on. */
    public PrequentialEvaluator copy() {
        PrequentialEvaluator c = new PrequentialEvaluator();
        c.task = task;
        c.windowSize = windowSize;
        c.windowKind = windowKind;
        c.windowMs = windowMs;
        c.fadingFactor = fadingFactor;
        c.started = started;
        c.open = open;
        c.versionFrom = versionFrom;
        c.windowStart = windowStart;
        c.events = events;
        c.labelled = labelled;
        c.scale = scale;
        c.weightSum = weightSum;
        c.correctSum = correctSum;
        c.logLossSum = logLossSum;
        c.absErrorSum = absErrorSum;
        c.squaredErrorSum = squaredErrorSum;
        c.labelMean = labelMean;
        c.labelM2 = labelM2;
        c.classes = classes;
        c.confusion = confusion == null ? null : confusion.clone();
        c.aucScores = aucScores == null ? null : aucScores.clone();
        c.aucPositive = aucPositive == null ? null : aucPositive.clone();
        c.positives = positives;
        c.aucBinPositive = aucBinPositive == null ? null : aucBinPositive.clone();
        c.aucBinNegative = aucBinNegative == null ? null : aucBinNegative.clone();
        c.emitted = emitted;
        c.lastEvents = lastEvents;
        c.lastLabelled = lastLabelled;
        c.lastEventsPerSecond = lastEventsPerSecond;
        c.lastAccuracy = lastAccuracy;
        c.lastAuc = lastAuc;
        c.lastLogLoss = lastLogLoss;
        c.lastMae = lastMae;
        c.lastRmse = lastRmse;
        c.lastPrecision = lastPrecision;
        c.lastRecall = lastRecall;
        c.lastF1 = lastF1;
        c.lastMacroF1 = lastMacroF1;
        c.lastKappa = lastKappa;
        c.lastR2 = lastR2;
        return c;
    }

    /**
     * Counts one served prediction, labelled or not.
     *
     * <p>The window's first call fixes its versionFrom and (COUNT, FADING) its start time; a TIME
     * window that is not open yet, or that ended empty, opens at the aligned start of {@code now}.
     *
     * @param modelVersion version of the model that served the prediction
     * @param now wall-clock time, epoch milliseconds
     */
    public void countPrediction(long modelVersion, long now) {
        if (kind() == MetricsWindowKind.TIME) {
            openAt(now);
        }
        if (!started) {
            started = true;
            versionFrom = modelVersion;
            if (kind() != MetricsWindowKind.TIME) {
                windowStart = now;
            }
        }
        events++;
    }

    /**
     * Adds one labelled event to the window: its label against the prediction served for it.
     *
     * @param scores the served scores: BINARY reads P(1) at {@code scoreOffset + 1}, MULTICLASS
     *     reads the class probabilities from {@code scoreOffset}; REGRESSION ignores them
     * @param scoreOffset where this event's scores start in {@code scores}
     * @param predicted the served prediction: a class index, or the regression value
     * @param label the true class (0/1 for BINARY) or value
     * @param weight the example weight, non-negative
     * @throws IllegalStateException if a COUNT window is already full and was not emitted
     */
    public void add(float[] scores, int scoreOffset, float predicted, float label, float weight) {
        if (kind() == MetricsWindowKind.COUNT && labelled >= windowSize) {
            throw new IllegalStateException("window full: emit before scoring more events");
        }
        fade();
        // Every stored sum is divided by the scale; w is this event's weight in stored units.
        double w = weight / scale;
        switch (task) {
            case BINARY -> {
                float p1 = scores[scoreOffset + 1];
                double p = clamp(p1);
                // Written for 0/1 labels; a soft label in between still gives the cross-entropy.
                double loss = -(label * Math.log(p) + (1.0 - label) * Math.log(1.0 - p));
                logLossSum += w * loss;
                correctSum += predicted == label ? w : 0.0;
                boolean positive = label >= 0.5f;
                confuse(positive ? 1 : 0, predicted >= 0.5f ? 1 : 0, w);
                keepForAuc(p1, positive);
                positives += positive ? 1 : 0;
            }
            case MULTICLASS -> {
                double p = clamp(scores[scoreOffset + (int) label]);
                logLossSum += w * -Math.log(p);
                correctSum += predicted == label ? w : 0.0;
                confuse((int) label, (int) predicted, w);
            }
            case REGRESSION -> {
                double error = (double) predicted - label;
                absErrorSum += w * Math.abs(error);
                squaredErrorSum += w * error * error;
                // West (1979): weighted mean and sum of squared deviations, one event at a time.
                double total = (weightSum + w) * scale;
                if (total > 0) {
                    double delta = label - labelMean;
                    labelMean += weight / total * delta;
                    labelM2 += w * delta * (label - labelMean);
                }
            }
        }
        weightSum += w;
        labelled++;
    }

    /** Whether a COUNT window holds windowSize labelled events, or a FADING record is due. */
    public boolean windowFull() {
        return kind() != MetricsWindowKind.TIME && labelled >= windowSize;
    }

    /**
     * Whether the current window should be emitted now, before anything else is counted at {@code
     * now}: COUNT and FADING as {@link #windowFull()}; TIME when {@code now} reached the end of a
     * window that holds a prediction or a label.
     */
    public boolean windowDue(long now) {
        if (kind() != MetricsWindowKind.TIME) {
            return windowFull();
        }
        return open && now >= windowStart + windowMs && (events > 0 || labelled > 0);
    }

    /**
     * When the open TIME window ends, for a timer; {@link Long#MAX_VALUE} for other kinds or when
     * no window is open.
     */
    public long windowEndsAt() {
        return kind() == MetricsWindowKind.TIME && open ? windowStart + windowMs : Long.MAX_VALUE;
    }

    /** Emits the window if {@link #windowDue(long)}, else returns null. */
    public Metrics closeIfDue(String model, long versionTo, long now) {
        return windowDue(now) ? emit(model, versionTo, now) : null;
    }

    /**
     * Builds the metrics of the current window and starts the next one.
     *
     * <p>If no prediction was counted in the window (all its labels answered predictions of the
     * previous one), the window starts at {@code now} (TIME: its aligned start, if open) and
     * versionFrom is versionTo. A TIME window ends at its nominal end, or at {@code now} if emitted
     * early.
     *
     * @param model the model's name
     * @param versionTo the model version at the end of the window
     * @param now wall-clock time, epoch milliseconds: the window's end
     */
    public Metrics emit(String model, long versionTo, long now) {
        boolean timed = kind() == MetricsWindowKind.TIME;
        long start;
        long end = now;
        if (timed) {
            start = open ? windowStart : now;
            end = open ? Math.min(now, windowStart + windowMs) : now;
        } else {
            start = started ? windowStart : now;
        }
        long durationMs = end - start;
        // A window that opened and closed in the same millisecond has no meaningful rate.
        double eventsPerSecond = durationMs > 0 ? events / (durationMs / 1000.0) : 0.0;

        Metrics.Builder b =
                Metrics.newBuilder()
                        .setModel(model)
                        .setTask(task)
                        .setVersionFrom(started ? versionFrom : versionTo)
                        .setVersionTo(versionTo)
                        .setWindowStart(start)
                        .setWindowEnd(end)
                        .setEvents(events)
                        .setLabelled(labelled)
                        .setEventsPerSecond(eventsPerSecond)
                        .setWindow(windowName());
        boolean weighted = weightSum > 0.0;
        switch (task) {
            case BINARY -> {
                b.setAccuracy(weighted ? correctSum / weightSum : null);
                b.setLogLoss(weighted ? logLossSum / weightSum : null);
                double tp = cell(1, 1);
                double fp = cell(0, 1);
                double fn = cell(1, 0);
                b.setPrecision(ratio(tp, tp + fp));
                b.setRecall(ratio(tp, tp + fn));
                b.setF1(ratio(2 * tp, 2 * tp + fp + fn));
                double[] auc = aucWithBound();
                b.setAuc(auc == null ? null : auc[0]);
                b.setAucErrorBound(auc == null ? null : auc[1]);
            }
            case MULTICLASS -> {
                b.setAccuracy(weighted ? correctSum / weightSum : null);
                b.setLogLoss(weighted ? logLossSum / weightSum : null);
                b.setMacroF1(macroF1());
                b.setKappa(kappa());
            }
            case REGRESSION -> {
                b.setMae(weighted ? absErrorSum / weightSum : null);
                b.setRmse(weighted ? Math.sqrt(squaredErrorSum / weightSum) : null);
                b.setR2(weighted && labelM2 > 0 ? 1.0 - squaredErrorSum / labelM2 : null);
            }
        }
        Metrics metrics = b.build();

        emitted = true;
        lastEvents = events;
        lastLabelled = labelled;
        lastEventsPerSecond = eventsPerSecond;
        lastAccuracy = orNaN(metrics.getAccuracy());
        lastAuc = orNaN(metrics.getAuc());
        lastLogLoss = orNaN(metrics.getLogLoss());
        lastMae = orNaN(metrics.getMae());
        lastRmse = orNaN(metrics.getRmse());
        lastPrecision = orNaN(metrics.getPrecision());
        lastRecall = orNaN(metrics.getRecall());
        lastF1 = orNaN(metrics.getF1());
        lastMacroF1 = orNaN(metrics.getMacroF1());
        lastKappa = orNaN(metrics.getKappa());
        lastR2 = orNaN(metrics.getR2());
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
        putIfDefined(summary, "precision", lastPrecision);
        putIfDefined(summary, "recall", lastRecall);
        putIfDefined(summary, "f1", lastF1);
        putIfDefined(summary, "macroF1", lastMacroF1);
        putIfDefined(summary, "kappa", lastKappa);
        putIfDefined(summary, "r2", lastR2);
        return summary;
    }

    /** The window's AUC, exact or from the histogram, or null when it holds a single class. */
    Double auc() {
        double[] auc = aucWithBound();
        return auc == null ? null : auc[0];
    }

    /** {AUC, largest possible error}, or null when the window holds a single class. */
    private double[] aucWithBound() {
        boolean exact =
                aucScores != null && (kind() == MetricsWindowKind.COUNT || labelled <= aucLimit());
        if (exact) {
            Double auc = exactAuc();
            return auc == null ? null : new double[] {auc, 0.0};
        }
        return histogramAuc();
    }

    /**
     * Exact ROC AUC of the window's binary scores, or null when it holds a single class.
     *
     * <p>AUC equals the Mann–Whitney U of the positives over positives × negatives; U comes from
     * the positives' rank sum, tied scores sharing their mid-rank so that a tie between a positive
     * and a negative counts one half. Only sorted copies are allocated, once per window.
     */
    private Double exactAuc() {
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

    /**
     * AUC from the faded score histogram, with its error bound; null with a single class.
     *
     * <p>AUC = sum_b pos_b * (neg_below_b + neg_b / 2) / (P * N): a positive beats every negative
     * in a lower bin and ties those in its own. A same-bin pair's true credit is in [0, 1], so the
     * error is at most 1/2 * sum_b pos_b * neg_b / (P * N).
     */
    private double[] histogramAuc() {
        double positive = 0.0;
        double negative = 0.0;
        for (int b = 0; b < AUC_BINS; b++) {
            positive += aucBinPositive[b];
            negative += aucBinNegative[b];
        }
        if (!(positive > 0) || !(negative > 0)) {
            return null;
        }
        double wins = 0.0;
        double sameBin = 0.0;
        double negativesBelow = 0.0;
        for (int b = 0; b < AUC_BINS; b++) {
            double pos = aucBinPositive[b];
            double neg = aucBinNegative[b];
            wins += pos * (negativesBelow + 0.5 * neg);
            sameBin += pos * neg;
            negativesBelow += neg;
        }
        double pairs = positive * negative;
        return new double[] {wins / pairs, 0.5 * sameBin / pairs};
    }

    /** The histogram bin of a score: equal width in logit(p), NaN in the top bin. */
    static int aucBin(float p) {
        if (Float.isNaN(p)) {
            return AUC_BINS - 1;
        }
        double q = clamp(p);
        double z = Math.log(q / (1.0 - q));
        int b = (int) Math.floor((z + AUC_LOGIT_RANGE) / (2 * AUC_LOGIT_RANGE) * AUC_BINS);
        return Math.min(Math.max(b, 0), AUC_BINS - 1);
    }

    /**
     * Mean of the per-class F1 over the classes that occur as a label or a prediction, or null when
     * none does.
     */
    private Double macroF1() {
        int k = classes;
        double sum = 0.0;
        int present = 0;
        for (int c = 0; c < k; c++) {
            double tp = confusion[c * k + c];
            double row = 0.0; // weight labelled c: tp + fn
            double col = 0.0; // weight predicted c: tp + fp
            for (int j = 0; j < k; j++) {
                row += confusion[c * k + j];
                col += confusion[j * k + c];
            }
            if (row + col > 0) {
                // F1 = 2TP / (2TP + FP + FN) = 2TP / (row + col).
                sum += 2 * tp / (row + col);
                present++;
            }
        }
        return present == 0 ? null : sum / present;
    }

    /** Cohen's kappa, (p_o - p_e) / (1 - p_e), or null when p_e is 1 or the window is empty. */
    private Double kappa() {
        int k = classes;
        double total = 0.0;
        double agree = 0.0;
        double chance = 0.0;
        for (int c = 0; c < k; c++) {
            double row = 0.0;
            double col = 0.0;
            for (int j = 0; j < k; j++) {
                row += confusion[c * k + j];
                col += confusion[j * k + c];
            }
            total += row;
            agree += confusion[c * k + c];
            chance += row * col;
        }
        if (!(total > 0)) {
            return null;
        }
        double po = agree / total;
        double pe = chance / (total * total);
        return 1.0 - pe > 1e-12 ? (po - pe) / (1.0 - pe) : null;
    }

    /** FADING: earlier events lose weight; the scale absorbs it instead of every stored sum. */
    private void fade() {
        if (fadingFactor >= 1.0) {
            return;
        }
        scale *= fadingFactor;
        if (scale < RENORMALIZE_BELOW) {
            weightSum *= scale;
            correctSum *= scale;
            logLossSum *= scale;
            absErrorSum *= scale;
            squaredErrorSum *= scale;
            labelM2 *= scale;
            multiply(confusion, scale);
            multiply(aucBinPositive, scale);
            multiply(aucBinNegative, scale);
            scale = 1.0;
        }
    }

    /** A stored confusion cell; 0 outside the matrix (or in state from before it existed). */
    private double cell(int label, int predicted) {
        return label < classes && predicted < classes ? confusion[label * classes + predicted] : 0;
    }

    private void confuse(int label, int predicted, double w) {
        int needed = Math.max(label, predicted) + 1;
        if (needed > classes) {
            double[] grown = new double[needed * needed];
            for (int i = 0; i < classes; i++) {
                System.arraycopy(confusion, i * classes, grown, i * needed, classes);
            }
            confusion = grown;
            classes = needed;
        }
        confusion[label * classes + predicted] += w;
    }

    private void keepForAuc(float p1, boolean positive) {
        if (aucBinPositive != null) {
            // The histogram weighs by fading only, like the exact AUC ignores example weights.
            double unit = 1.0 / scale;
            int bin = aucBin(p1);
            if (positive) {
                aucBinPositive[bin] += unit;
            } else {
                aucBinNegative[bin] += unit;
            }
        }
        if (aucScores != null && labelled < aucLimit()) {
            if (labelled == aucScores.length) {
                int grown = (int) Math.min((long) aucScores.length * 2, aucLimit());
                aucScores = Arrays.copyOf(aucScores, grown);
                aucPositive = Arrays.copyOf(aucPositive, grown);
            }
            aucScores[labelled] = p1;
            aucPositive[labelled] = positive;
        }
    }

    private int aucLimit() {
        return kind() == MetricsWindowKind.COUNT ? windowSize : EXACT_AUC_LIMIT;
    }

    private void openAt(long now) {
        boolean endedEmpty = open && now >= windowStart + windowMs && events == 0 && labelled == 0;
        if (!open || endedEmpty) {
            open = true;
            windowStart = now - Math.floorMod(now, windowMs);
        }
    }

    private void reset() {
        if (kind() == MetricsWindowKind.TIME
                && aucScores != null
                && aucScores.length > 1024
                && labelled < aucScores.length / 4) {
            // One busy window should not make every later checkpoint carry its arrays.
            aucScores = new float[Math.max(1024, labelled * 2)];
            aucPositive = new boolean[aucScores.length];
        }
        started = false;
        open = false;
        versionFrom = 0L;
        windowStart = 0L;
        events = 0L;
        labelled = 0;
        positives = 0;
        // The exact-AUC arrays are overwritten from index 0; only the first `labelled` count.
        if (kind() == MetricsWindowKind.FADING) {
            return;
        }
        scale = 1.0;
        weightSum = 0.0;
        correctSum = 0.0;
        logLossSum = 0.0;
        absErrorSum = 0.0;
        squaredErrorSum = 0.0;
        labelMean = 0.0;
        labelM2 = 0.0;
        fill(confusion);
        fill(aucBinPositive);
        fill(aucBinNegative);
    }

    private static void multiply(double[] a, double factor) {
        if (a != null) {
            for (int i = 0; i < a.length; i++) {
                a[i] *= factor;
            }
        }
    }

    private static void fill(double[] a) {
        if (a != null) {
            Arrays.fill(a, 0.0);
        }
    }

    private static Double ratio(double numerator, double denominator) {
        return denominator > 0 ? numerator / denominator : null;
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
