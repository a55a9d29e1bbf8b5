package perpetua.features;

/**
 * The largest magnitude seen in each dense column, by which the column's values are divided, so
 * that a model sees its dense inputs within [-1, 1] whatever their units (pixels 0..255, prices in
 * cents). A value larger than any before scales by itself, to 1 or -1.
 *
 * <p>State is one {@code float[]}, so that it goes into Flink state or a snapshot as is.
 */
public final class MaxAbsScaler {
    private final float[] maxAbs;

    /** A scaler of {@code size} columns, none seen yet. */
    public MaxAbsScaler(int size) {
        this.maxAbs = new float[size];
    }

    /** A scaler that goes on from the magnitudes of {@link #maxAbs()}. */
    public MaxAbsScaler(float[] maxAbs) {
        this.maxAbs = maxAbs.clone();
    }

    /** Returns the number of columns. */
    public int size() {
        return maxAbs.length;
    }

    /** Returns {@code x} divided by the largest magnitude of column {@code j} and {@code |x|}. */
    public float scale(int j, float x) {
        float s = Math.max(maxAbs[j], Math.abs(x));
        return s > 0f ? x / s : 0f;
    }

    /** Folds {@code x} into column {@code j}'s largest magnitude. */
    public void update(int j, float x) {
        float a = Math.abs(x);
        if (a > maxAbs[j]) {
            maxAbs[j] = a;
        }
    }

    /** Takes the magnitudes of {@code other}, a scaler of as many columns. */
    public void copyFrom(MaxAbsScaler other) {
        System.arraycopy(other.maxAbs, 0, maxAbs, 0, maxAbs.length);
    }

    /** Returns a copy of the largest magnitude of every column, for state and snapshots. */
    public float[] maxAbs() {
        return maxAbs.clone();
    }
}
