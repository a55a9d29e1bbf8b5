package perpetua.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import perpetua.catalog.InteractionMemory;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;

/**
 * Scores events with one version of a model, rebuilt from its {@link ModelSnapshot}, outside Flink.
 *
 * <p>The model and the numeric moments stay as the snapshot has them: events are encoded with the
 * snapshot's moments, which are never committed, and the model never learns. A {@link Prediction}
 * is built exactly as the Learner builds one, so the predictions equal the Learner's own for the
 * events it predicts at the snapshot's version.
 *
 * <p>A recommender's snapshot also carries its catalog and user histories, from which {@link
 * #recommend} ranks every item of the catalog for a user (leaving out the user's recent items);
 * {@link #explain} says what each input of an event added to its score ({@link Explainer}).
 *
 * <p>Not thread-safe: {@link #score} reuses an encoder and a batch buffer. Use one instance per
 * thread, or guard it with a lock.
 */
public final class ScoringModel {
    private final String model;
    private final long version;
    private final ModelSpec spec;
    private final NeuralModel network;
    private final FeatureEncoder encoder;
    private final MicroBatch batch;
    private float[] scores = new float[0];
    private float[] predicted = new float[0];
    private final InteractionMemory memory;
    private CandidateScorer candidates;
    private Explainer explainer;

    private ScoringModel(ModelSnapshot s) {
        this.model = s.getModel();
        this.version = s.getVersion();
        this.spec = s.getSpec();
        this.network =
                NeuralModel.fromTensors(
                        spec, s.getTensors(), s.getOptimizerState(), s.getVersion());
        this.encoder =
                new FeatureEncoder(
                        spec,
                        ModelRecords.standardizer(
                                s.getFeatureState(), spec.getNumericFeatures().size()),
                        ModelRecords.denseScaler(s.getFeatureState(), spec.getDenseSize()));
        this.batch = encoder.newBatch();
        this.memory =
                spec.getItemFeature() == null
                        ? null
                        : InteractionMemory.of(s.getInteractions(), spec);
    }

    /** Returns the scorer of the snapshot's model at the snapshot's version. */
    public static ScoringModel of(ModelSnapshot snapshot) {
        return new ScoringModel(snapshot);
    }

    /** Returns the model name. */
    public String model() {
        return model;
    }

    /** Returns the model version: the optimizer steps of the snapshot. */
    public long version() {
        return version;
    }

    /** Returns the spec of the snapshot. */
    public ModelSpec spec() {
        return spec;
    }

    /** Returns the catalog and user histories of a recommender's snapshot; null otherwise. */
    public InteractionMemory memory() {
        return memory;
    }

    /**
     * The {@code k} items of the catalog that score best for {@code user}, best first, leaving out
     * the user's recent items as the snapshot remembers them; the user's features are those the
     * snapshot kept of their last interaction.
     *
     * @throws IllegalArgumentException when the model is no recommender
     */
    public Recommendation recommend(String user, int k, long now) {
        return recommend(CandidateScorer.userEvent(spec, requireMemory(), user, null), k, now);
    }

    /**
     * The answer to a request event: the {@code request.recommend} items that score best for its
     * user, its own features over those the snapshot kept of the user.
     *
     * @throws IllegalArgumentException when the model is no recommender or the request names no
     *     user
     */
    public Recommendation recommend(Event request, long now) {
        String user = request.getCategorical().get(spec.getUserFeature());
        if (user == null) {
            throw new IllegalArgumentException(
                    "request " + request.getId() + " has no '" + spec.getUserFeature() + "'");
        }
        return recommend(
                CandidateScorer.userEvent(spec, requireMemory(), user, request),
                request.getRecommend(),
                now);
    }

    private Recommendation recommend(Event base, int k, long now) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0: " + k);
        }
        if (candidates == null) {
            candidates =
                    new CandidateScorer(network, encoder.standardizer(), encoder.denseScaler());
        }
        String user = base.getCategorical().get(spec.getUserFeature());
        CandidateScorer.TopItems top = candidates.recommend(base, user, k, memory);
        return Recommendation.newBuilder()
                .setRequestId(base.getId())
                .setModel(model)
                .setModelVersion(version)
                .setUser(user)
                .setTime(base.getTime())
                .setItems(top.items())
                .setCandidates(top.candidates())
                .setExcluded(top.excluded())
                .setRecommendedAt(now)
                .build();
    }

    private InteractionMemory requireMemory() {
        if (memory == null) {
            throw new IllegalArgumentException(
                    "model '" + model + "' is no recommender: its spec names no itemFeature");
        }
        return memory;
    }

    /** What each input of {@code event} added to the model's score for it, largest first. */
    public Explainer.Explanation explain(Event event) {
        if (explainer == null) {
            explainer = new Explainer(network, encoder.standardizer(), encoder.denseScaler());
        }
        return explainer.explain(withContext(event));
    }

    /**
     * The event as the job would have predicted it had it come right after the snapshot: a
     * recommender with {@code recentItems} or {@code itemActivity} adds what its memory knows
     * around the interaction.
     */
    private Event withContext(Event event) {
        if (memory == null) {
            return event;
        }
        Map<String, String> categorical = memory.withContext(spec, event.getCategorical());
        return categorical == event.getCategorical()
                ? event
                : Event.newBuilder(event).setCategorical(categorical).build();
    }

    /**
     * Predicts {@code events} in one batch.
     *
     * @param events validated events for this model (a dense array of the spec's size)
     * @param now the wall-clock time to put in {@code predictedAt}, epoch milliseconds
     * @return one prediction per event, in order
     */
    public List<Prediction> score(List<Event> events, long now) {
        int n = events.size();
        if (n == 0) {
            return List.of();
        }
        int width = network.scoreWidth();
        if (scores.length < n * width) {
            scores = new float[n * width];
        }
        if (predicted.length < n) {
            predicted = new float[n];
        }
        batch.clear();
        encoder.discardPending();
        try {
            for (Event e : events) {
                if (e.getDense().size() != spec.getDenseSize()) {
                    throw new IllegalArgumentException(
                            "event "
                                    + e.getId()
                                    + " has "
                                    + e.getDense().size()
                                    + " dense values, model '"
                                    + model
                                    + "' expects "
                                    + spec.getDenseSize());
                }
                encoder.encode(withContext(e), batch);
            }
            network.predict(batch, scores, predicted);
        } finally {
            batch.clear();
            // The scorer never commits: the moments stay the snapshot's.
            encoder.discardPending();
        }
        List<Prediction> out = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            out.add(
                    ModelRecords.prediction(
                            spec.getTask(),
                            model,
                            events.get(r),
                            version,
                            scores,
                            predicted,
                            r,
                            width,
                            0L,
                            now));
        }
        return out;
    }
}
