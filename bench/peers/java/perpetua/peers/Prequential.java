package perpetua.peers;

import java.util.Arrays;
import perpetua.schemas.Task;

/**
 * Prequential quality of one learner over a whole stream, the same accounting for every learner.
 *
 * <p>Each event's scores, given before the learner saw its label, are scored with {@link #add}.
 *
 * <ul>
 *   <li>Classification: accuracy (the class of highest probability; a tie goes to the lower index)
 *       and log loss {@code -ln p(label)}, with p clamped to [1e-7, 1 - 1e-7] as Perpetua's
 *       evaluator does, so that one confident miss stays finite.
 *   <li>BINARY also: the exact ROC AUC over the whole stream of P(1) (Mann–Whitney with mid-ranks
 *       for ties); NaN when the stream holds a single class.
 *   <li>REGRESSION: MAE and RMSE.
 * </ul>
 */
public final class Prequential {
    static final double EPS = 1e-7;

    private final Task task;
    private final int classes;
    private long n;
    private long correct;
    private double logLossSum;
    private double absErrorSum;
    private double squaredErrorSum;
    private float[] positiveScores;
    private boolean[] positive;

    /** An accounting for a learner of {@code task} with {@code classes} classes (0: regression). */
    public Prequential(Task task, int classes) {
        if (task != Task.REGRESSION && classes < 2) {
            throw new IllegalArgumentException("a classifier needs 2 or more classes: " + classes);
        }
        if (task == Task.BINARY && classes != 2) {
            throw new IllegalArgumentException("a binary task has 2 classes, not " + classes);
        }
        this.task = task;
        this.classes = classes;
        if (task == Task.BINARY) {
            positiveScores = new float[1024];
            positive = new boolean[1024];
        }
    }

    /** Scores one prediction against its label (class index, or value for regression). */
    public void add(double[] scores, double label) {
        if (task == Task.REGRESSION) {
            double error = scores[0] - label;
            if (!Double.isFinite(error)) {
                throw new IllegalArgumentException("non-finite prediction " + scores[0]);
            }
            absErrorSum += Math.abs(error);
            squaredErrorSum += error * error;
            n++;
            return;
        }
        if (scores.length != classes) {
            throw new IllegalArgumentException(
                    "expected " + classes + " class scores, got " + scores.length);
        }
        int y = (int) label;
        if (y != label || y < 0 || y >= classes) {
            throw new IllegalArgumentException("label " + label + " is not a class index");
        }
        int best = 0;
        for (int k = 0; k < classes; k++) {
            if (Double.isNaN(scores[k])) {
                throw new IllegalArgumentException("NaN score for class " + k);
            }
            if (scores[k] > scores[best]) {
                best = k;
            }
        }
        if (best == y) {
            correct++;
        }
        // log loss = -ln(clamp(p_y, eps, 1 - eps))
        logLossSum -= Math.log(Math.min(1 - EPS, Math.max(EPS, scores[y])));
        if (task == Task.BINARY) {
            if (n == positiveScores.length) {
                positiveScores = Arrays.copyOf(positiveScores, (int) (2 * n));
                positive = Arrays.copyOf(positive, (int) (2 * n));
            }
            positiveScores[(int) n] = (float) scores[1];
            positive[(int) n] = y == 1;
        }
        n++;
    }

    /** Number of scored events. */
    public long count() {
        return n;
    }

    public double accuracy() {
        return task == Task.REGRESSION || n == 0 ? Double.NaN : (double) correct / n;
    }

    public double logLoss() {
        return task == Task.REGRESSION || n == 0 ? Double.NaN : logLossSum / n;
    }

    public double mae() {
        return task != Task.REGRESSION || n == 0 ? Double.NaN : absErrorSum / n;
    }

    public double rmse() {
        return task != Task.REGRESSION || n == 0 ? Double.NaN : Math.sqrt(squaredErrorSum / n);
    }

    /** The exact ROC AUC of P(1) over every scored event (BINARY), NaN otherwise. */
    public double auc() {
        return task == Task.BINARY ? exactAuc(positiveScores, positive, (int) n) : Double.NaN;
    }

    /**
     * The exact ROC AUC of the first {@code n} scores: the probability that a random positive
     * outscores a random negative, ties counting one half; NaN without both classes.
     */
    static double exactAuc(float[] scores, boolean[] positive, int n) {
        // Sort by score through one primitive key per event: the score's bits mapped to an int
        // that orders like the float, then the event's index.
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToIntBits(scores[i] == 0f ? 0f : scores[i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ordered << 32) | i;
        }
        Arrays.sort(keys);
        // AUC = (sum of the positives' mid-ranks - P (P + 1) / 2) / (P N)
        double positiveRankSum = 0;
        long positives = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && (keys[j + 1] >> 32) == (keys[i] >> 32)) {
                j++;
            }
            double midRank = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) {
                if (positive[(int) keys[t]]) {
                    positiveRankSum += midRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (positiveRankSum - positives * (positives + 1) / 2.0)
                / ((double) positives * negatives);
    }
}
