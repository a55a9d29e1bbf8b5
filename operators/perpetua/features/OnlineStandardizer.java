package perpetua.features;

import java.util.Arrays;

/**
 * Running mean and variance of each numeric feature, updated one value at a time (Welford).
 *
 * <p>State is three primitive arrays so that it can be stored in Flink state or a snapshot as is.
 * The variance is the population variance {@code m2 / count}, the scale a standardizer needs.
 */
public final class OnlineStandardizer {

    /** Below this variance a feature is treated as constant and only centred. */
    private static final double MIN_VARIANCE = 1e-12;

    /**
     * Observations of a feature before its moments are trusted: until then a standardized value is
     * held within {@link #WARM_UP_LIMIT}, since a variance from a handful of values can be far too
     * small and turn the next ordinary value into a huge input.
     */
    public static final long WARM_UP = 100;

    /** The largest magnitude of a standardized value during the warm-up. */
    public static final double WARM_UP_LIMIT = 3;

    private final long[] count;
    private final double[] mean;
    private final double[] m2;

    // Each feature's standard deviation as of its last update, NaN once an update makes it stale,
    // and 0 for a (near) constant feature: a model's committed moments scale every event of a
    // micro-batch, so their root is taken once per batch rather than once per event. Not state: it
    // follows from the moments.
    private final double[] deviation;

    /** Creates a standardizer for {@code size} features, none seen yet. */
    public OnlineStandardizer(int size) {
        this(new long[size], new double[size], new double[size]);
    }

    /**
     * Restores a standardizer from the arrays of {@link #counts()}, {@link #means()}, {@link
     * #m2s()}.
     */
    public OnlineStandardizer(long[] count, double[] mean, double[] m2) {
        if (count.length != mean.length || count.length != m2.length) {
            throw new IllegalArgumentException(
                    "count, mean and m2 differ in length: "
                            + count.length
                            + ", "
                            + mean.length
                            + ", "
                            + m2.length);
        }
        this.count = count.clone();
        this.mean = mean.clone();
        this.m2 = m2.clone();
        this.deviation = new double[count.length];
        Arrays.fill(deviation, Double.NaN);
    }

    /** Returns the number of features. */
    public int size() {
        return count.length;
    }

    /** Folds one observation {@code x} of feature {@code i} into its running moments. */
    public void update(int i, double x) {
        // n += 1; delta = x - mean; mean += delta / n; m2 += delta * (x - mean_new)
        long n = ++count[i];
        double delta = x - mean[i];
        mean[i] += delta / n;
        m2[i] += delta * (x - mean[i]);
        deviation[i] = Double.NaN;
    }

    /**
     * Returns {@code (x - mean) / sqrt(var)} for feature {@code i}, held within {@code +-}{@link
     * #WARM_UP_LIMIT} during the feature's first {@link #WARM_UP} observations.
     *
     * <p>With fewer than two observations the scale is unknown, so the value is 0; a (near)
     * constant feature is only centred: {@code x - mean}.
     */
    public double standardize(int i, double x) {
        long n = count[i];
        if (n < 2) {
            // Nothing is known about the scale yet: the value carries no usable information.
            return 0;
        }
        double sd = deviation[i];
        if (Double.isNaN(sd)) {
            double var = m2[i] / n;
            sd = var < MIN_VARIANCE ? 0 : Math.sqrt(var);
            deviation[i] = sd;
        }
        double z = sd == 0 ? x - mean[i] : (x - mean[i]) / sd;
        if (n < WARM_UP) {
            return Math.max(-WARM_UP_LIMIT, Math.min(WARM_UP_LIMIT, z));
        }
        return z;
    }

    /** Takes the moments of {@code other}, a standardizer of as many features. */
    public void copyFrom(OnlineStandardizer other) {
        if (other.count.length != count.length) {
            throw new IllegalArgumentException(
                    "standardizers of " + other.count.length + " and " + count.length);
        }
        System.arraycopy(other.count, 0, count, 0, count.length);
        System.arraycopy(other.mean, 0, mean, 0, mean.length);
        System.arraycopy(other.m2, 0, m2, 0, m2.length);
        System.arraycopy(other.deviation, 0, deviation, 0, deviation.length);
    }

    /** Returns the number of observations of feature {@code i}. */
    public long count(int i) {
        return count[i];
    }

    /** Returns the running mean of feature {@code i}. */
    public double mean(int i) {
        return mean[i];
    }

    /** Returns the population variance of feature {@code i}, 0 before the first observation. */
    public double variance(int i) {
        return count[i] == 0 ? 0.0 : m2[i] / count[i];
    }

    /** Returns a copy of the observation counts, for snapshots. */
    public long[] counts() {
        return count.clone();
    }

    /** Returns a copy of the running means, for snapshots. */
    public double[] means() {
        return mean.clone();
    }

    /** Returns a copy of the sums of squared deviations, for snapshots. */
    public double[] m2s() {
        return m2.clone();
    }

    @Override
    public String toString() {
        return "OnlineStandardizer{count="
                + Arrays.toString(count)
                + ", mean="
                + Arrays.toString(mean)
                + "}";
    }
}
