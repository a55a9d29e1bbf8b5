package perpetua.features;

import java.util.List;
import java.util.Map;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.schemas.Embedding;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.wire.EventCategoricals;
import perpetua.wire.EventNumerics;

/**
 * Turns events into rows of a {@link MicroBatch} as a model's spec describes them.
 *
 * <p>A row is the event's dense floats (times the spec's {@code denseScale}), then every numeric
 * feature the spec names in the spec's order (standardized online; a missing one encodes as 0, the
 * mean after standardization), then one hashed slot per categorical entry for the wide part, plus
 * one per interaction {@code A*B} whose two features are present and, when the spec asks for text
 * n-grams, one per n-gram of the text (value 1/sqrt(tokens)). Each embedded field adds a bag of ids
 * into its table: the hashed value of a categorical (empty when missing) or the hashed tokens of
 * the text ({@link #TEXT_FIELD}). The encoder keeps the running moments of the numerics; they
 * belong to the model's state and are exposed through {@link #standardizer()}. Events are assumed
 * validated: finite values and a dense array of the spec's size.
 *
 * <p>Rows are scaled with the moments as they stand, and their raw values wait until {@link
 * #commitMoments()} adds them. The Learner commits once per micro-batch, after predicting it, so a
 * prediction depends only on the model and moments of the last snapshot: a scorer outside Flink
 * that never commits reproduces it exactly.
 */
public final class FeatureEncoder {

    /** The embedding feature name that stands for the tokens of the event's text. */
    public static final String TEXT_FIELD = "@text";

    private final int denseSize;
    private final float denseScale;
    private final int hashBits;
    private final boolean wide;
    private final String[] numericNames;
    private final String[][] interactions;
    private final int textNgrams;
    private final String[] fieldNames;
    private final int embeddingBits;
    private final OnlineStandardizer standardizer;
    // Per-event scratch, reused so that encoding allocates only the hashed key strings.
    private final float[] rowScratch;
    private int[] slotScratch = new int[8];
    private float[] valueScratch = new float[8];
    private final int[] bagEnds;
    private int[] idScratch = new int[8];
    private final FeatureHasher.Stream hash = new FeatureHasher.Stream();
    // The slots of the categoricals seen last, by the hash codes of their name and value.
    private static final int SLOT_CACHE = 1024;
    private final String[] cachedNames = new String[SLOT_CACHE];
    private final String[] cachedValues = new String[SLOT_CACHE];
    private final int[] cachedSlots = new int[SLOT_CACHE];
    // Where each numeric feature was in the last event's map: events name them in one order.
    private final int[] numericAt;
    // The name strings found there: decoded events share them, so identity confirms a position.
    private final String[] numericSeen;
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
        this.denseScale = spec.getDenseScale();
        this.hashBits = spec.getHashBits();
        this.wide = spec.getWide();
        this.numericNames = names.toArray(new String[0]);
        this.interactions = new String[spec.getInteractions().size()][];
        for (int i = 0; i < interactions.length; i++) {
            interactions[i] = interactionPair(spec.getInteractions().get(i));
        }
        this.textNgrams = spec.getTextNgrams();
        List<Embedding> embeddings = spec.getEmbeddings();
        this.fieldNames = new String[embeddings.size()];
        for (int f = 0; f < fieldNames.length; f++) {
            fieldNames[f] = embeddings.get(f).getFeature();
        }
        this.embeddingBits = spec.getEmbeddingBits();
        this.bagEnds = new int[fieldNames.length];
        this.standardizer = standardizer;
        this.rowScratch = new float[denseWidth()];
        this.numericAt = new int[numericNames.length];
        this.numericSeen = new String[numericNames.length];
    }

    /** Returns the number of dense values per encoded row: dense size plus named numerics. */
    public int denseWidth() {
        return denseSize + numericNames.length;
    }

    /** Returns a new empty batch whose rows fit this encoder. */
    public MicroBatch newBatch() {
        return new MicroBatch(denseWidth(), fieldNames.length, 16);
    }

    /** Splits an interaction {@code A*B} into its two feature names. */
    public static String[] interactionPair(String interaction) {
        int star = interaction.indexOf('*');
        if (star <= 0
                || star == interaction.length() - 1
                || interaction.indexOf('*', star + 1) >= 0) {
            throw new IllegalArgumentException(
                    "an interaction is two categorical features A*B: " + interaction);
        }
        return new String[] {interaction.substring(0, star), interaction.substring(star + 1)};
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
        if (dense instanceof PrimitivesArrays.FloatArray floats) {
            for (int j = 0; j < denseSize; j++) {
                rowScratch[j] = floats.getFloat(j) * denseScale;
            }
        } else {
            for (int j = 0; j < denseSize; j++) {
                rowScratch[j] = dense.get(j) * denseScale;
            }
        }
        Map<String, Double> numeric = event.getNumeric();
        int n = numericNames.length;
        if (n > 0 && pendingRaw.length < (pendingRows + 1) * n) {
            pendingRaw =
                    java.util.Arrays.copyOf(pendingRaw, Math.max(64 * n, pendingRaw.length * 2));
        }
        EventNumerics numerics = numeric instanceof EventNumerics en ? en : null;
        for (int i = 0; i < n; i++) {
            double value;
            boolean missing;
            if (numerics != null) {
                int at = numericAt[i];
                if (at >= numerics.size() || numerics.name(at) != numericSeen[i]) {
                    // Not where the last event had it, or another string: search by name.
                    at = numerics.indexOf(numericNames[i], at);
                    if (at >= 0) {
                        numericAt[i] = at;
                        numericSeen[i] = numerics.name(at);
                    }
                }
                missing = at < 0;
                value = missing ? 0 : numerics.value(at);
            } else {
                Double boxed = numeric.get(numericNames[i]);
                missing = boxed == null;
                value = missing ? 0 : boxed;
            }
            if (missing) {
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
        int slotCount = 0;
        List<String> tokens = null;
        if (wide) {
            if (categorical instanceof EventCategoricals values) {
                for (int c = 0; c < values.size(); c++) {
                    slotCount = addSlot(slotCount, slot(values.name(c), values.value(c)), 1f);
                }
            } else {
                for (Map.Entry<String, String> entry : categorical.entrySet()) {
                    slotCount = addSlot(slotCount, slot(entry.getKey(), entry.getValue()), 1f);
                }
            }
            // In slot order, so that a row sums its weights in one order whatever order its map
            // gave the categoricals: a decoded event and one built by hand predict the same.
            sortSlots(slotCount);
            for (String[] pair : interactions) {
                String a = categorical.get(pair[0]);
                String b = categorical.get(pair[1]);
                if (a != null && b != null) {
                    // The slot of the name "A*B" and the value "a\u0001b".
                    int slot =
                            hash.reset()
                                    .add(pair[0])
                                    .add('*')
                                    .add(pair[1])
                                    .add('\u0001')
                                    .add(a)
                                    .add('\u0001')
                                    .add(b)
                                    .slot(hashBits);
                    slotCount = addSlot(slotCount, slot, 1f);
                }
            }
            if (textNgrams > 0 && event.getText() != null) {
                tokens = Tokenizer.tokens(event.getText());
                float value = tokens.isEmpty() ? 0f : (float) (1.0 / Math.sqrt(tokens.size()));
                for (int t = 0; t < tokens.size(); t++) {
                    slotCount = addSlot(slotCount, slot(TEXT_FIELD, tokens.get(t)), value);
                    if (textNgrams > 1 && t > 0) {
                        // The bigram "previous next", hashed without building it.
                        int slot =
                                hash.reset()
                                        .add(TEXT_FIELD)
                                        .add('\u0001')
                                        .add(tokens.get(t - 1))
                                        .add(' ')
                                        .add(tokens.get(t))
                                        .slot(hashBits);
                        slotCount = addSlot(slotCount, slot, value);
                    }
                }
            }
        }
        int idCount = 0;
        for (int f = 0; f < fieldNames.length; f++) {
            String name = fieldNames[f];
            if (TEXT_FIELD.equals(name)) {
                if (tokens == null) {
                    tokens = Tokenizer.tokens(event.getText());
                }
                for (String token : tokens) {
                    idCount =
                            addId(
                                    idCount,
                                    hash.reset()
                                            .add(TEXT_FIELD)
                                            .add('\u0001')
                                            .add(token)
                                            .slot(embeddingBits));
                }
            } else {
                String value = categorical.get(name);
                if (value != null) {
                    idCount =
                            addId(
                                    idCount,
                                    hash.reset()
                                            .add(name)
                                            .add('\u0001')
                                            .add(value)
                                            .slot(embeddingBits));
                }
            }
            bagEnds[f] = idCount;
        }
        float label = labelOf(event);
        batch.addRow(
                rowScratch,
                slotScratch,
                valueScratch,
                slotCount,
                bagEnds.length == 0 ? null : bagEnds,
                idScratch,
                label,
                event.getWeight());
    }

    /**
     * The wide part's slot of a categorical (name, value), as {@link FeatureHasher#slot}: from a
     * small cache of the pairs seen last, since a stream names the same few values again and again
     * (decoded events even share the very strings), else hashed.
     */
    private int slot(String name, String value) {
        int at = (name.hashCode() * 31 + value.hashCode()) & (SLOT_CACHE - 1);
        String cachedValue = cachedValues[at];
        if (cachedValue != null
                && (cachedValue == value || cachedValue.equals(value))
                && (cachedNames[at] == name || cachedNames[at].equals(name))) {
            return cachedSlots[at];
        }
        int slot = hash.reset().add(name).add('\u0001').add(value).slot(hashBits);
        cachedNames[at] = name;
        cachedValues[at] = value;
        cachedSlots[at] = slot;
        return slot;
    }

    private void sortSlots(int count) {
        if (count > 16) {
            java.util.Arrays.sort(slotScratch, 0, count);
            return;
        }
        for (int i = 1; i < count; i++) {
            int slot = slotScratch[i];
            int j = i - 1;
            while (j >= 0 && slotScratch[j] > slot) {
                slotScratch[j + 1] = slotScratch[j];
                j--;
            }
            slotScratch[j + 1] = slot;
        }
    }

    private int addSlot(int count, int slot, float value) {
        if (count == slotScratch.length) {
            slotScratch = java.util.Arrays.copyOf(slotScratch, count * 2);
            valueScratch = java.util.Arrays.copyOf(valueScratch, count * 2);
        }
        slotScratch[count] = slot;
        valueScratch[count] = value;
        return count + 1;
    }

    private int addId(int count, int id) {
        if (count == idScratch.length) {
            idScratch = java.util.Arrays.copyOf(idScratch, count * 2);
        }
        idScratch[count] = id;
        return count + 1;
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
