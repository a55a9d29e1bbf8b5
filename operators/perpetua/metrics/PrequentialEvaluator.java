package perpetua.metrics;

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
 *   <li>COUNT: tumbling, {@code windowSize} labelled events each. Due after the last one is added.
 *   <li>TIME: tumbling, {@code windowMs} long and aligned to the epoch (a window is {@code [k *
 *       windowMs, (k + 1) * windowMs)}). Due once the clock reaches its end: call {@link
 *       #windowDue(long)} (or {@link #closeIfDue}) before counting or adding anything at time
 *       {@code now}, so an example at or after the end opens the next window, and from a timer set
 *       at {@link #windowEndsAt()} so a quiet model still reports. An empty window is never due.
 *   <li>FADING: every labelled event first multiplies the weight of all earlier ones by {@code
 *       fadingFactor} (alpha), so a metric is a ratio of exponentially faded sums with an effective
 *       memory of about 1 / (1 - alpha) events. Due every {@code windowSize} labelled events;
 *       emitting does not clear the sums.
 * </ul>
 *
 * <p>The metrics follow the task: accuracy, precision, recall, F1, log loss and ROC AUC (BINARY);
 * accuracy, log loss, macro-F1 and Cohen's kappa (MULTICLASS); MAE, RMSE and R² (REGRESSION). All
 * but AUC are weighted by the example weights, and one that is 0/0 in the window is null rather
 * than a misleading number; {@link TaskSums} says how each is computed.
 *
 * <p>A recommender also ranks each event's item among sampled candidates before it learns the event
 * ({@link #addRank}): hit rate and NDCG at k and MRR over the window's ranked events ({@link
 * RankingSums}), whatever its task.
 *
 * <p>The state is a Flink POJO (public no-arg constructor, public primitive fields, enums and
 * primitive arrays) so that it can live in keyed {@code ValueState} without Kryo. It keeps the
 * window here and the labelled events' sums in {@link TaskSums}; {@link WindowReport} builds the
 * record of a window and the summary of the last one.
 */
public class PrequentialEvaluator implements Cloneable {

    /** A time window keeps every score for an exact AUC up to this many labelled events. */
    public static final int EXACT_AUC_LIMIT = 1 << 20;

    /** The task of the evaluated model; decides which metrics are kept. */
    public Task task;

    /** Labelled events per COUNT window, or between two FADING records. */
    public int windowSize;

    /** How windows close; null (state written before windows had kinds) means COUNT. */
    public MetricsWindowKind windowKind;

    /** Length of a TIME window, milliseconds. */
    public long windowMs;

    /** FADING: weight kept by earlier events at each labelled event; 1 for tumbling windows. */
    public double fadingFactor = 1.0;

    /** Whether a prediction was counted in the current window (versionFrom and windowStart set). */
    public boolean started;

    /** TIME: whether windowStart is set (by a prediction or by the clock). */
    public boolean open;

    /** Model version of the window's first counted prediction. */
    public long versionFrom;

    /**
     * Start of the window: the time of its first counted prediction (COUNT, FADING), or its aligned
     * start (TIME).
     */
    public long windowStart;

    /** Predictions counted in the window, labelled or not. */
    public long events;

    /** Labelled events added in the window (FADING: since the last record). */
    public int labelled;

    /** The sums of the labelled events. */
    public TaskSums sums;

    /** The sums of the ranked events of a recommender; null for a model that ranks nothing. */
    public RankingSums ranking;

    /** Whether any window was emitted yet. */
    public boolean emitted;

    /** The metrics of the last emitted window, NaN where it had none. */
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
    public double lastHitRate = Double.NaN;
    public double lastNdcg = Double.NaN;
    public double lastMrr = Double.NaN;

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
        this.sums = TaskSums.forTask(task, kind, windowSize, classes);
    }

    /** The evaluator a model spec asks for: its task, classes and metrics window. */
    public static PrequentialEvaluator forSpec(ModelSpec spec) {
        String problem = problem(spec);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        PrequentialEvaluator e =
                new PrequentialEvaluator(
                        spec.getTask(),
                        spec.getMetricsWindow(),
                        spec.getMetricsWindowKind(),
                        spec.getMetricsWindowMs(),
                        spec.getFadingFactor(),
                        spec.getClasses());
        return ranks(spec) ? e.rankingAt(spec.getRankingK()) : e;
    }

    /** Whether a model of {@code spec} ranks its events' items: a recommender with candidates. */
    public static boolean ranks(ModelSpec spec) {
        return spec.getItemFeature() != null && spec.getRankingCandidates() > 0;
    }

    /** Keeps hit rate and NDCG at {@code k} and MRR of ranked events too; returns this. */
    public PrequentialEvaluator rankingAt(int k) {
        this.ranking = RankingSums.atCutoff(k);
        return this;
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
                && (kind != MetricsWindowKind.FADING || fadingFactor == spec.getFadingFactor())
                && (ranks(spec)
                        ? ranking != null && ranking.k == spec.getRankingK()
                        : ranking == null);
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
        try {
            // Every field but the sums is a value: a copy cannot forget one.
            PrequentialEvaluator c = (PrequentialEvaluator) super.clone();
            c.sums = sums.copy();
            c.ranking = ranking == null ? null : ranking.copy();
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
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
        sums.fade(fadingFactor);
        sums.add(task, scores, scoreOffset, predicted, label, weight, labelled, aucLimit());
        labelled++;
    }

    /**
     * Adds one ranked event of a recommender: its item came at {@code rank} (1: first) among its
     * candidates, scored by the model before it learned the event.
     *
     * @throws IllegalStateException when this evaluator keeps no ranking metrics
     */
    public void addRank(int rank) {
        if (ranking == null) {
            throw new IllegalStateException("this evaluator keeps no ranking metrics");
        }
        ranking.add(rank, fadingFactor);
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
        Metrics metrics = WindowReport.record(this, model, versionTo, start, end);
        WindowReport.remember(this, metrics);
        reset();
        return metrics;
    }

    /**
     * The last emitted window's metrics, by Metrics field name, for model snapshots.
     *
     * <p>Null metrics are left out; the map is empty before the first window is emitted.
     */
    public Map<String, Double> summary() {
        return WindowReport.summary(this);
    }

    /** The window's AUC, exact or from the histogram, or null when it holds a single class. */
    Double auc() {
        double[] roc = sums.auc.aucWithBound(labelled, aucAllKept());
        return roc == null ? null : roc[0];
    }

    /** Whether the exact AUC kept every labelled event of the window. */
    boolean aucAllKept() {
        return kind() == MetricsWindowKind.COUNT || labelled <= aucLimit();
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
        sums.reset(kind() == MetricsWindowKind.TIME, kind() == MetricsWindowKind.FADING, labelled);
        if (ranking != null) {
            ranking.reset(kind() == MetricsWindowKind.FADING);
        }
        started = false;
        open = false;
        versionFrom = 0L;
        windowStart = 0L;
        events = 0L;
        labelled = 0;
    }
}
