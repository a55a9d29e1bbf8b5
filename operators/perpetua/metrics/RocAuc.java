package perpetua.metrics;

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
     * and a negative counts one half. Scores are ordered as {@link Float#compare} orders them (NaN
     * last, in one group). A window closes every few thousand labelled events, so the ranking is
     * one radix sort of each score's bits with its class beside it, linear in {@code n}, rather
     * than two comparison sorts.
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
        // Each score's bits, flipped so that unsigned order is Float.compare's order, in the high
        // half; its class in the lowest bit.
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = (long) sortable(scores[i]) << 32 | (positive[i] ? 1 : 0);
        }
        keys = radixSortHighHalf(keys);

        double rankSum = 0.0;
        for (int i = 0; i < n; ) {
            int score = (int) (keys[i] >>> 32);
            int j = i;
            int groupPositives = 0;
            while (j < n && (int) (keys[j] >>> 32) == score) {
                groupPositives += (int) (keys[j] & 1);
                j++;
            }
            double midRank = (i + 1 + j) / 2.0; // mean of the 1-based ranks i+1 .. j
            rankSum += midRank * groupPositives;
            i = j;
        }
        double u = rankSum - positives * (positives + 1.0) / 2.0;
        return u / ((double) positives * negatives);
    }

    /** The bits of {@code f} as an int whose unsigned order is {@link Float#compare}'s. */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f); // one NaN for all
        return bits ^ ((bits >> 31) | Integer.MIN_VALUE);
    }

    /** Sorts by the unsigned high 32 bits, stable, in four passes of eight bits. */
    private static long[] radixSortHighHalf(long[] keys) {
        int n = keys.length;
        long[] from = keys;
        long[] to = new long[n];
        int[] counts = new int[256];
        for (int shift = 32; shift < 64; shift += 8) {
            java.util.Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                counts[(int) (from[i] >>> shift) & 0xff]++;
            }
            if (counts[(int) (from[0] >>> shift) & 0xff] == n) {
                continue; // every key has this byte: the pass would not move anything
            }
            for (int b = 0, sum = 0; b < 256; b++) {
                int c = counts[b];
                counts[b] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                to[counts[(int) (from[i] >>> shift) & 0xff]++] = from[i];
            }
            long[] swap = from;
            from = to;
            to = swap;
        }
        return from;
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
