package perpetua.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

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
    private final LinearModel linear;
    private final FeatureEncoder encoder;
    private final MicroBatch batch;
    private float[] scores = new float[0];
    private float[] predicted = new float[0];

    private ScoringModel(ModelSnapshot s) {
        this.model = s.getModel();
        this.version = s.getVersion();
        this.spec = s.getSpec();
        this.linear =
                LinearModel.fromTensors(
                        spec, s.getTensors(), s.getOptimizerState(), s.getVersion());
        this.encoder = new FeatureEncoder(spec, standardizer(spec, s.getFeatureState()));
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
        int width = linear.scoreWidth();
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
            linear.predict(batch, scores, predicted);
        } finally {
            batch.clear();
            // The scorer never commits: the moments stay the snapshot's.
            encoder.discardPending();
        }
        List<Prediction> out = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            Event e = events.get(r);
            Object label;
            List<Float> s;
            if (spec.getTask() == Task.REGRESSION) {
                label = (double) predicted[r];
                s = List.of();
            } else {
                label = (int) predicted[r];
                Float[] row = new Float[width];
                for (int k = 0; k < width; k++) {
                    row[k] = scores[r * width + k];
                }
                s = Arrays.asList(row);
            }
            out.add(
                    Prediction.newBuilder()
                            .setEventId(e.getId())
                            .setModel(model)
                            .setModelVersion(version)
                            .setTime(e.getTime())
                            .setLabel(label)
                            .setScores(s)
                            .setPublishedAt(0L)
                            .setPredictedAt(now)
                            .build());
        }
        return out;
    }

    private static OnlineStandardizer standardizer(ModelSpec spec, List<Tensor> state) {
        int n = spec.getNumericFeatures().size();
        float[] count = tensor(state, "featureCount", n);
        float[] mean = tensor(state, "featureMean", n);
        float[] m2 = tensor(state, "featureM2", n);
        long[] counts = new long[n];
        double[] means = new double[n];
        double[] m2s = new double[n];
        for (int i = 0; i < n; i++) {
            counts[i] = Math.round((double) count[i]);
            means[i] = mean[i];
            m2s[i] = m2[i];
        }
        return new OnlineStandardizer(counts, means, m2s);
    }

    private static float[] tensor(List<Tensor> state, String name, int n) {
        for (Tensor t : state) {
            if (t.getName().equals(name)) {
                float[] v = Tensors.toFloats(t);
                if (v.length != n) {
                    throw new IllegalArgumentException(
                            "snapshot tensor "
                                    + name
                                    + " has "
                                    + v.length
                                    + " values, the spec names "
                                    + n
                                    + " numeric features");
                }
                return v;
            }
        }
        if (n == 0) {
            return new float[0];
        }
        throw new IllegalArgumentException("snapshot has no feature state tensor " + name);
    }
}
