package perpetua.metrics;

import java.util.Arrays;

/** The area under the ROC curve of binary scores: exact, or from a score histogram. */
public final class RocAuc {
    /** Bins of the AUC histogram, equal width in logit(p) over [-LOGIT_RANGE, +LOGIT_RANGE]. */
    public static final int BINS = 1024;

    /** Logits beyond this (p below 6.1e-6 or above 1 - 6.1e-6) share the outermost bins. */
    public static final double LOGIT_RANGE = 12.0;

    private RocAuc() {}

    /**
     * Exact ROC AUC of the first {@code n} scores, or null when they hold a single class.
     *
     * <p>AUC equals the Mann–Whitney U of the positives over positives × negatives; U comes from
     * the positives' rank sum, tied scores sharing their mid-rank so that a tie between a positive
     * and a negative counts one half. Only sorted copies are allocated.
     */
    public static Double exact(float[] scores, boolean[] positive, int n) {
        int positives = 0;
        for (int i = 0; i < n; i++) {
            positives += positive[i] ? 1 : 0;
        }
        int negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return null;
        }
        float[] all = Arrays.copyOf(scores, n);
        Arrays.sort(all);
        float[] positiveScores = new float[positives];
        for (int i = 0, k = 0; i < n; i++) {
            if (positive[i]) {
                positiveScores[k++] = scores[i];
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
     * AUC from a score histogram, with its error bound: {AUC, largest possible error}, or null with
     * a single class.
     *
     * <p>AUC = sum_b pos_b * (neg_below_b + neg_b / 2) / (P * N): a positive beats every negative
     * in a lower bin and ties those in its own. A same-bin pair's true credit is in [0, 1], so the
     * error is at most 1/2 * sum_b pos_b * neg_b / (P * N).
     */
    static double[] histogram(double[] binPositive, double[] binNegative) {
        double positive = 0.0;
        double negative = 0.0;
        for (int b = 0; b < BINS; b++) {
            positive += binPositive[b];
            negative += binNegative[b];
        }
        if (!(positive > 0) || !(negative > 0)) {
            return null;
        }
        double wins = 0.0;
        double sameBin = 0.0;
        double negativesBelow = 0.0;
        for (int b = 0; b < BINS; b++) {
            double pos = binPositive[b];
            double neg = binNegative[b];
            wins += pos * (negativesBelow + 0.5 * neg);
            sameBin += pos * neg;
            negativesBelow += neg;
        }
        double pairs = positive * negative;
        return new double[] {wins / pairs, 0.5 * sameBin / pairs};
    }

    /** The histogram bin of a score: equal width in logit(p), NaN in the top bin. */
    static int bin(float p) {
        if (Float.isNaN(p)) {
            return BINS - 1;
        }
        double q = TaskSums.clamp(p);
        double z = Math.log(q / (1.0 - q));
        int b = (int) Math.floor((z + LOGIT_RANGE) / (2 * LOGIT_RANGE) * BINS);
        return Math.min(Math.max(b, 0), BINS - 1);
    }
}
