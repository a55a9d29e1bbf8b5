package perpetua.model;

import java.util.List;
import java.util.Map;
import perpetua.features.FeatureHasher;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;

/**
 * Turns events into rows of a {@link MicroBatch} as a model's spec describes them.
 *
 * <p>A row is the event's dense floats, then every numeric feature the spec names in the spec's
 * order (standardized online; a missing one encodes as 0, the mean after standardization), then one
 * hashed slot per categorical entry. The encoder keeps the running moments of the numerics; they
 * belong to the model's state and are exposed through {@link #standardizer()}. Events are assumed
 * validated: finite values and a dense array of the spec's size.
 *
 * <p>Rows are scaled with the moments as they stand, and their raw values wait until {@link
 * #commitMoments()} adds them. The Learner commits once per micro-batch, after predicting it, so a
 * prediction depends only on the model and moments of the last snapshot: a scorer outside Flink
 * that never commits reproduces it exactly.
 */
public final class FeatureEncoder {

    private final int denseSize;
    private final int hashBits;
    private final String[] numericNames;
    private final OnlineStandardizer standardizer;
    // Per-event scratch, reused so that encoding allocates only the hashed key strings.
    private final float[] rowScratch;
    private int[] slotScratch = new int[8];
    // Raw numeric values of the rows encoded since the last commit; NaN where one was missing.
    private double[] pendingRaw = new double[0];
    private int pendingRows;

    /** Creates an encoder for {@code spec} whose numerics have not been seen yet. */
    public FeatureEncoder(ModelSpec spec) {
        this(spec, new OnlineStandardizer(spec.getNumericFeatures().size()));
    }

    /** Creates an encoder for {@code spec} that continues from restored numeric moments. */
    public FeatureEncoder(ModelSpec spec, OnlineStandardizer standardizer) {
        List<String> names = spec.getNumericFeatures();
        if (standardizer.size() != names.size()) {
            throw new IllegalArgumentException(
                    "standardizer has "
                            + standardizer.size()
                            + " features, the spec names "
                            + names.size());
        }
        this.denseSize = spec.getDenseSize();
        this.hashBits = spec.getHashBits();
        this.numericNames = names.toArray(new String[0]);
        this.standardizer = standardizer;
        this.rowScratch = new float[denseWidth()];
    }

    /** Returns the number of dense values per encoded row: dense size plus named numerics. */
    public int denseWidth() {
        return denseSize + numericNames.length;
    }

    /** Returns a new empty batch whose rows fit this encoder. */
    public MicroBatch newBatch() {
        return new MicroBatch(denseWidth());
    }

    /** Returns the running moments of the numeric features; live, not a copy. */
    public OnlineStandardizer standardizer() {
        return standardizer;
    }

    /**
     * Appends {@code event} as one row of {@code batch}, scaled with the current moments; its raw
     * numerics join the moments at the next {@link #commitMoments()}.
     */
    public void encode(Event event, MicroBatch batch) {
        List<Float> dense = event.getDense();
        for (int j = 0; j < denseSize; j++) {
            rowScratch[j] = dense.get(j);
        }
        Map<String, Double> numeric = event.getNumeric();
        int n = numericNames.length;
        if (n > 0 && pendingRaw.length < (pendingRows + 1) * n) {
            pendingRaw =
                    java.util.Arrays.copyOf(pendingRaw, Math.max(64 * n, pendingRaw.length * 2));
        }
        for (int i = 0; i < n; i++) {
            Double value = numeric.get(numericNames[i]);
            if (value == null) {
                rowScratch[denseSize + i] = 0f;
                pendingRaw[pendingRows * n + i] = Double.NaN;
            } else {
                rowScratch[denseSize + i] = (float) standardizer.standardize(i, value);
                pendingRaw[pendingRows * n + i] = value;
            }
        }
        if (n > 0) {
            pendingRows++;
        }
        Map<String, String> categorical = event.getCategorical();
        if (slotScratch.length < categorical.size()) {
            slotScratch = new int[Math.max(categorical.size(), slotScratch.length * 2)];
        }
        int slotCount = 0;
        for (Map.Entry<String, String> entry : categorical.entrySet()) {
            slotScratch[slotCount++] =
                    FeatureHasher.slot(entry.getKey(), entry.getValue(), hashBits);
        }
        float label = labelOf(event);
        batch.addRow(rowScratch, slotScratch, slotCount, label, event.getWeight());
    }

    /** Adds the raw numerics of every row encoded since the last commit to the moments. */
    public void commitMoments() {
        int n = numericNames.length;
        for (int r = 0; r < pendingRows; r++) {
            for (int i = 0; i < n; i++) {
                double v = pendingRaw[r * n + i];
                if (!Double.isNaN(v)) {
                    standardizer.update(i, v);
                }
            }
        }
        pendingRows = 0;
    }

    /**
     * Forgets the raw numerics of the rows encoded since the last commit, leaving the moments as
     * they are: what a scorer that never learns calls after each batch, and what the Learner calls
     * after encoding late labels, whose numerics were counted when their events were predicted.
     */
    public void discardPending() {
        pendingRows = 0;
    }

    /** Returns the event's label as a float: class index or value, NaN when unknown. */
    static float labelOf(Event event) {
        Object label = event.getLabel();
        if (label == null) {
            return Float.NaN;
        }
        if (label instanceof Number) {
            return ((Number) label).floatValue();
        }
        throw new IllegalArgumentException("label is neither int nor double: " + label);
    }
}
