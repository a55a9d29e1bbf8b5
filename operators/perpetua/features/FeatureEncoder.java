package perpetua.features;

import java.util.List;
import java.util.Map;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.schemas.Embedding;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
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
 * <p>With dense scaling ({@link #scalesDense}) each dense value is also divided by the largest
 * magnitude its column has had ({@link MaxAbsScaler}), so that the model sees dense inputs within
 * [-1, 1].
 *
 * <p>The scaling state is kept twice. The <em>committed</em> moments and magnitudes scale the rows
 * that are predicted: {@link #commitMoments()} brings them up to date, which the Learner does once
 * per micro-batch after predicting it, so that a prediction depends only on the model and the
 * scaling of the last snapshot, and a scorer outside Flink that never commits reproduces it
 * exactly. The <em>running</em> state takes every event in the order it is encoded, and scales the
 * copy of a labelled row that is learned ({@link #learningRow}): so what a model learns depends on
 * the events and their order, not on where the micro-batches happened to end.
 */
public final class FeatureEncoder {

    /** The embedding feature name that stands for the tokens of the event's text. */
    public static final String TEXT_FIELD = "@text";

    private final int denseSize;
    private final float denseScale;
    private final int hashBits;
    private final boolean wide;
    private final String[] numericNames;
    private final boolean scaleDense;
    private final String[][] interactions;
    private final int textNgrams;
    private final String[] fieldNames;
    private final int embeddingBits;
    private final OnlineStandardizer standardizer;
    private final OnlineStandardizer running;
    private final MaxAbsScaler denseScaler;
    private final MaxAbsScaler runningDense;
    // Per-event scratch, reused so that encoding allocates only the hashed key strings.
    private final float[] rowScratch;
    // The last encoded row's dense values as the running state scales them.
    private final float[] learnScratch;
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

    /** Creates an encoder for {@code spec} whose numerics and dense columns have not been seen. */
    public FeatureEncoder(ModelSpec spec) {
        this(
                spec,
                new OnlineStandardizer(spec.getNumericFeatures().size()),
                scalesDense(spec) ? new MaxAbsScaler(spec.getDenseSize()) : null);
    }

    /**
     * Whether a model of {@code spec} scales its dense values: {@code scaleDense}, or when it is
     * not set, for NORMALIZED_ADAGRAD, whose hidden layers need inputs within [-1, 1], and not for
     * the other optimizers, whose learning rates were tuned for the dense values as they come.
     */
    public static boolean scalesDense(ModelSpec spec) {
        Boolean scale = spec.getScaleDense();
        return scale != null ? scale : spec.getOptimizer() == OptimizerKind.NORMALIZED_ADAGRAD;
    }

    /**
     * Creates an encoder for {@code spec} that continues from restored numeric moments and dense
     * magnitudes.
     *
     * @param denseScaler the dense columns' magnitudes, or null to leave dense values as they come
     *     (a model that learned before dense scaling existed keeps learning without it)
     */
    public FeatureEncoder(
            ModelSpec spec, OnlineStandardizer standardizer, MaxAbsScaler denseScaler) {
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
        this.scaleDense = denseScaler != null;
        this.standardizer = standardizer;
        this.running = new OnlineStandardizer(names.size());
        running.copyFrom(standardizer);
        this.denseScaler = denseScaler;
        this.runningDense = denseScaler == null ? null : new MaxAbsScaler(denseScaler.maxAbs());
        this.rowScratch = new float[denseWidth()];
        this.learnScratch = new float[denseWidth()];
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

    /** Returns the committed moments of the numeric features; live, not a copy. */
    public OnlineStandardizer standardizer() {
        return standardizer;
    }

    /** Returns the committed magnitudes of the dense columns, or null without dense scaling. */
    public MaxAbsScaler denseScaler() {
        return denseScaler;
    }

    /**
     * Appends {@code event} as one row of {@code batch}, scaled with the committed state, for
     * predicting; its values then join the running state. Right after, {@link #learningRow} copies
     * the row as it is learned.
     */
    public void encode(Event event, MicroBatch batch) {
        List<Float> dense = event.getDense();
        PrimitivesArrays.FloatArray floats =
                dense instanceof PrimitivesArrays.FloatArray f ? f : null;
        for (int j = 0; j < denseSize; j++) {
            float v = (floats != null ? floats.getFloat(j) : dense.get(j)) * denseScale;
            if (scaleDense) {
                rowScratch[j] = denseScaler.scale(j, v);
                runningDense.update(j, v);
                learnScratch[j] = runningDense.scale(j, v);
            } else {
                rowScratch[j] = v;
                learnScratch[j] = v;
            }
        }
        Map<String, Double> numeric = event.getNumeric();
        for (int i = 0; i < numericNames.length; i++) {
            double value = numeric(numeric, i);
            if (Double.isNaN(value)) {
                rowScratch[denseSize + i] = 0f;
                learnScratch[denseSize + i] = 0f;
            } else {
                rowScratch[denseSize + i] = (float) standardizer.standardize(i, value);
                learnScratch[denseSize + i] = (float) running.standardize(i, value);
                running.update(i, value);
            }
        }
        addRow(event, batch, rowScratch);
    }

    /**
     * Appends the last row {@link #encode} added to {@code from} to {@code to}, with its dense
     * values as the running state scaled them when its event came: the row as it is learned.
     */
    public void learningRow(MicroBatch from, MicroBatch to) {
        to.addRowFrom(from, from.size() - 1, learnScratch);
    }

    /**
     * Appends {@code event} to {@code batch} for learning, scaled with the running state, which it
     * leaves as it is: a late label, whose event was counted when it was predicted.
     */
    public void encodeCounted(Event event, MicroBatch batch) {
        List<Float> dense = event.getDense();
        PrimitivesArrays.FloatArray floats =
                dense instanceof PrimitivesArrays.FloatArray f ? f : null;
        for (int j = 0; j < denseSize; j++) {
            float v = (floats != null ? floats.getFloat(j) : dense.get(j)) * denseScale;
            learnScratch[j] = scaleDense ? runningDense.scale(j, v) : v;
        }
        Map<String, Double> numeric = event.getNumeric();
        for (int i = 0; i < numericNames.length; i++) {
            double value = numeric(numeric, i);
            learnScratch[denseSize + i] =
                    Double.isNaN(value) ? 0f : (float) running.standardize(i, value);
        }
        addRow(event, batch, learnScratch);
    }

    /**
     * The value of the spec's {@code i}-th numeric feature in {@code numeric}, NaN when missing
     * (validated events have finite values only). A decoded event's numerics are found where the
     * last event had them, confirmed by the identity of the shared name string, without boxing.
     */
    private double numeric(Map<String, Double> numeric, int i) {
        if (numeric instanceof EventNumerics numerics) {
            int at = numericAt[i];
            if (at >= numerics.size() || numerics.name(at) != numericSeen[i]) {
                // Not where the last event had it, or another string: search by name.
                at = numerics.indexOf(numericNames[i], at);
                if (at < 0) {
                    return Double.NaN;
                }
                numericAt[i] = at;
                numericSeen[i] = numerics.name(at);
            }
            return numerics.value(at);
        }
        Double boxed = numeric.get(numericNames[i]);
        return boxed == null ? Double.NaN : boxed;
    }

    private void addRow(Event event, MicroBatch batch, float[] denseRow) {
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
                denseRow,
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

    /** The committed state takes the running one: every row encoded so far now scales the next. */
    public void commitMoments() {
        standardizer.copyFrom(running);
        if (scaleDense) {
            denseScaler.copyFrom(runningDense);
        }
    }

    /**
     * The running state goes back to the committed one, forgetting the rows encoded since the last
     * commit: what a scorer that never learns calls after each batch.
     */
    public void discardPending() {
        running.copyFrom(standardizer);
        if (scaleDense) {
            runningDense.copyFrom(denseScaler);
        }
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
