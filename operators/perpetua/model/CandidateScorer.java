package perpetua.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import perpetua.catalog.InteractionMemory;
import perpetua.features.FeatureEncoder;
import perpetua.features.MaxAbsScaler;
import perpetua.features.MicroBatch;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.RecommendedItem;
import perpetua.schemas.Task;

/**
 * Scores items for a user with a recommender's {@link NeuralModel}: each candidate is the user's
 * event with the item feature set to the candidate and the item's side features ({@code
 * itemFeatures}) taken from the catalog, so that everything about the user (their categoricals,
 * numerics, dense values, text) stays as the event has it.
 *
 * <p>Candidates are scored in batches of {@link #CHUNK} rows by one forward pass each, as the
 * scores before the task's activation (log-odds or values), which rank as the probabilities do but
 * without their ties at saturation. A recommendation over the catalog scores the user's part of the
 * row once (their categoricals, recent items, dense values, numerics and text) and each item
 * against it, when the model allows it exactly: no embeddings and no wide cross of an item's input,
 * so that only the factor part mixes the user's inputs with the item's (its pairwise sum splits
 * into the user's pairs, the item's pairs and the cross terms). Inputs are scaled with the moments
 * given, which are only read. Not thread-safe.
 */
public final class CandidateScorer {
    /** Candidates scored by one forward pass. */
    public static final int CHUNK = 1024;

    /**
     * The items a user is recommended, best first, with how many of the catalog were ranked and how
     * many left out as already seen.
     */
    public record TopItems(List<RecommendedItem> items, int candidates, int excluded) {}

    private final NeuralModel model;
    private final ModelSpec spec;
    private final FeatureEncoder encoder;
    private final MicroBatch batch;
    private final String itemFeature;
    private final Set<String> itemSide = new HashSet<>();
    private final Event candidate = new Event();
    private final Map<String, String> categorical = new HashMap<>();
    private final Map<String, String> row = new HashMap<>();
    private float[] scores = new float[CHUNK];

    /** Whether a user's part is scored once and each item against it ({@link #recommend}). */
    private final boolean joinsRows;

    private MicroBatch userRow;

    /**
     * A scorer for a recommender model whose numerics are scaled with {@code moments} and dense
     * values with {@code dense} (null: as they come).
     */
    public CandidateScorer(NeuralModel model, OnlineStandardizer moments, MaxAbsScaler dense) {
        this.model = model;
        this.spec = model.spec();
        if (spec.getItemFeature() == null) {
            throw new IllegalArgumentException(
                    "model '"
                            + spec.getModel()
                            + "' is no recommender: its spec has no itemFeature");
        }
        this.itemFeature = spec.getItemFeature();
        itemSide.add(itemFeature);
        itemSide.addAll(spec.getItemFeatures());
        this.encoder = new FeatureEncoder(spec, moments, dense);
        this.batch = encoder.newBatch();
        this.joinsRows = model.joinsRows() && !crossesAnItemInput(spec, itemSide);
    }

    /** Whether a wide cross of the spec takes an item's input: then it is no user's part alone. */
    private static boolean crossesAnItemInput(ModelSpec spec, Set<String> itemSide) {
        for (String cross : spec.getInteractions()) {
            for (String name : FeatureEncoder.interactionPair(cross)) {
                if (itemSide.contains(name) || ITEM_CONTEXT.contains(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The categoricals an item's row carries of its own besides its side features. */
    private static final Set<String> ITEM_CONTEXT =
            Set.of(
                    InteractionMemory.COUNT_FEATURE,
                    InteractionMemory.IDLE_FEATURE,
                    InteractionMemory.COOCCURRENCE_FEATURE);

    /** Whether {@link #recommend} scores the user's part once and each item against it. */
    public boolean joinsRows() {
        return joinsRows;
    }

    /**
     * The scores of {@code event} as it is, then of the event with each of {@code candidates} (its
     * item and side features swapped in): {@code candidates.length + 1} values, all by the model as
     * it is now.
     */
    public float[] scoreAgainst(Event event, String[] candidates, InteractionMemory memory) {
        return scoreAgainst(event, candidates, memory, memory.interactions());
    }

    /**
     * As {@link #scoreAgainst(Event, String[], InteractionMemory)}, with the candidates' activity
     * ({@code itemActivity}) as of the {@code drawnAt}-th interaction, when they were drawn: an
     * event's item and its candidates are then seen at the same moment, however many interactions
     * its micro-batch recorded since.
     */
    public float[] scoreAgainst(
            Event event, String[] candidates, InteractionMemory memory, long drawnAt) {
        int[] cooccurrence = null;
        if (memory.countsPairs()) {
            long[] recent = memory.recentHashes(event.getCategorical().get(spec.getUserFeature()));
            cooccurrence = new int[candidates.length];
            for (int i = 0; i < candidates.length; i++) {
                cooccurrence[i] = memory.cooccurrenceBucket(candidates[i], recent);
            }
        }
        return scoreAgainst(event, candidates, memory, drawnAt, cooccurrence);
    }

    /**
     * As {@link #scoreAgainst(Event, String[], InteractionMemory, long)}, with each candidate's
     * {@code @cooc} ({@code cooccurrenceBits}) as given, counted when it was drawn (null: the model
     * counts no pairs).
     */
    public float[] scoreAgainst(
            Event event,
            String[] candidates,
            InteractionMemory memory,
            long drawnAt,
            int[] cooccurrence) {
        int total = candidates.length + 1;
        float[] all = new float[total];
        for (int from = 0; from < total; from += CHUNK) {
            int to = Math.min(total, from + CHUNK);
            begin(event);
            for (int i = from; i < to; i++) {
                if (i == 0) {
                    encoder.encode(event, batch);
                } else {
                    encodeCandidate(
                            candidates[i - 1],
                            memory.features(candidates[i - 1]),
                            memory,
                            drawnAt,
                            cooccurrence == null ? -1 : cooccurrence[i - 1],
                            false);
                }
            }
            System.arraycopy(finish(), 0, all, from, to - from);
        }
        return all;
    }

    /**
     * The {@code k} items of the catalog that score best for {@code user}, leaving out the user's
     * recent items; {@code base} carries the user's features (the request event, or one built from
     * what the memory keeps of the user).
     */
    public TopItems recommend(Event base, String user, int k, InteractionMemory memory) {
        return recommend(base, user, k, memory, joinsRows);
    }

    /**
     * As {@link #recommend(Event, String, int, InteractionMemory)}, each candidate scored as a
     * whole row when {@code joined} is false (the reference the joined scores are tested against).
     */
    TopItems recommend(Event base, String user, int k, InteractionMemory memory, boolean joined) {
        if (joined && !joinsRows) {
            throw new IllegalStateException("this model cannot score a user's part once");
        }
        Set<String> seen = memory.history(user);
        int size = memory.size();
        // A min-heap of (score, slot) holding the best k so far.
        PriorityQueue<long[]> best =
                new PriorityQueue<>(
                        Math.max(1, k),
                        (a, b) ->
                                a[0] != b[0]
                                        ? Float.compare(
                                                Float.intBitsToFloat((int) a[0]),
                                                Float.intBitsToFloat((int) b[0]))
                                        : Long.compare(b[1], a[1]));
        int candidates = 0;
        int excluded = 0;
        int[] slots = new int[CHUNK];
        int slot = 0;
        long[] recent = memory.recentHashes(user);
        if (joined) {
            begin(base);
            if (userRow == null) {
                userRow = encoder.newBatch();
            }
            userRow.clear();
            candidate.setCategorical(new HashMap<>(categorical));
            encoder.encode(candidate, userRow);
            encoder.discardPending();
            // The user's text is theirs: an item's row carries its own inputs alone.
            candidate.setText(null);
        }
        while (slot < size) {
            if (joined) {
                batch.clear();
            } else {
                begin(base);
            }
            int rows = 0;
            while (slot < size && rows < CHUNK) {
                String item = memory.item(slot);
                if (seen.contains(item)) {
                    excluded++;
                } else {
                    encodeCandidate(
                            item,
                            memory.features(slot),
                            memory,
                            memory.interactions(),
                            memory.countsPairs() ? memory.cooccurrenceBucket(item, recent) : -1,
                            joined);
                    slots[rows++] = slot;
                }
                slot++;
            }
            if (rows == 0) {
                continue;
            }
            float[] s = joined ? finishJoined() : finish();
            candidates += rows;
            for (int r = 0; r < rows; r++) {
                long[] entry = {Float.floatToIntBits(s[r]), slots[r]};
                if (best.size() < k) {
                    best.add(entry);
                } else if (k > 0 && better(s[r], slots[r], best.peek())) {
                    best.poll();
                    best.add(entry);
                }
            }
        }
        List<long[]> top = new ArrayList<>(best);
        top.sort(
                (a, b) -> {
                    float sa = Float.intBitsToFloat((int) a[0]);
                    float sb = Float.intBitsToFloat((int) b[0]);
                    return sa != sb ? Float.compare(sb, sa) : Long.compare(a[1], b[1]);
                });
        List<RecommendedItem> items = new ArrayList<>(top.size());
        for (long[] e : top) {
            items.add(
                    RecommendedItem.newBuilder()
                            .setItem(memory.item((int) e[1]))
                            .setScore(served(Float.intBitsToFloat((int) e[0])))
                            .build());
        }
        return new TopItems(items, candidates, excluded);
    }

    /**
     * The event a recommendation for {@code user} is scored from: the request's own features (dense
     * values, numerics, text, categoricals) over the categoricals the memory kept of the user; with
     * no request, those categoricals alone (dense values 0, numerics at their mean).
     */
    public static Event userEvent(
            ModelSpec spec, InteractionMemory memory, String user, Event request) {
        Map<String, String> categorical = new HashMap<>(memory.userFeatures(user));
        if (request != null) {
            categorical.putAll(request.getCategorical());
        }
        categorical.put(spec.getUserFeature(), user);
        categorical = memory.withContext(spec, categorical);
        if (request != null) {
            return Event.newBuilder(request).setCategorical(categorical).build();
        }
        List<Float> dense = new ArrayList<>(spec.getDenseSize());
        for (int i = 0; i < spec.getDenseSize(); i++) {
            dense.add(0f);
        }
        return Event.newBuilder()
                .setId("recommend:" + user)
                .setModel(spec.getModel())
                .setTime(0L)
                .setDense(dense)
                .setCategorical(categorical)
                .build();
    }

    /** A higher score wins; of equal scores, the earlier slot. */
    private static boolean better(float score, int slot, long[] worst) {
        float w = Float.intBitsToFloat((int) worst[0]);
        return score > w || (score == w && slot < worst[1]);
    }

    /**
     * The score a recommendation states: P(interaction) for BINARY, the value in the label's units
     * for REGRESSION.
     */
    private float served(float score) {
        return spec.getTask() == Task.BINARY
                ? (float) (1.0 / (1.0 + Math.exp(-score)))
                : model.labelUnits(score);
    }

    /** A new batch of candidates for the user of {@code base}. */
    private void begin(Event base) {
        batch.clear();
        categorical.clear();
        for (Map.Entry<String, String> e : base.getCategorical().entrySet()) {
            if (!itemSide.contains(e.getKey())
                    && !e.getKey().equals(InteractionMemory.COUNT_FEATURE)
                    && !e.getKey().equals(InteractionMemory.IDLE_FEATURE)
                    && !e.getKey().equals(InteractionMemory.COOCCURRENCE_FEATURE)) {
                categorical.put(e.getKey(), e.getValue());
            }
        }
        candidate.setId(base.getId());
        candidate.setModel(base.getModel());
        candidate.setTime(base.getTime());
        candidate.setDense(base.getDense());
        candidate.setNumeric(base.getNumeric());
        candidate.setText(base.getText());
        candidate.setLabel(null);
        candidate.setWeight(1f);
        candidate.setRecommend(0);
    }

    /**
     * Encodes {@code item} for the batch's user, or its own inputs alone when {@code itemOnly};
     * {@code cooccurrence} < 0: no {@code @cooc}.
     */
    private void encodeCandidate(
            String item,
            Map<String, String> features,
            InteractionMemory memory,
            long asOf,
            int cooccurrence,
            boolean itemOnly) {
        row.clear();
        if (!itemOnly) {
            row.putAll(categorical);
        }
        if (features != null) {
            for (Map.Entry<String, String> f : features.entrySet()) {
                if (itemSide.contains(f.getKey())) {
                    row.put(f.getKey(), f.getValue());
                }
            }
        }
        row.put(itemFeature, item);
        if (spec.getItemActivity()) {
            memory.putActivity(item, asOf, row);
        }
        if (cooccurrence >= 0) {
            row.put(InteractionMemory.COOCCURRENCE_FEATURE, Integer.toString(cooccurrence));
        }
        candidate.setCategorical(row);
        encoder.encode(candidate, batch);
    }

    /** Scores the batch's items each joined with the user's row; valid until the next call. */
    private float[] finishJoined() {
        encoder.discardPending();
        int n = batch.size();
        if (scores.length < n) {
            scores = new float[n];
        }
        float[] logits = model.joinedScores(userRow, batch);
        System.arraycopy(logits, 0, scores, 0, n);
        return scores;
    }

    /** Scores the batch; the returned array is valid until the next call. */
    private float[] finish() {
        encoder.discardPending();
        int n = batch.size();
        if (scores.length < n) {
            scores = new float[n];
        }
        float[] logits = model.scores(batch);
        System.arraycopy(logits, 0, scores, 0, n);
        return scores;
    }
}
