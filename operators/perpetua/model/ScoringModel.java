package perpetua.model;

import java.util.ArrayList;
import java.util.List;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;

/**
 * Scores events with one version of a model, rebuilt from its {@link ModelSnapshot}, outside Flink.
 *
 * <p>The model and the numeric moments stay as the snapshot has them: events are encoded with the
 * snapshot's moments, which are never committed, and the model never learns. A {@link Prediction}
 * is built exactly as the Learner builds one, so the predictions equal the Learner's own for the
 * events it predicts at the snapshot's version.
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
                encoder.encode(e, batch);
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
