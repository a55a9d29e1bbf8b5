package perpetua.metrics;

import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.Task;

/**
 * The weighted sums of a window's labelled events from which its task's metrics follow: hits and
 * log loss, absolute and squared errors with the labels' moments, a confusion matrix, and what the
 * AUC needs. A POJO for keyed state.
 *
 * <p>Under FADING every stored sum is divided by {@link #scale}, the product of the fading factors
 * so far, so fading touches no array per event; they are renormalized when the scale gets small.
 * Tumbling windows keep scale 1.
 *
 * <p>Metrics by task (all weighted by the example weights, except AUC):
 *
 * <ul>
 *   <li>BINARY (positive class 1): accuracy, precision, recall, F1, log loss and ROC AUC. AUC is
 *       <em>unweighted</em> by example weights (a rank statistic; a fading window weighs pairs by
 *       their fading weights only). It is exact (Mann–Whitney with mid-ranks for ties) over count
 *       windows and over time windows of up to {@link PrequentialEvaluator#EXACT_AUC_LIMIT}
 *       labelled events. A fading window (or a larger time window) estimates it from a histogram of
 *       the scores in {@link RocAuc#BINS} bins of equal width in logit space, counting a positive
 *       and a negative in the same bin as a tie; only those pairs can be misjudged, each by at most
 *       1/2, so {@code |auc - exact| <= 1/2 * sum_b pos_b * neg_b / (P * N)}, which every record
 *       states as {@code aucErrorBound} (0 when exact).
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
 */
public class TaskSums implements Cloneable {
    /** Probabilities are clamped to [EPS, 1 - EPS] so that one confident miss stays finite. */
    static final double EPS = 1e-7;

    /** Below this scale the stored sums are multiplied out, keeping them far from overflow. */
    private static final double RENORMALIZE_BELOW = 1e-150;

    /** The factor that turns a stored sum into its faded value. */
    public double scale = 1.0;

    /** Sum of example weights of the labelled events. */
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

    /** The scores a binary window keeps for its AUC; null for other tasks. */
    public AucTally auc;

    /** For Flink's POJO serializer only. */
    public TaskSums() {}

    /** Empty sums for {@code task} over windows of {@code kind}. */
    static TaskSums forTask(Task task, MetricsWindowKind kind, int windowSize, int classes) {
        TaskSums s = new TaskSums();
        if (task != Task.REGRESSION) {
            s.classes = task == Task.BINARY ? 2 : Math.max(classes, 0);
            s.confusion = new double[s.classes * s.classes];
        }
        if (task == Task.BINARY) {
            s.auc = AucTally.forWindow(kind, windowSize);
        }
        return s;
    }

    /**
     * Adds the {@code labelled}-th labelled event of the window.
     *
     * @param aucLimit how many scores the exact AUC keeps at most
     */
    void add(
            Task task,
            float[] scores,
            int scoreOffset,
            float predicted,
            float label,
            float weight,
            int labelled,
            int aucLimit) {
        // Every stored sum is divided by the scale; w is this event's weight in stored units.
        double w = weight / scale;
        switch (task) {
            case BINARY -> {
                float p1 = scores[scoreOffset + 1];
                double p = clamp(p1);
                // The cross-entropy; a 0/1 label, the usual one, takes one logarithm, the same
                // value as the two-term sum gives it, and a soft label in between takes both.
                double loss =
                        label == 1f
                                ? -Math.log(p)
                                : label == 0f
                                        ? -Math.log(1.0 - p)
                                        : -(label * Math.log(p)
                                                + (1.0 - label) * Math.log(1.0 - p));
                logLossSum += w * loss;
                correctSum += predicted == label ? w : 0.0;
                boolean positive = label >= 0.5f;
                confuse(positive ? 1 : 0, predicted >= 0.5f ? 1 : 0, w);
                auc.add(p1, positive, labelled, aucLimit, scale);
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
    }

    /** FADING: earlier events lose weight; the scale absorbs it instead of every stored sum. */
    void fade(double fadingFactor) {
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
            if (auc != null) {
                auc.scale(scale);
            }
            scale = 1.0;
        }
    }

    /**
     * Sets the task's metrics of the window's {@code labelled} events on {@code b}.
     *
     * @param aucAllKept whether the exact AUC kept every labelled event
     */
    void figures(Task task, Metrics.Builder b, int labelled, boolean aucAllKept) {
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
                double[] roc = auc.aucWithBound(labelled, aucAllKept);
                b.setAuc(roc == null ? null : roc[0]);
                b.setAucErrorBound(roc == null ? null : roc[1]);
            }
            case MULTICLASS -> {
                b.setAccuracy(weighted ? correctSum / weightSum : null);
                b.setLogLoss(weighted ? logLossSum / weightSum : null);
                b.setMacroF1(Confusion.macroF1(confusion, classes));
                b.setKappa(Confusion.kappa(confusion, classes));
            }
            case REGRESSION -> {
                b.setMae(weighted ? absErrorSum / weightSum : null);
                b.setRmse(weighted ? Math.sqrt(squaredErrorSum / weightSum) : null);
                b.setR2(weighted && labelM2 > 0 ? 1.0 - squaredErrorSum / labelM2 : null);
            }
        }
    }

    /**
     * The next window starts after {@code labelled} events: empty sums, except under FADING, whose
     * sums carry over and only fade.
     */
    void reset(boolean timeWindow, boolean fading, int labelled) {
        if (auc != null) {
            auc.reset(timeWindow, labelled, fading);
        }
        if (fading) {
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
    }

    /** A deep copy. */
    TaskSums copy() {
        try {
            // Every field but these two is a value: a copy cannot forget one.
            TaskSums c = (TaskSums) super.clone();
            c.confusion = confusion == null ? null : confusion.clone();
            c.auc = auc == null ? null : auc.copy();
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
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

    static void multiply(double[] a, double factor) {
        if (a != null) {
            for (int i = 0; i < a.length; i++) {
                a[i] *= factor;
            }
        }
    }

    static void fill(double[] a) {
        if (a != null) {
            java.util.Arrays.fill(a, 0.0);
        }
    }

    private static Double ratio(double numerator, double denominator) {
        return denominator > 0 ? numerator / denominator : null;
    }

    static double clamp(double p) {
        return Math.min(Math.max(p, EPS), 1.0 - EPS);
    }
}
