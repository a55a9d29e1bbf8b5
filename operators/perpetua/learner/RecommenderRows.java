package perpetua.learner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import perpetua.catalog.InteractionMemory;
import perpetua.ingest.LearnerInput;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.schemas.Event;
import perpetua.schemas.Interactions;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Sampling;
import perpetua.schemas.Task;

/**
 * What a recommender adds to a model's open batch: what it remembers of its stream ({@link
 * InteractionMemory}, shared by every learner), the candidates each new event's item is ranked
 * against, the sampled negatives the batch learns and the requests it answers. For other models the
 * memory is null and the rest stays empty.
 */
final class RecommenderRows {
    /** A recommender's catalog and user histories; null for other models. */
    private InteractionMemory memory;

    /** Per new row of the open batch: the items its item is ranked against, or null. */
    private String[][] candidates;

    /**
     * Per new row of the open batch: the interactions the memory had recorded when it was drawn.
     */
    private long[] drawnAt;

    /**
     * Per new row of the open batch: its candidates' {@code @cooc} as of their draw, or null when
     * the model counts no pairs.
     */
    private int[][] drawnCooccurrence;

    /** The interactions recorded before the event {@link #observe} saw last. */
    private long observedAt;

    /** The candidates' co-occurrence buckets of the event {@link #observe} saw last, or null. */
    private int[] observedCooccurrence;

    /** The hashes of the recent items of the event {@link #observe} sees, for its negatives. */
    private long[] observedRecent = new long[0];

    /** The sampled negatives of the open batch (implicit feedback): learned, never served. */
    private final List<Event> negatives = new ArrayList<>();

    /** Request events of the open batch, answered with recommendations. */
    private final List<LearnerInput> requests = new ArrayList<>();

    RecommenderRows(ModelSpec spec, Interactions was, int rows) {
        this.memory = memoryFor(spec, was);
        this.candidates = new String[rows][];
        this.drawnAt = new long[rows];
        this.drawnCooccurrence = new int[rows][];
    }

    /** The memory a spec asks for: none, or one within its bounds holding what {@code was} held. */
    private static InteractionMemory memoryFor(ModelSpec spec, Interactions was) {
        if (spec.getItemFeature() == null) {
            return null;
        }
        return InteractionMemory.of(was, spec);
    }

    /** The memory restored from its bytes in state, or none. */
    void restore(ModelSpec spec, byte[] interactions) throws IOException {
        if (interactions != null) {
            memory = memoryFor(spec, Interactions.fromByteBuffer(ByteBuffer.wrap(interactions)));
        }
    }

    /** The memory as bytes for state, or null. */
    byte[] toBytes() {
        if (memory == null) {
            return null;
        }
        try {
            ByteBuffer b = memory.toRecord().toByteBuffer();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The memory as a snapshot carries it, or null. */
    Interactions toRecord() {
        return memory == null ? null : memory.toRecord();
    }

    InteractionMemory memory() {
        return memory;
    }

    /** Takes over what a snapshot remembered of the stream (warm start, fork). */
    void remember(ModelSpec spec, Interactions record) {
        memory = memoryFor(spec, record);
    }

    /** A new spec: the memory is kept while its bounds stay, else rebuilt within the new ones. */
    void respec(ModelSpec was, ModelSpec next) {
        boolean bounds =
                memory != null
                        && next.getItemFeature() != null
                        && next.getCatalogSize() == was.getCatalogSize()
                        && next.getHistoryUsers() == was.getHistoryUsers()
                        && next.getUserHistory() == was.getUserHistory()
                        && next.getCooccurrenceBits() == was.getCooccurrenceBits()
                        && next.getRecentItems() == was.getRecentItems();
        if (!bounds) {
            memory = memoryFor(next, memory == null ? null : memory.toRecord());
        }
    }

    /**
     * An interaction (an event with an item) of a recommender: its ranking candidates, drawn from
     * the items its user had not interacted with (for a positive or unlabelled event, any rating),
     * its negatives (implicit feedback, a positive label), then the memory records it. With {@code
     * recentItems} or {@code itemActivity} the event itself first gains what the memory knows
     * around it ({@link InteractionMemory#withContext}), and so do its negatives.
     *
     * @return the ranking candidates, or null when the event is not ranked or the model is no
     *     recommender
     */
    String[] observe(ModelSpec spec, Event e) {
        if (memory == null) {
            return null;
        }
        Map<String, String> categorical = e.getCategorical();
        String item = categorical.get(spec.getItemFeature());
        if (item == null) {
            return null;
        }
        String user = categorical.get(spec.getUserFeature());
        observedAt = memory.interactions();
        if (InteractionMemory.needsContext(spec)) {
            // What the memory knows around the interaction is an input of the event itself, so
            // that its prediction, its learning, its negatives, its candidates and a label that
            // comes later all see it as it was before the event.
            categorical = memory.withContext(spec, categorical);
            e.setCategorical(categorical);
        }
        Object label = e.getLabel();
        boolean binary = spec.getTask() == Task.BINARY;
        boolean positive = label != null && ((Number) label).doubleValue() >= 0.5;
        SplittableRandom random = memory.random(spec.getSeed());
        boolean byPopularity = spec.getSampling() == Sampling.POPULARITY;
        String[] drawn = null;
        observedCooccurrence = null;
        observedRecent = memory.recentHashes(user);
        if (PrequentialEvaluator.ranks(spec) && (!binary || label == null || positive)) {
            drawn = memory.sample(user, item, spec.getRankingCandidates(), random, byPopularity);
            if (drawn != null && memory.countsPairs()) {
                // As of the draw: the batch records more interactions before it ranks.
                observedCooccurrence = new int[drawn.length];
                for (int i = 0; i < drawn.length; i++) {
                    observedCooccurrence[i] = memory.cooccurrenceBucket(drawn[i], observedRecent);
                }
            }
        }
        if (binary && positive && spec.getNegativeSamples() > 0) {
            String[] negative =
                    memory.sample(user, item, spec.getNegativeSamples(), random, byPopularity);
            if (negative != null) {
                for (int i = 0; i < negative.length; i++) {
                    negatives.add(negativeOf(spec, e, negative[i], i));
                }
            }
        }
        Map<String, String> itemSide = new HashMap<>();
        Map<String, String> userSide = new HashMap<>(categorical);
        userSide.remove(spec.getItemFeature());
        userSide.remove(spec.getUserFeature());
        userSide.keySet().removeAll(InteractionMemory.CONTEXT_FEATURES);
        for (String f : spec.getItemFeatures()) {
            String v = userSide.remove(f);
            if (v != null) {
                itemSide.put(f, v);
            }
        }
        memory.record(user, item, itemSide, userSide);
        return drawn;
    }

    /** The event with another item and that item's side features, learned as a negative. */
    private Event negativeOf(ModelSpec spec, Event e, String item, int index) {
        Map<String, String> categorical = new HashMap<>(e.getCategorical());
        for (String f : spec.getItemFeatures()) {
            categorical.remove(f);
        }
        Map<String, String> features = memory.features(item);
        if (features != null) {
            categorical.putAll(features);
        }
        categorical.put(spec.getItemFeature(), item);
        if (spec.getItemActivity()) {
            memory.putActivity(item, memory.interactions(), categorical);
        }
        if (memory.countsPairs()) {
            categorical.put(
                    InteractionMemory.COOCCURRENCE_FEATURE,
                    Integer.toString(memory.cooccurrenceBucket(item, observedRecent)));
        }
        return Event.newBuilder(e)
                .setId(e.getId() + "#negative" + index)
                .setCategorical(categorical)
                .setLabel(0)
                .build();
    }

    /** Row {@code row}'s ranking candidates, or null, drawn by the last {@link #observe}. */
    void place(int row, String[] drawn) {
        if (row >= candidates.length) {
            candidates = Arrays.copyOf(candidates, Math.max(row + 1, candidates.length * 2));
            drawnAt = Arrays.copyOf(drawnAt, candidates.length);
            drawnCooccurrence = Arrays.copyOf(drawnCooccurrence, candidates.length);
        }
        candidates[row] = drawn;
        drawnAt[row] = observedAt;
        drawnCooccurrence[row] = drawn == null ? null : observedCooccurrence;
    }

    /** Row {@code row}'s candidates' {@code @cooc} as of their draw, or null. */
    int[] drawnCooccurrence(int row) {
        return drawnCooccurrence[row];
    }

    /** The interactions the memory had recorded when row {@code row}'s candidates were drawn. */
    long drawnAt(int row) {
        return drawnAt[row];
    }

    /** The candidates row {@code row}'s item is ranked against, or null. */
    String[] candidates(int row) {
        return candidates[row];
    }

    /** Sampled negatives of the open batch, already in the learning queues. */
    List<Event> negatives() {
        return negatives;
    }

    /** A request joins the open batch: it is answered when the batch flushes. */
    void request(LearnerInput in) {
        requests.add(in);
    }

    /** Requests of the open batch. */
    List<LearnerInput> requests() {
        return requests;
    }

    /** The batch is done: its candidates, negatives and requests are forgotten. */
    void clear() {
        negatives.clear();
        requests.clear();
        Arrays.fill(candidates, null);
        Arrays.fill(drawnCooccurrence, null);
    }
}
