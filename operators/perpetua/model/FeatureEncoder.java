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
 */
public final class FeatureEncoder {

    private final int denseSize;
    private final int hashBits;
    private final String[] numericNames;
    private final OnlineStandardizer standardizer;
    // Per-event scratch, reused so that encoding allocates only the hashed key strings.
    private final float[] rowScratch;
    private int[] slotScratch = new int[8];

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

    /** Appends {@code event} as one row of {@code batch} and updates the numeric moments. */
    public void encode(Event event, MicroBatch batch) {
        List<Float> dense = event.getDense();
        for (int j = 0; j < denseSize; j++) {
            rowScratch[j] = dense.get(j);
        }
        Map<String, Double> numeric = event.getNumeric();
        for (int i = 0; i < numericNames.length; i++) {
            Double value = numeric.get(numericNames[i]);
            if (value == null) {
                rowScratch[denseSize + i] = 0f;
            } else {
                // The value joins the moments before it is scaled, so even the first one is
                // centred.
                standardizer.update(i, value);
                rowScratch[denseSize + i] = (float) standardizer.standardize(i, value);
            }
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
