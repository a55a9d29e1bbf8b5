package perpetua.features;

import java.util.List;
import java.util.Map;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.wire.EventNumerics;

/**
 * The dense block of an encoded row, the event's dense floats then the spec's numerics, scaled by
 * two copies of the scaling state: the committed one for the row that is predicted, the running one
 * for the row that is learned.
 *
 * <p>A dense value is multiplied by the spec's {@code denseScale} and, with dense scaling, divided
 * by its column's largest magnitude ({@link MaxAbsScaler}); a numeric is standardized by the
 * moments of its values so far ({@link OnlineStandardizer}), and a missing one encodes as 0, the
 * mean after standardization. The running state takes every event in the order it is encoded;
 * {@link #commit} brings the committed one up to date and {@link #discardPending} takes the running
 * one back to it (see {@link FeatureEncoder} for when). Both rows are buffers reused by the next
 * event, so that scaling an event allocates nothing.
 */
final class DenseScaling {
    private final int denseSize;
    private final float denseScale;
    private final String[] numericNames;
    private final boolean scaleDense;
    private final OnlineStandardizer standardizer;
    private final OnlineStandardizer running;
    private final MaxAbsScaler denseScaler;
    private final MaxAbsScaler runningDense;

    /** The last event's dense block as the committed state scales it: the row that is predicted. */
    final float[] committedRow;

    /** The last event's dense block as the running state scales it: the row that is learned. */
    final float[] runningRow;

    // Where each numeric feature was in the last event's map: events name them in one order.
    private final int[] numericAt;

    /**
     * Scales the dense block of {@code spec} from restored numeric moments and dense magnitudes.
     *
     * @param denseScaler the dense columns' magnitudes, or null to leave dense values as they come
     */
    DenseScaling(ModelSpec spec, OnlineStandardizer standardizer, MaxAbsScaler denseScaler) {
        List<String> names = spec.getNumericFeatures();
        if (standardizer.size() != names.size()) {
            throw new IllegalArgumentException(
                    "standardizer has "
                            + standardizer.size()
                            + " features, the spec names "
                            + names.size());
        }
        this.denseSize = spec.getDenseSize();
        if (denseScaler != null && denseScaler.size() != denseSize) {
            throw new IllegalArgumentException(
                    "dense scaler has "
                            + denseScaler.size()
                            + " columns, the spec has "
                            + denseSize);
        }
        this.denseScale = spec.getDenseScale();
        this.numericNames = new String[names.size()];
        for (int i = 0; i < numericNames.length; i++) {
            // Interned, as a decoded event's names are: found by identity.
            numericNames[i] = names.get(i).intern();
        }
        this.scaleDense = denseScaler != null;
        this.standardizer = standardizer;
        this.running = new OnlineStandardizer(names.size());
        running.copyFrom(standardizer);
        this.denseScaler = denseScaler;
        this.runningDense = denseScaler == null ? null : new MaxAbsScaler(denseScaler.maxAbs());
        this.committedRow = new float[width()];
        this.runningRow = new float[width()];
        this.numericAt = new int[numericNames.length];
    }

    /** The number of dense values per row: dense size plus named numerics. */
    int width() {
        return denseSize + numericNames.length;
    }

    /** The committed moments of the numeric features; live, not a copy. */
    OnlineStandardizer standardizer() {
        return standardizer;
    }

    /** The committed magnitudes of the dense columns, or null without dense scaling. */
    MaxAbsScaler denseScaler() {
        return denseScaler;
    }

    /**
     * Scales the dense block of {@code event} into {@link #committedRow} and, after its values
     * joined the running state, into {@link #runningRow}.
     */
    void scale(Event event) {
        List<Float> dense = event.getDense();
        PrimitivesArrays.FloatArray floats =
                dense instanceof PrimitivesArrays.FloatArray f ? f : null;
        for (int j = 0; j < denseSize; j++) {
            float v = (floats != null ? floats.getFloat(j) : dense.get(j)) * denseScale;
            if (scaleDense) {
                committedRow[j] = denseScaler.scale(j, v);
                runningDense.update(j, v);
                runningRow[j] = runningDense.scale(j, v);
            } else {
                committedRow[j] = v;
                runningRow[j] = v;
            }
        }
        Map<String, Double> numeric = event.getNumeric();
        for (int i = 0; i < numericNames.length; i++) {
            double value = numeric(numeric, i);
            if (Double.isNaN(value)) {
                committedRow[denseSize + i] = 0f;
                runningRow[denseSize + i] = 0f;
            } else {
                committedRow[denseSize + i] = (float) standardizer.standardize(i, value);
                runningRow[denseSize + i] = (float) running.standardize(i, value);
                running.update(i, value);
            }
        }
    }

    /**
     * Scales the dense block of {@code event} into {@link #runningRow} by the running state, which
     * it leaves as it is: the event was counted when it was scaled before.
     */
    void scaleCounted(Event event) {
        List<Float> dense = event.getDense();
        PrimitivesArrays.FloatArray floats =
                dense instanceof PrimitivesArrays.FloatArray f ? f : null;
        for (int j = 0; j < denseSize; j++) {
            float v = (floats != null ? floats.getFloat(j) : dense.get(j)) * denseScale;
            runningRow[j] = scaleDense ? runningDense.scale(j, v) : v;
        }
        Map<String, Double> numeric = event.getNumeric();
        for (int i = 0; i < numericNames.length; i++) {
            double value = numeric(numeric, i);
            runningRow[denseSize + i] =
                    Double.isNaN(value) ? 0f : (float) running.standardize(i, value);
        }
    }

    /**
     * The value of the spec's {@code i}-th numeric feature in {@code numeric}, NaN when missing
     * (validated events have finite values only). A decoded event's numerics are found where the
     * last event had them (the name's identity confirms it: both are interned), without boxing.
     */
    private double numeric(Map<String, Double> numeric, int i) {
        if (numeric instanceof EventNumerics numerics) {
            int at = numerics.indexOf(numericNames[i], numericAt[i]);
            if (at < 0) {
                return Double.NaN;
            }
            numericAt[i] = at;
            return numerics.value(at);
        }
        Double boxed = numeric.get(numericNames[i]);
        return boxed == null ? Double.NaN : boxed;
    }

    /** The committed state takes the running one. */
    void commit() {
        standardizer.copyFrom(running);
        if (scaleDense) {
            denseScaler.copyFrom(runningDense);
        }
    }

    /** The running state goes back to the committed one. */
    void discardPending() {
        running.copyFrom(standardizer);
        if (scaleDense) {
            runningDense.copyFrom(denseScaler);
        }
    }
}
