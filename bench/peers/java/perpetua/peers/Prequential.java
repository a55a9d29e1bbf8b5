package perpetua.peers;

import java.util.Arrays;
import perpetua.metrics.RocAuc;
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
        if (task != Task.BINARY) {
            return Double.NaN;
        }
        // The same Mann-Whitney AUC as Perpetua's own evaluator, so the peers are ranked alike.
        Double auc = RocAuc.exact(positiveScores, positive, (int) n);
        return auc == null ? Double.NaN : auc;
    }
}
