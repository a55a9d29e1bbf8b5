package perpetua.metrics;

import java.util.Arrays;
import perpetua.schemas.MetricsWindowKind;

/**
 * What a binary window keeps for its ROC AUC: every score and class of the window for the exact AUC
 * (COUNT, and TIME up to {@link PrequentialEvaluator#EXACT_AUC_LIMIT} labelled events), and a faded
 * logit histogram per class (TIME and FADING). A POJO for keyed state.
 */
public class AucTally {
    /** P(1) of each labelled event of the window, for the exact AUC (COUNT, TIME; else null). */
    public float[] scores;

    /** Whether each labelled event of the window is a positive (COUNT, TIME; else null). */
    public boolean[] positive;

    /** Faded weight of the positives per logit bin (TIME and FADING; else null). */
    public double[] binPositive;

    /** Faded weight of the negatives per logit bin (TIME and FADING; else null). */
    public double[] binNegative;

    /** For Flink's POJO serializer only. */
    public AucTally() {}

    /** The tally a binary window of {@code kind} keeps. */
    static AucTally forWindow(MetricsWindowKind kind, int windowSize) {
        AucTally t = new AucTally();
        if (kind == MetricsWindowKind.COUNT) {
            t.scores = new float[windowSize];
            t.positive = new boolean[windowSize];
        } else {
            t.binPositive = new double[RocAuc.BINS];
            t.binNegative = new double[RocAuc.BINS];
            if (kind == MetricsWindowKind.TIME) {
                t.scores = new float[1024];
                t.positive = new boolean[1024];
            }
        }
        return t;
    }

    /**
     * Keeps the {@code labelled}-th event of the window: its score while fewer than {@code limit}
     * are kept, and its weight {@code 1 / scale} in the histogram.
     */
    void add(float p1, boolean isPositive, int labelled, int limit, double scale) {
        if (binPositive != null) {
            // The histogram weighs by fading only, like the exact AUC ignores example weights.
            double unit = 1.0 / scale;
            int bin = RocAuc.bin(p1);
            if (isPositive) {
                binPositive[bin] += unit;
            } else {
                binNegative[bin] += unit;
            }
        }
        if (scores != null && labelled < limit) {
            if (labelled == scores.length) {
                int grown = (int) Math.min((long) scores.length * 2, limit);
                scores = Arrays.copyOf(scores, grown);
                positive = Arrays.copyOf(positive, grown);
            }
            scores[labelled] = p1;
            positive[labelled] = isPositive;
        }
    }

    /**
     * {AUC, largest possible error} of the window's {@code labelled} events, exact when they were
     * all kept, else from the histogram; null when the window holds a single class.
     */
    double[] aucWithBound(int labelled, boolean allKept) {
        if (scores != null && allKept) {
            Double auc = RocAuc.exact(scores, positive, labelled);
            return auc == null ? null : new double[] {auc, 0.0};
        }
        return RocAuc.histogram(binPositive, binNegative);
    }

    /** The histogram's weights multiplied out by {@code factor}. */
    void scale(double factor) {
        TaskSums.multiply(binPositive, factor);
        TaskSums.multiply(binNegative, factor);
    }

    /**
     * The next window starts: the exact arrays are overwritten from index 0; a TIME window's arrays
     * shrink again after a busy one. The histogram is emptied unless {@code keepHistogram}.
     */
    void reset(boolean timeWindow, int labelled, boolean keepHistogram) {
        if (timeWindow && scores != null && scores.length > 1024 && labelled < scores.length / 4) {
            // One busy window should not make every later checkpoint carry its arrays.
            scores = new float[Math.max(1024, labelled * 2)];
            positive = new boolean[scores.length];
        }
        if (!keepHistogram) {
            TaskSums.fill(binPositive);
            TaskSums.fill(binNegative);
        }
    }

    AucTally copy() {
        AucTally c = new AucTally();
        c.scores = scores == null ? null : scores.clone();
        c.positive = positive == null ? null : positive.clone();
        c.binPositive = binPositive == null ? null : binPositive.clone();
        c.binNegative = binNegative == null ? null : binNegative.clone();
        return c;
    }
}
