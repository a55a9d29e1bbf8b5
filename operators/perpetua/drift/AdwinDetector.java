package perpetua.drift;

import java.util.Arrays;
import java.util.Map;

/**
 * ADWIN, the adaptive window of Bifet and Gavaldà ("Learning from time-changing data with adaptive
 * windowing", SDM 2007), in its ADWIN2 form: the window is an exponential histogram.
 *
 * <p>The window W holds the recent stream as buckets: row i holds up to {@link #MAX_BUCKETS}
 * buckets of 2^i values each (their sum and their sum of squared deviations), oldest first; when a
 * row overflows its two oldest buckets merge into one of the next row. So a window of n values
 * takes O(M log n) numbers and only the O(M log n) bucket boundaries are candidate cuts.
 *
 * <p>Every {@link #CLOCK} values, once W holds {@code minInstances}, every split W = W0 · W1 at a
 * bucket boundary (both sides at least {@link #MIN_SUB_WINDOW} long) is tested: with m = 1 / (1/n0
 * + 1/n1), σ²_W the variance of W and δ' = δ / ln n (the union bound over the O(ln n) boundaries
 * tested),
 *
 * <pre>
 *   ε_cut = sqrt(2/m · σ²_W · ln(2/δ')) + 2/(3m) · ln(2/δ')
 * </pre>
 *
 * and W0 is dropped, bucket by oldest bucket, while some split has |μ0 - μ1| > ε_cut. A cut where
 * the recent mean μ1 is higher (the error got worse) is a {@link Signal#DRIFT}; a cut where it is
 * lower only shrinks the window, since a model that got better needs no reaction. ADWIN has no
 * warning level. The Bernstein term assumes values in [0, 1]: 0/1 errors, or a loss scaled there.
 *
 * <p>State: a few numbers and three arrays of (M + 1) × rows entries, grown when the window needs a
 * new row.
 */
public class AdwinDetector extends StreamDetector {

    /** M, the buckets a row holds before its two oldest merge. */
    public static final int MAX_BUCKETS = 5;

    /** Values between two tests for a cut. */
    public static final int CLOCK = 32;

    /** The shortest side of a split that is tested. */
    public static final int MIN_SUB_WINDOW = 5;

    private static final int SLOTS = MAX_BUCKETS + 1;

    public double delta;
    public int minInstances;

    /** Rows in use; row i holds buckets of 2^i values. */
    public int rows;

    /** Buckets in each row. */
    public int[] rowCount = new int[0];

    /** Sum of the values of bucket j of row i, at {@code i * (M + 1) + j}, oldest first. */
    public double[] bucketSum = new double[0];

    /** Sum of squared deviations from its mean, of each bucket. */
    public double[] bucketM2 = new double[0];

    /** Values in the window, and their sum. */
    public long width;

    public double sum;

    public int sinceCheck;

    /** At the last drift: the means and lengths of W0 and W1 at the first cut, ε, and the width. */
    public boolean signalled;

    public double signalMean0;
    public double signalMean1;
    public long signalN0;
    public long signalN1;
    public double signalEpsilon;
    public long signalWidth;

    /** For Flink's POJO serializer only. */
    public AdwinDetector() {}

    /**
     * @param delta the confidence of a cut, in (0, 1); 0.002 is the customary value
     * @param minInstances the window length before cuts are tested
     */
    public AdwinDetector(double delta, int minInstances) {
        if (!(delta > 0 && delta < 1) || minInstances < 1) {
            throw new IllegalArgumentException("ADWIN needs delta in (0, 1) and minInstances >= 1");
        }
        this.delta = delta;
        this.minInstances = minInstances;
    }

    @Override
    protected Signal take(double x) {
        insert(x);
        if (++sinceCheck < CLOCK || width < Math.max(minInstances, 2 * MIN_SUB_WINDOW)) {
            return Signal.NONE;
        }
        sinceCheck = 0;
        double[] cut = findCut();
        if (cut == null) {
            return Signal.NONE;
        }
        boolean worse = cut[1] > cut[0];
        double[] first = cut;
        do {
            dropOldest();
            cut = findCut();
        } while (cut != null);
        if (!worse) {
            return Signal.NONE;
        }
        signalled = true;
        signalMean0 = first[0];
        signalMean1 = first[1];
        signalN0 = (long) first[2];
        signalN1 = (long) first[3];
        signalEpsilon = first[4];
        signalWidth = width;
        return Signal.DRIFT;
    }

    /** The mean of the values in the window, NaN when it is empty. */
    public double mean() {
        return width == 0 ? Double.NaN : sum / width;
    }

    private void insert(double x) {
        ensureRows(1);
        append(0, x, 0.0);
        width++;
        sum += x;
        for (int i = 0; i < rows && rowCount[i] > MAX_BUCKETS; i++) {
            // Merge the two oldest buckets of row i (2^i values each) into one of row i + 1.
            int a = i * SLOTS;
            double n = Math.pow(2, i);
            double meanA = bucketSum[a] / n;
            double meanB = bucketSum[a + 1] / n;
            double m2 = bucketM2[a] + bucketM2[a + 1] + n / 2 * (meanA - meanB) * (meanA - meanB);
            double merged = bucketSum[a] + bucketSum[a + 1];
            removeFront(i, 2);
            ensureRows(i + 2);
            append(i + 1, merged, m2);
        }
    }

    /**
     * The first split, oldest first, whose means differ by more than ε_cut, as {μ0, μ1, n0, n1, ε};
     * null when there is none.
     */
    private double[] findCut() {
        double n = width;
        if (n < 2 * MIN_SUB_WINDOW) {
            return null;
        }
        // σ²_W from the buckets, combined pairwise (Chan et al.), oldest first.
        double count = 0.0;
        double mean = 0.0;
        double m2 = 0.0;
        for (int i = rows - 1; i >= 0; i--) {
            double size = Math.pow(2, i);
            for (int j = 0; j < rowCount[i]; j++) {
                double bMean = bucketSum[i * SLOTS + j] / size;
                double total = count + size;
                double d = bMean - mean;
                mean += d * size / total;
                m2 += bucketM2[i * SLOTS + j] + d * d * count * size / total;
                count = total;
            }
        }
        double variance = m2 / n;
        double dd = Math.log(2 * Math.log(n) / delta);

        double n0 = 0.0;
        double s0 = 0.0;
        for (int i = rows - 1; i >= 0; i--) {
            double size = Math.pow(2, i);
            for (int j = 0; j < rowCount[i]; j++) {
                n0 += size;
                s0 += bucketSum[i * SLOTS + j];
                double n1 = n - n0;
                if (n1 < MIN_SUB_WINDOW) {
                    return null;
                }
                if (n0 < MIN_SUB_WINDOW) {
                    continue;
                }
                double mean0 = s0 / n0;
                double mean1 = (sum - s0) / n1;
                double m = 1.0 / (1.0 / n0 + 1.0 / n1);
                double epsilon = Math.sqrt(2.0 / m * variance * dd) + 2.0 / (3.0 * m) * dd;
                if (Math.abs(mean0 - mean1) > epsilon) {
                    return new double[] {mean0, mean1, n0, n1, epsilon};
                }
            }
        }
        return null;
    }

    private void dropOldest() {
        int r = rows - 1;
        width -= 1L << r;
        sum -= bucketSum[r * SLOTS];
        removeFront(r, 1);
        while (rows > 0 && rowCount[rows - 1] == 0) {
            rows--;
        }
    }

    private void append(int row, double s, double m2) {
        int at = row * SLOTS + rowCount[row];
        bucketSum[at] = s;
        bucketM2[at] = m2;
        rowCount[row]++;
        rows = Math.max(rows, row + 1);
    }

    private void removeFront(int row, int k) {
        int base = row * SLOTS;
        int left = rowCount[row] - k;
        System.arraycopy(bucketSum, base + k, bucketSum, base, left);
        System.arraycopy(bucketM2, base + k, bucketM2, base, left);
        rowCount[row] = left;
    }

    private void ensureRows(int needed) {
        if (rowCount.length < needed) {
            int capacity = Math.max(needed, Math.max(8, rowCount.length * 2));
            rowCount = Arrays.copyOf(rowCount, capacity);
            bucketSum = Arrays.copyOf(bucketSum, capacity * SLOTS);
            bucketM2 = Arrays.copyOf(bucketM2, capacity * SLOTS);
        }
    }

    @Override
    public String name() {
        return "ADWIN";
    }

    @Override
    protected boolean hasSignalled() {
        return signalled;
    }

    @Override
    protected void putStatistics(Map<String, Double> out) {
        out.put("mean0", signalMean0);
        out.put("mean1", signalMean1);
        out.put("n0", (double) signalN0);
        out.put("n1", (double) signalN1);
        out.put("epsilon", signalEpsilon);
        out.put("width", (double) signalWidth);
        out.put("delta", delta);
    }

    @Override
    public void reset() {
        rows = 0;
        Arrays.fill(rowCount, 0);
        width = 0;
        sum = 0.0;
        sinceCheck = 0;
    }
}
