package perpetua.features;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import perpetua.catalog.InteractionMemory;
import perpetua.schemas.Embedding;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.wire.EventCategoricals;

/**
 * Turns events into rows of a {@link MicroBatch} as a model's spec describes them.
 *
 * <p>A row is the event's dense floats (times the spec's {@code denseScale}), then every numeric
 * feature the spec names in the spec's order (standardized online; a missing one encodes as 0, the
 * mean after standardization), then one hashed slot per categorical entry for the wide part, plus
 * one per interaction {@code A*B} whose two features are present and, when the spec asks for text
 * n-grams, one per n-gram of the text (value 1/sqrt(tokens)). Each embedded field adds a bag of ids
 * into its table: the hashed value of a categorical (empty when missing) or the hashed tokens of
 * the text ({@link #TEXT_FIELD}). A factorization machine ({@code factors > 0}) adds one id per
 * categorical value of its features into its hashed table, with the value's x. A feature the spec
 * lists in {@code multiValued} splits its value at {@link #VALUE_SEPARATOR}: each part is an input
 * of its own, weighing 1/sqrt(parts) in the wide and factor parts (its crosses 1/sqrt(parts of A x
 * parts of B)) and one id of its embedding bag. The encoder keeps the running moments of the
 * numerics; they belong to the model's state and are exposed through {@link #standardizer()}.
 * Events are assumed validated: finite values and a dense array of the spec's size.
 *
 * <p>With dense scaling ({@link #scalesDense}) each dense value is also divided by the largest
 * magnitude its column has had ({@link MaxAbsScaler}), so that the model sees dense inputs within
 * [-1, 1].
 *
 * <p>The scaling state is kept twice ({@link DenseScaling}). The <em>committed</em> moments and
 * magnitudes scale the rows that are predicted: {@link #commitMoments()} brings them up to date,
 * which the Learner does once per micro-batch after predicting it, so that a prediction depends
 * only on the model and the scaling of the last snapshot, and a scorer outside Flink that never
 * commits reproduces it exactly. The <em>running</em> state takes every event in the order it is
 * encoded, and scales the copy of a labelled row that is learned ({@link #learningRow}): so what a
 * model learns depends on the events and their order, not on where the micro-batches happened to
 * end.
 */
public final class FeatureEncoder {

    /** The embedding feature name that stands for the tokens of the event's text. */
    public static final String TEXT_FIELD = "@text";

    /** Separates the values of a multi-valued categorical ({@code Comedy|Romance}). */
    public static final char VALUE_SEPARATOR = '|';

    private final int hashBits;
    private final boolean wide;
    private final String[][] interactions;
    private final int textNgrams;
    private final String[] fieldNames;

    // Where each crossed and each embedded categorical was in the last event: events name their
    // fields in one order, so a decoded event's value is found at once (see #categorical).
    private final int[] crossAt;
    private final int[] fieldAt;
    private final int embeddingBits;
    private final Set<String> multiValued;
    private final int factorBits;

    /** The categoricals with factor vectors; null: every one. */
    private final Set<String> factorFeatures;

    private final DenseScaling dense;
    // Per-event scratch, reused so that encoding allocates only the hashed key strings.
    private final RowScratch scratch = new RowScratch();
    private final List<String> valueParts = new ArrayList<>(4);
    private final int[] bagEnds;
    private final CategoricalHashes hashes = new CategoricalHashes();

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
        this.dense = new DenseScaling(spec, standardizer, denseScaler);
        this.hashBits = spec.getHashBits();
        this.wide = spec.getWide();
        this.interactions = new String[spec.getInteractions().size()][];
        for (int i = 0; i < interactions.length; i++) {
            // Interned, as a decoded event's names are (BodyReader): a name is then found by
            // identity, without comparing characters.
            String[] pair = interactionPair(spec.getInteractions().get(i));
            interactions[i] = new String[] {pair[0].intern(), pair[1].intern()};
        }
        this.textNgrams = spec.getTextNgrams();
        List<Embedding> embeddings = spec.getEmbeddings();
        this.crossAt = new int[2 * interactions.length];
        this.fieldNames = new String[embeddings.size()];
        this.fieldAt = new int[fieldNames.length];
        for (int f = 0; f < fieldNames.length; f++) {
            fieldNames[f] = embeddings.get(f).getFeature().intern();
        }
        this.embeddingBits = spec.getEmbeddingBits();
        this.multiValued = new HashSet<>(spec.getMultiValued());
        if (spec.getRecentItems() > 0) {
            multiValued.add(InteractionMemory.RECENT_FEATURE);
        }
        this.factorBits = spec.getFactors() > 0 ? spec.getFactorBits() : 0;
        this.factorFeatures =
                spec.getFactorFeatures().isEmpty() ? null : new HashSet<>(spec.getFactorFeatures());
        this.bagEnds = new int[fieldNames.length];
    }

    /** Returns the number of dense values per encoded row: dense size plus named numerics. */
    public int denseWidth() {
        return dense.width();
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
        return dense.standardizer();
    }

    /** Returns the committed magnitudes of the dense columns, or null without dense scaling. */
    public MaxAbsScaler denseScaler() {
        return dense.denseScaler();
    }

    /**
     * Appends {@code event} as one row of {@code batch}, scaled with the committed state, for
     * predicting; its values then join the running state. Right after, {@link #learningRow} copies
     * the row as it is learned.
     */
    public void encode(Event event, MicroBatch batch) {
        encode(event, batch, null);
    }

    /**
     * Appends {@code event} as {@link #encode(Event, MicroBatch)} does and, when {@code names} is
     * not null, names each of the row's inputs there, in the order of the row's slots, bag ids and
     * factor ids (what an explanation reports).
     */
    public void encode(Event event, MicroBatch batch, EncodedInputs names) {
        if (names != null) {
            names.clear();
        }
        dense.scale(event);
        addRow(event, batch, dense.committedRow, names);
    }

    /**
     * Appends the last row {@link #encode} added to {@code from} to {@code to}, with its dense
     * values as the running state scaled them when its event came: the row as it is learned.
     */
    public void learningRow(MicroBatch from, MicroBatch to) {
        to.addRowFrom(from, from.size() - 1, dense.runningRow);
    }

    /**
     * Appends {@code event} to {@code batch} for learning, scaled with the running state, which it
     * leaves as it is: a late label, whose event was counted when it was predicted.
     */
    public void encodeCounted(Event event, MicroBatch batch) {
        dense.scaleCounted(event);
        addRow(event, batch, dense.runningRow, null);
    }

    private void addRow(Event event, MicroBatch batch, float[] denseRow, EncodedInputs names) {
        Map<String, String> categorical = event.getCategorical();
        scratch.reset();
        if (wide || factorBits > 0) {
            if (categorical instanceof EventCategoricals values) {
                for (int c = 0; c < values.size(); c++) {
                    categoricalInputs(values.name(c), values.value(c), names);
                }
            } else {
                for (Map.Entry<String, String> entry : categorical.entrySet()) {
                    categoricalInputs(entry.getKey(), entry.getValue(), names);
                }
            }
            // In slot order, so that a row sums its weights in one order whatever order its map
            // gave the categoricals: a decoded event and one built by hand predict the same.
            // The categoricals' slots are the first of the row.
            scratch.sortSlots(names == null ? null : names.slots);
        }
        List<String> tokens = null;
        if (wide) {
            for (int i = 0; i < interactions.length; i++) {
                String[] pair = interactions[i];
                String a = categorical(categorical, pair[0], crossAt, 2 * i);
                String b = categorical(categorical, pair[1], crossAt, 2 * i + 1);
                if (a != null && b != null) {
                    cross(pair, a, b, names);
                }
            }
            if (textNgrams > 0 && event.getText() != null) {
                tokens = Tokenizer.tokens(event.getText());
                float value = tokens.isEmpty() ? 0f : (float) (1.0 / Math.sqrt(tokens.size()));
                for (int t = 0; t < tokens.size(); t++) {
                    scratch.addSlot(
                            FeatureHasher.slotOf(hashes.of(TEXT_FIELD, tokens.get(t)), hashBits),
                            value);
                    if (names != null) {
                        names.slots.add(TEXT_FIELD + '=' + tokens.get(t));
                    }
                    if (textNgrams > 1 && t > 0) {
                        // The bigram "previous next", hashed without building it.
                        scratch.addSlot(
                                hashes.bigramSlot(
                                        TEXT_FIELD, tokens.get(t - 1), tokens.get(t), hashBits),
                                value);
                        if (names != null) {
                            names.slots.add(
                                    TEXT_FIELD + '=' + tokens.get(t - 1) + ' ' + tokens.get(t));
                        }
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
                            scratch.addId(
                                    idCount,
                                    FeatureHasher.slotOf(
                                            hashes.of(TEXT_FIELD, token), embeddingBits));
                    if (names != null) {
                        names.bagIds.add(TEXT_FIELD + '=' + token);
                    }
                }
            } else {
                String value = categorical(categorical, name, fieldAt, f);
                if (value != null) {
                    for (String v : values(name, value)) {
                        idCount =
                                scratch.addId(
                                        idCount,
                                        FeatureHasher.slotOf(hashes.of(name, v), embeddingBits));
                        if (names != null) {
                            names.bagIds.add(name + '=' + v);
                        }
                    }
                }
            }
            bagEnds[f] = idCount;
        }
        float label = labelOf(event);
        batch.addRow(
                denseRow,
                scratch.slots,
                scratch.slotValues,
                scratch.slotCount,
                bagEnds.length == 0 ? null : bagEnds,
                scratch.ids,
                scratch.factors,
                scratch.factorValues,
                scratch.factorCount,
                label,
                event.getWeight());
    }

    /**
     * The wide slots and factor ids of one categorical entry: one input per value, each weighing
     * 1/sqrt(values) when the feature is multi-valued.
     */
    private void categoricalInputs(String name, String raw, EncodedInputs names) {
        boolean factored =
                factorBits > 0 && (factorFeatures == null || factorFeatures.contains(name));
        if (!wide && !factored) {
            return;
        }
        if (!isMultiValued(name)) {
            categoricalInput(name, raw, 1f, factored, names);
            return;
        }
        List<String> values = values(name, raw);
        float x = values.size() == 1 ? 1f : (float) (1.0 / Math.sqrt(values.size()));
        for (String v : values) {
            categoricalInput(name, v, x, factored, names);
        }
    }

    /** The wide slot and factor id of one value {@code v} of categorical {@code name}. */
    private void categoricalInput(
            String name, String v, float x, boolean factored, EncodedInputs names) {
        int hash = hashes.of(name, v);
        String input = names == null ? null : name + '=' + v;
        if (wide) {
            scratch.addSlot(FeatureHasher.slotOf(hash, hashBits), x);
            if (names != null) {
                names.slots.add(input);
            }
        }
        if (factored) {
            scratch.addFactor(FeatureHasher.slotOf(hash, factorBits), x);
            if (names != null) {
                names.factorIds.add(input);
            }
        }
    }

    /**
     * The value of categorical {@code name} in {@code categorical}, or null; a decoded event's is
     * looked for first where {@code at[k]} says the last event had it.
     */
    private static String categorical(
            Map<String, String> categorical, String name, int[] at, int k) {
        if (categorical instanceof EventCategoricals values) {
            int i = values.indexOf(name, at[k]);
            if (i < 0) {
                return null;
            }
            at[k] = i;
            return values.value(i);
        }
        return categorical.get(name);
    }

    /** The crossed slots of an interaction A*B: every pair of their values. */
    private void cross(String[] pair, String a, String b, EncodedInputs names) {
        if (!isMultiValued(pair[0]) && !isMultiValued(pair[1])) {
            scratch.addSlot(hashes.crossSlot(pair, a, b, hashBits), 1f);
            if (names != null) {
                names.slots.add(pair[0] + '*' + pair[1] + '=' + a + ',' + b);
            }
            return;
        }
        String crossName = pair[0] + '*' + pair[1];
        List<String> as = List.copyOf(values(pair[0], a));
        List<String> bs = values(pair[1], b);
        if (as.isEmpty() || bs.isEmpty()) {
            return;
        }
        float x = (float) (1.0 / Math.sqrt((double) as.size() * bs.size()));
        for (String va : as) {
            for (String vb : bs) {
                scratch.addSlot(hashes.crossSlot(pair, va, vb, hashBits), x);
                if (names != null) {
                    names.slots.add(crossName + '=' + va + ',' + vb);
                }
            }
        }
    }

    /**
     * The values of a categorical: the value itself, or for a multi-valued feature its non-empty
     * parts between separators. The list is reused by the next call.
     */
    private List<String> values(String name, String raw) {
        valueParts.clear();
        if (!isMultiValued(name)) {
            valueParts.add(raw);
            return valueParts;
        }
        splitValues(raw, valueParts);
        return valueParts;
    }

    private boolean isMultiValued(String name) {
        return !multiValued.isEmpty() && multiValued.contains(name);
    }

    /** Adds the non-empty parts of a multi-valued categorical's value to {@code out}. */
    public static void splitValues(String raw, List<String> out) {
        int from = 0;
        while (from <= raw.length()) {
            int to = raw.indexOf(VALUE_SEPARATOR, from);
            if (to < 0) {
                to = raw.length();
            }
            if (to > from) {
                out.add(raw.substring(from, to));
            }
            from = to + 1;
        }
    }

    /** The committed state takes the running one: every row encoded so far now scales the next. */
    public void commitMoments() {
        dense.commit();
    }

    /**
     * The running state goes back to the committed one, forgetting the rows encoded since the last
     * commit: what a scorer that never learns calls after each batch.
     */
    public void discardPending() {
        dense.discardPending();
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
